import { describe, expect, it } from 'vitest';
import {
  NO_IDENTITY_KEY,
  DEFAULT_MATCH_THRESHOLD,
  EMPTY_GALLERY,
  GalleryImportError,
  MAX_SAMPLES_PER_PERSON,
  cosineSimilarity,
  deleteAll,
  deletePerson,
  enrol,
  exportGallery,
  matchFace,
  mergeGalleries,
  parseGallery,
  rankPeople,
  renamePerson,
  serializeGallery,
  type Gallery,
} from './gallery.ts';

const basis = (i: number, n = 8) => Float32Array.from({ length: n }, (_, k) => (k === i ? 1 : 0));
const mix = (a: number, i: number, b: number, j: number, n = 8) =>
  Float32Array.from({ length: n }, (_, k) => (k === i ? a : 0) + (k === j ? b : 0));

const build = (): Gallery => {
  let g = enrol(EMPTY_GALLERY, { id: 'a', name: ' Ada ', embedding: mix(3, 0, 0.3, 1), createdAt: 1 });
  g = enrol(g, { id: 'b', name: 'Bob', embedding: basis(2), createdAt: 2 });
  g = enrol(g, { id: 'a', name: 'ignored', embedding: mix(1, 3, 1, 0), createdAt: 3 }); // second sample, other pose
  return g;
};

describe('cosine similarity', () => {
  it('hand-computed values', () => {
    expect(cosineSimilarity([1, 0], [1, 1])).toBeCloseTo(Math.SQRT1_2, 12);
    expect(cosineSimilarity([2, 0], [0, 5])).toBe(0);
    expect(cosineSimilarity([1, 2, 3], [-2, -4, -6])).toBeCloseTo(-1, 12);
    expect(() => cosineSimilarity([1], [1, 2])).toThrow(/lengths/);
  });
});

describe('gallery model', () => {
  it('enrols people with normalised samples, renames, deletes — without mutating its input', () => {
    const g = build();
    const snapshot = JSON.stringify(exportGallery(g));
    expect(g.people.map((p) => [p.id, p.name, p.samples.length])).toEqual([
      ['a', 'Ada', 2],
      ['b', 'Bob', 1],
    ]);
    expect(g.embeddingSize).toBe(8);
    for (const s of g.people[0].samples) expect(Math.hypot(...s)).toBeCloseTo(1, 6);
    const renamed = renamePerson(g, 'b', 'Robert');
    expect(renamed.people[1].name).toBe('Robert');
    const without = deletePerson(renamed, 'a');
    expect(without.people.map((p) => p.id)).toEqual(['b']);
    expect(deletePerson(without, 'b')).toEqual(EMPTY_GALLERY);
    expect(deleteAll()).toEqual(EMPTY_GALLERY);
    expect(JSON.stringify(exportGallery(g))).toBe(snapshot); // untouched
    expect(() => renamePerson(g, 'zzz', 'x')).toThrow(/no person/);
    expect(() => renamePerson(g, 'a', '   ')).toThrow(/non-empty/);
    expect(() => enrol(g, { id: 'c', name: 'Cy', embedding: basis(0, 4), createdAt: 0 })).toThrow(/8-d/);
  });

  it('keeps at most MAX_SAMPLES_PER_PERSON samples, dropping the oldest', () => {
    let g = EMPTY_GALLERY;
    for (let i = 0; i < MAX_SAMPLES_PER_PERSON + 5; i++)
      g = enrol(g, { id: 'a', name: 'Ada', embedding: mix(1, 0, i, 1), createdAt: 0 });
    expect(g.people[0].samples).toHaveLength(MAX_SAMPLES_PER_PERSON);
    expect(g.people[0].samples[0][1]).toBeCloseTo(5 / Math.hypot(1, 5), 6); // samples 0..4 dropped
  });

  it('matches a face to the person with the best sample (max over samples)', () => {
    const g = build();
    // equal to Ada's second sample → cosine 1 with that sample, though far from her first sample
    const m = matchFace(g, mix(1, 3, 1, 0));
    expect(m).toMatchObject({ personId: 'a', name: 'Ada', accepted: true });
    expect(m!.similarity).toBeCloseTo(1, 6);
    expect(rankPeople(g, basis(2)).map((s) => s.personId)).toEqual(['b', 'a']);
    // a stranger: best candidate reported, but below the threshold
    const stranger = matchFace(g, mix(1, 5, 0.2, 2));
    expect(stranger!.personId).toBe('b');
    expect(stranger!.similarity).toBeCloseTo(0.2 / Math.hypot(1, 0.2), 6);
    expect(stranger!.similarity).toBeLessThan(DEFAULT_MATCH_THRESHOLD);
    expect(stranger!.accepted).toBe(false);
    expect(matchFace(g, mix(1, 5, 0.2, 2), 0.1)!.accepted).toBe(true); // the user-set threshold decides
    expect(matchFace(EMPTY_GALLERY, basis(0))).toBeNull();
  });
});

