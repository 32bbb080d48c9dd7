/**
 * The identity gallery as a pure, immutable model: people with several L2-normalised embedding samples,
 * cosine matching with a threshold, and a versioned JSON format with a strict parser. Every operation returns
 * a NEW gallery and never mutates its input, so a failed import (it throws) leaves the caller's gallery as it was.
 * Storage (IndexedDB) lives elsewhere; this module only knows values.
 */
import { modelIdentityKey } from '../faceptor/manifest.ts';
import { l2Normalize, type Floats } from '../faceptor/decode.ts';
import type { ErrorCode } from '../errors.ts';

export const GALLERY_FORMAT = 'faceptor-web-gallery';
/** 2: every sample names the model that made it (embeddings of two models are not comparable). 1 is still read. */
export const GALLERY_VERSION = 2;

/**
 * Default cosine-similarity threshold for "same person". ArcFace/CosFace-style embeddings (Faceptor's
 * recognition head is trained with CosFace on MS1MV3) typically separate genuine pairs from impostors around a
 * cosine of 0.3–0.4 on unconstrained photos; 0.35 sits in the middle of that band. We could not calibrate it:
 * no trained weights were available while building this, so it is a documented starting point, and the UI lets
 * the user move it (raise it if strangers match, lower it if the same person is missed).
 */
export const DEFAULT_MATCH_THRESHOLD = 0.35;

/** Samples kept per person; enrolling more drops the oldest (a few poses/lightings suffice, see `matchFace`). */
export const MAX_SAMPLES_PER_PERSON = 20;
export const MAX_NAME_LENGTH = 100;
/**
 * Gallery caps. Why: a gallery lives in one IndexedDB value, written whole after each change; an imported
 * 2000-person × 20-sample file (409 MB) made that write abort, and a reload brought back the old gallery while the
 * panel said it was stored. 5000 samples of 512 values are ≈ 55 MB as JSON (≈ 10 MB stored as floats).
 */
export const MAX_PEOPLE = 1000;
export const MAX_SAMPLES_TOTAL = 5000;
/** Largest gallery file read at all (5000 × 512 values as JSON text, with room to spare). */
export const MAX_GALLERY_FILE_BYTES = 64 * 1024 * 1024;

export interface Person {
  readonly id: string;
  readonly name: string;
  /** Unit-length embeddings, oldest first. */
  readonly samples: readonly Float32Array[];
  /**
   * The model each sample was made with (its checkpoint's sha256), same order as `samples`; null = unknown (a
   * version-1 gallery). A face is compared only with samples of its own model.
   */
  readonly models: readonly (string | null)[];
  /** Milliseconds since the epoch, supplied by the caller (keeps this module pure). */
  readonly createdAt: number;
}

export interface Gallery {
  /** Width of every sample; null while the gallery is empty. */
  readonly embeddingSize: number | null;
  readonly people: readonly Person[];
  /** Human names of the models samples were made with (model id → label), for messages. */
  readonly modelLabels: Readonly<Record<string, string>>;
}

/** Why a face of a model without an identity key (checkpoint sha256 not recorded) is neither enrolled nor matched. */
export const NO_IDENTITY_KEY =
  "this model's checkpoint sha256 is not recorded yet, and it is what tells whose embeddings are comparable: " +
  'enrol once it is recorded (the page records it after storing an export), or export the checkpoint again';

/** The model that made an embedding: its checkpoint's sha256 and its label. */
export interface EmbeddingModel {
  readonly id: string;
  readonly label: string;
}

export const EMPTY_GALLERY: Gallery = { embeddingSize: null, people: [], modelLabels: {} };

/** Cosine similarity of two vectors of equal length (normalises internally). */
export function cosineSimilarity(a: Floats, b: Floats): number {
  if (a.length !== b.length) throw new Error(`cosineSimilarity: lengths differ (${a.length} vs ${b.length})`);
  let dot = 0,
    na = 0,
    nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  if (!(na > 0) || !(nb > 0)) throw new Error('cosineSimilarity: zero-length vector');
  return dot / Math.sqrt(na * nb);
}

function cleanName(name: string): string {
  const n = typeof name === 'string' ? name.trim() : '';
  if (!n) throw new Error('a person needs a non-empty name');
  if (n.length > MAX_NAME_LENGTH) throw new Error(`name is longer than ${MAX_NAME_LENGTH} characters`);
  return n;
}

