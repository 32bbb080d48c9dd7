/**
 * The exporter's core: checkpoint (already opened) → model package written into a {@link PackageSink}. Streams
 * weights (read → fold → append to weights.bin → drop), builds one encoder graph and the head graphs, hashes every
 * file while it is written and writes `faceptor.json` last. Free of Node imports: the CLI (export.ts, a folder) and
 * the browser (workers/browser-export, the origin-private file system) run this same code, so the bytes agree.
 * Where the package goes, and making it appear only when complete, is the caller's job.
 */
import {
  LAYER_ATTENTION_BLOCKS,
  TASKS,
  type InputGroup,
  type TaskName,
  type Variant,
} from '../../../src/core/faceptor/tasks.ts';
import {
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  PRECISIONS,
  parseManifest,
  type EncoderGraph,
  type FaceptorManifest,
  type HeadGraph,
  type PackageFile,
  type TaskGraph as TaskEntry,
} from '../../../src/core/faceptor/manifest.ts';
import type { Checkpoint } from '../checkpoint/checkpoint.ts';
import type { ExportPlan, ExportPlanOptions } from '../plan/plan.ts';
import type { Graph } from '../onnx/graph.ts';
import { buildEncoder, featName, POS_INPUT } from '../graphs/encoder.ts';
import { buildFaceptorHeads, type HeadsBuild } from '../graphs/faceptor.ts';
import { buildNaiveHeads } from '../graphs/naive.ts';
import { Params, type TensorSource } from '../graphs/params.ts';
import { fp16KeepsFloat32 } from './precision.ts';
import { QUANT, WEIGHTS_FILE, SinkWeightStore, storedFeed, type Precision } from './weight-store.ts';
import type { PackageSink } from './sink.ts';

export const EXPORTER = 'faceptor-web exporter';
export const EXPORTER_VERSION = '2.0.0';

/** Options of the exporter's core (the CLI adds `replace`, see export.ts). */
export interface PackageOptions extends ExportPlanOptions {
  readonly precision?: Precision;
  /**
   * fp16 only: which matrices stay float32 (tensor id → true). Default: the measured plan of precision.ts. The
   * real-size precision check passes candidates here to measure them.
   */
  readonly keepFloat32?: (id: string) => boolean;
  readonly label?: string;
  readonly untrained?: boolean;
  /** Progress callback: (done, total, what). */
  readonly onProgress?: (done: number, total: number, what: string) => void;
  /** Problems that do not stop the export (non-finite weights, a label made unique). */
  readonly onWarning?: (message: string) => void;
}

export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

/** Which backbone blocks a task's head reads (docs/model.md §4.4). */
export function blocksForTask(variant: Variant, task: TaskName): number[] {
  const type = TASKS[task].type;
  if (type === 'recog') return [11];
  if (variant === 'naive') return TASKS[task].group === 112 ? [5, 7, 9, 11] : [3, 5, 7, 11];
  return variant === 'layer_attention' ? [...LAYER_ATTENTION_BLOCKS] : [11];
}

function sourceOf(ckpt: Checkpoint, nonFinite: Map<string, number>): TensorSource {
  return {
    shape: (key) => ckpt.tensors.get(key)?.shape,
    read: async (key) => {
      const t = ckpt.tensors.get(key);
      if (!t) throw new ExportError(`checkpoint has no tensor '${key}'`);
      const values = await t.read();
      // A NaN/Inf weight makes every image fail at run time; name it now (one pass, at read time: no extra I/O).
      let bad = 0;
      for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) bad++;
      if (bad > 0) nonFinite.set(key, bad);
      return values;
    },
  };
}

/** Refuses a precision the exporter does not make (the CLI and the page pass user input here). */
export function checkPrecision(precision: string): Precision {
  if (!(PRECISIONS as readonly string[]).includes(precision))
    throw new ExportError(`precision must be one of ${PRECISIONS.join(', ')}, got '${precision}'`);
  return precision as Precision;
}

/** What the core needs beyond the checkpoint and plan: the source file's identity and where the package goes. */
export interface PackageTarget {
  readonly sink: PackageSink;
  /** The checkpoint's file name (no folders) and size, for the provenance. */
  readonly sourceName: string;
  readonly sourceSize: number;
  /** sha256 of the whole checkpoint file (hashed at the end: the CLI and the browser read it their own way). */
  readonly sourceSha256: () => Promise<string>;
  /** The label to record, given the default one (the CLI makes it unique among public/models). */
  readonly label: (fallback: string) => Promise<string>;
}

export interface WrittenPackage {
  readonly manifest: FaceptorManifest;
  readonly nodeCounts: Record<string, number>;
  readonly nonFinite: { key: string; count: number }[];
}

