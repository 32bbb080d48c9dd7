/**
 * The Faceptor heads as ONE graph for every task of both input groups (docs/model.md §5, §6), so the decoder
 * and interpreter weights are held by one runtime session and a frame runs it once per input group:
 * - inputs: the encoder tokens `feat_<k>` [N, S², C] of the decoder levels (block 11 first), the query batch
 *   (`queries`, `self_mask`, `map_select`: see src/core/faceptor/batch.ts) and per-group constants fed by the host
 *   (`memory_pos`, grid and heatmap shapes, soft-argmax tables: they depend only on the input size);
 * - task-independent work runs once per run: the input projections, the key positions, map_v2's mask features;
 * - every interpreter the package's tasks use runs on the whole batch (value on every query, map_v2 + soft-argmax on
 *   every query, feature_v2 on F_11): the host takes each task's rows. The unused branches cost little (value is
 *   one dot product per query; map_v2 at 112 is 28×28 per query; feature_v2 at 512 is a LayerNorm and a mean).
 */
import { Graph } from '../onnx/graph.ts';
import { TASKS, type InputGroup, type TaskName } from '../../../src/core/faceptor/tasks.ts';
import { DECODER_IO, TASK_OUTPUT } from '../../../src/core/faceptor/graph-io.ts';
import type { ConstFeed } from '../../../src/core/faceptor/manifest.ts';
import { featName } from './encoder.ts';
import { storedFeed } from '../package/weight-store.ts';
import { recognitionHead, softArgmax, softArgmaxTables } from './heads-common.ts';
import { layerNorm, linear, multiheadAttention, multiheadAttentionWithWeights } from './layers.ts';
import type { Params } from './params.ts';
import { anchorSineEmbedding, mlp2 } from './tables.ts';

const DEC = 'heads_module.decoder';
const INT = 'heads_module.interpreters';

export interface FaceptorHeadsSpec {
  /** The package's tasks, in plan order (the query table follows it). */
  readonly tasks: readonly TaskName[];
  /** Input sizes served. */
  readonly groups: readonly InputGroup[];
  readonly patch: number;
  /** Backbone blocks feeding the decoder memory, level 0 first (block 11; + 1, 3, 5, 7, 9 with Layer-Attention). */
  readonly levels: readonly number[];
  readonly decoderHeads: number;
  /**
   * Also output `cross_attention` [N, decoderLayers, Qt, levels·S²]: every decoder layer's cross-attention softmax
   * weights averaged over heads, keys level by level in `levels` order (what the Layer-Attention chart reads).
   */
  readonly crossAttention?: boolean;
}

/** Name of the optional cross-attention output (declared once, in src/core/faceptor/graph-io.ts). */
export const CROSS_ATTENTION = TASK_OUTPUT.crossAttention;

/** Per-group constant inputs of the decoder graph. */
const FEED = {
  memoryPos: 'memory_pos',
  gridShape: 'grid_shape',
  heatmapShape: 'heatmap_shape',
  argmaxCols: 'argmax_cols',
  argmaxRows: 'argmax_rows',
  heatmapSize: 'heatmap_size',
  attentionShape: 'attention_shape',
} as const;

export interface GraphOutput {
  readonly name: string;
  readonly dims: readonly (number | string)[];
}
/** A task's logical output (`logits`, `landmark`, …) and the graph output it is read from. */
export interface TaskOutput extends GraphOutput {
  readonly from: string;
}

export interface HeadsBuild {
  readonly graph: Graph;
  readonly kind: 'decoder' | 'heads';
  readonly inputs: readonly string[];
  readonly outputs: readonly GraphOutput[];
  readonly groupFeeds: ReadonlyMap<InputGroup, ConstFeed[]>;
  readonly queryOffsets: ReadonlyMap<TaskName, number>;
  readonly taskOutputs: ReadonlyMap<TaskName, TaskOutput[]>;
}

const floatFeed = storedFeed;
const intFeed = (name: string, values: number[]): ConstFeed => ({ name, type: 'int64', dims: [values.length], values });

