/**
 * The worker engine with Faceptor packages, in Node: the real BlazeFace detector and the golden Full package
 * (random weights, exported with the real exporter in setup) through onnxruntime-node standing in for
 * onnxruntime-web, loaded through the URL source with a fake fetch and an in-memory Cache API.
 * Random weights predict nothing, so we check plumbing: which fields exist, their shapes, where points land,
 * what is kept or released, and that messages name the problem.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RgbaImage } from '../src/core/types.ts';
import { CELEBA_ATTRIBUTES, TASKS, type TaskName } from '../src/core/faceptor/tasks.ts';
import { VideoAnalyzer } from '../src/pipeline/video.ts';
import { loadImageFile } from '../tools/node-host/index.ts';
import { exportGoldenFixture, FACES_DIR, type ExportedFixture } from '../tools/node-host/testing/golden-package.ts';
import { PerceptionEngine, type EngineDeps } from './perception-engine.ts';
import type { ModelLoadProgress } from './perception-api.ts';
import { fakeBackend, type FakeBackend } from './testing/fake-backend.ts';
import { fakeServer, type FakeServer } from './testing/fake-server.ts';
import { MemoryCacheStorage } from './testing/memory-cache.ts';
import { editedCopy, flipByte, type ManifestJson } from './testing/package-copy.ts';

const PUBLIC = join(import.meta.dirname, '..', 'public');
const INIT = { preference: 'auto', baseUrl: 'http://app.test/' } as const;
const GOOD = 'http://app.test/models/full/';
/** One head per type: every result field. */
const SIX: TaskName[] = [
  'recog_ms1mv3',
  'age_utkface',
  'biattr_celeba',
  'affect_rafdb',
  'parsing_celebam',
  'align_300w',
];

let fixture: ExportedFixture;
let manifest: ManifestJson;
let photo: RgbaImage;
const copies: string[] = [];

beforeAll(async () => {
  fixture = await exportGoldenFixture('faceptor_full');
  manifest = JSON.parse(await readFile(join(fixture.dir, 'faceptor.json'), 'utf8')) as ManifestJson;
  photo = await loadImageFile(join(FACES_DIR, 'grace_hopper.jpg'));
}, 120_000);
afterAll(async () => {
  await fixture?.cleanup();
  await Promise.all(copies.map((c) => rm(join(c, '..'), { recursive: true, force: true })));
});

async function variant(edit: Parameters<typeof editedCopy>[1]): Promise<string> {
  const dir = await editedCopy(fixture.dir, edit);
  copies.push(dir);
  return dir;
}

interface Rig {
  engine: PerceptionEngine;
  server: FakeServer;
  caches: MemoryCacheStorage;
  backends: FakeBackend[];
}

function rig(
  makeBackend: (preference: string) => FakeBackend = (p) => fakeBackend(p === 'wasm' ? 'wasm' : 'webgpu'),
): Rig {
  const server = fakeServer({ [GOOD]: fixture.dir });
  const caches = new MemoryCacheStorage();
  const backends: FakeBackend[] = [];
  const deps: EngineDeps = {
    fetchModel: async (_base, file) => new Uint8Array(await readFile(join(PUBLIC, file))),
    createBackend: async ({ preference }) => {
      const b = makeBackend(preference);
      backends.push(b);
      return b;
    },
    fetchPackage: server.fetch,
    modelCaches: () => caches,
  };
  return { engine: new PerceptionEngine(deps), server, caches, backends };
}

const inside = (
  [x, y]: readonly number[],
  b: { x: number; y: number; width: number; height: number },
  margin: number,
) =>
  x >= b.x - margin * b.width &&
  x <= b.x + (1 + margin) * b.width &&
  y >= b.y - margin * b.height &&
  y <= b.y + (1 + margin) * b.height;