function checkSize(gallery: Gallery, embedding: Floats): void {
  if (gallery.embeddingSize !== null && embedding.length !== gallery.embeddingSize) {
    throw new Error(
      `embedding has ${embedding.length} values, this gallery holds ${gallery.embeddingSize}-d embeddings`,
    );
  }
}

/**
 * Adds a sample. With an unknown `id` a new person is created under `name`; with a known `id` the sample is
 * added to that person (and `name` is ignored). The embedding is L2-normalised here.
 */
export function enrol(
  gallery: Gallery,
  entry: { id: string; name: string; embedding: Floats; createdAt: number; model?: EmbeddingModel | null },
): Gallery {
  if (typeof entry.id !== 'string' || !entry.id) throw new Error('enrol: a person id is required');
  // "" (a stored package whose checkpoint sha256 is not recorded yet) names no model: two such packages would
  // share it and their embeddings would mix. Such a sample could not be told apart later, so none is taken.
  if (entry.model && modelIdentityKey(entry.model.id) === null) throw new Error(NO_IDENTITY_KEY);
  checkSize(gallery, entry.embedding);
  const sample = l2Normalize(entry.embedding);
  const model = entry.model?.id ?? null;
  const existing = gallery.people.find((p) => p.id === entry.id);
  if (!existing && gallery.people.length >= MAX_PEOPLE)
    throw new Error(`the gallery is full (${MAX_PEOPLE} people at most): delete someone first`);
  const people = existing
    ? gallery.people.map((p) => (p.id === entry.id ? withSamples(p, [...p.samples, sample], [...p.models, model]) : p))
    : [
        ...gallery.people,
        { id: entry.id, name: cleanName(entry.name), samples: [sample], models: [model], createdAt: entry.createdAt },
      ];
  if (countSamples(people) > MAX_SAMPLES_TOTAL)
    throw new Error(`the gallery is full (${MAX_SAMPLES_TOTAL} samples at most): delete someone first`);
  const modelLabels = entry.model
    ? { ...gallery.modelLabels, [entry.model.id]: entry.model.label }
    : gallery.modelLabels;
  return { embeddingSize: sample.length, people, modelLabels };
}

/** A person with these samples, keeping the newest MAX_SAMPLES_PER_PERSON. */
function withSamples(p: Person, samples: Float32Array[], models: (string | null)[]): Person {
  return { ...p, samples: samples.slice(-MAX_SAMPLES_PER_PERSON), models: models.slice(-MAX_SAMPLES_PER_PERSON) };
}

/** How many of a person's samples were made with `model` (all of them when `model` is undefined). */
export function samplesOfModel(p: Person, model: string | undefined): number {
  return model === undefined ? p.samples.length : p.models.filter((m) => m === model).length;
}

/**
 * Merges an imported gallery into this one: a person whose name is already here (ignoring case) gets the
 * imported samples (the newest MAX_SAMPLES_PER_PERSON kept), anyone else is added (with a fresh id if theirs is
 * taken). Embedding sizes must agree, and the result stays within the gallery's caps (like an import).
 */
export function mergeGalleries(base: Gallery, incoming: Gallery, newId: () => string): Gallery {
  if (base.embeddingSize !== null && incoming.embeddingSize !== null && base.embeddingSize !== incoming.embeddingSize) {
    throw new GalleryImportError(
      `the file holds ${incoming.embeddingSize}-value embeddings, this gallery ${base.embeddingSize}-value ones`,
    );
  }
  const key = (name: string) => name.trim().toLocaleLowerCase();
  let people = [...base.people];
  for (const p of incoming.people) {
    const same = people.find((q) => key(q.name) === key(p.name));
    if (same) {
      people = people.map((q) =>
        q === same ? withSamples(q, [...q.samples, ...p.samples], [...q.models, ...p.models]) : q,
      );
    } else {
      people.push({ ...p, id: people.some((q) => q.id === p.id) ? newId() : p.id });
    }
  }
  if (people.length > MAX_PEOPLE)
    throw new GalleryImportError(
      `merged, the gallery would have ${people.length} people; this app keeps at most ${MAX_PEOPLE}`,
    );
  const samples = countSamples(people);
  if (samples > MAX_SAMPLES_TOTAL)
    throw new GalleryImportError(
      `merged, the gallery would have ${samples} samples; this app keeps at most ${MAX_SAMPLES_TOTAL} in all`,
    );
  return {
    embeddingSize: base.embeddingSize ?? incoming.embeddingSize,
    people,
    modelLabels: { ...incoming.modelLabels, ...base.modelLabels },
  };
}

const countSamples = (people: readonly { samples: readonly unknown[] }[]): number =>
  people.reduce((n, p) => n + p.samples.length, 0);

