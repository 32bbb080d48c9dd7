/**
 * The facade on onnxruntime-node with the real BlazeFace detector and the golden Full fixture (random weights: what
 * is checked is the contract — modes, defaults, tracking, model swapping — never what the random model "says").
 * Frames are a photo moved by whole pixels, so the true motion of the face is known.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import type { RgbaImage } from './core/types.ts';
import type { ImageAnalysis } from './result.ts';
import { createFaceptor, type Faceptor } from './faceptor.ts';
import {
  createNodeBackend,
  folderPackageSource,
  loadBlazeFaceModels,
  loadFaceptorFolder,
  loadImageFile,
} from '../tools/node-host/index.ts';
import { exportGoldenFixture, FACES_DIR, type ExportedFixture } from '../tools/node-host/testing/golden-package.ts';
import { shiftImage } from '../tools/node-host/testing/shift-image.ts';

const backend = createNodeBackend();
let fixture: ExportedFixture;
let grace: RgbaImage;
let faceptor: Faceptor;

beforeAll(async () => {
  fixture = await exportGoldenFixture('faceptor_full');
  grace = await loadImageFile(join(FACES_DIR, 'grace_hopper.jpg'));
  faceptor = await createFaceptor({
    backend,
    detectorModels: await loadBlazeFaceModels(),
    model: folderPackageSource(fixture.dir),
  });
}, 120_000);
afterAll(async () => {
  await faceptor?.dispose();
  await fixture?.cleanup();
});

describe('Faceptor facade', () => {
  it('image mode: detector "auto", default heads when no tasks are named, nothing of a track', async () => {
    const a = await faceptor.analyze(grace);
    expect(a.detector).toBe('auto');
    // one head per type, the documented preferences (README "Tasks"): 300W, CelebAMask-HQ, UTKFace, RAF-DB
    expect([...a.tasks!].sort()).toEqual(
      ['affect_rafdb', 'age_utkface', 'align_300w', 'biattr_celeba', 'parsing_celebam', 'recog_ms1mv3'].sort(),
    );
    expect(a.faces).toHaveLength(1);
    expect(a.faces[0].trackId).toBeUndefined();
    expect(a.faces[0].denseAgeMs).toBeUndefined();
    for (const detectionOnly of [{ tasks: false as const }, { tasks: [] }]) {
      const plain = await faceptor.analyze(grace, detectionOnly);
      expect(plain.model).toBeUndefined();
      expect(Object.keys(plain.faces[0]).sort()).toEqual(['box', 'keypoints', 'score']);
    }
  });

  it('video mode: detector "front", one track id across frames, boxes follow the true motion', async () => {
    faceptor.resetVideo();
    const steps = [0, 6, 12, 18];
    const frames: ImageAnalysis[] = [];
    for (const [i, dx] of steps.entries()) {
      frames.push(await faceptor.analyzeVideoFrame(shiftImage(grace, dx, 0), i * 100, { tasks: ['landmarks', 'age'] }));
    }
    expect(frames.map((f) => f.detector)).toEqual(['front', 'front', 'front', 'front']);
    const ids = frames.map((f) => f.faces.map((face) => face.trackId));
    expect(ids.every((list) => list.length === 1 && list[0] === ids[0][0])).toBe(true);
    expect(typeof ids[0][0]).toBe('number');
    // The frame that finds the face carries the 112 task alone (not held back by the 512 pass); the 512 task runs on
    // the next frame (fresh: age 0) and is carried or refreshed after; the 112 task every frame.
    expect(frames[0].faces[0].landmarks).toBeUndefined();
    expect(frames[1].faces[0].denseAgeMs).toBe(0);
    for (const [i, f] of frames.entries()) {
      if (i > 0) expect(f.faces[0].landmarks?.['300w']?.points).toHaveLength(68);
      expect(f.faces[0].age?.utkface?.distribution).toHaveLength(101);
    }
    // smoothed boxes lag the true motion but move the right way, by no more than it
    const centre = (f: ImageAnalysis) => f.faces[0].box.x + f.faces[0].box.width / 2;
    const moved = centre(frames[3]) - centre(frames[0]);
    expect(moved).toBeGreaterThan(6);
    expect(moved).toBeLessThanOrEqual(18 + 1);
    // a reset starts a new track
    faceptor.resetVideo();
    const after = await faceptor.analyzeVideoFrame(grace, 1000, { tasks: false });
    expect(after.faces[0].trackId).not.toBe(ids[0][0]);
  });

  it('a 256 detector the host lacks falls back to the 128 one, and the result says so', async () => {
    const frontOnly = await createFaceptor({ backend, detectorModels: { front: (await loadBlazeFaceModels()).front } });
    try {
      const a = await frontOnly.analyze(grace, { detector: 'back' });
      expect(a.detector).toBe('front');
      expect(a.faces).toHaveLength(1);
      expect(a.model).toBeUndefined();
    } finally {
      await frontOnly.dispose();
    }
  });

  it('setModel swaps the model between calls; the replaced one is released only after the call using it ends', async () => {
    const first = await loadFaceptorFolder(fixture.dir, backend);
    const second = await loadFaceptorFolder(fixture.dir, backend);
    const host = await createFaceptor({ backend, detectorModels: await loadBlazeFaceModels(), model: first });
    try {
      const released = vi.spyOn(first, 'release');
      host.setModel(second, { owned: false });
      // the caller owns `first` (given as a FaceptorModel): never released by the facade
      expect(released).not.toHaveBeenCalled();

      const third = await loadFaceptorFolder(fixture.dir, backend);
      host.setModel(third); // owned: released once replaced and idle
      const releaseThird = vi.spyOn(third, 'release');
      const inFlight = host.analyze(grace, { tasks: ['age'] });
      host.setModel(undefined);
      expect(releaseThird).not.toHaveBeenCalled(); // the analysis still uses it
      const a = await inFlight;
      expect(a.model?.variant).toBe('full');
      await vi.waitFor(() => expect(releaseThird).toHaveBeenCalledTimes(1));
      expect(host.model).toBeUndefined();
      expect((await host.analyze(grace)).model).toBeUndefined(); // detection only now
      await first.release();
      await second.release();
    } finally {
      await host.dispose();
    }
  });

  it('a disposed facade refuses work with a clear error', async () => {
    const host = await createFaceptor({ backend, detectorModels: await loadBlazeFaceModels() });
    await host.dispose();
    await expect(host.analyze(grace)).rejects.toThrow(/disposed/);
  });
});
