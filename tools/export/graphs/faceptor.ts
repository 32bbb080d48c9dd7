/**
 * One graph per Faceptor task (faceptor-model.md §5, §6): inputs are the encoder features the task needs, the
 * output is the raw head output. Each task graph carries only its own queries; the shared decoder and
 * interpreter weights are stored once in weights.bin and referenced by every task graph.
 */
import { Graph } from '../onnx/graph.ts';
import { TASKS, type TaskName } from '../../../src/core/faceptor/tasks.ts';
import { featName } from './encoder.ts';
import { recognitionHead, softArgmax } from './heads-common.ts';
import { layerNorm, linear, mapToTokens, multiheadAttention, multiheadAttentionWithWeights, tokensToMap } from './layers.ts';
import type { Params } from './params.ts';
import { anchorSineEmbedding, mlp2 } from './tables.ts';

const DEC = 'heads_module.decoder';
const INT = 'heads_module.interpreters';

export interface FaceptorTaskSpec {
  readonly task: TaskName;
  /** Token grid side of the task's input group (7 at 112, 32 at 512). */
  readonly S: number;
  /** Backbone blocks feeding the decoder memory, level 0 first (block 11; + 1, 3, 5, 7, 9 with Layer-Attention). */
  readonly levels: readonly number[];
  readonly decoderHeads: number;
  /**
   * Also output `cross_attention` [N, decoderLayers, Q, levels·S²]: every decoder layer's cross-attention softmax
   * weights averaged over heads, keys level by level in `levels` order (what the Layer-Attention chart reads).
   */
  readonly crossAttention?: boolean;
}

/** Name of the optional cross-attention output (the pipeline's CROSS_ATTENTION_OUTPUT reads it by this name). */
export const CROSS_ATTENTION = 'cross_attention';

export interface TaskGraph {
  readonly graph: Graph;
  readonly inputs: readonly string[];
  readonly outputs: readonly { name: string; dims: readonly (number | string)[] }[];
}

export async function buildFaceptorTask(P: Params, spec: FaceptorTaskSpec): Promise<TaskGraph> {
  const C = P.shape('backbone_module.visual.conv1.weight')[0];
  const g = new Graph(`faceptor_${spec.task}`);
  const type = TASKS[spec.task].type;
  const { S } = spec;

  if (type === 'recog') {
    const f11 = g.input(featName(11), ['N', C, S, S]);
    const emb = await recognitionHead(g, P, `${INT}.feature_v2`, f11, C);
    const E = P.shape(`${INT}.feature_v2.head.2.weight`)[0];
    g.output(emb, 'embedding', ['N', E]);
    return { graph: g, inputs: [featName(11)], outputs: [{ name: 'embedding', dims: ['N', E] }] };
  }

  const [Q, D] = P.shape(`${DEC}.query_feat.${spec.task}.weight`);
  const inputs = [...new Set(spec.levels)].map((b) => g.input(featName(b), ['N', C, S, S]));
  const { output: decOut, src0, crossAttention, layers } = await decoder(g, P, spec, C, D, Q);
  // Declared after the head outputs so that consumers indexing outputs[0] keep reading the head output.
  const withAttention = (outs: TaskGraph['outputs']): TaskGraph['outputs'] => {
    if (!crossAttention) return outs;
    const dims = ['N', layers, Q, spec.levels.length * S * S];
    g.output(crossAttention, CROSS_ATTENTION, dims);
    return [...outs, { name: CROSS_ATTENTION, dims }];
  };

  if (type === 'age' || type === 'biattr' || type === 'affect') {
    const v = await linear(g, P, `${INT}.value.fc`, decOut); // [N, Q, 1]
    g.output(g.reshape(v, [0, Q]), 'logits', ['N', Q]);
    return { graph: g, inputs, outputs: withAttention([{ name: 'logits', dims: ['N', Q] }]) };
  }

  // map_v2: mask features from decoder_src, one dot product per query (§6).
  const M = `${INT}.map_v2`;
  let mf = tokensToMap(g, src0, D, S);
  mf = g.node('ConvTranspose', [mf, await P.raw(g, `${M}.mask_map.0.weight`), await P.raw(g, `${M}.mask_map.0.bias`)], { kernel_shape: [2, 2], strides: [2, 2] });
  // Norm2d = LayerNorm over channels per pixel: done channels-last so the fused LayerNormalization applies.
  mf = g.transpose(mf, [0, 2, 3, 1]);
  mf = g.gelu(await layerNorm(g, P, `${M}.mask_map.1`, mf, 1e-6));
  mf = g.transpose(mf, [0, 3, 1, 2]);
  mf = g.node('ConvTranspose', [mf, await P.raw(g, `${M}.mask_map.3.weight`), await P.raw(g, `${M}.mask_map.3.bias`)], { kernel_shape: [2, 2], strides: [2, 2] });
  const H = 4 * S;
  let me = g.relu(await linear(g, P, `${M}.mask_embed.layers.0`, decOut));
  me = g.relu(await linear(g, P, `${M}.mask_embed.layers.1`, me));
  me = await linear(g, P, `${M}.mask_embed.layers.2`, me);
  const maps = g.reshape(g.matmul(me, g.reshape(mf, [0, D, H * H])), [0, Q, H, H]);

  if (type === 'parsing') {
    g.output(maps, 'logits_128', ['N', Q, H, H]);
    return { graph: g, inputs, outputs: withAttention([{ name: 'logits_128', dims: ['N', Q, H, H] }]) };
  }
  g.output(maps, 'heatmap', ['N', Q, H, H]);
  g.output(softArgmax(g, maps, Q, H), 'landmark', ['N', Q, 2]);
  return { graph: g, inputs, outputs: withAttention([{ name: 'landmark', dims: ['N', Q, 2] }, { name: 'heatmap', dims: ['N', Q, H, H] }]) };
}

