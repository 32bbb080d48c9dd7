/**
 * Naive Faceptor task graphs (docs/model.md §7): one classical head per task type, fed by the encoder's
 * block features. Eval BatchNorms are folded into the adjacent Linear/Conv; AdaptiveAvgPool and the small PPM
 * resizes are precomputed pooling/interpolation matrices (bins of 3 and 6 over 16 overlap: no ONNX pool op
 * reproduces them); the large ×2/×4/×8 resizes use ONNX Resize (linear, half_pixel = PyTorch align_corners=False).
 */
import { Graph } from '../onnx/graph.ts';
import type { InputGroup, TaskName, TaskType } from '../../../src/core/faceptor/tasks.ts';
import { featName } from './encoder.ts';
import type { GraphOutput, HeadsBuild, TaskOutput } from './faceptor.ts';
import { recognitionHead, softArgmaxFixed } from './heads-common.ts';
import { convBn, linear, tokensToMap } from './layers.ts';
import type { Params } from './params.ts';
import { adaptivePoolMatrix, bilinearMatrix } from './tables.ts';
import { TASK_OUTPUT } from '../../../src/core/faceptor/graph-io.ts';

const HEADS = 'heads_module.heads';

/** One naive head graph: a task type's head (its weights are its own), serving its tasks of one input group. */
export interface NaiveHeadsSpec {
  readonly type: TaskType;
  readonly tasks: readonly TaskName[];
  readonly group: InputGroup;
  readonly S: number;
}

/**
 * The naive heads of one task type as one graph (each type has its own weights, so nothing is shared across types;
 * a type's tasks share its trunk: expression's two datasets differ only in their last Linear). Inputs are the
 * encoder tokens [N, S², C]; outputs are named `<task>.<output>`.
 */
export async function buildNaiveHeads(P: Params, spec: NaiveHeadsSpec): Promise<HeadsBuild> {
  const C = P.shape('backbone_module.visual.conv1.weight')[0];
  const { type, S } = spec;
  const g = new Graph(`naive_${type}`);
  const prefix = `${HEADS}.${type}`;
  const outputs: GraphOutput[] = [];
  const taskOutputs = new Map<TaskName, TaskOutput[]>();
  const out = (value: string, task: TaskName, name: string, dims: (number | string)[]) => {
    const from = `${task}.${name}`;
    g.output(value, from, dims);
    outputs.push({ name: from, dims });
    taskOutputs.set(task, [...(taskOutputs.get(task) ?? []), { name, from, dims }]);
  };
  const build = (inputs: number[]): HeadsBuild => ({
    graph: g,
    kind: 'heads',
    inputs: inputs.map(featName),
    outputs,
    groupFeeds: new Map([[spec.group, []]]),
    queryOffsets: new Map(),
    taskOutputs,
  });
  const tokens = (blocks: number[]) => blocks.map((b) => g.input(featName(b), ['N', S * S, C]));

  if (type === 'recog') {
    const [f11] = tokens([11]);
    const emb = await recognitionHead(g, P, prefix, f11);
    const E = P.shape(`${prefix}.head.2.weight`)[0];
    for (const t of spec.tasks) out(emb, t, TASK_OUTPUT.embedding, ['N', E]);
    return build([11]);
  }

  if (type === 'age' || type === 'biattr' || type === 'affect') {
    const blocks = [5, 7, 9, 11];
    const feats = tokens(blocks).map((t) => tokensToMap(g, t, C, S));
    const trunk = await swinFaceTrunk(g, P, prefix, feats);
    for (const t of spec.tasks) {
      const Q = P.shape(`${prefix}.fcs.${t}.weight`)[0];
      out(await linear(g, P, `${prefix}.fcs.${t}`, trunk), t, TASK_OUTPUT.logits, ['N', Q]);
    }
    return build(blocks);
  }

  const blocks = [3, 5, 7, 11];
  const feats = tokens(blocks).map((t) => tokensToMap(g, t, C, S));
  const maps = await uperHead(g, P, prefix, feats, S);
  const Q = P.shape(`${prefix}.head.conv_seg.weight`)[0];
  const H = 4 * S;
  for (const t of spec.tasks) {
    if (type === 'parsing') out(maps, t, TASK_OUTPUT.parsingLogits, ['N', Q, H, H]);
    else {
      out(softArgmaxFixed(g, maps, H), t, TASK_OUTPUT.landmark, ['N', Q, 2]);
      out(maps, t, TASK_OUTPUT.heatmap, ['N', Q, H, H]);
    }
  }
  return build(blocks);
}

