/**
 * Photo-detection recall on group photos composed from the shared faces (every face counted by hand, see
 * tools/node-host/testing/group-photo.ts): for each detector mode, faces found (the measured nose tip inside
 * exactly one box), false boxes (no nose inside), model runs and run time. README "Faces found in photos" quotes it.
 *   npx tsx tools/cli/group-recall.ts
 */
import { join } from 'node:path';
import type { Detection, RgbaImage } from '../../src/core/types.ts';
import { createFaceDetector } from '../../src/pipeline/detector.ts';
import { createNodeBackend } from '../node-host/backend.ts';
import { loadImageFile } from '../node-host/image-file.ts';
import { loadBlazeFaceModels } from '../node-host/models.ts';
import { FACES_DIR } from '../node-host/testing/golden-package.ts';
import { composeGroupPhoto, GROUP_LAYOUTS, GROUP_SIZES } from '../node-host/testing/group-photo.ts';

const photos = new Map<string, RgbaImage>();
for (const f of ['astronaut.png', 'grace_hopper.jpg', 'camera.png'])
  photos.set(f, await loadImageFile(join(FACES_DIR, f)));
const detector = await createFaceDetector(createNodeBackend(), await loadBlazeFaceModels());
const inside = (n: readonly number[], d: Detection) =>
  n[0] >= d.box.x && n[0] <= d.box.x + d.box.width && n[1] >= d.box.y && n[1] <= d.box.y + d.box.height;

console.log('| photo | faces | mode | found | false boxes | runs | run ms |\n|---|---|---|---|---|---|---|');
for (const name of Object.keys(GROUP_LAYOUTS) as (keyof typeof GROUP_LAYOUTS)[]) {
  const [w, h] = GROUP_SIZES[name];
  const g = composeGroupPhoto(w, h, GROUP_LAYOUTS[name], photos);
  const front = await detector.detect(g.image, { detector: 'front' });
  const back = await detector.detect(g.image, { detector: 'back' });
  const auto = await detector.detect(g.image, { detector: 'auto' });
  // the former 'auto': the 128 model, and the 256 model only when the 128 one found nothing
  const before =
    front.faces.length > 0
      ? front
      : { ...back, passes: 2, timings: { ...back.timings, runMs: back.timings.runMs + front.timings.runMs } };
  for (const [mode, r] of [
    ['128 only', front],
    ['256 only', back],
    ['former auto (256 if 128 finds none)', before],
    ['auto (both + tiles, merged)', auto],
  ] as const) {
    const found = g.noses.filter((n) => r.faces.filter((f) => inside(n, f)).length === 1).length;
    const extra = r.faces.filter((f) => !g.noses.some((n) => inside(n, f))).length;
    console.log(
      `| ${name} ${w}×${h} | ${g.noses.length} | ${mode} | ${found} | ${extra} | ${r.passes} | ${r.timings.runMs.toFixed(0)} |`,
    );
  }
}
await detector.release();
