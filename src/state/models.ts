/**
 * Faceptor model packages: what the listing `public/models/index.json` offers, which model the worker holds
 * (`current`, the worker's own ModelStatus), the load in progress or the last load's error, and the cache size.
 *
 * The store never talks to the worker itself: actions that need it take a `ModelApi` (the hook in
 * src/app/models/useModelLoader.ts passes the comlink client; tests pass a fake). A refused package leaves
 * `current` as it was — the worker keeps the previous model, so the page must keep saying so.
 */
import { create, type StoreApi, type UseBoundStore } from 'zustand';
import { modelIdentityKey, type ModelIndex, type ModelIndexEntry } from '../core/faceptor/manifest.ts';
import { errorInfo, type ErrorCode } from '../core/errors.ts';
import type { ModelCacheInfo, ModelLoadProgress, ModelSource, ModelStatus } from '../../workers/perception-api.ts';
import { listStored, opfsRoot, type StoredPackage } from '../../workers/browser-export/opfs-store.ts';
import type { DroppedPackage, PackageSummary } from '../app/models/dropped-packages.ts';

export type ModelListing =
  | { readonly state: 'loading' }
  | { readonly state: 'none' }
  | { readonly state: 'found'; readonly packages: readonly ModelIndexEntry[] };

/** What the user (or the start-up) asked to load; `key` tells choices apart in the picker. */
export type ModelChoice =
  | {
      readonly kind: 'listed';
      readonly key: string;
      readonly title: string;
      readonly entry: ModelIndexEntry;
      readonly source: ModelSource;
    }
  | { readonly kind: 'url'; readonly key: string; readonly title: string; readonly source: ModelSource }
  | {
      readonly kind: 'files';
      readonly key: string;
      readonly title: string;
      readonly source: ModelSource;
      /** One of several packages in one drop: the drop's name (they form one picker group) and its manifest's text. */
      readonly drop?: { readonly name: string; readonly summary: PackageSummary | null };
    }
  | {
      readonly kind: 'stored';
      readonly key: string;
      readonly title: string;
      readonly stored: StoredPackage;
      readonly source: ModelSource;
    };

export type ModelLoad =
  | { readonly state: 'idle' }
  | { readonly state: 'loading'; readonly choice: ModelChoice; readonly progress: ModelLoadProgress | null }
  | {
      readonly state: 'error';
      readonly choice: ModelChoice;
      readonly message: string;
      readonly code: ErrorCode;
      readonly file?: string;
    };

/** The worker calls the UI needs, with plain callbacks (the hook wraps them for comlink). */
export interface ModelApi {
  loadModel(source: ModelSource, onProgress?: (progress: ModelLoadProgress) => void): Promise<ModelStatus>;
  recordSourceSha256(storedId: string, sha256: string): Promise<ModelStatus | null>;
  modelCacheInfo(): Promise<ModelCacheInfo>;
  clearModelCache(): Promise<ModelCacheInfo>;
}

export interface ModelsState {
  readonly listing: ModelListing;
  /** Packages exported in this browser (OPFS), newest first; read with the listing. */
  readonly stored: readonly StoredPackage[];
  /** The packages of the last drop that held several (offered in the picker until another such drop). */
  readonly dropped: readonly ModelChoice[];
  /** Absolute URL of index.json; listed packages' folders resolve against it. */
  readonly indexUrl: string;
  /** Package folder from `?model=` (absolute), or null. */
  readonly urlModel: string | null;
  /** Listing entry (name) last loaded successfully, kept across visits; `stored:<id>` for a stored package. */
  readonly lastListed: string | null;
  readonly current: ModelStatus | null;
  /** The choice `current` came from (null when the worker holds no model). */
  readonly currentChoice: ModelChoice | null;
  readonly load: ModelLoad;
  /** True once the start-up load was attempted (it runs once per page, never again on engine restarts). */
  readonly autoLoaded: boolean;
  readonly cache: ModelCacheInfo | null;
  readonly cacheError: string | null;
}