/** SwinFaceHead (docs/model.md §7.2) up to its task Linear: 4 convs → concat → CBAM channel gate → ReLU → global max → BN1d → 2×(Linear+ReLU). */
async function swinFaceTrunk(g: Graph, P: Params, prefix: string, feats: string[]): Promise<string> {
  const convs: string[] = [];
  for (let k = 0; k < 4; k++) {
    convs.push(
      g.node('Conv', [feats[k], await P.raw(g, `${prefix}.conv.${k}.weight`)], {
        kernel_shape: [3, 3],
        pads: [1, 1, 1, 1],
      }),
    );
  }
  let x = g.concat(convs, 1);
  const W = P.shape(`${prefix}.channel_attention.mlp.3.weight`)[0];
  const mlp = async (v: string) =>
    linear(
      g,
      P,
      `${prefix}.channel_attention.mlp.3`,
      g.relu(await linear(g, P, `${prefix}.channel_attention.mlp.1`, v)),
    );
  const att = g.add(await mlp(g.reduceMean(x, [2, 3], 0)), await mlp(g.reduceMax(x, [2, 3], 0)));
  x = g.mul(x, g.reshape(g.sigmoid(att), [0, W, 1, 1]));
  const pooled = g.reduceMax(g.relu(x), [2, 3], 0); // [N, W]
  // BatchNorm1d (eps 2e-5) folded into feature.0: W·(x·s + t) + b = (W·diag(s))·x + (W·t + b).
  const f0 = `${prefix}.feature.0`;
  const [O, I] = P.shape(`${f0}.weight`);
  let affine: { s: Float64Array; t: Float64Array } | undefined;
  const getAffine = async () => (affine ??= await P.bnAffine(`${prefix}.norm`, 2e-5));
  const w0 = await P.derived(g, `${f0}.weight|bnIn^T`, async () => {
    const { s } = await getAffine();
    const w = await P.read(`${f0}.weight`);
    const out = new Float32Array(I * O);
    for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) out[i * O + o] = w[o * I + i] * s[i];
    return { data: out, dims: [I, O] };
  });
  const b0 = await P.derived(g, `${f0}.bias|bnIn`, async () => {
    const { t } = await getAffine();
    const w = await P.read(`${f0}.weight`);
    const b = await P.read(`${f0}.bias`);
    const out = new Float32Array(O);
    for (let o = 0; o < O; o++) {
      let s = b[o];
      for (let i = 0; i < I; i++) s += w[o * I + i] * t[i];
      out[o] = s;
    }
    return { data: out, dims: [O] };
  });
  const h = g.relu(g.linear(pooled, w0, b0));
  return g.relu(await linear(g, P, `${prefix}.feature.3`, h));
}

/**
 * A constant [rows × cols] matrix from a float64 table, stored in the weights file under `id` (ids carry the head's
 * prefix: parsing and align graphs keep their own copy, so every stored tensor belongs to exactly one graph).
 */
function matrix(g: Graph, P: Params, id: string, m: Float64Array, rows: number, cols: number): Promise<string> {
  return P.derived(g, id, async () => ({ data: Float32Array.from(m), dims: [rows, cols] }));
}

function resize(g: Graph, x: string, factor: number): string {
  return g.node('Resize', [x, '', g.f32([1, 1, factor, factor])], {
    mode: 'linear',
    coordinate_transformation_mode: 'half_pixel',
  });
}

