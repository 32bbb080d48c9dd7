/**
 * The browser package sources in Node: a real exported package (golden Full fixture, random weights) served by a fake
 * fetch with streamed bodies, the Cache API as an in-memory fake. Truth comes from the files on disk (sizes, sha256
 * computed here with node:crypto) and from which requests reached the "network".
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNodeBackend } from '../tools/node-host/backend.ts';
import { exportGoldenFixture, type ExportedFixture } from '../tools/node-host/testing/golden-package.ts';
import {
  clearModelCacheStorage,
  contentKey,
  MODEL_CACHE_NAME,
  modelCacheStats,
  VERIFIED_SHA_HEADER,
} from './model-cache.ts';
import { loadModelPackage } from './model-loader.ts';
import { filesPackageSource, readBody, urlPackageSource, type FileLike } from './model-package-source.ts';
import type { ModelLoadProgress } from './perception-api.ts';
import { fakeServer } from './testing/fake-server.ts';
import { MemoryCacheStorage, type MemoryCache } from './testing/memory-cache.ts';
import { editedCopy, flipByte, sha256, type ManifestJson } from './testing/package-copy.ts';

const backend = createNodeBackend(); // sessions open lazily: loading a package creates none
let fixture: ExportedFixture;
let manifest: ManifestJson;
let manifestBytes: number;
const copies: string[] = [];

beforeAll(async () => {
  fixture = await exportGoldenFixture('faceptor_full');
  const text = await readFile(join(fixture.dir, 'faceptor.json'));
  manifestBytes = text.byteLength;
  manifest = JSON.parse(text.toString('utf8')) as ManifestJson;
}, 120_000);
afterAll(async () => {
  await fixture?.cleanup();
  await Promise.all(copies.map((c) => rm(join(c, '..'), { recursive: true, force: true })));
});
afterEach(() => {
  vi.restoreAllMocks();
});

const BASE = 'https://models.test/packages/full/';
const url = (path: string) => new URL(path, BASE).href;
const packageBytes = () => manifest.files.reduce((s, f) => s + f.size, 0);
const sorted = (a: readonly string[]) => [...a].sort();

async function copy(edit: Parameters<typeof editedCopy>[1]): Promise<string> {
  const dir = await editedCopy(fixture.dir, edit);
  copies.push(dir);
  return dir;
}

function setup(dir = fixture.dir) {
  const server = fakeServer({ [BASE]: dir });
  const caches = new MemoryCacheStorage();
  const progress: ModelLoadProgress[] = [];
  const load = () => {
    progress.length = 0;
    return loadModelPackage(urlPackageSource(BASE, { fetch: server.fetch, caches }), backend, (p) => progress.push(p));
  };
  const cache = () => caches.open(MODEL_CACHE_NAME) as Promise<MemoryCache>;
  return { server, caches, progress, load, cache };
}

describe('urlPackageSource', () => {
  it('first load downloads each file once with streamed progress and caches the verified bytes; offline, the next load comes from the cache without hashing', async () => {
    const { server, caches, progress, load, cache } = setup();
    const digest = vi.spyOn(globalThis.crypto.subtle, 'digest');
    const first = await load();
    expect(sorted(server.requests)).toEqual(sorted(['faceptor.json', ...manifest.files.map((f) => f.path)].map(url)));
    expect(digest).toHaveBeenCalledTimes(manifest.files.length);
    // progress: monotonic over the whole package, ends at its exact size, streamed (several calls for the weights)
    const loaded = progress.map((p) => p.loaded);
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
    expect(progress.at(-1)).toMatchObject({ loaded: packageBytes(), total: packageBytes() });
    expect(progress.every((p) => !p.fromCache)).toBe(true);
    const weights = manifest.files.find((f) => f.path === manifest.weights)!;
    expect(weights.size).toBeGreaterThan(4 * 64 * 1024);
    expect(progress.filter((p) => p.file === weights.path).length).toBeGreaterThan(4);

    // every cached entry holds exactly the manifest's bytes and says it was verified
    const c = await cache();
    for (const f of manifest.files) {
      const hit = (await c.match(contentKey(url(f.path), f.sha256)))!;
      expect(hit.headers.get(VERIFIED_SHA_HEADER)).toBe(f.sha256);
      expect(sha256(new Uint8Array(await hit.arrayBuffer()))).toBe(f.sha256);
    }
    expect(await modelCacheStats(caches)).toEqual({
      entries: manifest.files.length + 1,
      bytes: packageBytes() + manifestBytes,
    });

    server.offline = true;
    digest.mockClear();
    const second = await load();
    expect(second.info).toEqual(first.info);
    expect(digest).not.toHaveBeenCalled();
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p.fromCache)).toBe(true);
    expect(progress.at(-1)).toMatchObject({ loaded: packageBytes(), total: packageBytes() });

    expect(await clearModelCacheStorage(caches)).toEqual({ entries: 0, bytes: 0 });
    await expect(load()).rejects.toThrow(/faceptor\.json.*Failed to fetch.*no copy is cached/);
  });

  it('a re-export at the same URL: the new manifest wins (network-first), only the changed file is downloaded, its old copy is dropped', async () => {
    const changed = manifest.heads[0].file;
    const v2 = await copy(async (dir, m) => {
      await flipByte(join(dir, changed));
      m.files.find((f) => f.path === changed)!.sha256 = sha256(await readFile(join(dir, changed)));
    });
    const { server, load, cache } = setup();
    await load();
    server.mounts.set(BASE, v2);
    server.requests.length = 0;
    await load();
    expect(server.requests).toEqual([url('faceptor.json'), url(changed)]);
    const newSha = sha256(await readFile(join(v2, changed)));
    const oldSha = manifest.files.find((f) => f.path === changed)!.sha256;
    const c = await cache();
    expect(await c.match(contentKey(url(changed), newSha))).toBeDefined();
    expect(await c.match(contentKey(url(changed), oldSha))).toBeUndefined();
    expect(c.entries.size).toBe(manifest.files.length + 1);
  });

  it('corrupt cached copies: a truncated entry is fetched again; unmarked bytes are hashed, refused and replaced from the network', async () => {
    const { server, load, cache } = setup();
    await load();
    const c = await cache();
    const weights = manifest.files.find((f) => f.path === manifest.weights)!;
    const weightsKey = contentKey(url(weights.path), weights.sha256);
    const stored = new Uint8Array(await (await c.match(weightsKey))!.arrayBuffer());
    c.corrupt(weightsKey, stored.slice(0, weights.size - 10)); // keeps the verified mark: only the size can tell

    const task = manifest.files.find((f) => f.path === manifest.heads[0].file)!;
    const taskKey = contentKey(url(task.path), task.sha256);
    const flipped = new Uint8Array(await (await c.match(taskKey))!.arrayBuffer());
    flipped[0] ^= 0xff;
    await c.put(taskKey, new Response(flipped)); // no verified mark: the loader must hash it

    server.requests.length = 0;
    await load();
    expect(sorted(server.requests)).toEqual(
      sorted([url('faceptor.json'), url(weights.path), url('faceptor.json'), url(task.path)]),
    );
    for (const [key, f] of [
      [weightsKey, weights],
      [taskKey, task],
    ] as const) {
      const hit = (await c.match(key))!;
      expect(sha256(new Uint8Array(await hit.arrayBuffer()))).toBe(f.sha256);
      expect(hit.headers.get(VERIFIED_SHA_HEADER)).toBe(f.sha256);
    }

    // the same corruption while offline: a clear error naming the file
    await c.put(taskKey, new Response(flipped));
    server.offline = true;
    await expect(load()).rejects.toThrow(new RegExp(`cannot read ${task.path}: could not be fetched`));
  });

  it('missing files: a 404 or an SPA HTML page is "missing", never bytes; no package at all says so', async () => {
    const gone = manifest.heads[0].file;
    const incomplete = await copy(async (dir) => {
      await rm(join(dir, gone));
    });
    const { server, load } = setup(incomplete);
    await expect(load()).rejects.toThrow(new RegExp(`incomplete model package, ${gone} is missing`));
    server.spaFallback = true;
    await expect(load()).rejects.toThrow(new RegExp(`incomplete model package, ${gone} is missing`));
    server.mounts.clear();
    await expect(load()).rejects.toThrow(/is not a model package: faceptor\.json is missing/);
    server.spaFallback = false;
    await expect(load()).rejects.toThrow(/is not a model package: faceptor\.json is missing/);
  });

  it('works without a Cache API (insecure context): every load downloads', async () => {
    const server = fakeServer({ [BASE]: fixture.dir });
    const model = await loadModelPackage(urlPackageSource(BASE, { fetch: server.fetch, caches: null }), backend);
    expect(model.tasks.length).toBe(manifest.tasks.length);
    expect(await modelCacheStats(null)).toEqual({ entries: 0, bytes: 0 });
  });
});

describe('filesPackageSource', () => {
  async function filesOf(dir: string, prefix: string, skip?: string): Promise<FileLike[]> {
    const paths = ['faceptor.json', ...manifest.files.map((f) => f.path)].filter((p) => p !== skip);
    return Promise.all(
      paths.map(async (p) => {
        const bytes = await readFile(join(dir, p));
        return {
          name: p.split('/').at(-1)!,
          size: bytes.byteLength,
          webkitRelativePath: `${prefix}${p}`,
          arrayBuffer: async () =>
            bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
        };
      }),
    );
  }

  it('a picked folder (its own name dropped) or its parent folder loads, with per-file progress', async () => {
    const progress: ModelLoadProgress[] = [];
    const model = await loadModelPackage(
      filesPackageSource(await filesOf(fixture.dir, 'faceptor_full/'), 'faceptor_full'),
      backend,
      (p) => progress.push(p),
    );
    expect(model.info.label).toBe(manifest.label);
    expect(model.origin).toBe('dropped folder faceptor_full');
    expect(new Set(progress.map((p) => p.file))).toEqual(new Set(manifest.files.map((f) => f.path)));
    expect(progress.at(-1)).toMatchObject({ loaded: packageBytes(), total: packageBytes(), fromCache: false });
    const nested = await loadModelPackage(
      filesPackageSource(await filesOf(fixture.dir, 'models/faceptor_full/'), 'models'),
      backend,
    );
    expect(nested.tasks).toEqual(model.tasks);
  });

  it('a dragged folder: no webkitRelativePath, the paths the UI walked place each file', async () => {
    // models/ holding the package and a stale encoder in another folder: only paths keep the two encoders apart.
    const picked = await filesOf(fixture.dir, 'models/faceptor_full/');
    const encoder = picked.find((f) => f.name.startsWith('encoder'))!;
    const staleBytes = new Uint8Array(encoder.size).fill(7);
    const stale: FileLike = {
      name: encoder.name,
      size: encoder.size,
      arrayBuffer: async () => staleBytes.buffer.slice(0),
    };
    const files = [...picked.map((f) => ({ ...f, webkitRelativePath: '' })), stale];
    const paths = [...picked.map((f) => f.webkitRelativePath!), `models/old/${encoder.name}`];
    const model = await loadModelPackage(filesPackageSource(files, 'models', paths), backend);
    expect(model.tasks.length).toBe(manifest.tasks.length);
    await expect(loadModelPackage(filesPackageSource(files, 'models'), backend)).rejects.toThrow(
      /sha-?256|hash|checksum/i,
    );
  });

  it('plain files without folder paths, and a missing one named', async () => {
    const files = (await filesOf(fixture.dir, '')).map((f) => ({ ...f, webkitRelativePath: '' }));
    expect((await loadModelPackage(filesPackageSource(files, 'picked files'), backend)).tasks.length).toBe(
      manifest.tasks.length,
    );
    const skip = manifest.encoder.file;
    const partial = await filesOf(fixture.dir, 'x/', skip);
    await expect(loadModelPackage(filesPackageSource(partial, 'x'), backend)).rejects.toThrow(
      new RegExp(`dropped folder x: incomplete model package, ${skip} is missing`),
    );
  });
});

describe('package paths that would leave the package (issue 9, item 6)', () => {
  it("a manifest naming 'https:evil.example/…' or '%2e%2e/…' is refused and nothing outside the package is requested", async () => {
    for (const bad of ['https:evil.example/weights.bin', '%2e%2e/full/weights.bin', '..%2ffull%2fweights.bin']) {
      const dir = await copy((_, m) => {
        const weights = (m as unknown as { weights: string }).weights;
        (m as unknown as { weights: string }).weights = bad;
        for (const f of m.files) if (f.path === weights) (f as { path: string }).path = bad;
      });
      const { server, load } = setup(dir);
      await expect(load()).rejects.toThrow(/not a plain path inside the package/);
      expect(
        server.requests.every((r) => r.startsWith(BASE)),
        server.requests.join(' '),
      ).toBe(true);
    }
  });
  it('the source itself never builds a URL outside its folder, whoever asks', async () => {
    const { server } = setup();
    const source = urlPackageSource(BASE, { fetch: server.fetch, caches: null });
    for (const bad of ['https:evil.example/w.bin', '//evil.example/w.bin', '%2e%2e/x.bin', '../x.bin', 'w.bin?x=1']) {
      await expect(source.readBytes(bad)).rejects.toThrow(
        `refused to fetch '${bad}': not a plain path inside the package`,
      );
    }
    expect(server.requests).toEqual([]);
  });
});

describe('readBody stops one byte past the manifest size (issue 9, item 4, for URL sources)', () => {
  it('an endless body is cut after size + 1 bytes and its stream cancelled', async () => {
    let pulled = 0;
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(1000).fill(7));
      },
      cancel() {
        cancelled = true;
      },
    });
    const bytes = await readBody(new Response(endless), 2500);
    expect(bytes.byteLength).toBe(2501);
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThan(10);
  });
  it('a body of the stated size, or shorter, is returned as it is', async () => {
    expect((await readBody(new Response(new Uint8Array(2500)), 2500)).byteLength).toBe(2500);
    expect((await readBody(new Response(new Uint8Array(100)), 2500)).byteLength).toBe(100);
    expect((await readBody(new Response(new Uint8Array(3000)), 0)).byteLength).toBe(3000); // size unknown
  });
});