describe('PerceptionEngine with a Faceptor package', () => {
  it('loads the package from its URL (throttled progress, status) and analyses a photo with every requested task field', async () => {
    const { engine } = rig();
    await engine.init(INIT);
    const progress: ModelLoadProgress[] = [];
    const status = await engine.loadModel({ kind: 'url', url: GOOD }, (p) => progress.push(p));
    const total = manifest.files.reduce((s, f) => s + f.size, 0);
    expect(status.info.label).toBe(manifest.label);
    expect(status.info.untrained).toBe(true);
    expect(status.info.tasks).toEqual(manifest.tasks.map((t) => t.name));
    expect(status.origin).toBe(GOOD);
    expect(status.bytes).toBe(total);
    expect(status.hasLayerAttention).toBe(JSON.stringify(manifest.tasks).includes('"cross_attention"'));
    // throttled: far fewer calls than 64 KB chunks, and it ends exactly at the package size
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.length).toBeLessThan(Math.ceil(total / 65536));
    expect(progress.at(-1)).toMatchObject({ loaded: total, total });

    const r = await engine.analyzePixels(photo, { tasks: SIX });
    expect(r.model?.label).toBe(manifest.label);
    expect(r.tasks).toEqual(SIX);
    expect(r.runs).toMatchObject({ encoder112: 1, encoder512: 1 }); // shared 512 framing: one dense pass
    expect(r.timings.faceptor?.totalMs).toBeGreaterThan(0);
    expect(r.faces).toHaveLength(1);
    const f = r.faces[0];
    expect(f.identity!.embedding).toHaveLength(512);
    expect(Math.hypot(...f.identity!.embedding)).toBeCloseTo(1, 5);
    expect(f.age!.utkface!.distribution).toHaveLength(101);
    expect(Object.keys(f.attributes!)).toEqual([...CELEBA_ATTRIBUTES]);
    expect(Object.keys(f.expression!.rafdb!.probs)).toHaveLength(7);
    expect(f.landmarks!['300w']!.points).toHaveLength(TASKS.align_300w.outputs);
    expect(f.landmarks!['300w']!.points.every((p) => inside(p, f.box, 0.5))).toBe(true);
    const mask = f.parsing!.celebam!;
    expect(mask.data).toHaveLength(mask.width * mask.height);
    expect(inside([mask.region.x + mask.region.width / 2, mask.region.y + mask.region.height / 2], f.box, 0.25)).toBe(
      true,
    );

    // no tasks asked (an empty list; absent means the default heads) → detection only, no model fields
    const plain = await engine.analyzePixels(photo, { tasks: [] });
    expect(plain.model).toBeUndefined();
    expect(plain.faces[0].age).toBeUndefined();
  });

  it('rejects a task the loaded package lacks, naming it and what the package has', async () => {
    const withoutAlign = await variant((_dir, m) => {
      const gone = m.tasks.find((t) => t.name === 'align_300w')!;
      m.tasks = m.tasks.filter((t) => t !== gone); // its graph stays: the decoder serves the other tasks
    });
    const { engine, server, backends } = rig();
    server.mounts.set('http://app.test/models/no-300w/', withoutAlign);
    await engine.init(INIT);
    await engine.loadModel({ kind: 'url', url: 'http://app.test/models/no-300w/' });
    await expect(engine.analyzePixels(photo, { tasks: ['age_utkface', 'align_300w'] })).rejects.toThrow(
      /has no task align_300w \(it has: .*age_utkface/,
    );
    // a caller's error, not a GPU failure: the engine stays on WebGPU (no fallback to WASM)
    expect(backends.map((b) => b.provider)).toEqual(['webgpu']);
    expect(
      (await engine.analyzePixels(photo, { tasks: ['align_wflw'] })).faces[0].landmarks!.wflw!.points,
    ).toHaveLength(98);
  });

  it('a refused package (corrupt, incomplete, foreign, newer format) names the problem and the previous model keeps working', async () => {
    const weights = manifest.weights;
    const taskFile = manifest.heads[0].file;
    const refused: [string, string, RegExp][] = [
      ['corrupt', await variant((dir) => flipByte(join(dir, weights))), new RegExp(`${weights} is corrupt \\(sha256`)],
      [
        'incomplete',
        await variant((dir) => rm(join(dir, taskFile))),
        new RegExp(`incomplete model package, ${taskFile} is missing`),
      ],
      [
        'foreign',
        await variant((_d, m) => {
          m.format = 'some-other-bundle';
        }),
        /faceptor\.json is not a Faceptor model manifest/,
      ],
      [
        'newer',
        await variant((_d, m) => {
          m.formatVersion = 99;
        }),
        /format version 99 is newer than this version understands/,
      ],
    ];
    const { engine, server } = rig();
    await engine.init(INIT);
    const good = await engine.loadModel({ kind: 'url', url: GOOD });
    const before = await engine.analyzePixels(photo, { tasks: ['age_utkface'] });
    for (const [name, dir, message] of refused) {
      server.mounts.set(`http://app.test/models/${name}/`, dir);
      await expect(engine.loadModel({ kind: 'url', url: `http://app.test/models/${name}/` }), name).rejects.toThrow(
        message,
      );
    }
    const after = await engine.analyzePixels(photo, { tasks: ['age_utkface'] });
    expect(after.model).toEqual(good.info);
    expect(after.faces[0].age!.utkface!.years).toBe(before.faces[0].age!.utkface!.years);
  });

  it('WebGPU device lost mid-run: falls back to WASM, re-binds the model (old sessions released), task fields still come', async () => {
    const { engine, backends } = rig();
    const listener = vi.fn();
    await engine.init(INIT, listener);
    await engine.loadModel({ kind: 'url', url: GOOD });
    const tasks: TaskName[] = ['age_utkface', 'parsing_celebam'];
    const onGpu = await engine.analyzePixels(photo, { tasks });
    expect(onGpu.provider).toBe('webgpu');
    const gpu = backends[0];
    expect(gpu.opened).toBe(2 + 2); // detector front/back + the encoder and the decoder (both groups)

    gpu.lose();
    const onWasm = await engine.analyzePixels(photo, { tasks });
    expect(onWasm.provider).toBe('wasm');
    expect(listener.mock.calls[0][1]).toMatch(/GPUDevice was lost.*now running on WASM/);
    // same verified package on the new EP: identical outputs (both run on CPU underneath)
    expect(onWasm.faces[0].age!.utkface!.years).toBeCloseTo(onGpu.faces[0].age!.utkface!.years, 5);
    expect(onWasm.faces[0].parsing!.celebam!.data).toEqual(onGpu.faces[0].parsing!.celebam!.data);
    await vi.waitFor(() => expect(gpu.released).toBe(gpu.opened)); // nothing left open on the lost device
    const next = await engine.analyzePixels(photo, { tasks });
    expect(next.provider).toBe('wasm');
    expect(next.faces[0].age).toBeDefined();
    expect(backends[1].opened).toBe(2 + 2); // the model's sessions were opened once on WASM, then reused
  });

  it('keeps the model across an EP switch, swaps packages releasing the old sessions, unloads, resets video tracks', async () => {
    const reset = vi.spyOn(VideoAnalyzer.prototype, 'reset');
    const { engine, backends, server } = rig();
    await engine.init(INIT);
    const first = await engine.loadModel({ kind: 'url', url: GOOD });
    expect(reset).toHaveBeenCalledTimes(1); // tracks must not carry the previous model's results
    await engine.analyzePixels(photo, { tasks: ['age_utkface'] });
    expect((await engine.init({ ...INIT, preference: 'wasm' })).provider).toBe('wasm');
    const switched = await engine.analyzePixels(photo, { tasks: ['age_utkface'] });
    expect(switched.provider).toBe('wasm');
    expect(switched.model).toEqual(first.info);
    expect(switched.faces[0].age).toBeDefined();

    // a second package (same files, another label) replaces the first; the first one's sessions are released
    const relabelled = await variant((_d, m) => {
      m.label = 'second package';
    });
    server.mounts.set('http://app.test/models/second/', relabelled);
    const wasm = backends[1];
    const openBefore = wasm.opened;
    expect(openBefore).toBe(2 + 2);
    const second = await engine.loadModel({ kind: 'url', url: 'http://app.test/models/second/' });
    expect(second.info.label).toBe('second package');
    await vi.waitFor(() => expect(wasm.released).toBe(2)); // encoder 112 + age of the first package
    expect((await engine.analyzePixels(photo, { tasks: ['age_utkface'] })).model?.label).toBe('second package');

    await engine.unloadModel();
    const plain = await engine.analyzePixels(photo, { tasks: ['age_utkface'] }); // contract: ignored without a model
    expect(plain.model).toBeUndefined();
    expect(plain.faces[0].age).toBeUndefined();
    await vi.waitFor(() => expect(wasm.released).toBe(4));

    reset.mockClear();
    await engine.resetVideo();
    expect(reset).toHaveBeenCalledTimes(1);
    reset.mockRestore();
  });

  it('model cache: a second engine (next visit) loads offline from the cache; clearing empties it', async () => {
    const a = rig();
    await a.engine.init(INIT);
    await a.engine.loadModel({ kind: 'url', url: GOOD });
    const info = await a.engine.modelCacheInfo();
    const total = manifest.files.reduce((s, f) => s + f.size, 0);
    expect(info.entries).toBe(manifest.files.length + 1);
    expect(info.bytes).toBeGreaterThan(total);

    const b = rig();
    b.server.offline = true;
    const engineB = new PerceptionEngine({
      fetchModel: async (_base, file) => new Uint8Array(await readFile(join(PUBLIC, file))),
      createBackend: async () => fakeBackend('wasm'),
      fetchPackage: b.server.fetch,
      modelCaches: () => a.caches,
    });
    await engineB.init(INIT);
    const progress: ModelLoadProgress[] = [];
    await engineB.loadModel({ kind: 'url', url: GOOD }, (p) => progress.push(p));
    expect(progress.every((p) => p.fromCache)).toBe(true);
    expect((await engineB.analyzePixels(photo, { tasks: ['age_utkface'] })).faces[0].age).toBeDefined();

    expect(await a.engine.clearModelCache()).toEqual({ entries: 0, bytes: 0 });
    await expect(engineB.loadModel({ kind: 'url', url: GOOD })).rejects.toThrow(/no copy is cached/);
    // the loaded model stays in memory
    expect((await engineB.analyzePixels(photo, { tasks: ['age_utkface'] })).faces[0].age).toBeDefined();
  });

  it('a photo over 4096 px is analysed downscaled; faces and task points come back in source pixels', async () => {
    // A virtual 8× upscale of the photo (4096×4800, nearest neighbour) stands in for a decoded large image; the fake
    // canvas resamples it to what the engine asks for, like drawImage would.
    const k = 8;
    const big = { width: photo.width * k, height: photo.height * k, close: () => undefined };
    vi.stubGlobal('createImageBitmap', async () => big);
    vi.stubGlobal(
      'OffscreenCanvas',
      class {
        constructor(
          public width: number,
          public height: number,
        ) {}
        getContext() {
          return {
            fillStyle: '',
            fillRect: () => undefined,
            drawImage: () => undefined,
            getImageData: (_x: number, _y: number, w: number, h: number) => {
              const data = new Uint8ClampedArray(w * h * 4);
              for (let j = 0; j < h; j++) {
                const sy = Math.floor(((j + 0.5) * big.height) / h / k);
                for (let i = 0; i < w; i++) {
                  const sx = Math.floor(((i + 0.5) * big.width) / w / k);
                  const from = (sy * photo.width + sx) * 4,
                    to = (j * w + i) * 4;
                  for (let c = 0; c < 4; c++) data[to + c] = photo.data[from + c];
                }
              }
              return { data };
            },
          };
        }
      },
    );
    try {
      const { engine } = rig();
      await engine.init(INIT);
      await engine.loadModel({ kind: 'url', url: GOOD });
      const tasks: TaskName[] = ['age_utkface', 'align_300w'];
      const small = await engine.analyzePixels(photo, { tasks });
      const r = await engine.analyzeImage(new Blob([new Uint8Array(8)], { type: 'image/jpeg' }), { tasks });
      expect([r.width, r.height]).toEqual([big.width, big.height]);
      const analysedWidth = Math.round(big.width * (4096 / big.height));
      expect(r.scale).toBeCloseTo(analysedWidth / big.width, 9);
      expect(r.faces).toHaveLength(1);
      // independent truth: the same face found on the original photo, scaled by k (pixel centres at integers)
      const up = (v: number) => (v + 0.5) * k - 0.5;
      const [want, got] = [small.faces[0], r.faces[0]];
      const tol = 0.03 * want.box.width * k;
      expect(Math.abs(got.box.x - up(want.box.x))).toBeLessThan(tol);
      expect(Math.abs(got.box.y - up(want.box.y))).toBeLessThan(tol);
      expect(Math.abs(got.box.width - want.box.width * k)).toBeLessThan(tol);
      const pts = got.landmarks!['300w']!.points;
      want.landmarks!['300w']!.points.forEach(([x, y], i) => {
        expect(Math.abs(pts[i][0] - up(x))).toBeLessThan(tol);
        expect(Math.abs(pts[i][1] - up(y))).toBeLessThan(tol);
      });
      expect(got.age!.utkface!.distribution).toHaveLength(101);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('video frames go through the VideoAnalyzer with the frame timestamp, get track ids and task fields, and are closed', async () => {
    const analyze = vi.spyOn(VideoAnalyzer.prototype, 'analyze');
    const close = vi.fn();
    // A VideoFrame as the worker sees one: RGBA via copyTo, capture timestamp in µs.
    const frame = {
      displayWidth: photo.width,
      displayHeight: photo.height,
      codedWidth: photo.width,
      codedHeight: photo.height,
      timestamp: 5_000_000,
      close,
      copyTo: async (buffer: Uint8Array) => {
        buffer.set(photo.data);
      },
    } as unknown as VideoFrame;
    try {
      const { engine } = rig();
      await engine.init(INIT);
      await engine.loadModel({ kind: 'url', url: GOOD });
      const r = await engine.analyzeFrame(frame, { tasks: ['age_utkface'] });
      expect(close).toHaveBeenCalledTimes(1);
      expect(analyze.mock.calls[0][1]).toMatchObject({
        timestampMs: 5000,
        detector: 'front',
        sourceSize: { width: photo.width, height: photo.height },
      });
      expect(analyze.mock.calls[0][1].faceptor?.tasks).toEqual(['age_utkface']);
      expect(r.faces).toHaveLength(1);
      expect(typeof r.faces[0].trackId).toBe('number');
      expect(r.faces[0].age!.utkface!.distribution).toHaveLength(101);
    } finally {
      analyze.mockRestore();
    }
  });

  it('loadModel before init says so', async () => {
    const { engine } = rig();
    await expect(engine.loadModel({ kind: 'url', url: GOOD })).rejects.toThrow(/not initialised/);
  });
});
