/**
 * Runs every graph of an exported package on one input batch per group, the way the pipeline does (shared encoder
 * with its per-size feeds, one head-graph run per group with the queries of every task), and returns each task's
 * outputs and the encoder features. The runtime is injected (`run`), so `npm run golden` (onnxruntime-node) and the
 * browser check (onnxruntime-web in a page) execute exactly the same plan.
 */
import type { FaceptorManifest, TaskGraph } from '../../../src/core/faceptor/manifest.ts';
import {
  DECODER_IO,
  constFeedTensors,
  decoderBatchFeeds,
  planDecoderBatch,
  sliceAxis,
  taskPart,
  type ConstTensor,
} from '../../../src/core/faceptor/batch.ts';
import type { TaskName } from '../../../src/core/faceptor/tasks.ts';

export interface Tensor {
  data: Float32Array;
  dims: number[];
}
export type RunGraph = (
  file: string,
  feeds: Record<string, ConstTensor>,
  fetches: string[],
) => Promise<Record<string, Tensor>>;

/** [N, S², C] tokens → [N, C, S, S] (the golden backbone layout). */
export function tokensToMaps(t: Tensor): Tensor {
  const [N, T, C] = t.dims;
  const S = Math.round(Math.sqrt(T));
  const out = new Float32Array(t.data.length);
  for (let n = 0; n < N; n++)
    for (let k = 0; k < T; k++) for (let c = 0; c < C; c++) out[(n * C + c) * T + k] = t.data[(n * T + k) * C + c];
  return { data: out, dims: [N, C, S, S] };
}

/**
 * Results keyed `<task>/<output>` and `encoder<group>/feat_<k>` (maps, [N, C, S, S]). `runs` counts session runs
 * per graph file. `tasks` restricts the tasks run (default: all of the package), `outputs` the task outputs fetched
 * (by name; default all).
 */
export async function runPackage(
  manifest: FaceptorManifest,
  weights: Uint8Array,
  inputs: ReadonlyMap<number, Tensor>,
  run: RunGraph,
  opts: { tasks?: readonly TaskName[]; outputs?: readonly string[] } = {},
): Promise<{ results: Map<string, Tensor>; runs: Record<string, number> }> {
  const tasks = opts.tasks ?? manifest.tasks.map((t) => t.name);
  const wanted = (t: TaskGraph) => t.outputs.filter((o) => !opts.outputs || opts.outputs.includes(o.name));
  const results = new Map<string, Tensor>();
  const runs: Record<string, number> = {};
  const count = (file: string) => {
    runs[file] = (runs[file] ?? 0) + 1;
  };
  const enc = manifest.encoder;
  for (const eg of enc.groups) {
    const mine = manifest.tasks.filter((t) => t.group === eg.group && tasks.includes(t.name));
    if (!mine.length) continue;
    const x = inputs.get(eg.group);
    if (!x) throw new Error(`no ${eg.group} input`);
    const feats = await run(
      enc.file,
      { [enc.input.name]: { type: 'float32', ...x }, ...constFeedTensors(eg.feeds, weights) },
      enc.outputs.map((o) => o.name),
    );
    count(enc.file);
    for (const o of enc.outputs) results.set(`encoder${eg.group}/${o.name}`, tokensToMaps(feats[o.name]));
    for (const head of manifest.heads) {
      const hg = head.groups.find((g) => g.group === eg.group);
      const ts = mine.filter((t) => t.graph === head.name);
      if (!hg || !ts.length) continue;
      const feeds: Record<string, ConstTensor> = { ...constFeedTensors(hg.feeds, weights) };
      for (const n of head.inputs) feeds[n] = { type: 'float32', ...feats[n] };
      const batch =
        head.kind === 'decoder'
          ? planDecoderBatch(
              ts
                .filter((t) => t.queryOffset !== null)
                .map((t) => ({
                  name: t.name,
                  queryOffset: t.queryOffset!,
                  queries: t.queries,
                  maps: wanted(t).some((o) => o.from === DECODER_IO.maps),
                })),
            )
          : undefined;
      if (batch) Object.assign(feeds, decoderBatchFeeds(batch));
      const fetches = [...new Set(ts.flatMap((t) => wanted(t).map((o) => o.from)))];
      const out = await run(head.file, feeds, fetches);
      count(head.file);
      for (const t of ts) {
        for (const o of wanted(t)) {
          const part = taskPart(head.kind, o.from, batch?.rows.get(t.name));
          const v = out[o.from];
          results.set(`${t.name}/${o.name}`, part ? sliceAxis(v.data, v.dims, part.axis, part.start, part.count) : v);
        }
      }
    }
  }
  return { results, runs };
}
