/**
 * The FaRL ViT-B/16 encoder (docs/model.md §4) as ONE graph for both input sizes, so its 86 M weights are held
 * by one runtime session. Input `image` [N, 3, H, H] (already normalised) and `pos` [1, 1 + S², C], the position
 * table of that grid with the class token folded into row 0 (precomputed per size at export: bicubic, PyTorch
 * semantics; identity at 32). The host feeds the table of the input size it runs (a constant per group, stored in
 * weights.bin as float32 and listed in the manifest), so both passes keep exactly the maths of a per-size graph.
 * Outputs `feat_<k>` [N, S², C]: block k's tokens without the class token, row-major grid (token h·S + w). Tokens,
 * not maps: every consumer starts from tokens, and no op here needs to know S.
 */
import { Graph } from '../onnx/graph.ts';
import type { ExternalRef } from '../onnx/graph.ts';
import { layerNorm, linear, selfAttention } from './layers.ts';
import type { Params } from './params.ts';
import { resizePosTable } from './tables.ts';

const V = 'backbone_module.visual';

export interface EncoderSpec {
  /** Input sizes served (112, 512). */
  readonly inputSizes: readonly number[];
  /** Block indices (0-based) whose outputs some task needs. */
  readonly blocks: readonly number[];
  readonly heads: number;
}

export const featName = (block: number): string => `feat_${block}`;
/** Name of the encoder's position-table input. */
export const POS_INPUT = 'pos';

export interface EncoderBuild {
  readonly graph: Graph;
  /** The `pos` table per input size (in weights.bin: float32, half in q8/q4 packages), fed by the host. */
  readonly posTables: ReadonlyMap<number, ExternalRef>;
}

export async function buildEncoder(P: Params, spec: EncoderSpec): Promise<EncoderBuild> {
  const [C, , patch] = P.shape(`${V}.conv1.weight`);
  let layers = 0;
  while (P.has(`${V}.transformer.resblocks.${layers}.ln_1.weight`)) layers++;
  const last = Math.max(...spec.blocks);
  if (last >= layers) throw new Error(`encoder needs block ${last} but the checkpoint has ${layers} blocks`);

  const posTables = new Map<number, ExternalRef>();
  for (const size of spec.inputSizes) {
    const S = size / patch;
    if (!Number.isInteger(S)) throw new Error(`input ${size} is not a multiple of the patch size ${patch}`);
    posTables.set(
      size,
      await P.store.put(
        `${V}.positional_embedding@S${S}+cls`,
        async () => {
          const table = resizePosTable(await P.read(`${V}.positional_embedding`), C, S);
          const cls = await P.read(`${V}.class_embedding`);
          for (let c = 0; c < C; c++) table[c] += cls[c];
          return { data: table, dims: [1, 1 + S * S, C] };
        },
        { feed: true },
      ),
    );
  }

  const g = new Graph('faceptor_encoder');
  const image = g.input('image', ['N', 3, 'H', 'H']);
  const pos = g.input(POS_INPUT, [1, 'T', C]);
  const patches = g.node('Conv', [image, await P.raw(g, `${V}.conv1.weight`)], {
    kernel_shape: [patch, patch],
    strides: [patch, patch],
  });
  // Tokens [N, S², C]; a zero row is padded in front and the fed table adds class_embedding + pos[0] to it,
  // which gives the class token without a batch-sized Concat/Expand.
  const grid = g.transpose(g.reshape(patches, [0, C, -1]), [0, 2, 1]);
  let x = g.node('Pad', [grid, g.i64([0, 1, 0, 0, 0, 0])], { mode: 'constant' });
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
      // Drop the class token: tokens 1.. to the end (the end index is "as far as the axis goes").
      const tokens = g.node('Slice', [x, g.i64([1]), g.i64([2 ** 62]), g.i64([1])]);
      g.output(tokens, featName(b), ['N', 'S2', C]);
    }
  }
  return { graph: g, posTables };
}
