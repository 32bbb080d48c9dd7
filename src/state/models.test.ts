import { describe, expect, it } from 'vitest';
import {
  createModelsStore,
  listedChoice,
  listedPackageUrl,
  modelParam,
  noticeState,
  packageUrlFromParam,
  parseModelIndex,
  startupChoice,
  storedChoice,
  untrainedLabel,
  useModels,
  type ModelApi,
} from './models.ts';
import type { ModelLoadProgress, ModelSource, ModelStatus } from '../../workers/perception-api.ts';
import type { ModelIndexEntry } from '../core/faceptor/manifest.ts';
import type { StoredPackage } from '../../workers/browser-export/opfs-store.ts';

const entry = {
  name: 'full',
  label: 'golden fixture — random weights',
  variant: 'full',
  precision: 'fp32',
  untrained: true,
  manifest: 'full/faceptor.json',
};

describe('model listing', () => {
  it('reads the exporter index and refuses anything else', () => {
    expect(parseModelIndex({ format: 'faceptor-web-model-index', packages: [entry] })).toEqual([entry]);
    expect(parseModelIndex({ format: 'something-else', packages: [entry] })).toEqual([]);
    expect(parseModelIndex(null)).toEqual([]);
    expect(parseModelIndex({ format: 'faceptor-web-model-index', packages: [{ name: 3 }] })).toEqual([]);
  });

  it('reports no package when the listing is missing, and the untrained flag when one is listed', async () => {
    const missing = (async () => new Response('not found', { status: 404 })) as typeof fetch;
    await useModels.getState().refresh(missing);
    expect(useModels.getState().listing).toEqual({ state: 'none' });
    const listed = (async () =>
      Response.json({ format: 'faceptor-web-model-index', packages: [entry] })) as typeof fetch;
    await useModels.getState().refresh(listed);
    const listing = useModels.getState().listing;
    expect(listing.state).toBe('found');
    expect(listing.state === 'found' && listing.packages[0].untrained).toBe(true);
  });
});

const INDEX_URL = 'https://example.org/app/models/index.json';
const PAGE_URL = 'https://example.org/app/?ep=wasm';
const base: ModelIndexEntry = {
  name: 'base',
  label: 'Faceptor-Base fp16',
  variant: 'base',
  precision: 'fp16',
  untrained: false,
  manifest: 'base/faceptor.json',
};
const fixture: ModelIndexEntry = {
  ...base,
  name: 'fixture',
  label: 'golden fixture — random weights',
  variant: 'full',
  untrained: true,
  manifest: 'fixture/faceptor.json',
};
const listingOf = (...packages: ModelIndexEntry[]) =>
  (async () => Response.json({ format: 'faceptor-web-model-index', packages })) as typeof fetch;

function statusFor(url: string, untrained = false): ModelStatus {
  return {
    info: {
      label: url,
      variant: 'base',
      precision: 'fp16',
      untrained,
      sourceFile: 'faceptor_base.pth.tar',
      sourceSha256: 'ab'.repeat(32),
      step: 1,
      exporterVersion: '1',
      tasks: ['age_morph2'],
    },
    origin: url,
    hasLayerAttention: false,
    bytes: 1000,
  };
}

/** A worker stand-in: loads succeed unless the folder URL is in `refuse`; records every call. */
function fakeApi(refuse: readonly string[] = []) {
  const calls: string[] = [];
  const api: ModelApi = {
    async loadModel(source: ModelSource, onProgress?: (p: ModelLoadProgress) => void) {
      const url = source.kind === 'url' ? source.url : `files:${source.name}`;
      calls.push(url);
      onProgress?.({ loaded: 10, total: 100, file: 'faceptor.json', fromCache: true });
      if (refuse.includes(url)) throw new Error(`package ${url} is corrupt: file x does not match its sha256`);
      return statusFor(url, url.includes('fixture'));
    },
    async recordSourceSha256() {
      return null;
    },
    async modelCacheInfo() {
      return { entries: 2, bytes: 2048 };
    },
    async clearModelCache() {
      return { entries: 0, bytes: 0 };
    },
  };
  return { api, calls };
}

function memoryStorage(initial: Record<string, string> = {}) {
  const data = new Map(Object.entries(initial));
  return { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v), data };
}

