/**
 * Detector and analysis plumbing against a scripted backend (no onnxruntime): model choice, 'auto' fallback,
 * letterbox mapping back to pixels, serialised runs, load errors. Expected pixels are computed by hand below.
 */
import { describe, expect, it } from 'vitest';
import type { InferenceBackend, InferenceSession, TensorData } from './backend.ts';
import { createFaceDetector, ModelLoadError } from './detector.ts';
import { analyzeImage } from './analyze.ts';
import type { RgbaImage } from '../core/types.ts';

const OUTPUTS = ['Identity:0', 'Identity_1:0', 'Identity_2:0', 'Identity_3:0'];

/**
 * bytes[0] = 1 → a "front" graph that never sees a face; 2 → a "back" graph that reports one face on anchor
 * 512 + 6·(3·8 + 5) (centre (5.5/8, 3.5/8)) with w = h = 64 input pixels and all keypoints on the anchor centre.
 */
function scriptedBackend(log: string[] = []): InferenceBackend {
  return {
    provider: 'cpu',
    async createSession(model) {
      if (model[0] !== 1 && model[0] !== 2) throw new Error('protobuf parsing failed');
      const kind = model[0] === 1 ? 'front' : 'back';
      const size = kind === 'front' ? 128 : 256;
      let busy = false;
      const session: InferenceSession = {
        inputNames: ['input:0'],
        outputNames: OUTPUTS,
        async run(feeds) {
          if (busy) throw new Error('Session already started');
          busy = true;
          log.push(kind);
          await new Promise((r) => setTimeout(r, 5));
          busy = false;
          expect(feeds['input:0'].dims).toEqual([1, size, size, 3]);
          const s0 = new Float32Array(512).fill(-20),
            s1 = new Float32Array(384).fill(-20);
          const b0 = new Float32Array(512 * 16),
            b1 = new Float32Array(384 * 16);
          if (kind === 'back') {
            const i = 6 * (3 * 8 + 5);
            s1[i] = 3;
            b1.set([0, 0, 64, 64], i * 16);
          }
          const t = (data: Float32Array, n: number, c: number): TensorData => ({
            type: 'float32',
            dims: [1, n, c],
            data,
          });
          return {
            'Identity:0': t(s0, 512, 1),
            'Identity_1:0': t(s1, 384, 1),
            'Identity_2:0': t(b0, 512, 16),
            'Identity_3:0': t(b1, 384, 16),
          };
        },
        async release() {},
      };
      return session;
    },
  };
}

const blank = (width: number, height: number): RgbaImage => ({
  width,
  height,
  data: new Uint8Array(width * height * 4),
});
const FRONT = Uint8Array.of(1),
  BACK = Uint8Array.of(2);