/**
 * The transformer decoder (§5) on batch-first tensors; returns decoder_output [N, Q, D], decoder_src [N, S², D]
 * and, when the spec asks, the head-averaged cross-attention weights of every layer [N, layers, Q, levels·S²].
 */
async function decoder(g: Graph, P: Params, spec: FaceptorTaskSpec, C: number, D: number, Q: number,
): Promise<{ output: string; src0: string; crossAttention?: string; layers: number }> {
  const { S } = spec;
  const srcs: string[] = [];
  const keys: string[] = [];
  for (let j = 0; j < spec.levels.length; j++) {
    const proj = j === 0 ? `${DEC}.input_proj.0` : `${DEC}.new_input_proj.${j - 1}`;
    const tokens = mapToTokens(g, featName(spec.levels[j]), C);
    const wT = await P.derived(g, `${proj}.weight^T`, async () => {
      const w = await P.read(`${proj}.weight`); // [D, C, 1, 1]
      const out = new Float32Array(C * D);
      for (let d = 0; d < D; d++) for (let c = 0; c < C; c++) out[c * D + d] = w[d * C + c];
      return { data: out, dims: [C, D] };
    });
    const src = g.linear(tokens, wT, await P.raw(g, `${proj}.bias`));
    const pos = await P.derived(g, `${DEC}.pos@S${S}.level${j}`, async () => ({ data: await anchorPositions(P, S, D, j), dims: [1, S * S, D] }));
    srcs.push(src);
    keys.push(g.add(src, pos));
  }
  const memV = srcs.length === 1 ? srcs[0] : g.concat(srcs, 1);
  const memK = keys.length === 1 ? keys[0] : g.concat(keys, 1);

  let tgt = await P.raw(g, `${DEC}.query_feat.${spec.task}.weight`, [1, Q, D]);
  const qpos = await P.raw(g, `${DEC}.query_embed.${spec.task}.weight`, [1, Q, D]);
  let layers = 0;
  while (P.has(`${DEC}.transformer_cross_attention_layers.${layers}.norm.weight`)) layers++;
  const H = spec.decoderHeads;
  const perLayer: string[] = [];
  let headMean: string | undefined;
  for (let i = 0; i < layers; i++) {
    const ca = `${DEC}.transformer_cross_attention_layers.${i}`;
    const { output: a, weights } = await multiheadAttentionWithWeights(g, P, `${ca}.multihead_attn`, g.add(tgt, qpos), memK, memV, H);
    // Mean over heads [N, H, Q, Lk] → [N, 1, Q·Lk], a side branch off the softmax (the decoder's values are
    // untouched), as a [1, H]·[N, H, Q·Lk] MatMul with 1/H weights: onnxruntime's CPU ReduceMean over the head
    // axis (strided) took ~180 ms per run on a 98-query 512 task, the MatMul ~1/10 of that (measured, golden fixture).
    if (spec.crossAttention) {
      const mean = g.matmul(headMean ??= g.f32(new Array(H).fill(1 / H), [1, H]), g.reshape(weights, [0, H, -1]));
      perLayer.push(g.reshape(mean, [0, 1, Q, -1])); // an in-place view; a Reshape on the graph output would copy
    }
    tgt = await layerNorm(g, P, `${ca}.norm`, g.add(tgt, a), 1e-5);
    const sa = `${DEC}.transformer_self_attention_layers.${i}`;
    const qk = g.add(tgt, qpos);
    const s = await multiheadAttention(g, P, `${sa}.self_attn`, qk, qk, tgt, H);
    tgt = await layerNorm(g, P, `${sa}.norm`, g.add(tgt, s), 1e-5);
    const ff = `${DEC}.transformer_ffn_layers.${i}`;
    const y = await linear(g, P, `${ff}.linear2`, g.relu(await linear(g, P, `${ff}.linear1`, tgt)));
    tgt = await layerNorm(g, P, `${ff}.norm`, g.add(tgt, y), 1e-5);
  }
  const crossAttention = perLayer.length === 0 ? undefined : perLayer.length === 1 ? perLayer[0] : g.concat(perLayer, 1);
  return { output: tgt, src0: srcs[0], crossAttention, layers };
}

/** A_S + level embedding (§5.2, §5.4): a constant [S², D] per grid size and memory level. */
export async function anchorPositions(P: Params, S: number, D: number, level: number): Promise<Float32Array> {
  const a = `${DEC}.adapt_pos2d`;
  const [w1, b1, w2, b2] = await Promise.all([`${a}.0.weight`, `${a}.0.bias`, `${a}.2.weight`, `${a}.2.bias`].map((k) => P.read(k)));
  const pos = mlp2(anchorSineEmbedding(S, D), S * S, D, w1, b1, w2, b2);
  const embed = level === 0 ? await P.read(`${DEC}.level_embed.weight`) : (await P.read(`${DEC}.new_level_embed.weight`)).subarray((level - 1) * D, level * D);
  for (let r = 0; r < S * S; r++) for (let d = 0; d < D; d++) pos[r * D + d] += embed[d];
  return pos;
}
