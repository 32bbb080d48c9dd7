/**
 * FaRL ViT-B/16 encoder graph for one input size (faceptor-model.md §4). Input `image` [N, 3, H, H]
 * (already normalised); outputs `feat_<k>` [N, C, S, S] for the requested blocks k. The position table for the
 * S×S grid is precomputed here (bicubic, PyTorch semantics) and the class token is folded into it.
 */
import { Graph } from '../onnx/graph.ts';
import { layerNorm, linear, selfAttention, tokensToMap } from './layers.ts';
import type { Params } from './params.ts';
import { resizePosTable } from './tables.ts';

const V = 'backbone_module.visual';

export interface EncoderSpec {
  readonly inputSize: number;
  /** Block indices (0-based) whose outputs the tasks of this group need. */
  readonly blocks: readonly number[];
  readonly heads: number;
}

export const featName = (block: number): string => `feat_${block}`;

export async function buildEncoder(P: Params, spec: EncoderSpec): Promise<Graph> {
  const [C, , patch] = P.shape(`${V}.conv1.weight`);
  const S = spec.inputSize / patch;
  if (!Number.isInteger(S)) throw new Error(`input ${spec.inputSize} is not a multiple of the patch size ${patch}`);
  let layers = 0;
  while (P.has(`${V}.transformer.resblocks.${layers}.ln_1.weight`)) layers++;
  const last = Math.max(...spec.blocks);
  if (last >= layers) throw new Error(`encoder needs block ${last} but the checkpoint has ${layers} blocks`);

  const g = new Graph(`faceptor_encoder_${spec.inputSize}`);
  const image = g.input('image', ['N', 3, spec.inputSize, spec.inputSize]);
  const patches = g.node('Conv', [image, await P.raw(g, `${V}.conv1.weight`)], {
    kernel_shape: [patch, patch], strides: [patch, patch],
  });
  // Tokens [N, S², C]; a zero row is padded in front and the folded table adds class_embedding + pos[0] to it,
  // which gives the class token without a batch-sized Concat/Expand.
  const grid = g.transpose(g.reshape(patches, [0, C, S * S]), [0, 2, 1]);
  let x = g.node('Pad', [grid, g.i64([0, 1, 0, 0, 0, 0])], { mode: 'constant' });
  const pos = await P.derived(g, `${V}.positional_embedding@S${S}+cls`, async () => {
    const table = resizePosTable(await P.read(`${V}.positional_embedding`), C, S);
    const cls = await P.read(`${V}.class_embedding`);
    for (let c = 0; c < C; c++) table[c] += cls[c];
    return { data: table, dims: [1, 1 + S * S, C] };
  });
  x = g.add(x, pos);
  x = await layerNorm(g, P, `${V}.ln_pre`, x, 1e-5);

  for (let b = 0; b <= last; b++) {
    const p = `${V}.transformer.resblocks.${b}`;
    const h = await layerNorm(g, P, `${p}.ln_1`, x, 1e-5);
    x = g.add(x, await selfAttention(g, P, `${p}.attn`, h, spec.heads));
    const h2 = await layerNorm(g, P, `${p}.ln_2`, x, 1e-5);
    const m = await linear(g, P, `${p}.mlp.c_proj`, g.quickGelu(await linear(g, P, `${p}.mlp.c_fc`, h2)));
    x = g.add(x, m);
    if (spec.blocks.includes(b)) {
      const tokens = g.node('Slice', [x, g.i64([1]), g.i64([1 + S * S]), g.i64([1])]);
      g.output(tokensToMap(g, tokens, C, S), featName(b), ['N', C, S, S]);
    }
  }
  return g;
}
