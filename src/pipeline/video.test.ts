/**
 * VideoAnalyzer on real detections (BlazeFace, onnxruntime-node) and the golden Full fixture (random weights,
 * exported in setup): what is checked is tracking, smoothing, scheduling and geometry — never what the random
 * model "says". Frames are made from the shared photos by whole-pixel translation, so the true motion is known.
 */
import type { ImageAnalysis } from '../result.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { RgbaImage } from '../core/types.ts';
import { createFaceDetector, type FaceDetector } from './detector.ts';
import { analyzeImage } from './analyze.ts';
import type { FaceptorModel } from './faceptor/model.ts';
import { VideoAnalyzer } from './video.ts';
import {
  createNodeBackend,
  loadBlazeFaceModels,
  loadFaceptorFolder,
  loadImageFile,
} from '../../tools/node-host/index.ts';
import { exportGoldenFixture, FACES_DIR, type ExportedFixture } from '../../tools/node-host/testing/golden-package.ts';
import { shiftImage as shift } from '../../tools/node-host/testing/shift-image.ts';

let fixture: ExportedFixture;
let detector: FaceDetector;
let model: FaceptorModel;
let grace: RgbaImage;
let astronaut: RgbaImage;
const backend = createNodeBackend();

beforeAll(async () => {
  fixture = await exportGoldenFixture('faceptor_full');
  detector = await createFaceDetector(backend, await loadBlazeFaceModels());
  model = await loadFaceptorFolder(fixture.dir, backend);
  grace = await loadImageFile(join(FACES_DIR, 'grace_hopper.jpg'));
  astronaut = await loadImageFile(join(FACES_DIR, 'astronaut.png'));
}, 120_000);
afterAll(async () => {
  await model?.release();
  await detector?.release();
  await fixture?.cleanup();
});

/** Two photos side by side (same height): two faces in one frame. */
function sideBySide(a: RgbaImage, b: RgbaImage): RgbaImage {
  const h = Math.min(a.height, b.height),
    w = a.width + b.width;
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    data.set(a.data.subarray(y * a.width * 4, (y + 1) * a.width * 4), y * w * 4);
    data.set(b.data.subarray(y * b.width * 4, (y + 1) * b.width * 4), (y * w + a.width) * 4);
  }
  return { width: w, height: h, data };
}

/** 2× box downscale: what a host hands the analyzer for a large camera frame. */
function half(img: RgbaImage): RgbaImage {
  const w = img.width >> 1,
    h = img.height >> 1;
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 4; c++) {
        const at = (i: number, j: number) => img.data[((2 * y + j) * img.width + 2 * x + i) * 4 + c];
        data[(y * w + x) * 4 + c] = (at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1) + 2) >> 2;
      }
  return { width: w, height: h, data };
}

/** A clock for the 512 cost measurement: every dense pass appears to take `ms` (read once before, once after). */
const scriptedCost = (ms: number) => {
  let t = 0;
  return () => (t += ms);
};

