/**
 * One decoder run for several tasks (docs/model.md §5.5): the queries of every task in the run are concatenated
 * and self-attention is blocked across tasks with an additive mask, which makes each task's rows exactly what a
 * run with its own queries alone would give (cross-attention, FFN and every norm act per query; only self-attention
 * mixes queries, and the mask confines it to the task's own block). This module plans the feeds of such a run and
 * says where each task's rows land in the outputs. Pure: no runtime imports.
 */

import { DECODER_IO, TASK_OUTPUT } from './graph-io.ts';
import { halfBytesToFloat32 } from './half.ts';
import { FEED_BYTES, type ConstFeedType } from './manifest.ts';

export { DECODER_IO };

/**
 * Additive mask value for another task's query. Finite on purpose: exp(−1e9 − max) is exactly 0 in float32, and
 * some GPU shader compilers assume no infinities. Scores are O(10), so nothing else comes near it.
 */
export const MASKED = -1e9;

export interface BatchTask<T extends string = string> {
  readonly name: T;
  /** First row of the task's queries in the query table. */
  readonly queryOffset: number;
  readonly queries: number;
  /** The task reads the `maps` output (parsing logits; landmark heatmaps when asked). */
  readonly maps: boolean;
}

export interface DecoderBatch<T extends string = string> {
  readonly queries: BigInt64Array;
  /** Row-major [Qt, Qt]. */
  readonly selfMask: Float32Array;
  readonly mapSelect: BigInt64Array;
  /** Per task: its rows in query-indexed outputs, and in `maps` (null when it did not ask for maps). */
  readonly rows: ReadonlyMap<T, { readonly start: number; readonly count: number; readonly mapStart: number | null }>;
}

/**
 * Plans one decoder run over `tasks` (in order). With no task at all (a run for recognition alone, which shares
 * the graph) it still feeds one query, as a graph input cannot be empty on every runtime; its rows are ignored.
 */
export function planDecoderBatch<T extends string>(tasks: readonly BatchTask<T>[]): DecoderBatch<T> {
  const total = tasks.reduce((s, t) => s + t.queries, 0);
  const Qt = Math.max(1, total);
  const queries = new BigInt64Array(Qt);
  const selfMask = new Float32Array(Qt * Qt).fill(MASKED);
  const select: number[] = [];
  const rows = new Map<T, { start: number; count: number; mapStart: number | null }>();
  let start = 0;
  for (const t of tasks) {
    for (let q = 0; q < t.queries; q++) {
      queries[start + q] = BigInt(t.queryOffset + q);
      selfMask.fill(0, (start + q) * Qt + start, (start + q) * Qt + start + t.queries);
    }
    let mapStart: number | null = null;
    if (t.maps) {
      mapStart = select.length;
      for (let q = 0; q < t.queries; q++) select.push(start + q);
    }
    rows.set(t.name, { start, count: t.queries, mapStart });
    start += t.queries;
  }
  if (total === 0) selfMask[0] = 0;
  // `maps` also needs at least one row; row 0 is a cheap stand-in nobody reads.
  const mapSelect = BigInt64Array.from(select.length ? select : [0], (v) => BigInt(v));
  return { queries, selfMask, mapSelect, rows };
}

/** The three per-run decoder inputs of a plan (query indices, cross-task self-attention mask, map selection). */
export function decoderBatchFeeds(plan: DecoderBatch): Record<string, ConstTensor> {
  const Qt = plan.queries.length;
  return {
    [DECODER_IO.queries]: { type: 'int64', dims: [Qt], data: plan.queries },
    [DECODER_IO.selfMask]: { type: 'float32', dims: [Qt, Qt], data: plan.selfMask },
    [DECODER_IO.mapSelect]: { type: 'int64', dims: [plan.mapSelect.length], data: plan.mapSelect },
  };
}

/** Rows [start, start+count) of axis `axis` of a row-major tensor. */
export function sliceAxis(
  data: Float32Array,
  dims: readonly number[],
  axis: number,
  start: number,
  count: number,
): { data: Float32Array; dims: number[] } {
  if (start < 0 || count < 0 || start + count > dims[axis])
    throw new Error(`rows ${start}..${start + count} outside axis ${axis} of [${dims}]`);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(outer * count * inner);
  for (let o = 0; o < outer; o++) {
    const src = (o * dims[axis] + start) * inner;
    out.set(data.subarray(src, src + count * inner), o * count * inner);
  }
  return { data: out, dims: dims.map((d, i) => (i === axis ? count : d)) };
}

/** Where a task's part of a head-graph output lies: `axis`, rows start..start+count; null = the whole tensor. */
export function taskPart(
  kind: 'decoder' | 'heads',
  from: string,
  rows: { readonly start: number; readonly count: number; readonly mapStart: number | null } | undefined,
): { axis: number; start: number; count: number } | null {
  if (kind !== 'decoder' || !rows || from === 'embedding') return null;
  if (from === DECODER_IO.maps) {
    if (rows.mapStart === null) throw new Error('internal: maps read for a task that did not select them');
    return { axis: 1, start: rows.mapStart, count: rows.count };
  }
  return { axis: from === TASK_OUTPUT.crossAttention ? 2 : 1, start: rows.start, count: rows.count };
}

/**
 * A constant feed as a tensor, as the graph takes it: float32 values read from the weights file (copied: the offset
 * may be unaligned in its buffer), half-stored values (`float16`) converted to float32 here — the one place every
 * host (Node, the browser worker, the export checks) converts them —, or inline int64.
 */
export interface ConstTensor {
  readonly type: 'float32' | 'int64';
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

export function constFeedTensors(
  feeds: readonly {
    name: string;
    type: ConstFeedType;
    dims: readonly number[];
    offset?: number;
    length?: number;
    values?: readonly number[];
  }[],
  weights: Uint8Array | ((offset: number, length: number) => Uint8Array),
): Record<string, ConstTensor> {
  const out: Record<string, ConstTensor> = {};
  for (const f of feeds) {
    if (f.type === 'int64') {
      out[f.name] = { type: 'int64', dims: f.dims, data: BigInt64Array.from(f.values ?? [], (v) => BigInt(v)) };
      continue;
    }
    const { offset = 0, length = 0 } = f;
    const numel = f.dims.reduce((a, b) => a * b, 1);
    // The manifest parser checks this too; a feed built elsewhere (tests, tools) must not be read with a wrong size.
    if (length !== numel * FEED_BYTES[f.type])
      throw new Error(`feed ${f.name}: ${length} bytes do not hold ${numel} ${f.type} values`);
    let bytes: Uint8Array;
    if (typeof weights === 'function') bytes = weights(offset, length);
    else {
      if (offset + length > weights.byteLength)
        throw new Error(`feed ${f.name} lies beyond the end of the weights file`);
      bytes = weights.subarray(offset, offset + length);
    }
    if (bytes.byteLength !== length) throw new Error(`feed ${f.name}: read ${bytes.byteLength} of ${length} bytes`);
    // float32: copied into a buffer of its own (`new Uint8Array(view)` copies; a Node Buffer's `slice` would not).
    const data = f.type === 'float16' ? halfBytesToFloat32(bytes) : new Float32Array(new Uint8Array(bytes).buffer);
    out[f.name] = { type: 'float32', dims: f.dims, data };
  }
  return out;
}
