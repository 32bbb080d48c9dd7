/**
 * JSON form of the Faceptor results (the CLI output and the browser's JSON export share it). Numbers are rounded
 * to what the outputs can resolve (pixels to 0.01, probabilities to 1e-5); parsing masks are run-length encoded,
 * which shrinks a face's mask from width·height bytes to a few hundred runs.
 */
import type { FaceTaskResults, ParsingResult } from '../../result.ts';

const round = (v: number, digits: number): number => Number(v.toFixed(digits));
const roundRecord = (r: Record<string, number>, digits: number) =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v, digits)]));

/** Run-length encoding of a label array: [value, count, value, count, …] in row-major order. */
export function encodeRle(data: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < data.length;) {
    const v = data[i];
    let j = i + 1;
    while (j < data.length && data[j] === v) j++;
    out.push(v, j - i);
    i = j;
  }
  return out;
}

/** Inverse of encodeRle; `length` checks that the runs cover exactly the mask. */
export function decodeRle(runs: readonly number[], length: number): Uint8Array {
  if (runs.length % 2 !== 0) throw new Error('RLE: odd number of entries (expected value, count pairs)');
  const out = new Uint8Array(length);
  let o = 0;
  for (let i = 0; i < runs.length; i += 2) {
    const v = runs[i],
      n = runs[i + 1];
    if (!(Number.isInteger(v) && v >= 0 && v < 256 && Number.isInteger(n) && n > 0))
      throw new Error(`RLE: bad run at ${i}`);
    if (o + n > length) throw new Error(`RLE: runs cover more than ${length} pixels`);
    out.fill(v, o, o + n);
    o += n;
  }
  if (o !== length) throw new Error(`RLE: runs cover ${o} pixels, the mask has ${length}`);
  return out;
}

export interface ParsingJson {
  readonly labels: readonly string[];
  readonly region: { x: number; y: number; width: number; height: number };
  readonly width: number;
  readonly height: number;
  readonly encoding: 'rle';
  /** [value, count, …] over the region, row-major; value indexes `labels`. */
  readonly rle: number[];
}

export function parsingToJson(p: ParsingResult): ParsingJson {
  return {
    labels: p.labels,
    region: { ...p.region },
    width: p.width,
    height: p.height,
    encoding: 'rle',
    rle: encodeRle(p.data),
  };
}

/** Plain-JSON copy of a face's task results (same keys as FaceTaskResults; masks as RLE). */
export function faceTaskResultsToJson(f: FaceTaskResults): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const each = <T, U>(r: Record<string, T>, g: (v: T) => U) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, g(v)]));
  if (f.landmarks)
    out.landmarks = each(f.landmarks, (s) => ({ points: s.points.map(([x, y]) => [round(x, 2), round(y, 2)]) }));
  if (f.parsing) out.parsing = each(f.parsing, parsingToJson);
  if (f.age)
    out.age = each(f.age, (a) => ({ years: round(a.years, 2), distribution: a.distribution.map((p) => round(p, 6)) }));
  if (f.expression) out.expression = each(f.expression, (e) => ({ top: e.top, probs: roundRecord(e.probs, 5) }));
  if (f.attributes) out.attributes = roundRecord(f.attributes, 5);
  if (f.identity) out.identity = { embedding: f.identity.embedding.map((v) => round(v, 6)) };
  if (f.taskErrors) out.taskErrors = { ...f.taskErrors };
  if (f.layerAttention)
    out.layerAttention = each(f.layerAttention as Record<string, { block: number; fraction: number }[]>, (l) =>
      l.map((s) => ({ block: s.block, fraction: round(s.fraction, 5) })),
    );
  return out;
}