function requirePerson(gallery: Gallery, id: string): void {
  if (!gallery.people.some((p) => p.id === id))
    throw new Error(`no person with id ${JSON.stringify(id)} in the gallery`);
}

export function renamePerson(gallery: Gallery, id: string, name: string): Gallery {
  requirePerson(gallery, id);
  const n = cleanName(name);
  return { ...gallery, people: gallery.people.map((p) => (p.id === id ? { ...p, name: n } : p)) };
}

export function deletePerson(gallery: Gallery, id: string): Gallery {
  requirePerson(gallery, id);
  const people = gallery.people.filter((p) => p.id !== id);
  return {
    embeddingSize: people.length ? gallery.embeddingSize : null,
    people,
    modelLabels: people.length ? gallery.modelLabels : {},
  };
}

export function deleteAll(): Gallery {
  return EMPTY_GALLERY;
}

export interface PersonScore {
  readonly personId: string;
  readonly name: string;
  readonly similarity: number;
}
export interface GalleryMatch extends PersonScore {
  /** similarity ≥ threshold: the face is this person. Below it the best candidate is still reported. */
  readonly accepted: boolean;
}

/**
 * Every person's score against a face, best first. A person's score is the MAX cosine over their samples:
 * samples are enrolled to cover different poses, lighting and expressions, and the best-matching condition is
 * the meaningful one; averaging (or a mean-of-samples centroid) would let one odd sample pull a true match below
 * the threshold. The cost is a slightly higher false-match rate as a person gains samples, bounded by
 * MAX_SAMPLES_PER_PERSON.
 * With `model`, only samples made by that model count (another model's embeddings live in another space: a cosine
 * between them means nothing); people without such a sample are not ranked.
 */
export function rankPeople(gallery: Gallery, embedding: Floats, model?: string): PersonScore[] {
  // A model without an identity key ("") has no samples: nothing is compared (not every sample).
  if (gallery.people.length === 0 || (model !== undefined && modelIdentityKey(model) === null)) return [];
  checkSize(gallery, embedding);
  const q = l2Normalize(embedding);
  const scores = gallery.people.flatMap((p) => {
    let best = -Infinity;
    p.samples.forEach((s, k) => {
      if (model !== undefined && p.models[k] !== model) return;
      let dot = 0;
      for (let i = 0; i < q.length; i++) dot += q[i] * s[i];
      best = Math.max(best, dot);
    });
    return best === -Infinity ? [] : [{ personId: p.id, name: p.name, similarity: best }];
  });
  return scores.sort((a, b) => b.similarity - a.similarity);
}

/** The best person for a face (among samples of `model`, when given), or null when there is none to compare. */
export function matchFace(
  gallery: Gallery,
  embedding: Floats,
  threshold = DEFAULT_MATCH_THRESHOLD,
  model?: string,
): GalleryMatch | null {
  const [best] = rankPeople(gallery, embedding, model);
  return best ? { ...best, accepted: best.similarity >= threshold } : null;
}

// ------------------------------------------------------------------------------------------------ JSON format

export interface GalleryJson {
  readonly format: typeof GALLERY_FORMAT;
  readonly version: number;
  readonly embeddingSize: number | null;
  readonly people: readonly {
    id: string;
    name: string;
    createdAt: number;
    samples: number[][];
    models: (string | null)[];
  }[];
  readonly modelLabels: Readonly<Record<string, string>>;
}

export function exportGallery(gallery: Gallery): GalleryJson {
  return {
    format: GALLERY_FORMAT,
    version: GALLERY_VERSION,
    embeddingSize: gallery.embeddingSize,
    people: gallery.people.map((p) => ({
      id: p.id,
      name: p.name,
      createdAt: p.createdAt,
      samples: p.samples.map((s) => Array.from(s)),
      models: [...p.models],
    })),
    modelLabels: { ...gallery.modelLabels },
  };
}

export function serializeGallery(gallery: Gallery): string {
  return JSON.stringify(exportGallery(gallery));
}

