/**
 * Faceptor tasks through the whole Node pipeline: the golden Full fixture (random weights, exported in setup with
 * the real exporter) on the shared photos. Random weights predict nothing meaningful, so we check geometry,
 * shapes, label counts and plumbing — never what the model "says" about a face.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Detection, Point, RgbaImage } from '../../src/core/types.ts';
import { ARCFACE_112, applyAffine, crop112, landmarkCrop } from '../../src/core/align/index.ts';
import { warpCrop } from '../../src/core/image/warp.ts';
import {
  CELEBA_ATTRIBUTES,
  EXPRESSION_LABELS,
  NORMALISATION,
  TASKS,
  TASK_NAMES,
  type TaskName,
} from '../../src/core/faceptor/tasks.ts';
import {
  decodeAge,
  l2Normalize,
  labelsToImage,
  landmarksFromNormalised,
  parsingLabels,
  softmax,
} from '../../src/core/faceptor/decode.ts';
import { createFaceDetector, type FaceDetector } from '../../src/pipeline/detector.ts';
import { createFaceptor } from '../../src/lib/index.ts';
import { analyzeImage } from '../../src/pipeline/analyze.ts';
import type { FaceptorModel } from '../../src/pipeline/faceptor/model.ts';
import { createNodeBackend } from './backend.ts';
import { loadImageFile } from './image-file.ts';
import { loadBlazeFaceModels } from './models.ts';
import { folderPackageSource, loadFaceptorFolder } from './model-package.ts';
import { TRUTH } from './testing/face-truth.ts';
import { exportGoldenFixture, FACES_DIR, type ExportedFixture } from './testing/golden-package.ts';
import { readFile } from 'node:fs/promises';
import type { FaceptorManifest } from '../../src/core/faceptor/manifest.ts';
import { runPackage, type Tensor } from '../export/package/run-package.ts';

/**
 * The package's graphs run straight through onnxruntime-node, one task at a time (a decoder run carrying only that
 * task's queries), independent of the pipeline's batching: results keyed `<task>/<output>`.
 */
async function directRuns(
  dir: string,
  manifest: FaceptorManifest,
  inputs: Map<number, Tensor>,
  tasks: readonly TaskName[],
  outputs?: string[],
): Promise<Map<string, Tensor>> {
  const weights = new Uint8Array(await readFile(join(dir, manifest.weights)));
  const all = new Map<string, Tensor>();
  for (const task of tasks) {
    const { results } = await runPackage(
      manifest,
      weights,
      inputs,
      async (file, feeds, fetches) => {
        const s = await ort.InferenceSession.create(join(dir, file), { logSeverityLevel: 3 });
        try {
          const f: Record<string, ort.Tensor> = {};
          for (const [k, v] of Object.entries(feeds)) f[k] = new ort.Tensor(v.type, v.data, [...v.dims]);
          const out = await s.run(f, fetches);
          return Object.fromEntries(
            fetches.map((k) => [k, { data: out[k].data as Float32Array, dims: [...out[k].dims] }]),
          );
        } finally {
          await s.release();
        }
      },
      { tasks: [task], outputs },
    );
    for (const [k, v] of results) if (k.startsWith(`${task}/`)) all.set(k, v);
  }
  return all;
}

let fixture: ExportedFixture;
let detector: FaceDetector;
const backend = createNodeBackend();
const photos = new Map<string, { image: RgbaImage; faces: Detection[] }>();

beforeAll(async () => {
  fixture = await exportGoldenFixture('faceptor_full');
  detector = await createFaceDetector(backend, await loadBlazeFaceModels());
  for (const file of ['astronaut.png', 'grace_hopper.jpg']) {
    const image = await loadImageFile(join(FACES_DIR, file));
    photos.set(file, { image, faces: (await detector.detect(image)).faces });
  }
}, 60_000);
afterAll(async () => {
  await detector?.release();
  await fixture?.cleanup();
});

const fresh = (): Promise<FaceptorModel> => loadFaceptorFolder(fixture.dir, backend);
const sum = (v: readonly number[]) => v.reduce((a, b) => a + b, 0);