export async function buildFaceptorHeads(P: Params, spec: FaceptorHeadsSpec): Promise<HeadsBuild> {
  const C = P.shape('backbone_module.visual.conv1.weight')[0];
  const g = new Graph('faceptor_heads');
  const outputs: GraphOutput[] = [];
  const taskOutputs = new Map<TaskName, TaskOutput[]>();
  const queryOffsets = new Map<TaskName, number>();
  const groupFeeds = new Map<InputGroup, ConstFeed[]>(spec.groups.map((gr) => [gr, []]));
  const out = (value: string, name: string, dims: (number | string)[]) => {
    g.output(value, name, dims);
    outputs.push({ name, dims });
  };
  const types = new Set(spec.tasks.map((t) => TASKS[t].type));
  const decoderTasks = spec.tasks.filter((t) => TASKS[t].type !== 'recog');
  const inputs = [...new Set(types.has('recog') ? [11, ...(decoderTasks.length ? spec.levels : [])] : spec.levels)];
  for (const b of inputs) g.input(featName(b), ['N', 'S2', C]);

  if (types.has('recog')) {
    const emb = await recognitionHead(g, P, `${INT}.feature_v2`, featName(11));
    const E = P.shape(`${INT}.feature_v2.head.2.weight`)[0];
    out(emb, TASK_OUTPUT.embedding, ['N', E]);
    for (const t of spec.tasks.filter((x) => TASKS[x].type === 'recog'))
      taskOutputs.set(t, [{ name: TASK_OUTPUT.embedding, from: TASK_OUTPUT.embedding, dims: ['N', E] }]);
  }
  if (decoderTasks.length === 0) {
    return { graph: g, kind: 'heads', inputs: inputs.map(featName), outputs, groupFeeds, queryOffsets, taskOutputs };
  }

  // The query table: every decoder task's query_feat / query_embed rows, in plan order.
  const D = P.shape(`${DEC}.query_feat.${decoderTasks[0]}.weight`)[1];
  let offset = 0;
  for (const t of decoderTasks) {
    queryOffsets.set(t, offset);
    offset += P.shape(`${DEC}.query_feat.${t}.weight`)[0];
  }
  const table = (kind: 'query_feat' | 'query_embed') =>
    P.derived(g, `${DEC}.${kind}[${decoderTasks.join(',')}]`, async () => {
      const data = new Float32Array(offset * D);
      for (const t of decoderTasks) data.set(await P.read(`${DEC}.${kind}.${t}.weight`), queryOffsets.get(t)! * D);
      return { data, dims: [offset, D] };
    });
  const pick = async (kind: 'query_feat' | 'query_embed') =>
    g.reshape(g.node('Gather', [await table(kind), queries], { axis: 0 }), [1, -1, D]);
  const queries = g.input(DECODER_IO.queries, ['Q'], 'int64');
  const selfMask = g.input(DECODER_IO.selfMask, ['Q', 'Q']);
  const mapSelect = g.input(DECODER_IO.mapSelect, ['Qs'], 'int64');

  let layers = 0;
  while (P.has(`${DEC}.transformer_cross_attention_layers.${layers}.norm.weight`)) layers++;
  // Per-group constants: key positions of every level, and (LA) the shape that splits the attention weights.
  for (const group of spec.groups) {
    const S = group / spec.patch;
    const ref = await P.store.put(
      `${DEC}.pos@S${S}.levels${spec.levels.length}`,
      async () => {
        const data = new Float32Array(spec.levels.length * S * S * D);
        for (let j = 0; j < spec.levels.length; j++) data.set(await anchorPositions(P, S, D, j), j * S * S * D);
        return { data, dims: [1, spec.levels.length * S * S, D] };
      },
      { feed: true },
    );
    groupFeeds.get(group)!.push(floatFeed(FEED.memoryPos, ref));
    if (spec.crossAttention)
      groupFeeds.get(group)!.push(intFeed(FEED.attentionShape, [0, 1, -1, spec.levels.length * S * S]));
  }
  const memoryPos = g.input(FEED.memoryPos, [1, 'K', D]);
  const attentionShape = spec.crossAttention ? g.input(FEED.attentionShape, [4], 'int64') : undefined;
  const {
    output: decOut,
    src0,
    crossAttention,
  } = await decoder(
    g,
    P,
    spec,
    C,
    D,
    layers,
    await pick('query_feat'),
    await pick('query_embed'),
    memoryPos,
    selfMask,
    attentionShape,
  );
  const withAttention = (o: TaskOutput[]): TaskOutput[] =>
    crossAttention ? [...o, { name: CROSS_ATTENTION, from: CROSS_ATTENTION, dims: ['N', layers, 'Q', 'K'] }] : o;

  if (types.has('age') || types.has('biattr') || types.has('affect')) {
    const v = await linear(g, P, `${INT}.value.fc`, decOut); // [N, Qt, 1]
    out(g.reshape(v, [0, -1]), TASK_OUTPUT.logits, ['N', 'Q']);
  }
  if (types.has('parsing') || types.has('align')) {
    // map_v2: mask features from decoder_src once per run, one dot product per query (docs/model.md §6.3).
    const M = `${INT}.map_v2`;
    const gridShape = g.input(FEED.gridShape, [4], 'int64');
    const heatmapShape = g.input(FEED.heatmapShape, [4], 'int64');
    const cols = g.input(FEED.argmaxCols, ['H', 2]);
    const rows = g.input(FEED.argmaxRows, [2, 'H']);
    const size = g.input(FEED.heatmapSize, []);
    for (const group of spec.groups) {
      const S = group / spec.patch,
        H = 4 * S;
      const t = softArgmaxTables(H);
      const put = (name: string, data: Float32Array, dims: number[]) =>
        P.store.put(`softargmax@${H}.${name}`, async () => ({ data, dims }), { feed: true });
      groupFeeds
        .get(group)!
        .push(
          intFeed(FEED.gridShape, [0, D, S, S]),
          intFeed(FEED.heatmapShape, [0, 0, H, H]),
          floatFeed(FEED.argmaxCols, await put('cols', t.cols, [H, 2])),
          floatFeed(FEED.argmaxRows, await put('rows', t.rows, [2, H])),
          floatFeed(FEED.heatmapSize, await put('size', Float32Array.of(H), [])),
        );
    }
    let mf = g.node('Reshape', [g.transpose(src0, [0, 2, 1]), gridShape]); // [N, D, S, S]
    mf = g.node(
      'ConvTranspose',
      [mf, await P.raw(g, `${M}.mask_map.0.weight`), await P.raw(g, `${M}.mask_map.0.bias`)],
      { kernel_shape: [2, 2], strides: [2, 2] },
    );
    // Norm2d = LayerNorm over channels per pixel: done channels-last so the fused LayerNormalization applies.
    mf = g.transpose(mf, [0, 2, 3, 1]);
    mf = g.gelu(await layerNorm(g, P, `${M}.mask_map.1`, mf, 1e-6));
    mf = g.transpose(mf, [0, 3, 1, 2]);
    mf = g.node(
      'ConvTranspose',
      [mf, await P.raw(g, `${M}.mask_map.3.weight`), await P.raw(g, `${M}.mask_map.3.bias`)],
      { kernel_shape: [2, 2], strides: [2, 2] },
    );
    let me = g.relu(await linear(g, P, `${M}.mask_embed.layers.0`, decOut));
    me = g.relu(await linear(g, P, `${M}.mask_embed.layers.1`, me));
    me = await linear(g, P, `${M}.mask_embed.layers.2`, me);
    const maps = g.node('Reshape', [g.matmul(me, g.reshape(mf, [0, D, -1])), heatmapShape]); // [N, Qt, H, H]
    out(softArgmax(g, maps, { cols, rows, size }), TASK_OUTPUT.landmark, ['N', 'Q', 2]);
    out(g.node('Gather', [maps, mapSelect], { axis: 1 }), DECODER_IO.maps, ['N', 'Qs', 'H', 'H']);
  } else {
    // map_select is still an input of every decoder graph (the host feeds it); keep the graph valid without it.
    out(g.node('Gather', [g.f32([0], [1]), mapSelect], { axis: 0 }), DECODER_IO.maps, ['Qs']);
  }
  if (crossAttention) out(crossAttention, CROSS_ATTENTION, ['N', layers, 'Q', 'K']);

  for (const t of decoderTasks) {
    const type = TASKS[t].type;
    const o: TaskOutput[] =
      type === 'parsing'
        ? [{ name: TASK_OUTPUT.parsingLogits, from: DECODER_IO.maps, dims: ['N', 'Q', 'H', 'H'] }]
        : type === 'align'
          ? [
              { name: TASK_OUTPUT.landmark, from: TASK_OUTPUT.landmark, dims: ['N', 'Q', 2] },
              { name: TASK_OUTPUT.heatmap, from: DECODER_IO.maps, dims: ['N', 'Q', 'H', 'H'] },
            ]
          : [{ name: TASK_OUTPUT.logits, from: TASK_OUTPUT.logits, dims: ['N', 'Q'] }];
    taskOutputs.set(t, withAttention(o));
  }
  return { graph: g, kind: 'decoder', inputs: inputs.map(featName), outputs, groupFeeds, queryOffsets, taskOutputs };
}

