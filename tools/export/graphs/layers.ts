/** Building blocks shared by the encoder, decoder and head graphs. */
import type { Graph } from '../onnx/graph.ts';
import { transpose2d, type Params } from './params.ts';

/**
 * PyTorch nn.MultiheadAttention (packed in_proj, `heads` contiguous channel blocks, softmax(q·kᵀ/√d)·v, out_proj)
 * on batch-first tensors [N, L, E]. Written with plain MatMul/Softmax so every EP (WebGPU included) runs it
 * exactly; q may have batch 1 and broadcast against k/v of batch N (the decoder's first layer).
 */
export async function multiheadAttention(
  g: Graph,
  P: Params,
  prefix: string,
  q: string,
  k: string,
  v: string,
  heads: number,
  mask?: string,
): Promise<string> {
  return (await multiheadAttentionWithWeights(g, P, prefix, q, k, v, heads, mask)).output;
}

/**
 * multiheadAttention that also hands back the softmax weights [N, heads, Lq, Lk] (the same tensor the output is
 * computed from, so exposing it changes no other value). `mask` [Lq, Lk] is added to the scores before the
 * softmax (0 = attend, a large negative value = blocked).
 */
export async function multiheadAttentionWithWeights(
  g: Graph,
  P: Params,
  prefix: string,
  q: string,
  k: string,
  v: string,
  heads: number,
  mask?: string,
): Promise<{ output: string; weights: string }> {
  const E = P.shape(`${prefix}.out_proj.weight`)[0];
  if (E % heads !== 0) throw new Error(`${prefix}: width ${E} is not divisible by ${heads} heads`);
  const dh = E / heads;
  const qp = await P.inProj(g, prefix, 0, dh);
  const kp = await P.inProj(g, prefix, 1, dh);
  const vp = await P.inProj(g, prefix, 2, dh);
  const split = (x: string, perm: number[]) => g.transpose(g.reshape(x, [0, 0, heads, dh]), perm);
  const qh = split(g.linear(q, qp.w, qp.b), [0, 2, 1, 3]); // [N, H, Lq, dh]
  const kh = split(g.linear(k, kp.w, kp.b), [0, 2, 3, 1]); // [N, H, dh, Lk]
  const vh = split(g.linear(v, vp.w, vp.b), [0, 2, 1, 3]); // [N, H, Lk, dh]
  const scores = g.matmul(qh, kh);
  const attn = g.softmax(mask ? g.add(scores, mask) : scores, -1);
  const o = g.reshape(g.transpose(g.matmul(attn, vh), [0, 2, 1, 3]), [0, 0, E]);
  const output = g.linear(
    o,
    await P.linearT(g, `${prefix}.out_proj.weight`),
    await P.raw(g, `${prefix}.out_proj.bias`),
  );
  return { output, weights: attn };
}

/**
 * Self-attention (q = k = v = x) of the ViT blocks with ONE packed q/k/v MatMul [E, 3E] (the checkpoint's own
 * in_proj packing, transposed, with 1/√d folded into the q third), then a split by Gather: 8 nodes before the
 * attention core instead of 12, and one large MatMul instead of three on the GPU.
 */