describe('VideoAnalyzer', () => {
  it('first frames equal the still-image analysis (smoothing starts at the measurement), also on a downscaled frame', async () => {
    const small = half(grace);
    const sourceSize = { width: grace.width, height: grace.height };
    const faceptor = { model, tasks: ['align_300w', 'age_utkface'] };
    const still = await analyzeImage(detector, 'cpu', small, { faceptor, sourceSize });
    const video = new VideoAnalyzer(detector, 'cpu', { now: scriptedCost(1) });
    const [s] = still.faces;
    // The frame that finds the face: the 112 tasks only (the 512 pass's cost is not known yet, so it waits a frame).
    const v0 = await video.analyze(small, { timestampMs: 0, faceptor, sourceSize });
    expect([v0.width, v0.height, v0.scale]).toEqual([still.width, still.height, 0.5]);
    expect(v0.faces).toHaveLength(1);
    expect(v0.faces[0].trackId).toBe(1);
    expect(v0.faces[0].landmarks).toBeUndefined();
    expect(v0.faces[0].denseAgeMs).toBeUndefined();
    expect(v0.faces[0].age!.utkface!.years).toBeCloseTo(s.age!.utkface!.years, 6);
    expect(v0.tasks).toEqual(['age_utkface', 'align_300w']);
    expect(v0.runs).toEqual({ encoder112: 1, encoder512: 0, tasks: { age_utkface: 1 } });
    expect(v0.timings.faceptor!.encoder512Ms).toBe(0);
    // The next frame (the same picture) brings its landmarks: the still image's, as the first measurement.
    const v = await video.analyze(small, { timestampMs: 33, faceptor, sourceSize });
    expect(v.faces).toHaveLength(1);
    const [f] = v.faces;
    expect(f.trackId).toBe(1);
    expect(f.denseAgeMs).toBe(0);
    expect(f.denseTransform).toBeUndefined();
    for (const k of ['x', 'y', 'width', 'height'] as const) expect(f.box[k]).toBeCloseTo(s.box[k], 9);
    f.landmarks!['300w']!.points.forEach(([x, y], i) => {
      expect(x).toBeCloseTo(s.landmarks!['300w']!.points[i][0], 6);
      expect(y).toBeCloseTo(s.landmarks!['300w']!.points[i][1], 6);
    });
    expect(f.age!.utkface!.years).toBeCloseTo(s.age!.utkface!.years, 6);
    expect(v.tasks).toEqual(['age_utkface', 'align_300w']);
    expect(v.runs).toEqual({ encoder112: 1, encoder512: 1, tasks: { age_utkface: 1, align_300w: 1 } });
    // both calls' timings are in the sum
    const ft = v.timings.faceptor!;
    expect(ft.encoder112Ms).toBeGreaterThan(0);
    expect(ft.encoder512Ms).toBeGreaterThan(0);
    expect(Object.keys(ft.taskMs).sort()).toEqual(['age_utkface', 'align_300w']);
  });

  it('a still face with ±1 px frame-to-frame shake: one track id, boxes and landmarks nearly still', async () => {
    const video = new VideoAnalyzer(detector, 'cpu', { now: scriptedCost(1) }); // fast device: dense every frame
    const faceptor = { model, tasks: ['align_300w'] };
    // the image jumps by (2, 2) px every frame, back and forth
    const frames = [shift(grace, 1, 1), shift(grace, -1, -1)];
    // the still-image pipeline on each frame: the detector adds its own jitter to the shake
    const raw = await Promise.all(
      frames.map(async (image) => (await analyzeImage(detector, 'cpu', image, { faceptor })).faces[0]),
    );
    type Face = (typeof raw)[number];
    const pick: Record<string, (f: Face) => number> = {
      'box x': (f) => f.box.x,
      'eye keypoint x': (f) => f.keypoints[0][0],
      'landmark 30 x': (f) => f.landmarks!['300w']!.points[30][0],
    };
    const seen: Record<string, number[]> = Object.fromEntries(Object.keys(pick).map((k) => [k, []]));
    // The filters start at the first, shaken value and need a second to settle: detection only for 40 frames
    // (cheap), then 14 frames with tasks (landmarks from the second), measured after the landmark filter's own 6
    // frames of settling.
    for (let i = 0; i < 54; i++) {
      const withTasks = i >= 40;
      const v = await video.analyze(frames[i % 2], { timestampMs: (i * 1000) / 30, ...(withTasks && { faceptor }) });
      expect(v.faces.map((f) => f.trackId)).toEqual([1]);
      // the first frame with tasks runs the 112 pass alone (the 512 pass's cost is not known yet), then every frame both
      if (withTasks) expect(v.faces[0].denseAgeMs).toBe(i === 40 ? undefined : 0);
      if (i >= 47) for (const k in pick) seen[k].push(pick[k](v.faces[0]));
    }
    // jitter = mean frame-to-frame movement
    const jitter = (xs: number[]) => xs.slice(1).reduce((a, x, i) => a + Math.abs(x - xs[i]), 0) / (xs.length - 1);
    for (const k in pick) {
      const rawJitter = Math.abs(pick[k](raw[0]) - pick[k](raw[1])),
        outJitter = jitter(seen[k]);
      console.log(
        `±1 px shake, ${k}: frame-to-frame movement ${rawJitter.toFixed(2)} px raw → ${outJitter.toFixed(3)} px tracked`,
      );
      expect(outJitter, k).toBeLessThan(0.5); // a quarter of the 2 px the image moves
      expect(outJitter, k).toBeLessThan(0.15 * Math.max(2, rawJitter));
    }
    expect(Math.abs(raw[0].box.x - raw[1].box.x)).toBeGreaterThanOrEqual(2); // the shake does reach the detector
  });

  it('slow device: carried landmarks move with the face (k px shift → k px), parsing gets the transform', async () => {
    // every 512 pass "costs" 10 s: the next refresh is 20 s away, so all frames after the first carry
    const video = new VideoAnalyzer(detector, 'cpu', { now: scriptedCost(10_000) });
    const faceptor = { model, tasks: ['align_300w', 'parsing_lapa'] };
    model.resetRunCounts();
    // the frame that finds the face has no 512 pass yet; the next one has it
    expect((await video.analyze(astronaut, { timestampMs: 0, faceptor })).faces[0].landmarks).toBeUndefined();
    const first = (await video.analyze(astronaut, { timestampMs: 1000, faceptor })).faces[0];
    // The face walks 64 px right in 16 px steps (a jump of 64 would be a new face), then stays. 64 source px are
    // 16 px of the detector's 128 input (whole anchor strides), so BlazeFace sees the very same face pixels and
    // its detection moves by exactly 64 px: the truth here is the translation itself.
    const k = 64;
    let v: ImageAnalysis | undefined;
    for (let i = 1; i <= 10; i++)
      v = await video.analyze(shift(astronaut, Math.min(i, 4) * 16, 0), { timestampMs: (i + 1) * 1000, faceptor });
    expect(model.runCounts.encoder512).toBe(1);
    const f = v!.faces[0];
    expect(f.trackId).toBe(first.trackId);
    expect(f.denseAgeMs).toBe(10_000);
    f.denseTransform!.forEach((c, i) => expect(c).toBeCloseTo([1, 0, k, 0][i], 1));
    expect(f.box.x - first.box.x).toBeCloseTo(k, 1);
    const before = first.landmarks!['300w']!.points,
      after = f.landmarks!['300w']!.points;
    const err = after.map(([x, y], i) => Math.hypot(x - (before[i][0] + k), y - before[i][1]));
    console.log(`carried landmarks after a ${k} px walk: worst error ${Math.max(...err).toFixed(3)} px`);
    expect(Math.max(...err)).toBeLessThan(0.1);
    // the mask itself is the one of the dense pass (same pixels); the transform says where it goes now
    expect(f.parsing!.lapa!.data).toBe(first.parsing!.lapa!.data);
    expect(f.parsing!.lapa!.region).toEqual(first.parsing!.lapa!.region);
  });

  it('slow device: the 512 encoder runs less often than the 112 one, at the rate the cost allows', async () => {
    const faceptor = { model, tasks: ['align_300w', 'age_utkface'] };
    const run = async (costMs: number, maxDenseShare?: number, frames = 30) => {
      const video = new VideoAnalyzer(detector, 'cpu', { now: scriptedCost(costMs), maxDenseShare });
      model.resetRunCounts();
      const ages: number[] = [];
      for (let i = 0; i < frames; i++) {
        const v = await video.analyze(grace, { timestampMs: i * 33, faceptor });
        ages.push(v.faces[0].denseAgeMs ?? -1);
        // the frame that finds the face: no 512 pass yet (its cost is not known); from the next one on, landmarks
        expect(v.faces[0].landmarks?.['300w']?.points.length ?? 0).toBe(i === 0 ? 0 : 68);
      }
      return { ...model.runCounts, ages };
    };
    // 100 ms per pass, share 0.5 → a refresh every 200 ms = every 7th frame at 33 ms: frames 1, 8, 15, 22, 29
    const slow = await run(100);
    expect(slow.encoder112).toBe(30);
    expect(slow.encoder512).toBe(5);
    expect(slow.ages.slice(0, 10)).toEqual([-1, 0, 33, 66, 99, 132, 165, 198, 0, 33]);
    // share 0.25 → every 400 ms: frames 1, 14, 27
    expect((await run(100, 0.25)).encoder512).toBe(3);
    // 10 ms per pass fits the frame: every frame from the second on
    const fast = await run(10, undefined, 8);
    expect(fast.encoder112).toBe(8);
    expect(fast.encoder512).toBe(7);
    expect(fast.ages.slice(1).every((a) => a === 0)).toBe(true);
  });

  it('no dense tasks: the 512 encoder never runs and faces carry no dense fields', async () => {
    const video = new VideoAnalyzer(detector, 'cpu', { now: scriptedCost(1) });
    model.resetRunCounts();
    for (let i = 0; i < 4; i++) {
      const v = await video.analyze(grace, {
        timestampMs: i * 33,
        faceptor: { model, tasks: ['identity', 'age', 'expression'] },
      });
      const f = v.faces[0];
      expect(f.identity!.embedding).toHaveLength(512);
      expect(f.landmarks).toBeUndefined();
      expect(f.parsing).toBeUndefined();
      expect(f.denseAgeMs).toBeUndefined();
    }
    expect(model.runCounts.encoder112).toBe(4);
    expect(model.runCounts.encoder512).toBe(0);
  });

  it('two new faces: no 512 pass on the frame that finds them, then one per frame (maxDensePerFrame 1)', async () => {
    const pair = sideBySide(astronaut, grace);
    const video = new VideoAnalyzer(detector, 'cpu', { now: scriptedCost(10_000) });
    const faceptor = { model, tasks: ['align_300w'] };
    model.resetRunCounts();
    // the faces are small in a 1024-wide frame: the 256 model finds both
    const v0 = await video.analyze(pair, { timestampMs: 0, faceptor, detector: 'back' });
    expect(v0.faces.map((f) => f.trackId).sort()).toEqual([1, 2]);
    expect(v0.faces.filter((f) => f.landmarks)).toEqual([]);
    const v1 = await video.analyze(pair, { timestampMs: 33, faceptor, detector: 'back' });
    const withLandmarks1 = v1.faces.filter((f) => f.landmarks);
    expect(withLandmarks1.map((f) => [f.trackId, f.denseAgeMs])).toEqual([[1, 0]]); // oldest id first
    const v2 = await video.analyze(pair, { timestampMs: 66, faceptor, detector: 'back' });
    const byId = new Map(v2.faces.map((f) => [f.trackId, f]));
    expect(byId.get(1)!.denseAgeMs).toBe(33);
    expect(byId.get(2)!.denseAgeMs).toBe(0);
    expect(model.runCounts.encoder512).toBe(2);
    expect(model.runCounts.encoder112).toBe(0);
    // each face's landmarks lie inside its own box
    for (const f of v2.faces) {
      for (const [x, y] of f.landmarks!['300w']!.points) {
        expect(x).toBeGreaterThan(f.box.x);
        expect(x).toBeLessThan(f.box.x + f.box.width);
        expect(y).toBeGreaterThan(f.box.y);
        expect(y).toBeLessThan(f.box.y + f.box.height);
      }
    }
  });

  it('a face that leaves disappears at once; reset() forgets tracks and dense results (new ids, fresh pass)', async () => {
    const video = new VideoAnalyzer(detector, 'cpu', { now: scriptedCost(10_000) });
    const faceptor = { model, tasks: ['align_300w'] };
    const blank: RgbaImage = { width: 256, height: 256, data: new Uint8ClampedArray(256 * 256 * 4).fill(128) };
    for (let i = 0; i < 3; i++)
      expect((await video.analyze(grace, { timestampMs: i * 33, faceptor })).faces[0].trackId).toBe(1);
    expect((await video.analyze(blank, { timestampMs: 99, faceptor })).faces).toEqual([]);
    // back within the tracker's coasting window: same track, its carried landmarks (of the pass at 33) still there
    const back = (await video.analyze(grace, { timestampMs: 132, faceptor })).faces[0];
    expect(back.trackId).toBe(1);
    expect(back.denseAgeMs).toBe(99);
    video.reset();
    const after = (await video.analyze(grace, { timestampMs: 165, faceptor })).faces[0];
    expect(after.trackId).toBe(2);
    expect(after.landmarks).toBeUndefined(); // a new track: its first pass comes with the next frame
    expect((await video.analyze(grace, { timestampMs: 198, faceptor })).faces[0].denseAgeMs).toBe(0);
  });

  it('where the 512 pass fits every frame, a face that appears later gets its landmarks on its first frame', async () => {
    const pair = sideBySide(astronaut, grace);
    const alone = sideBySide(astronaut, {
      width: grace.width,
      height: grace.height,
      data: new Uint8ClampedArray(grace.width * grace.height * 4).fill(128),
    });
    const video = new VideoAnalyzer(detector, 'cpu', { now: scriptedCost(1) });
    const faceptor = { model, tasks: ['align_300w'] };
    for (let i = 0; i < 3; i++) {
      const v = await video.analyze(alone, { timestampMs: i * 33, faceptor, detector: 'back' });
      expect(v.faces.map((f) => [f.trackId, !!f.landmarks])).toEqual([[1, i > 0]]);
    }
    const v = await video.analyze(pair, { timestampMs: 99, faceptor, detector: 'back' });
    const byId = new Map(v.faces.map((f) => [f.trackId, f]));
    expect([...byId.keys()].sort()).toEqual([1, 2]);
    expect(byId.get(2)!.denseAgeMs).toBe(0); // the new face, at once: the pass is known to be cheap
  });
});
