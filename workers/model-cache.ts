/**
 * The Cache API as the model-package source uses it. Only the few calls we need, as interfaces, so the worker gets
 * the browser's `caches` and the Node tests an in-memory fake (workers/testing/memory-cache.ts).
 *
 * Why the Cache API (not IndexedDB): it stores Response bodies as files on disk without a structured-clone copy, and
 * survives reloads, so a second visit starts offline without downloading hundreds of MB again.
 */

/** The subset of the DOM `Cache` we use. */
export interface CacheLike {
  match(request: string): Promise<Response | undefined>;
  put(request: string, response: Response): Promise<void>;
  delete(request: string): Promise<boolean>;
  /** Requests stored (we only need their URLs). */
  keys(): Promise<readonly { readonly url: string }[]>;
}

/** The subset of the DOM `CacheStorage` we use. */
export interface CacheStorageLike {
  open(name: string): Promise<CacheLike>;
  delete(name: string): Promise<boolean>;
  has(name: string): Promise<boolean>;
}

/** Bumped when the stored layout changes, so an old layout is never misread. */
export const MODEL_CACHE_NAME = 'faceptor-models-v1';

/** Response header of a cached package file: the sha256 its bytes were verified against before they were stored. */
export const VERIFIED_SHA_HEADER = 'x-faceptor-verified-sha256';
/** Response header with the stored byte count (for cache statistics without reading bodies). */
export const SIZE_HEADER = 'x-faceptor-size';

/**
 * Cache key of a package file with known content. The Cache API ignores URL fragments when matching, so the hash goes
 * into the query: a re-export at the same URL has another sha256 and therefore another key — never stale bytes.
 * The key is never fetched; it only names the entry.
 */
export function contentKey(fileUrl: string, sha256: string): string {
  const url = new URL(fileUrl);
  url.hash = '';
  url.searchParams.set('faceptor-sha256', sha256);
  return url.href;
}

/** The browser's CacheStorage when this context has one (secure contexts only), else null. */
export function browserCaches(): CacheStorageLike | null {
  const c = (globalThis as { caches?: CacheStorageLike }).caches;
  return c ?? null;
}

export interface ModelCacheStats {
  readonly entries: number;
  readonly bytes: number;
}

async function entryBytes(cache: CacheLike, url: string): Promise<number> {
  const response = await cache.match(url);
  if (!response) return 0;
  const stated = Number(response.headers.get(SIZE_HEADER) ?? response.headers.get('content-length'));
  if (Number.isFinite(stated) && stated > 0) return stated;
  return (await response.arrayBuffer()).byteLength;
}

/** How many entries (package files) the model cache holds and their bytes. */
export async function modelCacheStats(caches: CacheStorageLike | null): Promise<ModelCacheStats> {
  if (!caches || !(await caches.has(MODEL_CACHE_NAME))) return { entries: 0, bytes: 0 };
  const cache = await caches.open(MODEL_CACHE_NAME);
  const keys = await cache.keys();
  let bytes = 0;
  for (const k of keys) bytes += await entryBytes(cache, k.url);
  return { entries: keys.length, bytes };
}

/** Deletes every cached model file. */
export async function clearModelCacheStorage(caches: CacheStorageLike | null): Promise<ModelCacheStats> {
  if (caches) await caches.delete(MODEL_CACHE_NAME);
  return modelCacheStats(caches);
}