describe('all tasks of the Full fixture on the shared photos', () => {
  for (const file of ['astronaut.png', 'grace_hopper.jpg']) {
    it(`${file}: every task present, right shapes and labels, points and masks on the face`, async () => {
      const model = await fresh();
      const { image, faces } = photos.get(file)!;
      expect(faces).toHaveLength(1);
      const r = await model.analyzeFaces(image, faces, { tasks: 'all' });
      expect(r.tasks).toEqual(TASK_NAMES);
      const f = r.faces[0];
      const box = faces[0].box;
      // identity: 512-d, unit length
      expect(f.identity!.embedding).toHaveLength(512);
      expect(Math.hypot(...f.identity!.embedding)).toBeCloseTo(1, 5);
      // age: both heads, 101-bin distribution summing to 1, expectation inside 0..100
      expect(Object.keys(f.age!).sort()).toEqual(['morph2', 'utkface']);
      for (const a of Object.values(f.age!)) {
        expect(a.distribution).toHaveLength(101);
        expect(sum(a.distribution)).toBeCloseTo(1, 6);
        expect(a.years).toBeCloseTo(sum(a.distribution.map((p, k) => p * k)), 6);
      }
      // expression: three heads, the seven labels, probabilities summing to 1, top = arg-max
      expect(Object.keys(f.expression!).sort()).toEqual(['affectnet', 'ferplus', 'rafdb']);
      for (const e of Object.values(f.expression!)) {
        expect(Object.keys(e.probs)).toEqual([...EXPRESSION_LABELS]);
        expect(sum(Object.values(e.probs))).toBeCloseTo(1, 6);
        expect(e.probs[e.top]).toBe(Math.max(...Object.values(e.probs)));
      }
      // attributes: the 40 CelebA names, probabilities
      expect(Object.keys(f.attributes!)).toEqual([...CELEBA_ATTRIBUTES]);
      expect(Object.values(f.attributes!).every((p) => p > 0 && p < 1)).toBe(true);
      // landmarks: four sets with the registry's point counts, inside the image and on the face
      // (random heatmaps are broad, so points sit near the crop centre, i.e. on the face)
      expect(Object.keys(f.landmarks!).sort()).toEqual(['300w', 'aflw', 'cofw', 'wflw']);
      for (const task of ['align_300w', 'align_cofw', 'align_wflw', 'align_aflw'] as const) {
        const spec = TASKS[task];
        if (spec.type !== 'align') throw new Error('registry');
        const pts = f.landmarks![spec.landmarks.set]!.points;
        expect(pts).toHaveLength(spec.landmarks.points);
        for (const [x, y] of pts) {
          expect(x).toBeGreaterThan(box.x);
          expect(x).toBeLessThan(box.x + box.width);
          expect(y).toBeGreaterThan(box.y);
          expect(y).toBeLessThan(box.y + box.height);
        }
      }
      // parsing: both heads, registry labels, image-aligned region overlapping the face box, valid classes
      expect(Object.keys(f.parsing!).sort()).toEqual(['celebam', 'lapa']);
      for (const [head, task] of [
        ['celebam', 'parsing_celebam'],
        ['lapa', 'parsing_lapa'],
      ] as const) {
        const p = f.parsing![head]!;
        const spec = TASKS[task];
        expect(p.labels).toEqual(spec.type === 'parsing' ? spec.labels : []);
        expect(p.data).toHaveLength(p.width * p.height);
        expect([p.region.width, p.region.height]).toEqual([p.width, p.height]);
        expect(p.region.x).toBeGreaterThanOrEqual(0);
        expect(p.region.y).toBeGreaterThanOrEqual(0);
        expect(p.region.x + p.width).toBeLessThanOrEqual(image.width);
        expect(p.region.y + p.height).toBeLessThanOrEqual(image.height);
        const ix = Math.min(p.region.x + p.width, box.x + box.width) - Math.max(p.region.x, box.x);
        const iy = Math.min(p.region.y + p.height, box.y + box.height) - Math.max(p.region.y, box.y);
        // the shared 512 crop is the landmark box / 0.8: it covers most of the detector box
        expect(Math.max(0, ix) * Math.max(0, iy)).toBeGreaterThan(0.6 * box.width * box.height);
        expect(Math.max(...p.data)).toBeLessThan(p.labels.length);
      }
      await model.release();
    });
  }
});

