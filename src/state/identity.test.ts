import { describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_MATCH_THRESHOLD,
  GalleryImportError,
  MAX_PEOPLE,
  MAX_SAMPLES_TOTAL,
  serializeGallery,
  EMPTY_GALLERY,
} from '../core/identity/index.ts';
import { indexedDbKeyValueStore, memoryKeyValueStore, type KeyValueStore } from './identity-db.ts';
import {
  GALLERY_KEY,
  THRESHOLD_KEY,
  createIdentityStore,
  embeddingMismatch,
  findPersonByName,
  matchEmbedding,
} from './identity.ts';

const basis = (i: number, n = 4) => Array.from({ length: n }, (_, k) => (k === i ? 1 : 0));

function setup(db: KeyValueStore = memoryKeyValueStore()) {
  let id = 0;
  const store = createIdentityStore({ db, now: () => 1000, newId: () => `id${++id}` });
  return { store, db, s: () => store.getState() };
}

/** A memory store whose writes fail while `storage.fail` is set (a full quota, an aborted IndexedDB transaction). */
function flakyStore(message: string): {
  mem: ReturnType<typeof memoryKeyValueStore>;
  flaky: KeyValueStore;
  storage: { fail: boolean };
} {
  const mem = memoryKeyValueStore();
  const storage = { fail: false };
  const flaky: KeyValueStore = {
    ...mem,
    put: (k, v) => (storage.fail ? Promise.reject(new Error(message)) : mem.put(k, v)),
  };
  return { mem, flaky, storage };
}

