/**
 * Child process of the real-size benchmark (tools/export/bench.ts): one cold CLI-like run in a fresh process —
 * load and verify the package, detect, run the requested tasks on one photo — and one JSON line with peak RSS, the
 * wall time from before the package load to the result, the time inside bare `session.run` calls and the number of
 * session runs. Uses only the public library API (createFaceptor, folderPackageSource, createNodeBackend's onRun),
 * so the same file measures an older checkout too (`--before`).
 *
 *   npx tsx tools/export/bench-infer.ts <package dir | -> <image> <tasks: none|default|all|a,b,c> [--threads N]
 */
import { createFaceptor } from '../../src/lib/index.ts';
import { createNodeBackend, folderPackageSource, loadBlazeFaceModels, loadImageFile } from '../node-host/index.ts';

async function main(): Promise<void> {
  const [pkg, imageFile, tasksArg] = process.argv.slice(2);
  const ti = process.argv.indexOf('--threads');
  const threads = ti >= 0 ? Number(process.argv[ti + 1]) : undefined;
  const image = await loadImageFile(imageFile);
  const detectorModels = await loadBlazeFaceModels();
  let bareMs = 0,
    runs = 0;
  const backend = createNodeBackend({
    threads,
    onRun: (ms) => {
      bareMs += ms;
      runs++;
    },
  });
  const t0 = performance.now();
  const tasks =
    tasksArg === 'none' ? false : tasksArg === 'default' || tasksArg === 'all' ? tasksArg : tasksArg.split(',');
  const faceptor = await createFaceptor({
    backend,
    detectorModels,
    ...(tasks === false ? {} : { model: folderPackageSource(pkg) }),
  });
  const loadMs = performance.now() - t0;
  const a = await faceptor.analyze(image, { tasks } as Parameters<typeof faceptor.analyze>[1]);
  const totalMs = performance.now() - t0;
  const f = a.timings.faceptor as { runs?: Record<string, number> } | undefined;
  console.log(
    JSON.stringify({
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      loadMs,
      totalMs,
      bareMs,
      runs,
      faces: a.faces.length,
      taskCount: (a as { tasks?: readonly string[] }).tasks?.length ?? 0,
      graphRuns: f?.runs ?? null,
    }),
  );
  await faceptor.dispose();
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exit(1);
});