/** Why an import was refused; the message names the first problem found. */
export class GalleryImportError extends Error {
  override readonly name = 'GalleryImportError';
  readonly code = 'gallery-import' satisfies ErrorCode;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Strict parser for an exported gallery (a JSON string or an already-parsed value). Anything unexpected —
 * not JSON, another format, a newer version, wrong sizes, non-finite or non-unit samples, duplicate ids,
 * empty names — throws a GalleryImportError and returns nothing, so the caller's gallery stays untouched.
 */
export function parseGallery(input: string | unknown): Gallery {
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      throw new GalleryImportError('the file is not JSON');
    }
  }
  const fail = (why: string): never => {
    throw new GalleryImportError(why);
  };
  if (!isObject(value)) fail('not a gallery: expected a JSON object');
  const v = value as Record<string, unknown>;
  if (v.format !== GALLERY_FORMAT) fail(`not a Faceptor gallery (format ${JSON.stringify(v.format)})`);
  if (typeof v.version !== 'number' || !Number.isInteger(v.version) || v.version < 1)
    fail('gallery version is missing or invalid');
  if ((v.version as number) > GALLERY_VERSION)
    fail(`gallery version ${v.version} is newer than this app supports (${GALLERY_VERSION})`);
  if (!Array.isArray(v.people)) fail('gallery has no people list');
  const people = v.people as unknown[];
  if (people.length > MAX_PEOPLE) fail(`the gallery has ${people.length} people; this app keeps at most ${MAX_PEOPLE}`);
  const samplesIn = people.reduce(
    (n: number, p) => n + (isObject(p) && Array.isArray(p.samples) ? p.samples.length : 0),
    0,
  );
  if (samplesIn > MAX_SAMPLES_TOTAL)
    fail(`the gallery has ${samplesIn} samples; this app keeps at most ${MAX_SAMPLES_TOTAL} in all`);
  const size = v.embeddingSize;
  if (people.length === 0) {
    if (size !== null && size !== undefined && !(typeof size === 'number' && Number.isInteger(size) && size > 0))
      fail('invalid embeddingSize');
    return EMPTY_GALLERY;
  }
  const labelsRaw = v.modelLabels ?? {};
  if (!isObject(labelsRaw) || Object.values(labelsRaw).some((l) => typeof l !== 'string')) fail('invalid modelLabels');
  const modelLabels = labelsRaw as Record<string, string>;
  if (typeof size !== 'number' || !Number.isInteger(size) || size <= 0 || size > 65536) fail('invalid embeddingSize');
  const dim = size as number;
  const ids = new Set<string>();
  const out: Person[] = people.map((raw, i): Person => {
    const where = `person ${i + 1}`;
    if (!isObject(raw)) fail(`${where} is not an object`);
    const p = raw as Record<string, unknown>;
    if (typeof p.id !== 'string' || !p.id) fail(`${where} has no id`);
    const id = p.id as string;
    if (ids.has(id)) fail(`${where}: duplicate id ${JSON.stringify(id)}`);
    ids.add(id);
    let name = '';
    try {
      name = cleanName(p.name as string);
    } catch (e) {
      fail(`${where}: ${(e as Error).message}`);
    }
    const createdAt = p.createdAt ?? 0;
    if (typeof createdAt !== 'number' || !Number.isFinite(createdAt)) fail(`${where}: invalid createdAt`);
    if (!Array.isArray(p.samples) || p.samples.length === 0) fail(`${where} (${name}) has no samples`);
    const samplesRaw = p.samples as unknown[];
    if (samplesRaw.length > MAX_SAMPLES_PER_PERSON)
      fail(`${where} (${name}) has more than ${MAX_SAMPLES_PER_PERSON} samples`);
    const samples = samplesRaw.map((s, j) => {
      if (!Array.isArray(s) || s.length !== dim) fail(`${where} (${name}), sample ${j + 1}: expected ${dim} numbers`);
      const arr = s as unknown[];
      let norm = 0;
      for (const x of arr) {
        if (typeof x !== 'number' || !Number.isFinite(x))
          fail(`${where} (${name}), sample ${j + 1}: not a list of finite numbers`);
        norm += (x as number) * (x as number);
      }
      if (Math.abs(Math.sqrt(norm) - 1) > 1e-3)
        fail(`${where} (${name}), sample ${j + 1}: not a unit-length embedding`);
      return Float32Array.from(arr as number[]);
    });
    // version 1 had no model per sample: unknown (never compared with a face of a known model)
    const modelsRaw = p.models ?? samples.map(() => null);
    if (
      !Array.isArray(modelsRaw) ||
      modelsRaw.length !== samples.length ||
      modelsRaw.some((m) => m !== null && (typeof m !== 'string' || !m))
    ) {
      fail(`${where} (${name}): "models" must name the model of each sample (a string or null per sample)`);
    }
    return { id, name, samples, models: modelsRaw as (string | null)[], createdAt: createdAt as number };
  });
  return { embeddingSize: dim, people: out, modelLabels };
}
