/**
 * The browser's ModelPackageSource implementations (the pipeline's loader reads through src/pipeline/faceptor/source.ts):
 *
 * - urlPackageSource: a package folder on a web server. faceptor.json is fetched network-first (a re-export must be
 *   seen on the next visit) and falls back to the last copy stored when offline. The big files come cache-first from
 *   the Cache API under a content key (file URL + sha256 from the manifest: a re-export never gets stale bytes),
 *   else they are fetched with streamed progress and stored once the loader has verified them. The verified sha256
 *   is kept in a response header of the stored entry, so a second visit does not hash hundreds of MB again.
 * - filesPackageSource: files the user dropped or picked (a folder's files, paths from webkitRelativePath).
 *
 * Both also tell the host which file came from the local cache (progress) and let it commit the cache once the
 * whole package checked out (see workers/model-loader.ts).
 */
import { MANIFEST_FILE, packagePathProblem, type PackageFile } from '../src/core/faceptor/manifest.ts';
import { PackageFileMissing } from '../src/pipeline/faceptor/errors.ts';
import type { ModelPackageSource } from '../src/pipeline/faceptor/source.ts';
import {
  contentKey,
  MODEL_CACHE_NAME,
  SIZE_HEADER,
  VERIFIED_SHA_HEADER,
  type CacheLike,
  type CacheStorageLike,
} from './model-cache.ts';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** A package source as the worker uses it: the pipeline's interface plus the cache bookkeeping. */
export interface BrowserPackageSource extends ModelPackageSource {
  /** True when the file's bytes are (being) read from the local cache rather than the network. */
  fromCache(path: string): boolean;
  /** Hooks for loadFaceptorPackage (alreadyVerified / onVerified). */
  alreadyVerified(file: PackageFile): boolean;
  onVerified(file: PackageFile): void;
  /** Drops the cached copy of a file whose bytes turned out wrong; true when the bytes had come from the cache. */
  evict(path: string): Promise<boolean>;
  /** After a successful load: stores the manifest, waits for the cache writes, removes this URL's outdated files. */
  commit(): Promise<void>;
}

const isHtmlType = (r: Response) => (r.headers.get('content-type') ?? '').toLowerCase().includes('text/html');

/** Dev servers and SPA hosts answer a missing file with index.html (HTTP 200): that is a missing file, not bytes. */
function looksLikeHtml(bytes: Uint8Array): boolean {
  const head = new TextDecoder().decode(bytes.subarray(0, 64)).trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html');
}