describe('alignment on the shared photos (hand-measured eyes, testing/face-truth.ts)', () => {
  for (const file of ['astronaut.png', 'grace_hopper.jpg']) {
    it(`${file}: measured eyes land on the ArcFace template eyes through the 112 crop matrix`, () => {
      const truth = TRUTH[file];
      // (1) the crop maths alone: fitted on the measured points, the eyes land within 2 px of the template
      const measured: Point[] = [truth.rightEye!, truth.leftEye!, truth.nose, truth.mouth];
      const exact = crop112(measured).matrix;
      // (2) the pipeline: fitted on BlazeFace's keypoints. Their error (≤ 8 % of the box, see detection.test.ts)
      // moves the crop by up to ~5 px at 112; 6 px is 17 % of the template's 35 px eye distance.
      const detected = crop112(photos.get(file)!.faces[0].keypoints).matrix;
      for (const [m, tol] of [
        [exact, 2],
        [detected, 6],
      ] as const) {
        for (const [p, target] of [
          [truth.rightEye!, ARCFACE_112[0]],
          [truth.leftEye!, ARCFACE_112[1]],
        ] as const) {
          const [u, v] = applyAffine(m, p[0], p[1]);
          expect(
            Math.hypot(u - target[0], v - target[1]),
            `(${u.toFixed(1)}, ${v.toFixed(1)}) vs template (${target})`,
          ).toBeLessThan(tol);
        }
      }
    });
  }
});

