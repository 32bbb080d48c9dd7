/** Pieces shared by the Faceptor interpreters and the naive heads. */
import type { Graph } from '../onnx/graph.ts';
import { layerNorm } from './layers.ts';
import type { Params } from './params.ts';

/** Linear without bias followed by eval BatchNorm1d, folded into one Linear (W·s per output row, bias t). */
export async function linearBn(
  g: Graph,
  P: Params,
  wKey: string,
  bnPrefix: string,
  eps: number,
  x: string,
): Promise<string> {
  const [O, I] = P.shape(wKey);
  let affine: { s: Float64Array; t: Float64Array } | undefined;
  const getAffine = async () => (affine ??= await P.bnAffine(bnPrefix, eps));
  const w = await P.derived(g, `${wKey}|bn^T`, async () => {
    const { s } = await getAffine();
    const raw = await P.read(wKey);
    const out = new Float32Array(O * I);
    for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) out[i * O + o] = raw[o * I + i] * s[o];
    return { data: out, dims: [I, O] };
  });
  const b = await P.derived(g, `${bnPrefix}|bias`, async () => ({
    data: Float32Array.from((await getAffine()).t),
    dims: [O],
  }));
  return g.linear(x, w, b);
}

/**
 * Recognition embedding (Faceptor feature_v2 and the naive RecognitionHead share the maths,
 * docs/model.md §6.1 and §7.1): LayerNorm over C on F_11 tokens [N, S², C] → mean over tokens → Linear+BN →
 * Linear+BN. Output [N, E], not normalised.
 */
export async function recognitionHead(g: Graph, P: Params, prefix: string, tokens: string): Promise<string> {
  const normed = await layerNorm(g, P, `${prefix}.norm`, tokens, 1e-5);
  const pooled = g.reduceMean(normed, [1], 0);
  const h = await linearBn(g, P, `${prefix}.head.0.weight`, `${prefix}.head.1`, 2e-5, pooled);
  return linearBn(g, P, `${prefix}.head.2.weight`, `${prefix}.head.3`, 2e-5, h);
}

/**
 * AlignOutput soft-argmax (docs/model.md §6.5) inside the graph: sigmoid → expectation of (column, row) over the whole
 * map → ((x, y) + 0.5)/size. It is cheap and saves reading Q heatmaps back just to find the points.
 * Float32 care (measured on golden): sums run in two stages of `size` terms (rows, then columns, as two small
 * MatMuls) instead of one 16k-term reduction, and the coordinates are centred (x − c, c = (size − 1)/2), so
 * n = 0.5 + Σp·(x − c) / (Σp·size) keeps ~1e-7 accuracy on peaked and on saturated maps.
 */
export function softArgmax(g: Graph, heatmap: string, tables: { cols: string; rows: string; size: string }): string {
  // 1/(1 + exp(−x)) rather than the Sigmoid op: onnxruntime's CPU Sigmoid saturates near x = −18 (p ≈ 1.5e-8
  // instead of e^x), which on a peaked map moves the expectation by ~1e-6.
  const one = g.f32([1], []);
  const p = g.div(one, g.add(one, g.node('Exp', [g.node('Neg', [heatmap])]))); // [N, Q, size, size]
  const rows = g.matmul(p, tables.cols); // [N, Q, size(y), 2]
  const m = g.reshape(g.matmul(tables.rows, rows), [0, 0, 4]); // [Σp, Σp(x−c), Σp(y−c), Σp(x−c)(y−c)]
  // Clip rather than Max: the JSEP WebGPU build has no Max kernel placement here (it fell back to the CPU EP).
  const den = g.node('Clip', [g.node('Slice', [m, g.i64([0]), g.i64([1]), g.i64([2])]), g.f32([1e-6], [])]);
  const num = g.node('Slice', [m, g.i64([1]), g.i64([3]), g.i64([2])]); // [N, Q, 2] = (x, y) sums
  return g.add(g.div(num, g.mul(den, tables.size)), g.f32([0.5], []));
}

/** softArgmax's constants for a `size`×`size` map: columns (1, x − c) [size, 2], rows (1, y − c) [2, size], c = (size − 1)/2. */
export function softArgmaxTables(size: number): { cols: Float32Array; rows: Float32Array } {
  const c = (size - 1) / 2;
  const cols = new Float32Array(size * 2);
  const rows = new Float32Array(2 * size);
  for (let i = 0; i < size; i++) {
    cols[i * 2] = 1;
    cols[i * 2 + 1] = i - c;
    rows[i] = 1;
    rows[size + i] = i - c;
  }
  return { cols, rows };
}

/** softArgmax with its tables as inline constants (graphs with one fixed map size). */
export function softArgmaxFixed(g: Graph, heatmap: string, size: number): string {
  const t = softArgmaxTables(size);
  return softArgmax(g, heatmap, {
    cols: g.f32(t.cols, [size, 2]),
    rows: g.f32(t.rows, [2, size]),
    size: g.f32([size], []),
  });
}
