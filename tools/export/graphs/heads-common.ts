/** Pieces shared by the Faceptor interpreters and the naive heads. */
import type { Graph } from '../onnx/graph.ts';
import { layerNorm, mapToTokens } from './layers.ts';
import type { Params } from './params.ts';

/** Linear without bias followed by eval BatchNorm1d, folded into one Linear (W·s per output row, bias t). */
export async function linearBn(g: Graph, P: Params, wKey: string, bnPrefix: string, eps: number, x: string): Promise<string> {
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
  const b = await P.derived(g, `${bnPrefix}|bias`, async () => ({ data: Float32Array.from((await getAffine()).t), dims: [O] }));
  return g.linear(x, w, b);
}

/**
 * Recognition embedding (Faceptor feature_v2 and the naive RecognitionHead share the maths, §6 and §7.1):
 * LayerNorm over C on F_11 tokens → mean over tokens → Linear+BN → Linear+BN. Output [N, E], not normalised.
 */
export async function recognitionHead(g: Graph, P: Params, prefix: string, feat: string, C: number): Promise<string> {
  const tokens = mapToTokens(g, feat, C);
  const normed = await layerNorm(g, P, `${prefix}.norm`, tokens, 1e-5);
  const pooled = g.reduceMean(normed, [1], 0);
  const h = await linearBn(g, P, `${prefix}.head.0.weight`, `${prefix}.head.1`, 2e-5, pooled);
  return linearBn(g, P, `${prefix}.head.2.weight`, `${prefix}.head.3`, 2e-5, h);
}

/**
 * AlignOutput soft-argmax (§6.2) inside the graph: sigmoid → expectation of (column, row) over the whole map →
 * ((x, y) + 0.5)/size. It is cheap and saves reading Q heatmaps back just to find the points.
 */
export function softArgmax(g: Graph, heatmap: string, Q: number, size: number): string {
  const p = g.reshape(g.sigmoid(heatmap), [0, Q, size * size]);
  const den = g.max(g.reduceSum(p, [2], 1), g.f32([1e-6], []));
  const coords = new Float32Array(size * size * 2);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) { coords[(y * size + x) * 2] = x; coords[(y * size + x) * 2 + 1] = y; }
  const grid = g.f32(coords, [size * size, 2]);
  const xy = g.div(g.matmul(p, grid), den);
  return g.div(g.add(xy, g.f32([0.5], [])), g.f32([size], []));
}