describe('package sources', () => {
  it('resolves a listed package to its folder next to index.json', () => {
    expect(listedPackageUrl(base, INDEX_URL)).toBe('https://example.org/app/models/base/');
    expect(listedPackageUrl({ ...base, manifest: 'nested/dir/faceptor.json' }, INDEX_URL)).toBe(
      'https://example.org/app/models/nested/dir/',
    );
    expect(listedPackageUrl({ ...base, manifest: 'faceptor.json' }, INDEX_URL)).toBe('https://example.org/app/models/');
  });

  it('resolves ?model= (folder or manifest URL, absolute or relative to the page) to a folder URL', () => {
    expect(modelParam('?ep=wasm&model=https%3A%2F%2Fcdn.example.com%2Fm%2Ffull')).toBe(
      'https://cdn.example.com/m/full',
    );
    expect(modelParam('?model=')).toBeNull();
    expect(modelParam('?ep=wasm')).toBeNull();
    expect(packageUrlFromParam('https://cdn.example.com/m/full', PAGE_URL)).toBe('https://cdn.example.com/m/full/');
    expect(packageUrlFromParam('https://cdn.example.com/m/full/', PAGE_URL)).toBe('https://cdn.example.com/m/full/');
    expect(packageUrlFromParam('https://cdn.example.com/m/full/faceptor.json?v=2', PAGE_URL)).toBe(
      'https://cdn.example.com/m/full/',
    );
    expect(packageUrlFromParam('models/mine/faceptor.json', PAGE_URL)).toBe('https://example.org/app/models/mine/');
    expect(packageUrlFromParam('/other/pkg', PAGE_URL)).toBe('https://example.org/other/pkg/');
  });

  it('starts with ?model=, else the last listed package used, else the first listed', () => {
    const listing = { state: 'found' as const, packages: [base, fixture] };
    const s = { listing, indexUrl: INDEX_URL, urlModel: null, lastListed: null };
    expect(startupChoice(s)?.source).toEqual({ kind: 'url', url: 'https://example.org/app/models/base/' });
    expect(startupChoice({ ...s, lastListed: 'fixture' })?.source).toEqual({
      kind: 'url',
      url: 'https://example.org/app/models/fixture/',
    });
    expect(startupChoice({ ...s, lastListed: 'gone' })?.key).toBe('listed:base');
    expect(startupChoice({ ...s, lastListed: 'fixture', urlModel: 'https://cdn.example.com/m/full/' })?.source).toEqual(
      { kind: 'url', url: 'https://cdn.example.com/m/full/' },
    );
    expect(startupChoice({ ...s, listing: { state: 'none' } })).toBeNull();
  });
});