describe('gallery JSON', () => {
  it('round-trips through export/import exactly', () => {
    const g = build();
    const back = parseGallery(serializeGallery(g));
    expect(back.embeddingSize).toBe(8);
    expect(back.people.map((p) => [p.id, p.name, p.createdAt])).toEqual([
      ['a', 'Ada', 1],
      ['b', 'Bob', 2],
    ]);
    back.people.forEach((p, i) =>
      p.samples.forEach((s, j) => expect(Array.from(s)).toEqual(Array.from(g.people[i].samples[j]))),
    );
    expect(parseGallery(serializeGallery(EMPTY_GALLERY))).toEqual(EMPTY_GALLERY);
  });

  it('refuses corrupt files with a clear error and leaves the existing gallery untouched', () => {
    const g = build();
    const before = serializeGallery(g);
    const good = exportGallery(g);
    const withPerson = (patch: Record<string, unknown>) => ({ ...good, people: [{ ...good.people[0], ...patch }] });
    const bad: [unknown, RegExp][] = [
      ['{"format": "faceptor-web-gallery", "version": 1, "peo', /not JSON/],
      ['[1, 2]', /object/],
      [{ ...good, format: 'something-else' }, /not a Faceptor gallery/],
      [{ ...good, version: 3 }, /newer/],
      [{ ...good, version: '1' }, /version/],
      [{ ...good, people: 'x' }, /people/],
      [{ ...good, embeddingSize: 7 }, /expected 7 numbers/],
      [withPerson({ samples: [[...good.people[0].samples[0].slice(0, 7), null]] }), /finite/],
      [withPerson({ samples: [good.people[0].samples[0].map((x) => x * 2)] }), /unit-length/],
      [withPerson({ samples: [] }), /no samples/],
      [withPerson({ name: '' }), /non-empty name/],
      [withPerson({ id: 42 }), /no id/],
      [{ ...good, people: [good.people[0], good.people[0]] }, /duplicate id/],
    ];
    for (const [input, why] of bad) {
      let error: unknown;
      try {
        parseGallery(typeof input === 'string' ? input : JSON.stringify(input));
      } catch (e) {
        error = e;
      }
      expect(error, String(why)).toBeInstanceOf(GalleryImportError);
      expect((error as Error).message).toMatch(why);
    }
    expect(serializeGallery(g)).toBe(before);
  });
});