describe('run plan: counted session runs', () => {
  const sparse = TASK_NAMES.filter((t) => TASKS[t].group === 112);

  it('N enabled 112 tasks cost ONE encoder pass, for a batch of faces too; no 512 pass without parsing/landmarks', async () => {
    const model = await fresh();
    const { image, faces } = photos.get('grace_hopper.jpg')!;
    const two = [faces[0], { ...faces[0] }];
    const r = await model.analyzeFaces(image, two, {
      tasks: ['identity', 'age', 'expression', 'attributes', 'age_morph2', 'affect_ferplus'],
    });
    expect(r.runs.encoder112).toBe(1);
    expect(r.runs.encoder512).toBe(0);
    expect(Object.values(r.runs.tasks)).toEqual(Array(r.tasks.length).fill(1));
    expect(r.tasks.length).toBe(6);
    // batch items agree with each other (same face twice)
    expect(r.faces[1].identity!.embedding).toEqual(r.faces[0].identity!.embedding.map((v) => expect.closeTo(v, 5)));
    // one encoder run and ONE decoder run carried all six tasks (and both faces)
    expect(r.timings.runs).toEqual({ 'encoder.onnx': 1, 'decoder.onnx': 1 });
    expect(model.openedGraphs().sort()).toEqual(['decoder.onnx', 'encoder.onnx']);
    expect(r.timings.encoder512Ms).toBe(0);
    const all = await model.analyzeFaces(image, faces, { tasks: sparse });
    expect(all.runs).toEqual({ encoder112: 1, encoder512: 0, tasks: Object.fromEntries(sparse.map((t) => [t, 1])) });
    expect(all.timings.runs).toEqual({ 'encoder.onnx': 1, 'decoder.onnx': 1 });
    await model.release();
  });

  it('every task on one face: 4 session runs (encoder and decoder once per input group)', async () => {
    const model = await fresh();
    const { image, faces } = photos.get('grace_hopper.jpg')!;
    const r = await model.analyzeFaces(image, faces, { tasks: 'all' });
    expect(r.tasks).toHaveLength(13);
    expect(r.timings.runs).toEqual({ 'encoder.onnx': 2, 'decoder.onnx': 2 });
    expect(r.runs).toEqual({ encoder112: 1, encoder512: 1, tasks: Object.fromEntries(TASK_NAMES.map((t) => [t, 1])) });
    await model.release();
  });

  it('many faces: encoder runs hold at most maxFacesPerRun faces each, and every face gets what it gets alone', async () => {
    const model = await fresh();
    const { image, faces } = photos.get('grace_hopper.jpg')!;
    const shift = (k: number): Detection => ({
      ...faces[0],
      box: { ...faces[0].box, x: faces[0].box.x + 3 * k, y: faces[0].box.y + 2 * k },
      keypoints: faces[0].keypoints.map(([x, y]) => [x + 3 * k, y + 2 * k] as [number, number]),
    });
    const five = [0, 1, 2, 3, 4].map(shift);
    const tasks = ['identity', 'age', 'align_300w', 'parsing_celebam'] as const;
    const r = await model.analyzeFaces(image, five, { tasks: [...tasks], maxFacesPerRun: { 112: 4, 512: 2 } });
    expect(r.runs.encoder112).toBe(2); // 4 + 1
    expect(r.runs.encoder512).toBe(3); // 2 + 2 + 1
    for (let i = 0; i < five.length; i++) {
      const alone = (await model.analyzeFaces(image, [five[i]], { tasks: [...tasks] })).faces[0];
      const got = r.faces[i];
      expect(got.identity!.embedding).toEqual(alone.identity!.embedding.map((v) => expect.closeTo(v, 4)));
      expect(got.age!.utkface!.years).toBeCloseTo(alone.age!.utkface!.years, 3);
      got.landmarks!['300w']!.points.forEach(([x, y], j) => {
        expect(x).toBeCloseTo(alone.landmarks!['300w']!.points[j][0], 2);
        expect(y).toBeCloseTo(alone.landmarks!['300w']!.points[j][1], 2);
      });
      expect(got.parsing!.celebam!.region).toEqual(alone.parsing!.celebam!.region);
    }
    // the default keeps 512 batches small (memory) and 112 batches large
    const d = await model.analyzeFaces(image, five, { tasks: [...tasks] });
    expect(d.runs).toMatchObject({ encoder112: 1, encoder512: 2 });
    await model.release();
  });

  it('landmarks/parsing add one 512 pass (shared framing) or one per framing (exact); no tasks → no runs', async () => {
    const model = await fresh();
    const { image, faces } = photos.get('astronaut.png')!;
    const shared = await model.analyzeFaces(image, faces, {
      tasks: ['parsing_celebam', 'parsing_lapa', 'align_300w', 'align_aflw'],
    });
    expect(shared.runs.encoder512).toBe(1);
    expect(shared.runs.encoder112).toBe(0);
    const exact = await model.analyzeFaces(image, faces, {
      tasks: ['parsing_celebam', 'parsing_lapa', 'align_300w', 'align_aflw'],
      denseCrops: 'exact',
    });
    expect(exact.runs.encoder512).toBe(4); // box 0.8, box 1.0, LaPa tanh, CelebA-HQ
    const none = await model.analyzeFaces(image, [], { tasks: 'all' });
    expect(none.runs).toEqual({ encoder112: 0, encoder512: 0, tasks: {} });
    expect(model.runCounts.encoder512).toBe(5);
    await model.release();
  });
});

describe('plumbing: pipeline results equal a direct onnxruntime run on the same crop', () => {
  it('Full fixture heads (identity, age, expression, landmarks, parsing) for the astronaut face', async () => {
    const model = await fresh();
    const { image, faces } = photos.get('astronaut.png')!;
    const tasks: TaskName[] = ['recog_ms1mv3', 'age_morph2', 'affect_rafdb', 'align_300w', 'parsing_lapa'];
    const r = (await model.analyzeFaces(image, faces, { tasks })).faces[0];
    await model.release();

    const kp = faces[0].keypoints;
    const c112 = crop112(kp);
    const c512 = landmarkCrop(kp, 0.8);
    const inputs = new Map<number, Tensor>([
      [112, { data: warpCrop(image, c112, NORMALISATION[112]), dims: [1, 3, 112, 112] }],
      [512, { data: warpCrop(image, c512, NORMALISATION[512]), dims: [1, 3, 512, 512] }],
    ]);
    const d = await directRuns(fixture.dir, model.manifest, inputs, tasks);
    const emb = d.get('recog_ms1mv3/embedding')!.data;
    const age = d.get('age_morph2/logits')!.data;
    const expr = d.get('affect_rafdb/logits')!.data;
    const lm = d.get('align_300w/landmark')!.data;
    const lapa = d.get('parsing_lapa/logits_128')!.data;

    Array.from(l2Normalize(emb)).forEach((v, i) => expect(r.identity!.embedding[i]).toBeCloseTo(v, 6));
    expect(r.age!.morph2!.years).toBeCloseTo(decodeAge(age).years, 6);
    softmax(expr).forEach((p, i) => expect(r.expression!.rafdb!.probs[EXPRESSION_LABELS[i]]).toBeCloseTo(p, 6));
    const direct = landmarksFromNormalised(lm, 68, c512).image;
    // parsing: the core's full-map decode of the direct logits, mapped into the image
    const mask = labelsToImage(parsingLabels(lapa, 11, 128, 128, 512, 512), c512, image.width, image.height);
    const p = r.parsing!.lapa!;
    expect([p.region.x, p.region.y, p.width, p.height]).toEqual([mask.x, mask.y, mask.width, mask.height]);
    expect(Buffer.from(p.data).equals(Buffer.from(mask.labels))).toBe(true);
    r.landmarks!['300w']!.points.forEach(([x, y], i) => {
      expect(x).toBeCloseTo(direct[i][0], 4);
      expect(y).toBeCloseTo(direct[i][1], 4);
    });
  });
});

