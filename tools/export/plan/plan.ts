/**
 * Export plan: from the state_dict's key names and shapes alone (no weights), decide the variant and its tasks,
 * read every dimension, and list every key the inference graphs need with the shape those dimensions imply. A key
 * that is missing, has another shape, or is not accounted for is an error naming it, so the graph builder can
 * trust the plan. See ../checkpoint/README.md for the dimension and head-count rules.
 */
import {
  LAYER_ATTENTION_BLOCKS,
  TASKS,
  VARIANT_TASKS,
  type TaskName,
  type TaskType,
  type Variant,
} from '../../../src/core/faceptor/tasks.ts';
import { ExportPlanError, type ShapeProblem } from './errors.ts';

export interface PlanTensorInfo {
  readonly shape: readonly number[];
  /** When given, kept tensors must be floating point. */
  readonly dtype?: string;
}

export interface ExportPlanOptions {
  /** ViT attention heads; shapes cannot tell them. Default: width / 64 (FaRL's head dim). */
  readonly vitHeads?: number;
  /**
   * Decoder attention heads; shapes cannot tell them. Default 8 (hard-coded in the official decoder,
   * docs/model.md §11.1).
   */
  readonly decoderHeads?: number;
  /** Refuse keys that are neither needed nor known to be droppable (default true). */
  readonly strict?: boolean;
}

export interface VitDims {
  /** Width C. */ readonly width: number;
  readonly layers: number;
  readonly heads: number;
  readonly headDim: number;
  /** MLP hidden width (4C in FaRL). */ readonly mlp: number;
  readonly patch: number;
  /** Rows of the stored position table (1 + grid²). */ readonly posRows: number;
  /** Side of the stored position grid (32). */ readonly posGrid: number;
}

export interface DecoderDims {
  /** Width D. */ readonly hidden: number;
  readonly heads: number;
  readonly headDim: number;
  readonly ffn: number;
  readonly layers: number;
  /** Memory levels: 1, or 6 with Layer-Attention (blocks from LAYER_ATTENTION_BLOCKS). */
  readonly levels: number;
}

export interface NaiveHeadDims {
  /** SwinFaceHead: output channels of each of the four 3x3 convs (128). */ readonly swinConv: number;
  /** SwinFaceHead: concatenated width = 4·swinConv (512). */ readonly swinWidth: number;
  /** SwinFaceHead: channel-attention bottleneck (32). */ readonly channelHidden: number;
  /** SwinFaceHead: width of feature.0 / feature.3 (512). */ readonly swinFeature: number;
  /** UPerHead channels (512). */ readonly uperChannels: number;
}

export interface PlanDims {
  readonly vit: VitDims;
  /** Faceptor variants only. */ readonly decoder?: DecoderDims;
  /** Naive only. */ readonly naive?: NaiveHeadDims;
  /** Recognition embedding width (512). */ readonly recogEmbedding: number;
  /** Outputs per task (queries for decoder tasks; embedding width for recognition). */
  readonly outputs: Readonly<Partial<Record<TaskName, number>>>;
}

export interface ExportPlan {
  readonly variant: Variant;
  readonly tasks: TaskName[];
  readonly dims: PlanDims;
  /** Every inference key (no `module.` prefix) with its expected — and verified — shape, in graph order. */
  readonly keep: Map<string, number[]>;
  /** Present keys that are not exported, with the reason. */
  readonly dropped: { key: string; why: string }[];
}

const VIT = 'backbone_module.visual.';
const DEC = 'heads_module.decoder.';
const INT = 'heads_module.interpreters.';
const HEADS = 'heads_module.heads.';
const MAX_LISTED = 40;

const FLOAT_DTYPES = new Set(['float32', 'float16', 'float64', 'bfloat16']);

function stripModule(key: string): string {
  return key.startsWith('module.') ? key.slice('module.'.length) : key;
}