/** MMSEG UPerHead with the ViT multi-scale necks (docs/model.md §7.3); returns [N, Q, 4S, 4S]. */
async function uperHead(g: Graph, P: Params, prefix: string, feats: string[], S: number): Promise<string> {
  const fp = `${prefix}.fpns`;
  const h = `${prefix}.head`;
  // Level 0: ConvT → BN (folded) → GELU → ConvT. Level 1: ConvT. Level 2: identity. Level 3: MaxPool 2×2.
  const [Cin, Cout] = P.shape(`${fp}.0.0.weight`);
  let affine: { s: Float64Array; t: Float64Array } | undefined;
  const getAffine = async () => (affine ??= await P.bnAffine(`${fp}.0.1`, 1e-5));
  const w00 = await P.derived(g, `${fp}.0.0.weight|bn`, async () => {
    const { s } = await getAffine();
    const w = await P.read(`${fp}.0.0.weight`);
    const out = new Float32Array(w.length);
    for (let c = 0; c < Cin; c++)
      for (let o = 0; o < Cout; o++)
        for (let k = 0; k < 4; k++) out[(c * Cout + o) * 4 + k] = w[(c * Cout + o) * 4 + k] * s[o];
    return { data: out, dims: [Cin, Cout, 2, 2] };
  });
  const b00 = await P.derived(g, `${fp}.0.0.bias|bn`, async () => {
    const { s, t } = await getAffine();
    const b = await P.read(`${fp}.0.0.bias`);
    return { data: b.map((v, o) => v * s[o] + t[o]), dims: [Cout] };
  });
  const convT = { kernel_shape: [2, 2], strides: [2, 2] };
  let l0 = g.gelu(g.node('ConvTranspose', [feats[0], w00, b00], convT));
  l0 = g.node('ConvTranspose', [l0, await P.raw(g, `${fp}.0.3.weight`), await P.raw(g, `${fp}.0.3.bias`)], convT);
  const l1 = g.node(
    'ConvTranspose',
    [feats[1], await P.raw(g, `${fp}.1.weight`), await P.raw(g, `${fp}.1.bias`)],
    convT,
  );
  const l2 = feats[2];
  const l3 = g.node('MaxPool', [feats[3]], { kernel_shape: [2, 2], strides: [2, 2] });
  const S3 = S / 2;

  // PPM on level 3: adaptive average pools as separable matrices, ConvModule 1×1, bilinear back to S3.
  const ppm: string[] = [l3];
  const scales = [1, 2, 3, 6];
  for (let k = 0; k < scales.length; k++) {
    const s = scales[k];
    const pool = adaptivePoolMatrix(S3, s);
    const poolT = transposeM(pool, s, S3);
    // Clean separable form: Ph · X · Pwᵀ.
    const pooled = g.matmul(
      await matrix(g, P, `${prefix}.pool${S3}to${s}`, pool, s, S3),
      g.matmul(l3, await matrix(g, P, `${prefix}.pool${S3}to${s}^T`, poolT, S3, s)),
    );
    const conv = await convBn(
      g,
      P,
      `${h}.psp_modules.${k}.1.conv.weight`,
      `${h}.psp_modules.${k}.1.bn`,
      pooled,
      1e-5,
      0,
      true,
    );
    const up = bilinearMatrix(s, S3);
    ppm.push(
      g.matmul(
        await matrix(g, P, `${prefix}.bilinear${s}to${S3}`, up, S3, s),
        g.matmul(conv, await matrix(g, P, `${prefix}.bilinear${s}to${S3}^T`, transposeM(up, S3, s), s, S3)),
      ),
    );
  }
  const L3 = await convBn(g, P, `${h}.bottleneck.conv.weight`, `${h}.bottleneck.bn`, g.concat(ppm, 1), 1e-5, 1, true);

  const L: string[] = [];
  for (const [k, lv] of [l0, l1, l2].entries())
    L.push(await convBn(g, P, `${h}.lateral_convs.${k}.conv.weight`, `${h}.lateral_convs.${k}.bn`, lv, 1e-5, 0, true));
  L.push(L3);
  for (let k = 3; k >= 1; k--) L[k - 1] = g.add(L[k - 1], resize(g, L[k], 2));
  const O: string[] = [];
  for (let k = 0; k < 3; k++)
    O.push(await convBn(g, P, `${h}.fpn_convs.${k}.conv.weight`, `${h}.fpn_convs.${k}.bn`, L[k], 1e-5, 1, true));
  O.push(L[3]);
  const cat = g.concat([O[0], resize(g, O[1], 2), resize(g, O[2], 4), resize(g, O[3], 8)], 1);
  const fused = await convBn(g, P, `${h}.fpn_bottleneck.conv.weight`, `${h}.fpn_bottleneck.bn`, cat, 1e-5, 1, true);
  return g.node('Conv', [fused, await P.raw(g, `${h}.conv_seg.weight`), await P.raw(g, `${h}.conv_seg.bias`)], {
    kernel_shape: [1, 1],
  });
}

function transposeM(m: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c];
  return out;
}
