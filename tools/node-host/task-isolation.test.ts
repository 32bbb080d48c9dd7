/**
 * One broken head must not take the frame down (issue 12 item 1): a Full package whose identity head gives NaN for
 * every face still yields the box, keypoints and every other task — equal to the healthy package's results — and
 * names the failed task in plain words, in the library result, in video mode and in the CLI JSON.
 */
import type { ImageAnalysis } from '../../src/result.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { RgbaImage } from '../../src/core/types.ts';
import { TASK_NAMES } from '../../src/core/faceptor/tasks.ts';
import { createFaceDetector, type FaceDetector } from '../../src/pipeline/detector.ts';
import { analyzeImage } from '../../src/pipeline/analyze.ts';
import { VideoAnalyzer } from '../../src/pipeline/video.ts';
import { toImageEntry } from '../../src/pipeline/analysis-json.ts';
import { createNodeBackend } from './backend.ts';
import { loadImageFile } from './image-file.ts';
import { loadBlazeFaceModels, REPO_ROOT } from './models.ts';
import { loadFaceptorFolder } from './model-package.ts';
import { exportGoldenFixture, FACES_DIR, type ExportedFixture } from './testing/golden-package.ts';
import { exportBrokenIdentityFixture } from './testing/broken-head-package.ts';

const backend = createNodeBackend();
let healthy: ExportedFixture;
let broken: ExportedFixture;
let detector: FaceDetector;
let image: RgbaImage;

beforeAll(async () => {
  [healthy, broken] = await Promise.all([exportGoldenFixture('faceptor_full'), exportBrokenIdentityFixture()]);
  detector = await createFaceDetector(backend, await loadBlazeFaceModels());
  image = await loadImageFile(join(FACES_DIR, 'astronaut.png'));
}, 120_000);
afterAll(async () => {
  await detector?.release();
  await Promise.all([healthy?.cleanup(), broken?.cleanup()]);
});

async function analyse(dir: string): Promise<ImageAnalysis> {
  const model = await loadFaceptorFolder(dir, backend);
  try {
    return await analyzeImage(detector, backend.provider, image, { faceptor: { model, tasks: 'all' } });
  } finally {
    await model.release();
  }
}

describe('a task with non-finite outputs fails alone', () => {
  it('image: box and every other task still come, equal to the healthy package; the identity task is named', async () => {
    const [good, bad] = [await analyse(healthy.dir), await analyse(broken.dir)];
    expect(bad.faces).toHaveLength(1);
    const g = good.faces[0],
      b = bad.faces[0];
    expect(b.box).toEqual(g.box);
    expect(b.identity).toBeUndefined();
    expect(g.identity?.embedding).toHaveLength(512);
    expect(Object.keys(b.taskErrors ?? {})).toEqual(['recog_ms1mv3']);
    expect(b.taskErrors!.recog_ms1mv3).toMatch(
      /^Identity \(MS1MV3\) failed for this face: .*512 of 512 values .*"embedding".*not finite/,
    );
    expect(g.taskErrors).toBeUndefined();
    // the other heads read the same encoder features: their results are the healthy package's, exactly
    for (const field of ['age', 'expression', 'attributes', 'landmarks'] as const)
      expect(b[field], field).toEqual(g[field]);
    expect(Object.keys(b.parsing!)).toEqual(Object.keys(g.parsing!));
    expect(bad.tasks).toEqual(TASK_NAMES);
  }, 120_000);

  it('video: every frame keeps its track and the other tasks; the error is carried like the results', async () => {
    const model = await loadFaceptorFolder(broken.dir, backend);
    try {
      const video = new VideoAnalyzer(detector, backend.provider);
      for (const t of [0, 40, 80]) {
        const r = await video.analyze(image, {
          timestampMs: t,
          faceptor: { model, tasks: ['recog_ms1mv3', 'age_morph2', 'align_300w'] },
        });
        expect(r.faces).toHaveLength(1);
        const f = r.faces[0];
        expect(f.age?.morph2?.years).toBeGreaterThan(0);
        // the landmarks from the second frame on (a new face's 512 pass waits one frame)
        expect(f.landmarks?.['300w']?.points.length ?? 0).toBe(t === 0 ? 0 : 68);
        expect(f.identity).toBeUndefined();
        expect(Object.keys(f.taskErrors ?? {})).toEqual(['recog_ms1mv3']);
      }
    } finally {
      await model.release();
    }
  }, 120_000);

  it('JSON (CLI and app export): a per-task error entry beside the other tasks', async () => {
    const entry = toImageEntry('astronaut.png', await analyse(broken.dir));
    const face = entry.faces[0] as Record<string, unknown>;
    expect(face.taskErrors).toEqual({ recog_ms1mv3: expect.stringMatching(/^Identity \(MS1MV3\) failed/) });
    expect(face.identity).toBeUndefined();
    expect(face.age).toBeDefined();
  }, 120_000);

  it('the analyze CLI exits 0 and writes the task error into its JSON', () => {
    const r = spawnSync(
      join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
      ['tools/cli/analyze.ts', join(FACES_DIR, 'astronaut.png'), '--model', broken.dir, '--tasks', 'identity,age'],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const face = JSON.parse(r.stdout).images[0].faces[0];
    expect(face.taskErrors.recog_ms1mv3).toMatch(/Identity \(MS1MV3\) failed for this face/);
    expect(Object.values(face.age as Record<string, { years: number }>)[0].years).toBeGreaterThan(0);
  }, 120_000);
});