interface ModelsStore extends ModelsState {
  refresh(fetchImpl?: typeof fetch): Promise<void>;
  /** Re-reads the packages stored in this browser (after an export or a delete). */
  refreshStored(): Promise<void>;
  /** A drop held several packages: offer them (they replace the previous drop's), load none. */
  offerDropped(choices: readonly ModelChoice[]): void;
  /** Loads a choice (loads run one after another); resolves true when it became the current model. */
  loadChoice(api: ModelApi, choice: ModelChoice): Promise<boolean>;
  /**
   * A stored package's checkpoint sha256 was written into its manifest after it was stored (and maybe loaded):
   * re-reads the stored list, and where the current model is that package, the worker's model takes the digest in
   * place (no reload: at real size that would re-read and re-open ~200 MB). A load of it that failed meanwhile (the
   * manifest's swap raced the loader's read) is retried.
   */
  recordProvenance(api: ModelApi, storedId: string): Promise<void>;
  /** The start-up load: `?model=`, else the last listed package used, else the first listed. Once per page. */
  autoLoad(api: ModelApi): Promise<void>;
  refreshCache(api: ModelApi): Promise<void>;
  clearCache(api: ModelApi): Promise<void>;
}

/** Parses the listing; anything that is not a well-formed index counts as "no package installed". */
export function parseModelIndex(json: unknown): readonly ModelIndexEntry[] {
  const index = json as Partial<ModelIndex> | null;
  if (!index || index.format !== 'faceptor-web-model-index' || !Array.isArray(index.packages)) return [];
  return index.packages
    .filter(
      (p): p is ModelIndexEntry =>
        !!p && typeof p.name === 'string' && typeof p.label === 'string' && typeof p.untrained === 'boolean',
    )
    .map((p) => {
      // Optional fields are shown as they are only when well-formed; a wrong type is dropped, not displayed.
      const { weightsBytes, sourceSha256, ...rest } = p;
      return {
        ...rest,
        ...(typeof weightsBytes === 'number' && Number.isSafeInteger(weightsBytes) && weightsBytes >= 0
          ? { weightsBytes }
          : {}),
        ...(typeof sourceSha256 === 'string' && /^[0-9a-f]{64}$/.test(sourceSha256) ? { sourceSha256 } : {}),
      };
    });
}

/** One picker entry per package, grouped by the checkpoint it was exported from (its precisions side by side). */
export interface PickerGroup {
  /** Null for a package alone (no other precision of its checkpoint offered). */
  readonly title: string | null;
  readonly choices: readonly ModelChoice[];
}

function groupKey(c: ModelChoice): string | null {
  if (c.kind === 'files') return c.drop ? `drop:${c.drop.name}` : null;
  if (c.kind === 'listed') return c.entry.sourceSha256 ? `${c.entry.variant}:${c.entry.sourceSha256}` : null;
  // A stored package whose sha256 is not recorded yet ("") is alone: "" would group unrelated checkpoints.
  if (c.kind === 'stored')
    return modelIdentityKey(c.stored.sourceSha256) ? `${c.stored.variant}:${c.stored.sourceSha256}` : null;
  return null;
}

const PRECISION_ORDER = ['fp32', 'fp16', 'q8', 'q4'];
export const precisionOf = (c: ModelChoice): string =>
  c.kind === 'listed'
    ? c.entry.precision
    : c.kind === 'stored'
      ? c.stored.precision
      : c.kind === 'files'
        ? (c.drop?.summary?.precision ?? '')
        : '';

/**
 * Packages of one checkpoint (same variant and source sha256), listed or stored in this browser, are one group with
 * its precisions in order fp32 → q4; the group is titled by the first one's label. The packages of one drop are one
 * group too, titled by the drop. Order of first appearance kept.
 */