describe('samples are tied to the model that made them', () => {
  const M1 = { id: 'sha-one', label: 'Model one' },
    M2 = { id: 'sha-two', label: 'Model two' };
  const tagged = (): Gallery => {
    let g = enrol(EMPTY_GALLERY, { id: 'a', name: 'Ada', embedding: basis(0), createdAt: 1, model: M1 });
    g = enrol(g, { id: 'b', name: 'Bob', embedding: basis(1), createdAt: 2, model: M2 });
    return enrol(g, { id: 'a', name: 'Ada', embedding: basis(2), createdAt: 3, model: M2 });
  };

  it('a face is matched only against samples of its own model', () => {
    const g = tagged();
    expect(g.people.map((p) => p.models)).toEqual([['sha-one', 'sha-two'], ['sha-two']]);
    expect(g.modelLabels).toEqual({ 'sha-one': 'Model one', 'sha-two': 'Model two' });
    // basis(0) is Ada's model-one sample: with model one it is Ada at 1.0, Bob is not ranked (no model-one sample)
    expect(rankPeople(g, basis(0), 'sha-one')).toEqual([{ personId: 'a', name: 'Ada', similarity: 1 }]);
    // with model two the same vector is compared with Ada's model-two sample (basis 2) and Bob's: cosine 0 for both
    expect(rankPeople(g, basis(0), 'sha-two').map((r) => r.similarity)).toEqual([0, 0]);
    expect(matchFace(g, basis(0), 0.35, 'sha-three')).toBeNull(); // nobody enrolled with this model
  });

  it('a model whose checkpoint sha256 is not recorded yet ("") is no identity key: no enrolment, no match', () => {
    const pending = { id: '', label: 'exported here, sha256 pending' };
    expect(() =>
      enrol(EMPTY_GALLERY, { id: 'a', name: 'Ada', embedding: basis(0), createdAt: 1, model: pending }),
    ).toThrow(NO_IDENTITY_KEY);
    const g = tagged();
    expect(() => enrol(g, { id: 'c', name: 'Cy', embedding: basis(3), createdAt: 4, model: pending })).toThrow(
      /checkpoint sha256 is not recorded yet/,
    );
    // "" is not "any model": Ada's samples (basis 0 of model one) are not compared with it
    expect(rankPeople(g, basis(0), '')).toEqual([]);
    expect(matchFace(g, basis(0), 0.35, '')).toBeNull();
    expect(rankPeople(g, basis(0))).not.toEqual([]); // without a model (legacy callers) every sample counts
  });

  it('round-trips the models through JSON; a version-1 file reads as unknown models, matched by no model', () => {
    const g = tagged();
    const back = parseGallery(serializeGallery(g));
    expect(back.people.map((p) => p.models)).toEqual(g.people.map((p) => p.models));
    expect(back.modelLabels).toEqual(g.modelLabels);
    const v1 = { ...exportGallery(g), version: 1, people: exportGallery(g).people.map(({ models: _m, ...p }) => p) };
    delete (v1 as { modelLabels?: unknown }).modelLabels;
    const old = parseGallery(JSON.stringify(v1));
    expect(old.people.map((p) => p.models)).toEqual([[null, null], [null]]);
    expect(matchFace(old, basis(0), 0.35, 'sha-one')).toBeNull();
    expect(() =>
      parseGallery(JSON.stringify({ ...exportGallery(g), people: [{ ...exportGallery(g).people[0], models: ['x'] }] })),
    ).toThrow(/"models" must name/);
  });

  it('merges an import: same name (any case) gets the samples, new names are added, taken ids replaced', () => {
    const base = tagged();
    let other = enrol(EMPTY_GALLERY, { id: 'a', name: 'ADA', embedding: basis(3), createdAt: 5, model: M1 });
    other = enrol(other, { id: 'b', name: 'Cy', embedding: basis(4), createdAt: 6, model: M1 }); // id 'b' is Bob's here
    const merged = mergeGalleries(base, other, () => 'fresh');
    expect(merged.people.map((p) => [p.id, p.name, p.samples.length])).toEqual([
      ['a', 'Ada', 3],
      ['b', 'Bob', 1],
      ['fresh', 'Cy', 1],
    ]);
    expect(merged.people[0].models).toEqual(['sha-one', 'sha-two', 'sha-one']);
    expect(() =>
      mergeGalleries(
        base,
        enrol(EMPTY_GALLERY, { id: 'z', name: 'Z', embedding: basis(0, 4), createdAt: 1 }),
        () => 'x',
      ),
    ).toThrow(/4-value/);
    expect(exportGallery(base)).toEqual(exportGallery(tagged())); // inputs untouched
  });
});