describe('library API with a model package', () => {
  it('createFaceptor({ model: folderPackageSource }) adds task fields and model provenance; tasks:false skips them', async () => {
    const faceptor = await createFaceptor({
      backend,
      detectorModels: await loadBlazeFaceModels(),
      model: folderPackageSource(fixture.dir),
    });
    const { image } = photos.get('grace_hopper.jpg')!;
    const a = await faceptor.analyze(image, { tasks: ['landmarks', 'age'] });
    expect(a.model).toMatchObject({ variant: 'full', untrained: true, precision: 'fp32' });
    expect(a.tasks).toEqual(['age_utkface', 'align_300w']);
    expect(a.faces[0].landmarks!['300w']!.points).toHaveLength(68);
    expect(a.faces[0].age!.utkface!.distribution).toHaveLength(101);
    expect(a.faces[0].parsing).toBeUndefined();
    expect(a.timings.faceptor!.encoder512Ms).toBeGreaterThan(0);
    const plain = await faceptor.analyze(image, { tasks: false });
    expect(plain.model).toBeUndefined();
    expect(Object.keys(plain.faces[0]).sort()).toEqual(['box', 'keypoints', 'score']);
    await faceptor.dispose();
  });

  it("analyzeImage on a downscaled copy (sourceSize 2×): points and masks come back in the original's pixels", async () => {
    const model = await fresh();
    const { image } = photos.get('astronaut.png')!;
    const tasks = ['align_300w', 'parsing_celebam'];
    const half = await analyzeImage(detector, 'cpu', image, { faceptor: { model, tasks } });
    const full = await analyzeImage(detector, 'cpu', image, {
      faceptor: { model, tasks },
      sourceSize: { width: 1024, height: 1024 },
    });
    const up = (v: number) => (v + 0.5) * 2 - 0.5;
    full.faces[0].landmarks!['300w']!.points.forEach(([x, y], i) => {
      const [hx, hy] = half.faces[0].landmarks!['300w']!.points[i];
      expect(x).toBeCloseTo(up(hx), 6);
      expect(y).toBeCloseTo(up(hy), 6);
    });
    const ph = half.faces[0].parsing!.celebam!,
      pf = full.faces[0].parsing!.celebam!;
    expect(pf.region.x).toBe(2 * ph.region.x);
    expect(pf.region.y).toBe(2 * ph.region.y);
    expect(pf.width).toBe(2 * ph.width);
    expect(pf.height).toBe(2 * ph.height);
    // each analysed pixel became a 2×2 block of the same class
    for (const [i, j] of [
      [0, 0],
      [ph.width >> 1, ph.height >> 1],
      [ph.width - 1, ph.height - 1],
      [10, 40],
    ]) {
      const v = ph.data[j * ph.width + i];
      for (const [di, dj] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ])
        expect(pf.data[(2 * j + dj) * pf.width + 2 * i + di]).toBe(v);
    }
    await model.release();
  });
});