/** Largest `<n>` + 1 among keys `prefix<n>.…`; 0 when none. */
function countIndexed(keys: Iterable<string>, prefix: string): number {
  let n = 0;
  for (const k of keys) {
    if (!k.startsWith(prefix)) continue;
    const m = /^(\d+)\./.exec(k.slice(prefix.length));
    if (m) n = Math.max(n, Number(m[1]) + 1);
  }
  return n;
}

function detectVariant(keys: string[]): Variant {
  if (keys.some((k) => k.startsWith(HEADS))) return 'naive';
  if (keys.some((k) => k.startsWith(`${DEC}new_input_proj.`) || k.startsWith(`${DEC}new_level_embed.`)))
    return 'layer_attention';
  const queried = new Set(
    keys.filter((k) => k.startsWith(`${DEC}query_feat.`)).map((k) => k.slice(`${DEC}query_feat.`.length).split('.')[0]),
  );
  if (queried.size === 0) {
    throw new ExportPlanError(
      'unknown_variant',
      'unknown Faceptor variant: no naive heads (heads_module.heads.*) and no decoder queries (heads_module.decoder.query_feat.*) found',
    );
  }
  const fullOnly = VARIANT_TASKS.full.filter((t) => !VARIANT_TASKS.base.includes(t));
  return fullOnly.some((t) => queried.has(t)) ? 'full' : 'base';
}

function list(items: string[]): string {
  const shown = items.slice(0, MAX_LISTED).join(', ');
  return items.length > MAX_LISTED ? `${shown} … and ${items.length - MAX_LISTED} more` : shown;
}