describe('createFaceDetector', () => {
  it('maps a detection through the letterbox to source pixels (hand-computed)', async () => {
    const detector = await createFaceDetector(scriptedBackend(), { front: FRONT, back: BACK });
    // 512×256 into 256: scale 0.5, padY 64. Centre (0.6875, 0.4375)·256 = (176, 112) tensor px
    // → ((176 − 0)/0.5 − 0.5, (112 − 64)/0.5 − 0.5) = (351.5, 95.5); size 0.25·256/0.5 = 128 px.
    const { faces, detector: model } = await detector.detect(blank(512, 256), { detector: 'back' });
    expect(model).toBe('back');
    expect(faces).toHaveLength(1);
    expect(faces[0].box).toEqual({ x: 287.5, y: 31.5, width: 128, height: 128 });
    expect(faces[0].keypoints).toEqual(Array(6).fill([351.5, 95.5]));
    expect(faces[0].score).toBeCloseTo(1 / (1 + Math.exp(-3)), 6);
  });

  it("'auto' runs both models on the whole image, merges their faces, and sums the timings", async () => {
    const log: string[] = [];
    const detector = await createFaceDetector(scriptedBackend(log), { front: FRONT, back: BACK });
    const r = await detector.detect(blank(512, 256));
    expect(log).toEqual(['front', 'back']); // 512 px long side: no tiles
    expect(r).toMatchObject({ detector: 'auto', passes: 2 });
    expect(r.faces).toHaveLength(1);
    expect(r.faces[0].box).toEqual({ x: 287.5, y: 31.5, width: 128, height: 128 }); // as the back model alone (hand-computed above)
    expect(r.timings.runMs).toBeGreaterThanOrEqual(8); // two scripted runs of ≥ 5 ms
  });

  it("'auto' adds 256 passes on overlapping tiles of a large image; a tile-only face too big for a tile is dropped (hand-computed)", async () => {
    const log: string[] = [];
    const detector = await createFaceDetector(scriptedBackend(log), { front: FRONT, back: BACK });
    // 1200×600: tiles of 512 px, overlap ⌈512/3⌉ = 171 → ⌈(1200−171)/341⌉ = 4 columns and ⌈(600−171)/341⌉ = 2 rows.
    // Each tile is seen at scale 0.5, so the scripted face is 128 px there; the whole-image pass (scale 256/1200,
    // padY 64) puts it at (674.5, 74.5), 300 px. Tile faces overlapping that one merge into it; the others are
    // larger than 1200/16 = 75 px, which the whole-image passes would have found: dropped without a check run.
    const r = await detector.detect(blank(1200, 600));
    expect(log).toEqual(['front', 'back', ...Array(8).fill('back')]);
    expect(r.passes).toBe(2 + 8);
    expect(r.faces).toHaveLength(1);
    const { x, y, width } = r.faces[0].box;
    // the tile boxes lying inside it (x0 = 459: 746.5/159.5 and 746.5/247.5, 128 px; IoU 0.18 < 0.3, so NMS does
    // not average them in) are dropped as duplicates: the whole-image box stays as it was
    expect([x, y, width]).toEqual([674.5, 74.5, 300]);
  });

  it("'auto' drops a tile face cut by an inner tile edge (the neighbouring tile sees it whole)", async () => {
    const { touchesInnerEdge } = await import('../core/detect/photo.ts');
    const face = (x: number, y: number, s = 50) => ({ box: { x, y, width: s, height: s }, score: 0.9, keypoints: [] });
    const tile = { x: 229, y: 88, size: 512 };
    expect(touchesInnerEdge(face(229.5, 200), tile, 1200, 600)).toBe(true); // at the tile's left edge, inside the image
    expect(touchesInnerEdge(face(300, 200), tile, 1200, 600)).toBe(false);
    expect(touchesInnerEdge(face(300, 549), tile, 1200, 600)).toBe(false); // bottom edge = the image border: kept
    expect(touchesInnerEdge(face(690, 200), tile, 1200, 600)).toBe(true); // right edge (741) inside the image
  });

  it("'auto' without a back model stays on front; asking for 'back' is an error", async () => {
    const detector = await createFaceDetector(scriptedBackend(), { front: FRONT });
    expect(detector.models).toEqual(['front']);
    const r = await detector.detect(blank(64, 64));
    expect(r).toMatchObject({ detector: 'front', faces: [] });
    await expect(detector.detect(blank(64, 64), { detector: 'back' })).rejects.toThrow(
      /'back' detector model was not loaded/,
    );
  });

  it('serialises concurrent detect() calls (overlapping runs would fail)', async () => {
    const log: string[] = [];
    const detector = await createFaceDetector(scriptedBackend(log), { front: FRONT, back: BACK });
    const results = await Promise.all([1, 2, 3].map(() => detector.detect(blank(32, 32), { detector: 'back' })));
    expect(results.map((r) => r.faces.length)).toEqual([1, 1, 1]);
    expect(log).toHaveLength(3);
  });

  it('a graph the runtime rejects is a ModelLoadError naming the file and the fix', async () => {
    const err = await createFaceDetector(scriptedBackend(), { front: FRONT, back: Uint8Array.of(9) }).catch((e) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect(err.file).toBe('public/models/blazeface/face_detection_back_256.onnx');
    expect(err.message).toMatch(/protobuf parsing failed.*npm run setup:models/);
    await expect(createFaceDetector(scriptedBackend(), { front: new Uint8Array(0) })).rejects.toThrow(
      /front_128\.onnx: the file is empty/,
    );
  });
});

describe('analyzeImage', () => {
  it('maps faces from a downscaled copy back to the source image', async () => {
    const detector = await createFaceDetector(scriptedBackend(), { front: FRONT, back: BACK });
    // The host analysed a half-size copy (512×256) of a 1024×512 image: pixel-centre mapping x' = (x + 0.5)·2 − 0.5.
    const a = await analyzeImage(detector, 'cpu', blank(512, 256), {
      detector: 'back',
      sourceSize: { width: 1024, height: 512 },
      decodeMs: 3,
    });
    expect(a).toMatchObject({ width: 1024, height: 512, scale: 0.5, detector: 'back', provider: 'cpu' });
    expect(a.faces[0].box).toEqual({ x: 575.5, y: 63.5, width: 256, height: 256 });
    expect(a.faces[0].keypoints[0]).toEqual([703.5, 191.5]);
    expect(a.timings.decodeMs).toBe(3);
    expect(a.timings.totalMs).toBeGreaterThanOrEqual(3 + a.timings.runMs);
  });
});