describe('identity store', () => {
  it('starts empty and ready over empty storage, with the default threshold', async () => {
    const { s } = setup();
    expect(s().status).toBe('loading');
    await s().ready;
    expect(s().status).toBe('ready');
    expect(s().gallery).toEqual(EMPTY_GALLERY);
    expect(s().threshold).toBe(0.35);
  });

  it('enrolling the same name twice (any case, spaces) gives one person with two samples', async () => {
    const { s } = setup();
    await s().ready;
    const first = s().enrol('Ada', basis(0));
    const second = s().enrol('  ada ', basis(1));
    expect(first).toEqual({ personId: 'id1', name: 'Ada', samples: 1, created: true });
    expect(second).toEqual({ personId: 'id1', name: 'Ada', samples: 2, created: false });
    expect(s().gallery.people).toHaveLength(1);
    expect(s().gallery.people[0].samples).toHaveLength(2);
    s().enrol('Bob', basis(2));
    expect(s().gallery.people.map((p) => [p.name, p.samples.length])).toEqual([
      ['Ada', 2],
      ['Bob', 1],
    ]);
  });

  it('renames, deletes one, deletes all', async () => {
    const { s } = setup();
    await s().ready;
    const ada = s().enrol('Ada', basis(0)).personId;
    const bob = s().enrol('Bob', basis(1)).personId;
    s().rename(ada, 'Ada Lovelace');
    expect(s().gallery.people.map((p) => p.name)).toEqual(['Ada Lovelace', 'Bob']);
    // A rename onto another person's name would make enrolment by name ambiguous: refused.
    expect(() => s().rename(ada, 'BOB')).toThrow(/already/);
    expect(s().error).toMatch(/Could not rename: Bob is already/);
    expect(() => s().rename(bob, '  ')).toThrow();
    s().remove(bob);
    expect(s().gallery.people.map((p) => p.name)).toEqual(['Ada Lovelace']);
    expect(s().error).toBeNull(); // a successful change clears the last error
    s().enrol('Cy', basis(2));
    s().removeAll();
    expect(s().gallery).toEqual(EMPTY_GALLERY);
  });

  it('a corrupt import throws, names the problem and leaves the gallery as it was', async () => {
    const { s, db } = setup();
    await s().ready;
    s().enrol('Ada', basis(0));
    await s().flush();
    const before = s().gallery;
    const saved = await db.get(GALLERY_KEY);
    const asked: unknown[] = [];
    await expect(
      s().importJson('{not json', (g) => {
        asked.push(g);
        return true;
      }),
    ).rejects.toThrow(GalleryImportError);
    expect(s().error).toBe('Import refused: the file is not JSON. The gallery was not changed.');
    const wrongSize = JSON.parse(serializeGallery(before));
    wrongSize.people[0].samples[0].push(0); // 5 numbers in a 4-d gallery
    await expect(
      s().importJson(JSON.stringify(wrongSize), (g) => {
        asked.push(g);
        return true;
      }),
    ).rejects.toThrow(/expected 4 numbers/);
    expect(asked).toEqual([]); // a bad file is refused before anyone is asked to replace anything
    expect(s().error).toMatch(/person 1 \(Ada\), sample 1: expected 4 numbers/);
    expect(s().gallery).toBe(before);
    await s().flush();
    expect(await db.get(GALLERY_KEY)).toEqual(saved);
  });

  it('a valid import replaces the gallery', async () => {
    const other = setup();
    await other.s().ready;
    other.s().enrol('Zoe', basis(3));
    other.s().enrol('Yan', basis(2));
    const text = other.s().exportJson();
    const { s } = setup();
    await s().ready;
    s().enrol('Ada', basis(0));
    const before = s().gallery;
    // the user is asked with the incoming gallery, and saying no keeps the current one
    const offered: string[][] = [];
    await expect(
      s().importJson(text, (g) => {
        offered.push(g.people.map((p) => p.name));
        return false;
      }),
    ).resolves.toBe(false);
    expect(offered).toEqual([['Zoe', 'Yan']]);
    expect(s().gallery).toBe(before);
    await expect(s().importJson(text, () => true)).resolves.toBe(true);
    expect(s().gallery.people.map((p) => p.name)).toEqual(['Zoe', 'Yan']);
  });

  it('persists: a new store over the same storage loads gallery and threshold', async () => {
    const db = memoryKeyValueStore();
    const a = setup(db);
    await a.s().ready;
    a.s().enrol('Ada', basis(0));
    a.s().enrol('ada', basis(1));
    a.s().enrol('Bob', basis(2));
    a.s().setThreshold(0.62);
    await a.s().flush();
    // stored as the core's versioned JSON text and a plain number
    expect(JSON.parse(db.data.get(GALLERY_KEY) as string)).toMatchObject({
      format: 'faceptor-web-gallery',
      version: 2,
      embeddingSize: 4,
    });
    expect(db.data.get(THRESHOLD_KEY)).toBe(0.62);

    const b = setup(db);
    await b.s().ready;
    expect(b.s().status).toBe('ready');
    expect(b.s().threshold).toBe(0.62);
    expect(b.s().gallery.people.map((p) => [p.name, p.samples.length])).toEqual([
      ['Ada', 2],
      ['Bob', 1],
    ]);
    expect(Array.from(b.s().gallery.people[0].samples[1])).toEqual(basis(1));
    // deletions persist too
    b.s().removeAll();
    await b.s().flush();
    const c = setup(db);
    await c.s().ready;
    expect(c.s().gallery).toEqual(EMPTY_GALLERY);
  });

  it('clamps the threshold to 0..1 and rejects NaN', async () => {
    const { s } = setup();
    await s().ready;
    s().setThreshold(1.7);
    expect(s().threshold).toBe(1);
    s().setThreshold(-0.2);
    expect(s().threshold).toBe(0);
    expect(() => s().setThreshold(Number.NaN)).toThrow();
  });

  it('changes made while loading are applied on top of the saved gallery, not lost', async () => {
    const db = memoryKeyValueStore();
    const a = setup(db);
    await a.s().ready;
    a.s().enrol('Ada', basis(0));
    await a.s().flush();
    const b = setup(db);
    expect(b.s().status).toBe('loading');
    b.s().enrol('ADA', basis(1)); // before the load answered
    await b.s().flush();
    expect(b.s().gallery.people.map((p) => [p.name, p.samples.length])).toEqual([['Ada', 2]]);
    const c = setup(db);
    await c.s().ready;
    expect(c.s().gallery.people[0].samples).toHaveLength(2);
  });

  it('storage that cannot be opened: status error with a plain message, gallery still works', async () => {
    const broken: KeyValueStore = {
      get: () => Promise.reject(new Error('this browser offers no IndexedDB here')),
      put: () => Promise.reject(new Error('no')),
      delete: () => Promise.reject(new Error('no')),
    };
    const { s } = setup(broken);
    await s().ready;
    expect(s().status).toBe('error');
    expect(s().storageError).toMatch(/IndexedDB: this browser offers no IndexedDB here/);
    s().enrol('Ada', basis(0));
    expect(s().matchFor(basis(0))).toMatchObject({ name: 'Ada', accepted: true });
  });

  it('a failing write turns status to error; a later successful write recovers', async () => {
    const { mem, flaky, storage } = flakyStore('QuotaExceededError');
    const { s } = setup(flaky);
    await s().ready;
    storage.fail = true;
    s().enrol('Ada', basis(0));
    await s().flush();
    expect(s().status).toBe('error');
    expect(s().storageError).toMatch(/QuotaExceededError/);
    storage.fail = false;
    s().enrol('Bob', basis(1));
    await s().flush();
    expect(s().status).toBe('ready');
    expect(JSON.parse(mem.data.get(GALLERY_KEY) as string).people).toHaveLength(2);
  });

  it('a corrupt saved gallery starts empty and says so', async () => {
    const db = memoryKeyValueStore([
      [GALLERY_KEY, '{"format":"something-else"}'],
      [THRESHOLD_KEY, 7],
    ]);
    const { s } = setup(db);
    await s().ready;
    expect(s().gallery).toEqual(EMPTY_GALLERY);
    expect(s().threshold).toBe(DEFAULT_MATCH_THRESHOLD); // 7 is not a valid threshold
    expect(s().error).toMatch(/saved gallery could not be read \(not a Faceptor gallery/);
  });

  it('matchFor uses the current threshold and answers null for another model’s embedding size', async () => {
    const { s } = setup();
    await s().ready;
    expect(s().matchFor(basis(0))).toBeNull(); // empty gallery
    s().enrol('Ada', basis(0));
    // cos between (1,0,0,0) and (0.6,0.8,0,0) is 0.6
    const q = [0.6, 0.8, 0, 0];
    expect(s().matchFor(q)!.similarity).toBeCloseTo(0.6, 6);
    expect(s().matchFor(q)!.accepted).toBe(true);
    s().setThreshold(0.61);
    expect(s().matchFor(q)!.accepted).toBe(false);
    expect(s().matchFor([1, 0, 0, 0, 0, 0])).toBeNull();
    expect(() => s().enrol('Bob', [1, 0, 0, 0, 0, 0])).toThrow(/4-d/);
    expect(s().error).toMatch(/^Could not enrol/);
  });
});

describe('identity helpers', () => {
  it('findPersonByName ignores case and surrounding spaces; embeddingMismatch/matchEmbedding', async () => {
    const { s } = setup();
    await s().ready;
    s().enrol('Ada Lovelace', basis(0));
    const g = s().gallery;
    expect(findPersonByName(g, '  ada lovelace ')?.name).toBe('Ada Lovelace');
    expect(findPersonByName(g, 'ada')).toBeUndefined();
    expect(findPersonByName(g, '   ')).toBeUndefined();
    expect(embeddingMismatch(g, 4)).toBeNull();
    expect(embeddingMismatch(EMPTY_GALLERY, 512)).toBeNull();
    expect(embeddingMismatch(g, 512)).toBe(
      'the gallery holds 4-value embeddings but this model gives 512: it was made with another model',
    );
    expect(matchEmbedding(g, 0.35, [0, 0, 0, 0])).toBeNull(); // zero vector: nothing to compare
    expect(matchEmbedding(g, 0.35, undefined)).toBeNull();
  });
});

/** Issue 9, item 11: gallery import limits, and a storage failure never shown as saved. */
describe('gallery import limits and failed writes', () => {
  const galleryJson = (people: number, samples: number) =>
    JSON.stringify({
      format: 'faceptor-web-gallery',
      version: 1,
      embeddingSize: 4,
      people: Array.from({ length: people }, (_, i) => ({
        id: `p${i}`,
        name: `P${i}`,
        createdAt: 0,
        samples: Array.from({ length: samples }, () => basis(i % 4)),
      })),
    });

  it('a file above the size cap is refused before it is read', async () => {
    const { s } = setup();
    await s().ready;
    let read = false;
    const huge = {
      name: 'big.json',
      size: 600 * 1024 * 1024,
      text: async () => {
        read = true;
        return '';
      },
    };
    await expect(s().importJson(huge)).rejects.toThrow(GalleryImportError);
    expect(read).toBe(false);
    expect(s().error).toBe(
      'Import refused: the file is 600 MB; a gallery file is at most 64 MB. The gallery was not changed.',
    );
  });

  it('too many people or samples in all: refused with the numbers (was: shown, then lost on reload)', async () => {
    const { s } = setup();
    await s().ready;
    await expect(s().importJson(galleryJson(MAX_PEOPLE + 1, 1))).rejects.toThrow(
      `the gallery has ${MAX_PEOPLE + 1} people; this app keeps at most ${MAX_PEOPLE}`,
    );
    await expect(s().importJson(galleryJson(300, 20))).rejects.toThrow(
      `the gallery has 6000 samples; this app keeps at most ${MAX_SAMPLES_TOTAL} in all`,
    );
    await expect(s().importJson({ size: 100, text: async () => galleryJson(2, 3) })).resolves.toBe(true);
    expect(s().gallery.people).toHaveLength(2);
  });

  it('enrolling beyond the caps says the gallery is full', async () => {
    const { s } = setup();
    await s().ready;
    await s().importJson(galleryJson(MAX_PEOPLE, 1));
    expect(() => s().enrol('Newcomer', basis(0))).toThrow(`the gallery is full (${MAX_PEOPLE} people at most)`);
    s().enrol('P1', basis(1)); // an existing person may still get a sample
    expect(s().error).toBeNull();
  });

  it('an import the storage refuses (quota / aborted transaction) is not shown as saved: the previous gallery stays, on screen and after a reload', async () => {
    const { mem, flaky, storage } = flakyStore('QuotaExceededError: the transaction was aborted');
    const { s } = setup(flaky);
    await s().ready;
    s().enrol('Ada', basis(0));
    await s().flush();
    storage.fail = true;
    await expect(s().importJson(galleryJson(3, 2))).rejects.toThrow(/QuotaExceededError/);
    expect(s().gallery.people.map((p) => p.name)).toEqual(['Ada']);
    expect(s().error).toMatch(
      /^Import not saved: this browser refused to store it \(QuotaExceededError.*\)\. The gallery was not changed\.$/,
    );
    const reloaded = setup(mem);
    await reloaded.s().ready;
    expect(reloaded.s().gallery.people.map((p) => p.name)).toEqual(['Ada']);
  });
});

describe('indexedDbKeyValueStore: a failed write rejects once, and its aborted transaction is not an unhandled rejection', () => {
  it('put rejects with the request error; nothing else escapes', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => {
      unhandled.push(e);
    };
    process.on('unhandledRejection', onUnhandled);
    // The smallest IndexedDB that fails a put the way a quota error does: request error, then transaction abort.
    const fire = (f: (() => void) | null | undefined) => setTimeout(() => f?.(), 0);
    const fakeIdb = {
      open: () => {
        const req: Record<string, unknown> = {};
        const db = {
          objectStoreNames: { contains: () => true },
          transaction: () => {
            const tx: Record<string, unknown> & { error?: Error } = { error: new Error('QuotaExceededError') };
            const store = {
              put: () => {
                const r: Record<string, unknown> & { error?: Error } = { error: new Error('QuotaExceededError') };
                setTimeout(() => {
                  (r.onerror as () => void)?.();
                  (tx.onabort as () => void)?.();
                }, 0);
                return r;
              },
            };
            tx.objectStore = () => store;
            return tx;
          },
        };
        req.result = db;
        fire(() => (req.onsuccess as () => void)?.());
        return req;
      },
    };
    vi.stubGlobal('indexedDB', fakeIdb);
    try {
      const store = indexedDbKeyValueStore();
      await expect(store.put('gallery', 'x')).rejects.toThrow('QuotaExceededError');
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
    } finally {
      vi.unstubAllGlobals();
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