export function pickerGroups(choices: readonly ModelChoice[]): PickerGroup[] {
  const groups: { key: string | null; choices: ModelChoice[] }[] = [];
  for (const c of choices) {
    const key = groupKey(c);
    const g = key === null ? undefined : groups.find((x) => x.key === key);
    if (g) g.choices.push(c);
    else groups.push({ key, choices: [c] });
  }
  return groups.map((g) => {
    const sorted = [...g.choices].sort(
      (a, b) => PRECISION_ORDER.indexOf(precisionOf(a)) - PRECISION_ORDER.indexOf(precisionOf(b)),
    );
    const first = g.choices[0]!;
    const title = first.kind === 'files' && first.drop ? `dropped folder ${first.drop.name}` : first.title;
    return { title: g.choices.length > 1 ? title : null, choices: sorted };
  });
}

/** Folder URL of a listed package: its manifest path is relative to index.json ('full/faceptor.json' → '…/full/'). */
export function listedPackageUrl(entry: ModelIndexEntry, indexUrl: string): string {
  const manifest =
    typeof entry.manifest === 'string' && entry.manifest ? entry.manifest : `${entry.name}/faceptor.json`;
  const slash = manifest.lastIndexOf('/');
  return new URL(slash < 0 ? './' : manifest.slice(0, slash + 1), indexUrl).href;
}

/**
 * Folder URL of a `?model=` value, relative to the page: a URL naming the manifest (…/faceptor.json) means its
 * folder; anything else is taken as the folder itself (a trailing slash added so files resolve inside it).
 */