describe('the other variants run through the same pipeline', () => {
  for (const variant of ['faceptor_base', 'faceptor_layer_attention', 'naive_faceptor']) {
    it(`${variant}: default heads present with the right sizes, one encoder pass per group`, async () => {
      const other = await exportGoldenFixture(variant);
      try {
        const model = await loadFaceptorFolder(other.dir, backend);
        const { image, faces } = photos.get('grace_hopper.jpg')!;
        const r = await model.analyzeFaces(image, faces, { tasks: 'default' });
        expect(r.runs.encoder112).toBe(1);
        expect(r.runs.encoder512).toBe(1);
        const f = r.faces[0];
        // Base and Naive have no UTKFace head: age falls back to MORPH II
        const ageHead = variant === 'faceptor_layer_attention' ? 'utkface' : 'morph2';
        expect(f.age![ageHead]!.distribution).toHaveLength(101);
        expect(f.identity!.embedding).toHaveLength(512);
        expect(Object.keys(f.attributes!)).toHaveLength(40);
        expect(Object.keys(f.expression!.rafdb!.probs)).toHaveLength(7);
        expect(f.landmarks!['300w']!.points).toHaveLength(68);
        expect(f.parsing!.celebam!.labels).toHaveLength(19);
        // only the Layer-Attention graphs carry cross_attention (Base/Full read one memory level: nothing to chart)
        expect(model.hasLayerAttentionWeights).toBe(variant === 'faceptor_layer_attention');
        await model.release();
      } finally {
        await other.cleanup();
      }
    }, 60_000);
  }
});

describe('Layer-Attention cross-attention shares through the pipeline', () => {
  it('grace_hopper.jpg: layerAttention gives each decoder task one share per block (11, 1, 3, 5, 7, 9) summing to 1, as the graph weights say', async () => {
    const la = await exportGoldenFixture('faceptor_layer_attention');
    const model = await loadFaceptorFolder(la.dir, backend);
    try {
      expect(model.hasLayerAttentionWeights).toBe(true);
      const { image, faces } = photos.get('grace_hopper.jpg')!;
      const plain = await model.analyzeFaces(image, faces, { tasks: 'all' });
      expect(plain.faces[0].layerAttention).toBeUndefined(); // only when asked
      const r = await model.analyzeFaces(image, faces, { tasks: 'all', layerAttention: true });
      const shares = r.faces[0].layerAttention!;
      const decoderTasks = r.tasks.filter((n) => TASKS[n].type !== 'recog');
      expect(Object.keys(shares).sort()).toEqual([...decoderTasks].sort());
      for (const n of decoderTasks) {
        const s = shares[n]!;
        expect(s.map((x) => x.block)).toEqual([11, 1, 3, 5, 7, 9]); // memory order of docs/model.md §5.4
        expect(sum(s.map((x) => x.fraction))).toBeCloseTo(1, 9);
        for (const x of s) expect(x.fraction > 0 && x.fraction < 1).toBe(true);
      }
      // asking for the weights changes no prediction
      expect(r.faces[0].expression).toEqual(plain.faces[0].expression);
      expect(r.faces[0].landmarks).toEqual(plain.faces[0].landmarks);

      // Independent of the pipeline: the same 112 crop through the graphs (RAF-DB's queries alone), mass per
      // 49-token block summed by hand.
      const crop = warpCrop(image, crop112(faces[0].keypoints), NORMALISATION[112]);
      const a = (
        await directRuns(
          la.dir,
          model.manifest,
          new Map([[112, { data: crop, dims: [1, 3, 112, 112] }]]),
          ['affect_rafdb'],
          ['cross_attention'],
        )
      ).get('affect_rafdb/cross_attention')!;
      const data = a.data as Float32Array;
      expect(a.dims).toEqual([1, model.manifest.dims.decoderLayers, 7, 6 * 49]);
      const mass = [0, 0, 0, 0, 0, 0];
      for (let i = 0; i < data.length; i++) mass[Math.floor((i % 294) / 49)] += data[i];
      const total = sum(mass);
      shares.affect_rafdb!.forEach((x, j) => expect(x.fraction).toBeCloseTo(mass[j] / total, 7));
    } finally {
      await model.release();
      await la.cleanup();
    }
  }, 60_000);
});