describe('model loading', () => {
  it('loads the start-up choice once the listing is read, remembers a listed package, and caches info', async () => {
    const storage = memoryStorage();
    const store = createModelsStore({ indexUrl: INDEX_URL, search: '', pageUrl: PAGE_URL, storage });
    const { api, calls } = fakeApi();
    await store.getState().autoLoad(api); // listing not read yet: nothing happens
    expect(calls).toEqual([]);
    expect(noticeState(store.getState())).toBe('loading');
    await store.getState().refresh(listingOf(base, fixture));
    // a package is listed but the engine failed to start: the start-up load will never come
    expect(noticeState(store.getState())).toBe('loading');
    expect(noticeState(store.getState(), true)).toBe('error');
    await store.getState().autoLoad(api);
    await store.getState().autoLoad(api); // once per page
    expect(calls).toEqual(['https://example.org/app/models/base/']);
    expect(store.getState().current?.origin).toBe('https://example.org/app/models/base/');
    expect(noticeState(store.getState())).toBe('loaded');
    expect(JSON.parse(storage.data.get('faceptor.models.v1')!)).toEqual({ lastListed: 'base' });
    await store.getState().refreshCache(api);
    expect(store.getState().cache).toEqual({ entries: 2, bytes: 2048 });
    await store.getState().clearCache(api);
    expect(store.getState().cache).toEqual({ entries: 0, bytes: 0 });
  });

  it('shows progress while loading', async () => {
    const store = createModelsStore({ indexUrl: INDEX_URL, search: '', pageUrl: PAGE_URL });
    let release!: () => void;
    const api: ModelApi = {
      ...fakeApi().api,
      async loadModel(source, onProgress) {
        onProgress?.({ loaded: 30, total: 120, file: 'encoder.onnx', fromCache: false });
        await new Promise<void>((r) => {
          release = r;
        });
        return statusFor('x');
      },
    };
    await store.getState().refresh(listingOf(base));
    const done = store.getState().autoLoad(api);
    await new Promise((r) => setTimeout(r, 0));
    const load = store.getState().load;
    expect(load.state).toBe('loading');
    expect(load.state === 'loading' && load.progress).toEqual({
      loaded: 30,
      total: 120,
      file: 'encoder.onnx',
      fromCache: false,
    });
    expect(noticeState(store.getState())).toBe('loading');
    release();
    await done;
    expect(store.getState().load).toEqual({ state: 'idle' });
  });

  it('keeps the previous model when a package is refused, and shows the worker error', async () => {
    const { api, calls } = fakeApi(['https://example.org/app/models/fixture/']);
    const store = createModelsStore({ indexUrl: INDEX_URL, search: '', pageUrl: PAGE_URL, storage: memoryStorage() });
    await store.getState().refresh(listingOf(base, fixture));
    await store.getState().autoLoad(api);
    const before = store.getState().current;
    const listing = store.getState().listing;
    const ok = await store.getState().loadChoice(api, listedChoice(fixture, INDEX_URL));
    expect(ok).toBe(false);
    expect(calls).toEqual(['https://example.org/app/models/base/', 'https://example.org/app/models/fixture/']);
    expect(store.getState().current).toBe(before);
    expect(store.getState().currentChoice?.key).toBe('listed:base');
    const load = store.getState().load;
    expect(load.state === 'error' && load.message).toMatch(/does not match its sha256/);
    expect(noticeState(store.getState())).toBe('error');
    expect(listing.state).toBe('found');
    expect(store.getState().lastListed).toBe('base');
  });

  it('takes ?model= before the listing, and says "none" with neither', async () => {
    const { api, calls } = fakeApi();
    const store = createModelsStore({
      indexUrl: INDEX_URL,
      search: '?model=https://cdn.example.com/m/full/faceptor.json',
      pageUrl: PAGE_URL,
      storage: memoryStorage({ 'faceptor.models.v1': '{"lastListed":"fixture"}' }),
    });
    await store.getState().refresh(listingOf(base, fixture));
    await store.getState().autoLoad(api);
    expect(calls).toEqual(['https://cdn.example.com/m/full/']);
    expect(store.getState().lastListed).toBe('fixture'); // a ?model= URL is not remembered

    const empty = createModelsStore({ indexUrl: INDEX_URL, search: '', pageUrl: PAGE_URL });
    await empty.getState().refresh((async () => new Response('not found', { status: 404 })) as typeof fetch);
    await empty.getState().autoLoad(api);
    expect(noticeState(empty.getState())).toBe('none');
  });

  it('runs loads one after another so the last one asked for ends current', async () => {
    const order: string[] = [];
    const api: ModelApi = {
      ...fakeApi().api,
      async loadModel(source) {
        const url = source.kind === 'url' ? source.url : source.name;
        order.push(`start ${url}`);
        await new Promise((r) => setTimeout(r, url.includes('base') ? 20 : 0));
        order.push(`end ${url}`);
        return statusFor(url);
      },
    };
    const store = createModelsStore({ indexUrl: INDEX_URL, search: '', pageUrl: PAGE_URL });
    const a = store.getState().loadChoice(api, listedChoice(base, INDEX_URL));
    const b = store.getState().loadChoice(api, listedChoice(fixture, INDEX_URL));
    await Promise.all([a, b]);
    expect(order).toEqual([
      'start https://example.org/app/models/base/',
      'end https://example.org/app/models/base/',
      'start https://example.org/app/models/fixture/',
      'end https://example.org/app/models/fixture/',
    ]);
    expect(store.getState().current?.origin).toBe('https://example.org/app/models/fixture/');
  });
});