/**
 * The transformer decoder (docs/model.md §5.3, §5.5) on batch-first tensors, for a batch of queries [1, Qt, D] whose
 * self-attention is confined to each task's block by `selfMask`; returns decoder_output [N, Qt, D], decoder_src
 * [N, S², D] and, when the spec asks, the head-averaged cross-attention weights of every layer
 * [N, layers, Qt, levels·S²].
 */
async function decoder(
  g: Graph,
  P: Params,
  spec: FaceptorHeadsSpec,
  C: number,
  D: number,
  layers: number,
  queryFeat: string,
  queryPos: string,
  memoryPos: string,
  selfMask: string,
  attentionShape: string | undefined,
): Promise<{ output: string; src0: string; crossAttention?: string }> {
  const srcs: string[] = [];
  for (let j = 0; j < spec.levels.length; j++) {
    const proj = j === 0 ? `${DEC}.input_proj.0` : `${DEC}.new_input_proj.${j - 1}`;
    const wT = await P.derived(g, `${proj}.weight^T`, async () => {
      const w = await P.read(`${proj}.weight`); // [D, C, 1, 1]
      const out = new Float32Array(C * D);
      for (let d = 0; d < D; d++) for (let c = 0; c < C; c++) out[c * D + d] = w[d * C + c];
      return { data: out, dims: [C, D] };
    });
    srcs.push(g.linear(featName(spec.levels[j]), wT, await P.raw(g, `${proj}.bias`)));
  }
  const memV = srcs.length === 1 ? srcs[0] : g.concat(srcs, 1);
  const memK = g.add(memV, memoryPos);

  let tgt = queryFeat;
  const qpos = queryPos;
  const H = spec.decoderHeads;
  const perLayer: string[] = [];
  let headMean: string | undefined;
  for (let i = 0; i < layers; i++) {
    const ca = `${DEC}.transformer_cross_attention_layers.${i}`;
    const { output: a, weights } = await multiheadAttentionWithWeights(
      g,
      P,
      `${ca}.multihead_attn`,
      g.add(tgt, qpos),
      memK,
      memV,
      H,
    );
    // Mean over heads [N, H, Q, Lk] → [N, 1, Q·Lk], a side branch off the softmax (the decoder's values are
    // untouched), as a [1, H]·[N, H, Q·Lk] MatMul with 1/H weights: onnxruntime's CPU ReduceMean over the head
    // axis (strided) took ~180 ms per run on a 98-query 512 task, the MatMul ~1/10 of that (measured, golden fixture).
    if (attentionShape) {
      const mean = g.matmul((headMean ??= g.f32(new Array(H).fill(1 / H), [1, H])), g.reshape(weights, [0, H, -1]));
      perLayer.push(g.node('Reshape', [mean, attentionShape])); // [N, 1, Qt, Lk]: an in-place view
    }
    tgt = await layerNorm(g, P, `${ca}.norm`, g.add(tgt, a), 1e-5);
    const sa = `${DEC}.transformer_self_attention_layers.${i}`;
    const qk = g.add(tgt, qpos);
    const s = await multiheadAttention(g, P, `${sa}.self_attn`, qk, qk, tgt, H, selfMask);
    tgt = await layerNorm(g, P, `${sa}.norm`, g.add(tgt, s), 1e-5);
    const ff = `${DEC}.transformer_ffn_layers.${i}`;
    const y = await linear(g, P, `${ff}.linear2`, g.relu(await linear(g, P, `${ff}.linear1`, tgt)));
    tgt = await layerNorm(g, P, `${ff}.norm`, g.add(tgt, y), 1e-5);
  }
  const crossAttention =
    perLayer.length === 0 ? undefined : perLayer.length === 1 ? perLayer[0] : g.concat(perLayer, 1);
  return { output: tgt, src0: srcs[0], crossAttention };
}

/** A_S + level embedding (docs/model.md §5.2, §5.4): a constant [S², D] per grid size and memory level. */
export async function anchorPositions(P: Params, S: number, D: number, level: number): Promise<Float32Array> {
  const a = `${DEC}.adapt_pos2d`;
  const [w1, b1, w2, b2] = await Promise.all(
    [`${a}.0.weight`, `${a}.0.bias`, `${a}.2.weight`, `${a}.2.bias`].map((k) => P.read(k)),
  );
  const pos = mlp2(anchorSineEmbedding(S, D), S * S, D, w1, b1, w2, b2);
  const embed =
    level === 0
      ? await P.read(`${DEC}.level_embed.weight`)
      : (await P.read(`${DEC}.new_level_embed.weight`)).subarray((level - 1) * D, level * D);
  for (let r = 0; r < S * S; r++) for (let d = 0; d < D; d++) pos[r * D + d] += embed[d];
  return pos;
}