/** Writes every file of the package into `target.sink`, `faceptor.json` last. Throws on any problem. */
export async function writePackage(
  ckpt: Checkpoint,
  plan: ExportPlan,
  target: PackageTarget,
  options: PackageOptions = {},
): Promise<WrittenPackage> {
  const precision = checkPrecision(options.precision ?? 'fp32');
  const nonFiniteMap = new Map<string, number>();
  const built = await writeGraphs(ckpt, plan, target.sink, precision, options, nonFiniteMap);
  const nonFinite = [...nonFiniteMap].map(([key, count]) => ({ key, count }));
  if (nonFinite.length > 0) {
    const shown = nonFinite
      .slice(0, 8)
      .map((t) => `${t.key} (${t.count})`)
      .join(', ');
    options.onWarning?.(
      `${nonFinite.length} tensor(s) hold NaN or infinite values, so every image will fail for the tasks that use them: ${shown}${nonFinite.length > 8 ? ', …' : ''}`,
    );
  }
  const files: PackageFile[] = built.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 }));
  const manifest: FaceptorManifest = {
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_VERSION,
    label: await target.label(options.label ?? `${target.sourceName} (${plan.variant}, ${precision})`),
    variant: plan.variant,
    precision,
    provenance: {
      sourceFile: target.sourceName,
      sourceSize: target.sourceSize,
      sourceSha256: await target.sourceSha256(),
      step: ckpt.step ?? null,
      exporter: EXPORTER,
      exporterVersion: EXPORTER_VERSION,
      exportedAt: new Date().toISOString(),
      untrained: options.untrained ?? false,
    },
    dims: {
      vitWidth: plan.dims.vit.width,
      vitLayers: plan.dims.vit.layers,
      vitHeads: plan.dims.vit.heads,
      patch: plan.dims.vit.patch,
      decoderWidth: plan.dims.decoder?.hidden,
      decoderHeads: plan.dims.decoder?.heads,
      decoderLayers: plan.dims.decoder?.layers,
      decoderLevels: plan.dims.decoder?.levels,
      recogEmbedding: plan.dims.recogEmbedding,
    },
    parameters: built.parameters,
    weights: WEIGHTS_FILE,
    encoder: built.encoder,
    heads: built.heads,
    tasks: built.tasks,
    fused: built.fused,
    files,
  };
  parseManifest(JSON.parse(JSON.stringify(manifest))); // the writer must satisfy its own reader
  const out = await target.sink.create(MANIFEST_FILE);
  try {
    out.write(new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n'));
    await out.close();
  } catch (e) {
    out.abort();
    throw e;
  }
  return { manifest, nodeCounts: built.nodeCounts, nonFinite };
}

interface Built {
  encoder: EncoderGraph;
  heads: HeadGraph[];
  tasks: TaskEntry[];
  /** Every file written, in package order (weights.bin first), with its size and sha256. */
  files: PackageFile[];
  fused: string[];
  parameters: number;
  nodeCounts: Record<string, number>;
}

async function writeGraphs(
  ckpt: Checkpoint,
  plan: ExportPlan,
  sink: PackageSink,
  precision: Precision,
  options: PackageOptions,
  nonFinite: Map<string, number>,
): Promise<Built> {
  const store = new SinkWeightStore(
    await sink.create(WEIGHTS_FILE),
    precision,
    options.keepFloat32 ?? fp16KeepsFloat32,
  );
  let closed = false;
  try {
    const producer = { name: EXPORTER, version: EXPORTER_VERSION };
    const files: string[] = [];
    const written: PackageFile[] = [];
    const graphs = await buildPackageGraphs(sourceOf(ckpt, nonFinite), plan, store, async (file, g, done, total) => {
      const out = await sink.create(file);
      try {
        out.write(g.toBytes(producer));
        written.push({ path: file, ...(await out.close()) });
      } catch (e) {
        out.abort();
        throw e;
      }
      files.push(file);
      options.onProgress?.(done, total, file);
    });
    const parameters = store.values;
    const weights = await store.close();
    closed = true;
    return {
      ...graphs,
      files: [{ path: WEIGHTS_FILE, ...weights }, ...written],
      fused: describeFusions(graphs.ops, precision),
      parameters,
    };
  } finally {
    if (!closed) store.abort();
  }
}

/**
 * Builds every graph of the package in order (the encoder, then the head graphs), appending weights to `store` and
 * handing each finished graph to `save`. With a dry-run store this checks a checkpoint's shapes end to end.
 * Faceptor variants get one head graph for every task of both groups (decoder + interpreters, batched queries);
 * Naive gets one per task type (each type's head has its own weights). Every weight lands in exactly one graph.
 */