describe('a stored package whose checkpoint sha256 is recorded after it was loaded', () => {
  const DIGEST = 'ab'.repeat(32);
  const pkg = (id: string, sourceSha256: string): StoredPackage => ({
    id,
    label: `exported ${id}`,
    variant: 'full',
    precision: 'fp16',
    untrained: true,
    sourceFile: 'checkpoint.pth.tar',
    sourceSha256,
    exportedAt: '2026-12-02T00:00:00.000Z',
    bytes: 1000,
    weightsBytes: 900,
  });

  /** A worker stand-in holding stored packages by id, with the sha256 each was loaded with. */
  function storedApi(failFirstLoad = false) {
    const calls: string[] = [];
    let failed = !failFirstLoad;
    const api: ModelApi = {
      ...fakeApi().api,
      async loadModel(source) {
        if (source.kind !== 'stored') throw new Error('only stored sources here');
        calls.push(`load ${source.id} ${source.sourceSha256 || '""'}`);
        if (!failed) {
          failed = true;
          throw new Error('the manifest changed while it was read');
        }
        return {
          ...statusFor(`stored:${source.id}`),
          info: { ...statusFor('x').info, sourceSha256: source.sourceSha256 },
        };
      },
      async recordSourceSha256(storedId, sha256) {
        calls.push(`record ${storedId} ${sha256}`);
        return { ...statusFor(`stored:${storedId}`), info: { ...statusFor('x').info, sourceSha256: sha256 } };
      },
    };
    return { api, calls };
  }

  it('the current model takes the digest in place (no reload), and the listing shows it', async () => {
    let listed = [pkg('p1', '')];
    const store = createModelsStore({
      indexUrl: INDEX_URL,
      search: '',
      pageUrl: PAGE_URL,
      listStored: async () => listed,
    });
    const { api, calls } = storedApi();
    await store.getState().refreshStored();
    expect(await store.getState().loadChoice(api, storedChoice(store.getState().stored[0]!))).toBe(true);
    expect(store.getState().current?.info.sourceSha256).toBe('');
    listed = [pkg('p1', DIGEST)]; // the export worker rewrote the manifest
    await store.getState().recordProvenance(api, 'p1');
    expect(calls).toEqual(['load p1 ""', `record p1 ${DIGEST}`]);
    expect(store.getState().current?.info.sourceSha256).toBe(DIGEST);
    expect(store.getState().stored[0]?.sourceSha256).toBe(DIGEST);
    const choice = store.getState().currentChoice;
    expect(choice?.kind === 'stored' ? choice.stored.sourceSha256 : null).toBe(DIGEST);
  });

  it('another current model is left alone; a load of the package that failed meanwhile is retried', async () => {
    const listed = [pkg('p1', DIGEST), pkg('p2', '')];
    const store = createModelsStore({
      indexUrl: INDEX_URL,
      search: '',
      pageUrl: PAGE_URL,
      listStored: async () => listed,
    });
    const { api, calls } = storedApi(true);
    await store.getState().refreshStored();
    // p2 runs; p1's hash is recorded: nothing to patch.
    await store.getState().loadChoice(api, storedChoice(listed[1]!)); // fails once (the stand-in's first load)
    await store.getState().loadChoice(api, storedChoice(listed[1]!));
    calls.length = 0;
    await store.getState().recordProvenance(api, 'p1');
    expect(calls).toEqual([]);
    expect(store.getState().current?.info.sourceSha256).toBe('');
    // p1's own load failed (its manifest was swapped while read): it is loaded again, with the digest.
    const again = storedApi(true);
    const store2 = createModelsStore({
      indexUrl: INDEX_URL,
      search: '',
      pageUrl: PAGE_URL,
      listStored: async () => listed,
    });
    await store2.getState().refreshStored();
    expect(await store2.getState().loadChoice(again.api, storedChoice(pkg('p1', '')))).toBe(false);
    await store2.getState().recordProvenance(again.api, 'p1');
    expect(again.calls).toEqual(['load p1 ""', `load p1 ${DIGEST}`]);
    expect(store2.getState().current?.info.sourceSha256).toBe(DIGEST);
  });
});

describe('untrained warning', () => {
  it('follows the current model, and before one loads a listed untrained package', async () => {
    const { api } = fakeApi();
    const store = createModelsStore({ indexUrl: INDEX_URL, search: '', pageUrl: PAGE_URL });
    await store.getState().refresh(listingOf(base, fixture));
    expect(untrainedLabel(store.getState())).toBe('golden fixture — random weights');
    await store.getState().autoLoad(api); // loads base (trained)
    expect(untrainedLabel(store.getState())).toBeNull();
    await store.getState().loadChoice(api, listedChoice(fixture, INDEX_URL));
    expect(untrainedLabel(store.getState())).toBe('https://example.org/app/models/fixture/');
  });
});
