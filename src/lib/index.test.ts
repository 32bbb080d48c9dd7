/** The public library API over the Node backend: same pipeline, same result shape as the CLI and worker. */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createFaceptor, KEYPOINT_NAMES, ModelLoadError } from './index.ts';
import { createNodeBackend, loadBlazeFaceModels, loadImageFile } from '../../tools/node-host/index.ts';

const FACES = join(import.meta.dirname, '../../../shared/faces');

describe('createFaceptor', () => {
  it('analyzes an image: one face in source pixels, model and timings reported', async () => {
    const faceptor = await createFaceptor({
      backend: createNodeBackend(),
      detectorModels: await loadBlazeFaceModels(),
      defaults: { minScore: 0.6 },
    });
    try {
      const image = await loadImageFile(join(FACES, 'astronaut.png'));
      const a = await faceptor.analyze(image);
      expect(a).toMatchObject({ width: 512, height: 512, scale: 1, detector: 'auto', provider: 'cpu' }); // photo default: both models merged
      expect(a.faces).toHaveLength(1);
      expect(a.faces[0].keypoints).toHaveLength(KEYPOINT_NAMES.length);
      // The face is in the upper middle of the photo (hand-checked: eyes near y ≈ 101, between x ≈ 203 and 245).
      const { box } = a.faces[0];
      expect(box.x).toBeGreaterThan(150);
      expect(box.x + box.width).toBeLessThan(300);
      expect(box.y).toBeGreaterThan(50);
      expect(box.y + box.height).toBeLessThan(200);
      for (const k of ['preprocessMs', 'runMs', 'postprocessMs', 'totalMs'] as const)
        expect(a.timings[k]).toBeGreaterThan(0);
      // Per-call options override the defaults.
      expect((await faceptor.analyze(image, { minScore: 0.99 })).faces).toEqual([]);
    } finally {
      await faceptor.dispose();
    }
  });

  it('reports an unusable detector model as ModelLoadError', async () => {
    await expect(
      createFaceptor({ backend: createNodeBackend(), detectorModels: { front: Uint8Array.of(1, 2, 3) } }),
    ).rejects.toBeInstanceOf(ModelLoadError);
  });
});