export async function selfAttention(g: Graph, P: Params, prefix: string, x: string, heads: number): Promise<string> {
  const [three, E] = P.shape(`${prefix}.in_proj_weight`);
  if (three !== 3 * E)
    throw new Error(`${prefix}.in_proj_weight has shape [${three}, ${E}], expected [${3 * E}, ${E}]`);
  if (E % heads !== 0) throw new Error(`${prefix}: width ${E} is not divisible by ${heads} heads`);
  const dh = E / heads;
  const scale = 1 / Math.sqrt(dh);
  const w = await P.derived(g, `${prefix}.in_proj_weight^T|qscaled`, async () => {
    const t = transpose2d(await P.read(`${prefix}.in_proj_weight`), 3 * E, E); // [E, 3E]
    for (let i = 0; i < E; i++) for (let o = 0; o < E; o++) t[i * 3 * E + o] *= scale;
    return { data: t, dims: [E, 3 * E] };
  });
  const b = await P.derived(g, `${prefix}.in_proj_bias|qscaled`, async () => {
    const t = Float32Array.from(await P.read(`${prefix}.in_proj_bias`));
    for (let o = 0; o < E; o++) t[o] *= scale;
    return { data: t, dims: [3 * E] };
  });
  // [N, L, 3E] → [N, L, 3, H, dh] → [3, N, H, L, dh]; Gather with a scalar index drops the leading axis.
  const qkv = g.transpose(g.reshape(g.linear(x, w, b), [0, 0, 3, heads, dh]), [2, 0, 3, 1, 4]);
  const part = (i: number) => g.node('Gather', [qkv, g.i64([i], [])], { axis: 0 });
  const qh = part(0);
  const kh = g.transpose(part(1), [0, 1, 3, 2]); // [N, H, dh, L]
  const vh = part(2);
  const attn = g.softmax(g.matmul(qh, kh), -1);
  const o = g.reshape(g.transpose(g.matmul(attn, vh), [0, 2, 1, 3]), [0, 0, E]);
  return g.linear(o, await P.linearT(g, `${prefix}.out_proj.weight`), await P.raw(g, `${prefix}.out_proj.bias`));
}

export async function layerNorm(g: Graph, P: Params, prefix: string, x: string, eps: number): Promise<string> {
  return g.layerNorm(x, await P.raw(g, `${prefix}.weight`), await P.raw(g, `${prefix}.bias`), eps);
}

export async function linear(g: Graph, P: Params, prefix: string, x: string): Promise<string> {
  const b = P.has(`${prefix}.bias`) ? await P.raw(g, `${prefix}.bias`) : undefined;
  return g.linear(x, await P.linearT(g, `${prefix}.weight`), b);
}

/** [N, C, S, S] feature map → [N, S², C] tokens (row-major grid). */
export function mapToTokens(g: Graph, x: string, C: number): string {
  return g.transpose(g.reshape(x, [0, C, -1]), [0, 2, 1]);
}

/** [N, S², C] tokens → [N, C, S, S]. */
export function tokensToMap(g: Graph, x: string, C: number, S: number): string {
  return g.reshape(g.transpose(x, [0, 2, 1]), [0, C, S, S]);
}

/**
 * Conv (no bias) followed by eval BatchNorm, folded into one Conv with bias (exact up to float rounding).
 * Used by the naive heads' ConvModules; `relu` appends the ReLU of a ConvModule.
 */
export async function convBn(
  g: Graph,
  P: Params,
  convKey: string,
  bnPrefix: string,
  x: string,
  eps: number,
  pad: number,
  relu: boolean,
): Promise<string> {
  const dims = P.shape(convKey);
  const [O] = dims;
  const per = dims.slice(1).reduce((a, b) => a * b, 1);
  let affine: { s: Float64Array; t: Float64Array } | undefined;
  const getAffine = async () => (affine ??= await P.bnAffine(bnPrefix, eps));
  const w = await P.derived(g, `${convKey}|bn`, async () => {
    const { s } = await getAffine();
    const raw = await P.read(convKey);
    const out = new Float32Array(raw.length);
    for (let o = 0; o < O; o++) for (let i = 0; i < per; i++) out[o * per + i] = raw[o * per + i] * s[o];
    return { data: out, dims };
  });
  const b = await P.derived(g, `${bnPrefix}|bias`, async () => {
    const { t } = await getAffine();
    return { data: Float32Array.from(t), dims: [O] };
  });
  const k = dims[2];
  const y = g.node('Conv', [x, w, b], { kernel_shape: [k, dims[3]], pads: [pad, pad, pad, pad], strides: [1, 1] });
  return relu ? g.relu(y) : y;
}