function parseJson(path: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`${path} is not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

/** The manifest's file list, read leniently (the loader validates the manifest properly). */
function listedFiles(json: unknown): Map<string, PackageFile> {
  const out = new Map<string, PackageFile>();
  const files = (json as { files?: unknown } | null)?.files;
  if (!Array.isArray(files)) return out;
  for (const f of files as Partial<PackageFile>[]) {
    if (typeof f?.path === 'string' && typeof f.size === 'number' && typeof f.sha256 === 'string') {
      out.set(f.path, { path: f.path, size: f.size, sha256: f.sha256 });
    }
  }
  return out;
}

/**
 * Reads a body with progress. When the size is known (the manifest's) the bytes go straight into one buffer of that
 * size: a 400 MB weights file is not held twice as chunks plus their concatenation. A body longer than the known size
 * is cut after one extra byte (enough for the loader to report the size mismatch) and the stream cancelled: a server
 * sending endless bytes cannot grow memory without limit.
 */
export async function readBody(
  response: Response,
  expected: number,
  onProgress?: (loaded: number, total: number) => void,
): Promise<Uint8Array> {
  const total = expected > 0 ? expected : Number(response.headers.get('content-length')) || 0;
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onProgress?.(bytes.byteLength, total);
    return bytes;
  }
  const reader = response.body.getReader();
  let buffer: Uint8Array | null = total > 0 ? new Uint8Array(total) : null;
  let chunks: Uint8Array[] = [];
  let loaded = 0;
  const limit = expected > 0 ? expected + 1 : Number.POSITIVE_INFINITY;
  for (;;) {
    const { done, value: chunk } = await reader.read();
    if (done) break;
    let value = chunk;
    const over = loaded + value.byteLength >= limit;
    if (over) value = value.subarray(0, limit - loaded);
    if (buffer && loaded + value.byteLength <= buffer.byteLength) {
      buffer.set(value, loaded);
    } else {
      // more bytes than announced (the loader reports the size mismatch): keep them all
      if (buffer) {
        chunks = [buffer.subarray(0, loaded)];
        buffer = null;
      }
      chunks.push(value);
    }
    loaded += value.byteLength;
    onProgress?.(loaded, total);
    if (over) {
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  if (buffer) return loaded === buffer.byteLength ? buffer : buffer.subarray(0, loaded);
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

export interface UrlSourceOptions {
  readonly fetch?: FetchLike;
  /** The Cache API (null: no caching, e.g. an insecure context). */
  readonly caches?: CacheStorageLike | null;
}

function describeFailure(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function urlPackageSource(packageUrl: string, options: UrlSourceOptions = {}): BrowserPackageSource {
  const fetchImpl: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const base = packageUrl.endsWith('/') ? packageUrl : `${packageUrl}/`;
  /**
   * A package path → its URL, only inside the package folder: `https:evil.example/x` or `%2e%2e/x` would otherwise
   * make the browser fetch another origin or a file outside the package (the loader checks paths too; this source
   * never builds a URL from an unchecked one, whoever calls it).
   */
  const fileUrl = (path: string) => {
    const problem = packagePathProblem(path);
    const url = problem ? undefined : new URL(path, new URL(base, globalThis.location?.href));
    const folder = new URL(base, globalThis.location?.href);
    if (!url || url.origin !== folder.origin || !url.pathname.startsWith(folder.pathname) || url.search || url.hash) {
      throw new Error(
        `refused to fetch '${path}': not a plain path inside the package${problem ? ` (${problem})` : ''}`,
      );
    }
    return url.href;
  };
  let cachePromise: Promise<CacheLike | null> | null = null;
  const openCache = () =>
    (cachePromise ??= options.caches
      ? options.caches.open(MODEL_CACHE_NAME).catch(() => null) // storage disabled: run without a cache
      : Promise.resolve(null));

  let listed = new Map<string, PackageFile>();
  let manifestText: string | null = null;
  const cached = new Set<string>();
  /** Files read from the cache whose entry says they were verified against the manifest's sha256. */
  const verifiedInCache = new Set<string>();
  /** Bytes read but not yet verified (stored in the cache once they are). */
  const unverified = new Map<string, Uint8Array>();
  const writes: Promise<unknown>[] = [];

  const store = async (key: string, body: Uint8Array | string, headers: Record<string, string>) => {
    const cache = await openCache();
    if (!cache) return;
    const size = typeof body === 'string' ? new TextEncoder().encode(body).byteLength : body.byteLength;
    const response = new Response(body as BodyInit, { headers: { ...headers, [SIZE_HEADER]: String(size) } });
    // A full disk or quota error only costs the next visit a download.
    writes.push(cache.put(key, response).catch(() => undefined));
  };

  return {
    description: `model package ${base}`,

    async readJson(path) {
      const url = fileUrl(path);
      let response: Response | undefined;
      let failure = '';
      try {
        response = await fetchImpl(url, { cache: 'no-cache' });
      } catch (err) {
        failure = describeFailure(err);
      }
      if (response?.ok) {
        if (isHtmlType(response)) throw new PackageFileMissing(path);
        const text = await response.text();
        if (looksLikeHtml(new TextEncoder().encode(text.slice(0, 64)))) throw new PackageFileMissing(path);
        const json = parseJson(path, text);
        cached.delete(path);
        if (path === MANIFEST_FILE) {
          listed = listedFiles(json);
          manifestText = text;
        }
        return json;
      }
      if (response && (response.status === 404 || response.status === 410)) throw new PackageFileMissing(path);
      // Offline, or the server is failing: the copy stored by the last successful load.
      const copy = await (await openCache())?.match(url);
      if (copy) {
        const json = parseJson(path, await copy.text());
        cached.add(path);
        if (path === MANIFEST_FILE) listed = listedFiles(json);
        return json;
      }
      throw new Error(
        response
          ? `the server answered HTTP ${response.status} and no copy is cached`
          : `could not be fetched (${failure}) and no copy is cached (offline?)`,
      );
    },

    async readBytes(path, onProgress) {
      const file = listed.get(path);
      const url = fileUrl(path);
      const cache = file ? await openCache() : null;
      if (cache && file) {
        const key = contentKey(url, file.sha256);
        const hit = await cache.match(key);
        if (hit) {
          cached.add(path);
          const bytes = await readBody(hit, file.size, onProgress);
          if (bytes.byteLength === file.size) {
            if (hit.headers.get(VERIFIED_SHA_HEADER) === file.sha256) verifiedInCache.add(path);
            else unverified.set(path, bytes);
            return bytes;
          }
          await cache.delete(key); // a truncated entry: fetch the file again
        }
      }
      cached.delete(path);
      verifiedInCache.delete(path);
      let response: Response;
      try {
        response = await fetchImpl(url);
      } catch (err) {
        throw new Error(`could not be fetched (${describeFailure(err)})`, { cause: err });
      }
      if (response.status === 404 || response.status === 410) throw new PackageFileMissing(path);
      if (!response.ok) throw new Error(`the server answered HTTP ${response.status}`);
      if (isHtmlType(response)) throw new PackageFileMissing(path);
      const bytes = await readBody(response, file?.size ?? 0, onProgress);
      if (looksLikeHtml(bytes)) throw new PackageFileMissing(path);
      if (file && cache) unverified.set(path, bytes);
      return bytes;
    },

    fromCache: (path) => cached.has(path),

    alreadyVerified: (file) =>
      cached.has(file.path) && verifiedInCache.has(file.path) && listed.get(file.path)?.sha256 === file.sha256,

    onVerified(file) {
      const bytes = unverified.get(file.path);
      if (!bytes) return;
      unverified.delete(file.path);
      // Only verified bytes are stored, with the hash they were checked against (see alreadyVerified).
      void store(contentKey(fileUrl(file.path), file.sha256), bytes, {
        'content-type': 'application/octet-stream',
        [VERIFIED_SHA_HEADER]: file.sha256,
      });
    },

    async evict(path) {
      await Promise.all(writes.splice(0)); // a retry must see the files already stored by this load
      const file = listed.get(path);
      const fromCache = cached.has(path);
      cached.delete(path);
      verifiedInCache.delete(path);
      const cache = await openCache();
      if (cache && file) await cache.delete(contentKey(fileUrl(path), file.sha256));
      return fromCache;
    },

    async commit() {
      if (manifestText !== null)
        await store(fileUrl(MANIFEST_FILE), manifestText, { 'content-type': 'application/json' });
      await Promise.all(writes.splice(0));
      const cache = await openCache();
      if (!cache || listed.size === 0) return;
      // Earlier exports of these files at this URL are unreachable now (their keys carry the old hashes).
      const current = new Set([...listed.values()].map((f) => contentKey(fileUrl(f.path), f.sha256)));
      const listedUrls = new Set([...listed.keys()].map(fileUrl));
      for (const { url } of await cache.keys()) {
        const key = new URL(url);
        if (!key.searchParams.has('faceptor-sha256') || current.has(url)) continue;
        key.search = '';
        if (listedUrls.has(key.href)) await cache.delete(url);
      }
    },
  };
}

/** The parts of a DOM File we read (Node tests pass plain objects). */
export interface FileLike {
  readonly name: string;
  readonly size: number;
  /** "folder/sub/file" when the file came from a picked or dropped folder. */
  readonly webkitRelativePath?: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * Package-relative paths of dropped files: the picked folder's own name is dropped; plain files keep their name.
 * `paths` (parallel to files, webkitRelativePath-style) wins: drag-and-drop folders carry no webkitRelativePath.
 */
function packagePaths(files: readonly FileLike[], paths?: readonly string[]): Map<string, FileLike> {
  const byPath = new Map<string, FileLike>();
  files.forEach((f, i) => {
    const given = paths?.[i] || f.webkitRelativePath;
    const rel = given && given.includes('/') ? given.split('/').slice(1).join('/') : f.name;
    byPath.set(rel || f.name, f);
  });
  if (byPath.has(MANIFEST_FILE)) return byPath;
  // A folder one level up was picked (e.g. models/ holding <package>/): root at the shallowest faceptor.json.
  const manifests = [...byPath.keys()]
    .filter((p) => p.endsWith(`/${MANIFEST_FILE}`))
    .sort((a, b) => a.split('/').length - b.split('/').length);
  if (manifests.length === 0) return byPath;
  const prefix = manifests[0].slice(0, -MANIFEST_FILE.length);
  return new Map([...byPath].filter(([p]) => p.startsWith(prefix)).map(([p, f]) => [p.slice(prefix.length), f]));
}

export function filesPackageSource(
  files: readonly FileLike[],
  name: string,
  paths?: readonly string[],
): BrowserPackageSource {
  const byPath = packagePaths(files, paths);
  const file = (path: string) => {
    const f = byPath.get(path);
    if (!f) throw new PackageFileMissing(path);
    return f;
  };
  return {
    description: `dropped folder ${name}`,
    async readJson(path) {
      return parseJson(path, new TextDecoder().decode(await file(path).arrayBuffer()));
    },
    async readBytes(path, onProgress) {
      const f = file(path);
      onProgress?.(0, f.size);
      const bytes = new Uint8Array(await f.arrayBuffer());
      onProgress?.(bytes.byteLength, f.size);
      return bytes;
    },
    fromCache: () => false,
    alreadyVerified: () => false,
    onVerified: () => undefined,
    evict: async () => false,
    commit: async () => undefined,
  };
}