export function packageUrlFromParam(value: string, pageUrl: string): string {
  const url = new URL(value, pageUrl);
  url.hash = '';
  if (/\/faceptor\.json$/i.test(url.pathname)) {
    url.search = '';
    return new URL('./', url).href;
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url.href;
}

/** The `?model=` value of a query string, or null when absent/blank. */
export function modelParam(search: string): string | null {
  const v = new URLSearchParams(search).get('model')?.trim();
  return v ? v : null;
}

export function listedChoice(entry: ModelIndexEntry, indexUrl: string): ModelChoice {
  return {
    kind: 'listed',
    key: `listed:${entry.name}`,
    title: entry.label,
    entry,
    source: { kind: 'url', url: listedPackageUrl(entry, indexUrl) },
  };
}

export function urlChoice(folderUrl: string): ModelChoice {
  return { kind: 'url', key: `url:${folderUrl}`, title: folderUrl, source: { kind: 'url', url: folderUrl } };
}

export function storedChoice(p: StoredPackage): ModelChoice {
  return {
    kind: 'stored',
    key: `stored:${p.id}`,
    title: p.label,
    stored: p,
    source: { kind: 'stored', id: p.id, name: p.label, sourceFile: p.sourceFile, sourceSha256: p.sourceSha256 },
  };
}

export function filesChoice(name: string, files: readonly File[], paths?: readonly string[]): ModelChoice {
  return {
    kind: 'files',
    key: `files:${name}`,
    title: `dropped folder ${name}`,
    source: { kind: 'files', files, name, ...(paths ? { paths } : {}) },
  };
}

/** The choices for a drop holding several packages (one per package folder). */
export function droppedChoices(dropName: string, packages: readonly DroppedPackage[]): ModelChoice[] {
  return packages.map(({ folder, picked, summary }) => ({
    kind: 'files',
    key: `files:${dropName}/${folder}`,
    title: folder ? `dropped folder ${folder.slice(0, -1)}` : 'dropped files',
    source: { kind: 'files', files: picked.files, name: picked.name, paths: picked.paths },
    drop: { name: dropName, summary },
  }));
}

/** What to load on start: `?model=` first, else the last listed package used (if still listed), else the first. */
export function startupChoice(
  s: Pick<ModelsState, 'listing' | 'indexUrl' | 'urlModel' | 'lastListed'>,
): ModelChoice | null {
  if (s.urlModel) return urlChoice(s.urlModel);
  if (s.listing.state !== 'found') return null;
  const entry = s.listing.packages.find((p) => p.name === s.lastListed) ?? s.listing.packages[0];
  return entry ? listedChoice(entry, s.indexUrl) : null;
}

/** startupChoice, with the packages stored in this browser: the one used last, else one when nothing is listed. */
export function startupChoiceWithStored(
  s: Pick<ModelsState, 'listing' | 'indexUrl' | 'urlModel' | 'lastListed' | 'stored'>,
): ModelChoice | null {
  if (!s.urlModel && s.lastListed?.startsWith('stored:')) {
    const p = s.stored.find((q) => `stored:${q.id}` === s.lastListed);
    if (p) return storedChoice(p);
  }
  return startupChoice(s) ?? (s.stored[0] ? storedChoice(s.stored[0]) : null);
}

export type NoticeState = 'none' | 'loading' | 'loaded' | 'error';

/**
 * The model notice's state: a load in progress, the last load refused, a model held, or nothing to load.
 * `engineFailed`: the worker never became ready, so a start-up load that is still to come never will — say so
 * ('error') instead of showing 'loading' forever.
 */
export function noticeState(
  s: Pick<ModelsState, 'listing' | 'urlModel' | 'current' | 'load' | 'autoLoaded'>,
  engineFailed = false,
): NoticeState {
  if (s.load.state === 'loading') return 'loading';
  if (s.load.state === 'error') return 'error';
  if (s.current) return 'loaded';
  if (engineFailed && !s.autoLoaded && (s.urlModel || s.listing.state === 'found')) return 'error';
  // Listing not read yet, or a start-up load still to come (the engine is starting).
  if (s.listing.state === 'loading' || (!s.autoLoaded && (s.urlModel || s.listing.state === 'found'))) return 'loading';
  return 'none';
}

/**
 * Label of the untrained weights the page must warn about, or null: the current model's when one is loaded; before
 * that, the package being loaded if listed, else any listed untrained package.
 */
export function untrainedLabel(s: Pick<ModelsState, 'listing' | 'current' | 'load'>): string | null {
  if (s.current) return s.current.info.untrained ? s.current.info.label : null;
  if (s.load.state === 'loading' && s.load.choice.kind === 'listed')
    return s.load.choice.entry.untrained ? s.load.choice.entry.label : null;
  if (s.listing.state !== 'found') return null;
  return s.listing.packages.find((p) => p.untrained)?.label ?? null;
}

/** The worker's wording (its code travels too: workers/error-transfer.ts). */
const messageOf = (err: unknown): string => errorInfo(err).message;

export interface ModelsDeps {
  readonly indexUrl: string;
  /** The page's query string (for `?model=`) and URL (to resolve it). */
  readonly search: string;
  readonly pageUrl: string;
  readonly storage?: Pick<Storage, 'getItem' | 'setItem'> | null;
  /** Packages stored in this browser (default: none; the app passes the OPFS listing). */
  readonly listStored?: () => Promise<StoredPackage[]>;
}

const STORAGE_KEY = 'faceptor.models.v1';

function readLastListed(storage: ModelsDeps['storage']): string | null {
  try {
    const v = (JSON.parse(storage?.getItem(STORAGE_KEY) ?? '{}') as { lastListed?: unknown }).lastListed;
    return typeof v === 'string' ? v : null;
  } catch {
    return null;
  }
}

export function createModelsStore(deps: ModelsDeps): UseBoundStore<StoreApi<ModelsStore>> {
  let urlModel: string | null = null;
  const param = modelParam(deps.search);
  let urlModelError: string | null = null;
  if (param) {
    try {
      urlModel = packageUrlFromParam(param, deps.pageUrl);
    } catch {
      urlModelError = `?model=${param} is not a URL`;
    }
  }
  // Loads run one after another: the worker's current model is then the last one requested, as the page shows.
  let queue: Promise<unknown> = Promise.resolve();

  return create<ModelsStore>()((set, get) => ({
    listing: { state: 'loading' },
    stored: [],
    dropped: [],
    indexUrl: deps.indexUrl,
    urlModel,
    lastListed: readLastListed(deps.storage),
    current: null,
    currentChoice: null,
    load: urlModelError
      ? { state: 'error', choice: urlChoice(param ?? ''), message: urlModelError, code: 'invalid-url' }
      : { state: 'idle' },
    autoLoaded: urlModelError !== null,
    cache: null,
    cacheError: null,

    async refresh(fetchImpl = fetch) {
      // Stored packages first: the start-up load waits for the listing and may pick a stored one.
      await get().refreshStored();
      const stored = get().stored.length > 0;
      try {
        const res = await fetchImpl(get().indexUrl, { cache: 'no-cache' });
        const packages = res.ok ? parseModelIndex(await res.json()) : [];
        set({ listing: packages.length || stored ? { state: 'found', packages } : { state: 'none' } });
      } catch {
        set({ listing: stored ? { state: 'found', packages: [] } : { state: 'none' } });
      }
    },

    async refreshStored() {
      try {
        set({ stored: (await deps.listStored?.()) ?? [] });
      } catch {
        set({ stored: [] });
      }
    },

    offerDropped(choices) {
      set({ dropped: choices });
    },

    loadChoice(api, choice) {
      const run = async (): Promise<boolean> => {
        set({ load: { state: 'loading', choice, progress: null } });
        const onProgress = (progress: ModelLoadProgress) => {
          const load = get().load;
          if (load.state === 'loading' && load.choice === choice) set({ load: { ...load, progress } });
        };
        try {
          const status = await api.loadModel(choice.source, onProgress);
          set({ current: status, currentChoice: choice, load: { state: 'idle' } });
          if (choice.kind === 'listed' || choice.kind === 'stored') {
            const last = choice.kind === 'listed' ? choice.entry.name : choice.key;
            set({ lastListed: last });
            try {
              deps.storage?.setItem(STORAGE_KEY, JSON.stringify({ lastListed: last }));
            } catch {
              // Private mode / quota: the next visit starts with the first listed package instead.
            }
          }
          return true;
        } catch (err) {
          // `current` stays: the worker keeps the previous model when it refuses a package.
          set({ load: { state: 'error', choice, ...errorInfo(err) } });
          return false;
        }
      };
      const result = queue.then(run);
      queue = result.catch(() => undefined);
      return result;
    },

    async recordProvenance(api, storedId) {
      await get().refreshStored();
      const p = get().stored.find((q) => q.id === storedId);
      if (!p || !modelIdentityKey(p.sourceSha256)) return;
      const key = `stored:${storedId}`;
      // Queued after the loads asked before it, so `current` is settled when it runs.
      const run = async () => {
        if (get().currentChoice?.key !== key) return;
        const status = await api.recordSourceSha256(storedId, p.sourceSha256);
        if (status && get().currentChoice?.key === key) set({ current: status, currentChoice: storedChoice(p) });
      };
      const result = queue.then(run);
      queue = result.catch(() => undefined);
      await result;
      const load = get().load;
      if (load.state === 'error' && load.choice.key === key) await get().loadChoice(api, storedChoice(p));
    },

    async autoLoad(api) {
      if (get().autoLoaded || get().listing.state === 'loading') return;
      set({ autoLoaded: true });
      const choice = startupChoiceWithStored(get());
      if (choice) await get().loadChoice(api, choice);
    },

    async refreshCache(api) {
      try {
        set({ cache: await api.modelCacheInfo(), cacheError: null });
      } catch (err) {
        set({ cacheError: messageOf(err) });
      }
    },

    async clearCache(api) {
      try {
        set({ cache: await api.clearModelCache(), cacheError: null });
      } catch (err) {
        set({ cacheError: messageOf(err) });
      }
    },
  }));
}

export const useModels = createModelsStore({
  listStored: async () => listStored(await opfsRoot()),
  indexUrl: new URL(`${import.meta.env.BASE_URL}models/index.json`, globalThis.location?.href ?? 'http://localhost/')
    .href,
  search: globalThis.location?.search ?? '',
  pageUrl: globalThis.location?.href ?? 'http://localhost/',
  storage: globalThis.localStorage ?? null,
});