export function planExport(tensors: ReadonlyMap<string, PlanTensorInfo>, options: ExportPlanOptions = {}): ExportPlan {
  const shapes = new Map<string, PlanTensorInfo>();
  for (const [k, v] of tensors) shapes.set(stripModule(k), v);
  const keys = [...shapes.keys()];
  const variant = detectVariant(keys);
  const tasks = [...VARIANT_TASKS[variant]];
  const tasksOf = (type: TaskType): TaskName[] => tasks.filter((t) => TASKS[t].type === type);

  // Anchors: each free dimension is read from exactly one key; every other key is then checked against it.
  const missingAnchors: string[] = [];
  const dim = (key: string, axis: number): number => {
    const s = shapes.get(key)?.shape;
    if (!s || s.length <= axis) {
      missingAnchors.push(key);
      return NaN;
    }
    return s[axis]!;
  };

  const C = dim(`${VIT}conv1.weight`, 0);
  const patch = dim(`${VIT}conv1.weight`, 2);
  const posRows = dim(`${VIT}positional_embedding`, 0);
  const posGrid = Math.round(Math.sqrt(posRows - 1));
  const vitLayers = countIndexed(keys, `${VIT}transformer.resblocks.`);
  const mlp = dim(`${VIT}transformer.resblocks.0.mlp.c_fc.weight`, 0);
  const vitHeads = options.vitHeads ?? C / 64;
  if (Number.isFinite(C) && (!Number.isInteger(vitHeads) || vitHeads < 1 || C % vitHeads !== 0)) {
    throw new ExportPlanError(
      'bad_dims',
      `ViT width ${C} is not divisible into ${options.vitHeads ?? 'width/64'} heads; pass vitHeads`,
    );
  }
  if (Number.isFinite(posRows) && posGrid * posGrid + 1 !== posRows) {
    throw new ExportPlanError('bad_dims', `positional_embedding has ${posRows} rows, not 1 + a square grid`);
  }
  const vit: VitDims = {
    width: C,
    layers: vitLayers,
    heads: vitHeads,
    headDim: C / vitHeads,
    mlp,
    patch,
    posRows,
    posGrid,
  };

  const keep = new Map<string, number[]>();
  const put = (key: string, shape: number[]): void => {
    keep.set(key, shape);
  };
  const ln = (prefix: string, n: number): void => {
    put(`${prefix}.weight`, [n]);
    put(`${prefix}.bias`, [n]);
  };
  const linear = (prefix: string, out: number, inp: number, bias = true): void => {
    put(`${prefix}.weight`, [out, inp]);
    if (bias) put(`${prefix}.bias`, [out]);
  };
  const bn = (prefix: string, n: number): void => {
    for (const p of ['weight', 'bias', 'running_mean', 'running_var']) put(`${prefix}.${p}`, [n]);
  };
  const mha = (prefix: string, d: number): void => {
    put(`${prefix}.in_proj_weight`, [3 * d, d]);
    put(`${prefix}.in_proj_bias`, [3 * d]);
    linear(`${prefix}.out_proj`, d, d);
  };

  // Backbone (docs/model.md §2.3, §4).
  put(`${VIT}class_embedding`, [C]);
  put(`${VIT}positional_embedding`, [posRows, C]);
  put(`${VIT}conv1.weight`, [C, 3, patch, patch]);
  ln(`${VIT}ln_pre`, C);
  for (let i = 0; i < vitLayers; i++) {
    const b = `${VIT}transformer.resblocks.${i}`;
    ln(`${b}.ln_1`, C);
    mha(`${b}.attn`, C);
    ln(`${b}.ln_2`, C);
    linear(`${b}.mlp.c_fc`, mlp, C);
    linear(`${b}.mlp.c_proj`, C, mlp);
  }

  let recogEmbedding: number;
  let decoder: DecoderDims | undefined;
  let naive: NaiveHeadDims | undefined;
  const outputs: Partial<Record<TaskName, number>> = {};

  const recogHead = (prefix: string, e: number): void => {
    ln(`${prefix}.norm`, C);
    linear(`${prefix}.head.0`, C, C, false);
    bn(`${prefix}.head.1`, C);
    linear(`${prefix}.head.2`, e, C, false);
    bn(`${prefix}.head.3`, e);
  };

  if (variant === 'naive') {
    recogEmbedding = dim(`${HEADS}recog.head.2.weight`, 0);
    recogHead(`${HEADS}recog`, recogEmbedding);
    const swinConv = dim(`${HEADS}age.conv.0.weight`, 0);
    const swinWidth = 4 * swinConv;
    const channelHidden = dim(`${HEADS}age.channel_attention.mlp.1.weight`, 0);
    const swinFeature = dim(`${HEADS}age.feature.0.weight`, 0);
    const uperChannels = dim(`${HEADS}parsing.head.conv_seg.weight`, 1);
    naive = { swinConv, swinWidth, channelHidden, swinFeature, uperChannels };
    for (const type of ['age', 'biattr', 'affect'] as const) {
      const h = `${HEADS}${type}`;
      for (let k = 0; k < 4; k++) put(`${h}.conv.${k}.weight`, [swinConv, C, 3, 3]);
      linear(`${h}.channel_attention.mlp.1`, channelHidden, swinWidth);
      linear(`${h}.channel_attention.mlp.3`, swinWidth, channelHidden);
      bn(`${h}.norm`, swinWidth);
      linear(`${h}.feature.0`, swinFeature, swinWidth);
      linear(`${h}.feature.3`, swinFeature, swinFeature);
      for (const t of tasksOf(type)) linear(`${h}.fcs.${t}`, TASKS[t].outputs, swinFeature);
    }
    const U = uperChannels;
    for (const type of ['parsing', 'align'] as const) {
      const h = `${HEADS}${type}`;
      const headTasks = tasksOf(type);
      if (headTasks.length !== 1)
        throw new ExportPlanError(
          'bad_dims',
          `naive ${type} head expects one task, the registry lists ${headTasks.length}`,
        );
      put(`${h}.fpns.0.0.weight`, [C, C, 2, 2]);
      put(`${h}.fpns.0.0.bias`, [C]);
      bn(`${h}.fpns.0.1`, C);
      put(`${h}.fpns.0.3.weight`, [C, C, 2, 2]);
      put(`${h}.fpns.0.3.bias`, [C]);
      put(`${h}.fpns.1.weight`, [C, C, 2, 2]);
      put(`${h}.fpns.1.bias`, [C]);
      const convModule = (name: string, out: number, inp: number, k: number): void => {
        put(`${h}.head.${name}.conv.weight`, [out, inp, k, k]);
        bn(`${h}.head.${name}.bn`, out);
      };
      put(`${h}.head.conv_seg.weight`, [TASKS[headTasks[0]!].outputs, U, 1, 1]);
      put(`${h}.head.conv_seg.bias`, [TASKS[headTasks[0]!].outputs]);
      for (let k = 0; k < 4; k++) convModule(`psp_modules.${k}.1`, U, C, 1);
      convModule('bottleneck', U, C + 4 * U, 3);
      for (let k = 0; k < 3; k++) convModule(`lateral_convs.${k}`, U, C, 1);
      for (let k = 0; k < 3; k++) convModule(`fpn_convs.${k}`, U, U, 3);
      convModule('fpn_bottleneck', U, 4 * U, 3);
    }
    for (const t of tasks) outputs[t] = TASKS[t].outputs;
  } else {
    const D = dim(`${DEC}level_embed.weight`, 1);
    const ffn = dim(`${DEC}transformer_ffn_layers.0.linear1.weight`, 0);
    const decLayers = countIndexed(keys, `${DEC}transformer_ffn_layers.`);
    const decHeads = options.decoderHeads ?? 8;
    if (Number.isFinite(D) && (!Number.isInteger(decHeads) || decHeads < 1 || D % decHeads !== 0)) {
      throw new ExportPlanError(
        'bad_dims',
        `decoder width ${D} is not divisible into ${decHeads} heads; pass decoderHeads`,
      );
    }
    const levels = variant === 'layer_attention' ? LAYER_ATTENTION_BLOCKS.length : 1;
    decoder = { hidden: D, heads: decHeads, headDim: D / decHeads, ffn, layers: decLayers, levels };
    recogEmbedding = dim(`${INT}feature_v2.head.2.weight`, 0);

    for (const t of tasks) {
      outputs[t] = TASKS[t].outputs;
      if (TASKS[t].type === 'recog') continue;
      put(`${DEC}query_feat.${t}.weight`, [TASKS[t].outputs, D]);
    }
    for (const t of tasks) if (TASKS[t].type !== 'recog') put(`${DEC}query_embed.${t}.weight`, [TASKS[t].outputs, D]);
    put(`${DEC}level_embed.weight`, [1, D]);
    put(`${DEC}input_proj.0.weight`, [D, C, 1, 1]);
    put(`${DEC}input_proj.0.bias`, [D]);
    if (variant === 'layer_attention') {
      put(`${DEC}new_level_embed.weight`, [levels - 1, D]);
      for (let j = 0; j < levels - 1; j++) {
        put(`${DEC}new_input_proj.${j}.weight`, [D, C, 1, 1]);
        put(`${DEC}new_input_proj.${j}.bias`, [D]);
      }
    }
    linear(`${DEC}adapt_pos2d.0`, D, D);
    linear(`${DEC}adapt_pos2d.2`, D, D);
    for (let i = 0; i < decLayers; i++) {
      mha(`${DEC}transformer_cross_attention_layers.${i}.multihead_attn`, D);
      ln(`${DEC}transformer_cross_attention_layers.${i}.norm`, D);
      mha(`${DEC}transformer_self_attention_layers.${i}.self_attn`, D);
      ln(`${DEC}transformer_self_attention_layers.${i}.norm`, D);
      linear(`${DEC}transformer_ffn_layers.${i}.linear1`, ffn, D);
      linear(`${DEC}transformer_ffn_layers.${i}.linear2`, D, ffn);
      ln(`${DEC}transformer_ffn_layers.${i}.norm`, D);
    }
    recogHead(`${INT}feature_v2`, recogEmbedding);
    linear(`${INT}value.fc`, 1, D);
    const m = `${INT}map_v2`;
    put(`${m}.mask_map.0.weight`, [D, D, 2, 2]);
    put(`${m}.mask_map.0.bias`, [D]);
    ln(`${m}.mask_map.1`, D);
    put(`${m}.mask_map.3.weight`, [D, D, 2, 2]);
    put(`${m}.mask_map.3.bias`, [D]);
    for (let k = 0; k < 3; k++) linear(`${m}.mask_embed.layers.${k}`, D, D);
  }
  const recog = tasksOf('recog');
  for (const t of recog) outputs[t] = recogEmbedding;

  // Classify every present key.
  const dropped: { key: string; why: string }[] = [];
  const unexpected: string[] = [];
  const wrongShapes: ShapeProblem[] = [];
  const wrongDtypes: string[] = [];
  for (const [key, info] of shapes) {
    const expected = keep.get(key);
    if (expected) {
      const got = [...info.shape];
      const same = got.length === expected.length && expected.every((e, i) => Number.isNaN(e) || e === got[i]);
      if (!same) wrongShapes.push({ key, expected, got });
      if (info.dtype !== undefined && !FLOAT_DTYPES.has(info.dtype)) wrongDtypes.push(`${key} (${info.dtype})`);
      continue;
    }
    const alias = /^(.*\.mask_map\.1)\.ln\.(weight|bias)$/.exec(key);
    if (key.startsWith('losses_module.'))
      dropped.push({ key, why: 'training only (loss parameters, e.g. the CosFace class centres)' });
    else if (key.endsWith('.num_batches_tracked')) dropped.push({ key, why: 'BatchNorm counter, unused in eval' });
    else if (key === `${VIT}proj` || key.startsWith(`${VIT}ln_post.`))
      dropped.push({ key, why: 'FaRL projection head, unused by Faceptor' });
    else if (alias && keep.has(`${alias[1]}.${alias[2]}`))
      dropped.push({ key, why: `alias of ${alias[1]}.${alias[2]} (same storage)` });
    else unexpected.push(key);
  }
  const missing = [...keep.keys()].filter((k) => !shapes.has(k));
  for (const a of missingAnchors) if (!missing.includes(a) && !shapes.has(a)) missing.push(a);

  const problems: string[] = [];
  if (missing.length) problems.push(`${missing.length} missing key(s) for ${variant}: ${list(missing)}`);
  if (wrongShapes.length) {
    problems.push(
      `${wrongShapes.length} wrong shape(s): ${list(wrongShapes.map((w) => `${w.key} expected [${w.expected.join(', ')}] got [${w.got.join(', ')}]`))}`,
    );
  }
  if (wrongDtypes.length)
    problems.push(`${wrongDtypes.length} non-float tensor(s) among the weights: ${list(wrongDtypes)}`);
  const strict = options.strict ?? true;
  if (strict && unexpected.length)
    problems.push(`${unexpected.length} unexpected key(s) for ${variant}: ${list(unexpected)}`);
  if (problems.length) {
    const code = missing.length
      ? 'missing_keys'
      : wrongShapes.length
        ? 'wrong_shapes'
        : wrongDtypes.length
          ? 'wrong_dtypes'
          : 'unexpected_keys';
    throw new ExportPlanError(
      code,
      `cannot export this checkpoint: ${problems.join('; ')}`,
      missing,
      wrongShapes,
      unexpected,
    );
  }
  for (const key of unexpected) dropped.push({ key, why: `not part of the ${variant} inference graph` });

  return { variant, tasks, dims: { vit, decoder, naive, recogEmbedding, outputs }, keep, dropped };
}

/** Head counts as the golden manifests state them (`reduced_config`); the real-size defaults otherwise. */
export function headOptionsFromManifest(manifest: {
  reduced_config?: { vit_heads?: number; dec_heads?: number };
}): ExportPlanOptions {
  const rc = manifest.reduced_config ?? {};
  return { vitHeads: rc.vit_heads, decoderHeads: rc.dec_heads };
}