export async function buildPackageGraphs(
  source: TensorSource,
  plan: ExportPlan,
  store: SinkWeightStore,
  save: (file: string, g: Graph, done: number, total: number) => Promise<void>,
): Promise<{
  encoder: EncoderGraph;
  heads: HeadGraph[];
  tasks: TaskEntry[];
  ops: Set<string>;
  nodeCounts: Record<string, number>;
}> {
  const P = new Params(source, store);
  const groups = ([112, 512] as InputGroup[]).filter((gr) => plan.tasks.some((t) => TASKS[t].group === gr));
  const naiveTypes = plan.variant === 'naive' ? [...new Set(plan.tasks.map((t) => TASKS[t].type))] : [];
  const total = 1 + (plan.variant === 'naive' ? naiveTypes.length : 1);
  let done = 0;
  const ops = new Set<string>();
  const nodeCounts: Record<string, number> = {};
  const finish = async (file: string, g: Graph) => {
    nodeCounts[file] = g.nodeCount;
    for (const op of g.opsUsed) ops.add(op);
    await save(file, g, ++done, total);
  };

  const C = plan.dims.vit.width;
  const blocks = [...new Set(plan.tasks.flatMap((t) => blocksForTask(plan.variant, t)))].sort((a, b) => a - b);
  const enc = await buildEncoder(P, { inputSizes: groups, blocks, heads: plan.dims.vit.heads });
  const encFile = 'encoder.onnx';
  await finish(encFile, enc.graph);
  const encoder: EncoderGraph = {
    file: encFile,
    input: { name: 'image', dims: ['N', 3, 'H', 'H'] },
    outputs: blocks.map((b) => ({ name: featName(b), dims: ['N', 'S2', C] })),
    groups: groups.map((group) => {
      const ref = enc.posTables.get(group)!;
      return {
        group,
        feeds: [storedFeed(POS_INPUT, ref)],
      };
    }),
  };

  const heads: HeadGraph[] = [];
  const tasks: TaskEntry[] = [];
  const add = async (name: string, hb: HeadsBuild) => {
    const file = `${name}.onnx`;
    await finish(file, hb.graph);
    heads.push({
      name,
      file,
      kind: hb.kind,
      inputs: [...hb.inputs],
      outputs: hb.outputs.map((o) => ({ name: o.name, dims: [...o.dims] })),
      groups: [...hb.groupFeeds].map(([group, feeds]) => ({ group, feeds })),
    });
    for (const [task, outs] of hb.taskOutputs) {
      tasks.push({
        name: task,
        type: TASKS[task].type,
        group: TASKS[task].group,
        queries: plan.dims.outputs[task] ?? 0,
        graph: name,
        queryOffset: hb.queryOffsets.get(task) ?? null,
        outputs: outs.map((o) => ({ name: o.name, from: o.from, dims: [...o.dims] })),
      });
    }
  };
  if (plan.variant === 'naive') {
    for (const type of naiveTypes) {
      const mine = plan.tasks.filter((t) => TASKS[t].type === type);
      const group = TASKS[mine[0]].group;
      await add(
        `naive_${type}`,
        await buildNaiveHeads(P, { type, tasks: mine, group, S: group / plan.dims.vit.patch }),
      );
    }
  } else {
    await add(
      'decoder',
      await buildFaceptorHeads(P, {
        tasks: plan.tasks,
        groups,
        patch: plan.dims.vit.patch,
        levels: blocksForTask(plan.variant, 'age_morph2'),
        decoderHeads: plan.dims.decoder!.heads,
        // Layer-Attention only: the Base/Full decoders read one level, so the per-block chart would be one bar.
        crossAttention: plan.variant === 'layer_attention',
      }),
    );
  }
  // Manifest tasks in plan order (the registry order), whatever graph computes them.
  tasks.sort((a, b) => plan.tasks.indexOf(a.name) - plan.tasks.indexOf(b.name));
  return { encoder, heads, tasks, ops, nodeCounts };
}

function describeFusions(ops: Set<string>, precision: Precision): string[] {
  const out = [
    'LayerNormalization: every LayerNorm (ViT, decoder, feature_v2) and Norm2d (channels-last) as one op',
    'attention: q/k/v split from in_proj at export, 1/sqrt(head_dim) folded into the q projection; plain MatMul/Softmax/MatMul (com.microsoft.MultiHeadAttention gave wrong results on the onnxruntime-web 1.30 WebGPU EP, measured)',
    'BatchNorm (eval statistics) folded into the preceding Linear/Conv/ConvTranspose',
    'ViT position table resized to each grid at export (bicubic, PyTorch semantics) with the class token folded in; one encoder graph for both sizes, the table fed per size',
    'decoder anchor position embeddings A_S + level_embed precomputed per grid and level, fed per size',
    'one decoder run per input group for all its tasks: queries concatenated, self-attention blocked across tasks by an additive mask; input projection and map_v2 mask features once per run',
    'landmark soft-argmax inside the align graphs',
  ];
  if (ops.has('com.microsoft.QuickGelu')) out.push('QuickGELU as com.microsoft.QuickGelu');
  if (ops.has('com.microsoft.Gelu')) out.push('exact GELU as com.microsoft.Gelu');
  if (precision === 'fp16')
    out.push(
      'weights stored float16 and Cast to float32 on load (the measured plan of precision.ts keeps some float32); all arithmetic float32',
    );
  if (precision === 'q8' || precision === 'q4') {
    out.push(
      `MatMul weights block-quantized to ${QUANT[precision].bits} bits (block ${QUANT[precision].block}, symmetric, float32 scales) and run by com.microsoft.MatMulNBits; other matrices and the host-fed constant tables float16 (the host converts the tables to float32 on load); activations float32`,
    );
  }
  return out;
}
