/**
 * Checkpoint → model package. Streams weights (read → fold → append to weights.bin → drop), builds one encoder
 * graph per input group and one graph per task, hashes every file and writes `faceptor.json`. The package is
 * written to a temporary folder beside `outDir` and renamed into place at the very end, so a failure (or
 * SIGINT/SIGTERM) never leaves a partial package behind. What may be written or replaced: see out-dir.ts.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { LAYER_ATTENTION_BLOCKS, TASKS, type InputGroup, type TaskName, type Variant } from '../../../src/core/faceptor/tasks.ts';
import {
  MANIFEST_FILE, MANIFEST_FORMAT, MANIFEST_VERSION, parseManifest,
  type EncoderGraph, type FaceptorManifest, type HeadGraph, type ModelIndex, type ModelIndexEntry, type PackageFile, type TaskGraph as TaskEntry,
} from '../../../src/core/faceptor/manifest.ts';
import { openCheckpoint, type Checkpoint } from '../checkpoint/index.ts';
import { planExport, type ExportPlan, type ExportPlanOptions } from '../plan/index.ts';
import type { Graph } from '../onnx/graph.ts';
import { buildEncoder, featName, POS_INPUT } from '../graphs/encoder.ts';
import { buildFaceptorHeads, type HeadsBuild } from '../graphs/faceptor.ts';
import { buildNaiveHeads } from '../graphs/naive.ts';
import { Params, type TensorSource } from '../graphs/params.ts';
import { PRECISIONS } from '../../../src/core/faceptor/manifest.ts';
import { fp16KeepsFloat32 } from './precision.ts';
import { QUANT, WEIGHTS_FILE, WeightStore, type Precision } from './weights.ts';
import {
  OutDirError, PARTIAL_MARKER, checkOutDir, cleanStalePartials, makePartial, packageName, readExporterPackage,
  removeExporterPackage, removePartialSync, trackPartial, uniqueName, type ExistingPackage,
} from './out-dir.ts';

export const EXPORTER = 'faceptor-web exporter';
export const EXPORTER_VERSION = '2.0.0';

export interface ExportOptions extends ExportPlanOptions {
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
  /** Replace an existing package at `outDir` (only ever one this exporter wrote; anything else is refused). */
  readonly replace?: boolean;
  /** Problems that do not stop the export (non-finite weights, a label made unique). */
  readonly onWarning?: (message: string) => void;
}

/** Let the exporter name the folder inside `modelsDir` (from variant/precision/label; never an existing name). */
export interface AutoOutDir { readonly modelsDir: string }

export interface ExportResult {
  readonly outDir: string;
  readonly manifest: FaceptorManifest;
  readonly plan: ExportPlan;
  /** Node count per graph file. */
  readonly nodeCounts: Record<string, number>;
  /** Checkpoint tensors read by the graphs that hold NaN/±Inf, with how many such values each. */
  readonly nonFinite: { key: string; count: number }[];
}

export class ExportError extends Error {
  constructor(message: string) { super(message); this.name = 'ExportError'; }
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

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Fails early, with a clear message, when the folder that will receive the package cannot be written. Removes the
 * temporary folders of earlier interrupted exports there first (only ones the exporter made: see out-dir.ts).
 */
async function makeTempBeside(outDir: string, onWarning?: (m: string) => void): Promise<string> {
  const parent = dirname(outDir);
  try {
    await mkdir(parent, { recursive: true });
  } catch (e) {
    throw new ExportError(`cannot create output folder ${parent}: ${(e as Error).message}`);
  }
  const stale = await cleanStalePartials(parent, EXPORTER).catch(() => []);
  if (stale.length > 0) onWarning?.(`cleaned up after an interrupted export: ${stale.join(', ')}`);
  let tmp: string;
  try {
    tmp = await makePartial(parent, basename(outDir));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ExportError(code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
      ? `output folder ${parent} is not writable (${code})` : `cannot write into ${parent}: ${(e as Error).message}`);
  }
  return tmp;
}

/**
 * Exports into `outDir`: a new (or empty) folder, or — with `replace` — a package this exporter wrote. With
 * {@link AutoOutDir} the folder is named from variant/precision/label and is never an existing one.
 */
export async function exportPackage(checkpointPath: string, outDir: string | AutoOutDir, options: ExportOptions = {}): Promise<ExportResult> {
  const precision = options.precision ?? 'fp32';
  if (!(PRECISIONS as readonly string[]).includes(precision)) throw new ExportError(`precision must be one of ${PRECISIONS.join(', ')}, got '${precision}'`);
  const guard = async (dir: string) => {
    try { return await checkOutDir(dir, checkpointPath, { replace: options.replace ?? false, exporter: EXPORTER }); } catch (e) {
      throw e instanceof OutDirError ? new ExportError(e.message) : e;
    }
  };
  // Checked before any work, so a refused folder costs nothing (and is never touched).
  let target = typeof outDir === 'string' ? await guard(outDir) : undefined;
  const ckpt = await openCheckpoint(checkpointPath);
  let tmp: string | undefined;
  let release = (): void => undefined;
  try {
    const plan = planExport(ckpt.tensors, options);
    if (!target) {
      const modelsDir = resolve((outDir as AutoOutDir).modelsDir);
      target = await guard(join(modelsDir, await uniqueName(modelsDir, packageName(plan.variant, precision, options.label))));
    }
    const out = target.out;
    tmp = await makeTempBeside(out, options.onWarning);
    release = trackPartial(tmp);
    const nonFiniteMap = new Map<string, number>();
    const built = await writeGraphs(ckpt, plan, tmp, precision, options, nonFiniteMap);
    const nonFinite = [...nonFiniteMap].map(([key, count]) => ({ key, count }));
    if (nonFinite.length > 0) {
      const shown = nonFinite.slice(0, 8).map((t) => `${t.key} (${t.count})`).join(', ');
      options.onWarning?.(`${nonFinite.length} tensor(s) hold NaN or infinite values, so every image will fail for the tasks that use them: ${shown}${nonFinite.length > 8 ? ', …' : ''}`);
    }
    const files: PackageFile[] = [];
    for (const f of built.files) files.push({ path: f, size: (await stat(join(tmp, f))).size, sha256: f === WEIGHTS_FILE ? built.weightsSha : await sha256File(join(tmp, f)) });
    const source = await stat(checkpointPath);
    const manifest: FaceptorManifest = {
      format: MANIFEST_FORMAT,
      formatVersion: MANIFEST_VERSION,
      label: await uniqueLabel(out, options.label ?? `${basename(checkpointPath)} (${plan.variant}, ${precision})`, options.onWarning),
      variant: plan.variant,
      precision,
      provenance: {
        sourceFile: basename(checkpointPath), sourceSize: source.size, sourceSha256: await sha256File(checkpointPath),
        step: ckpt.step ?? null, exporter: EXPORTER, exporterVersion: EXPORTER_VERSION,
        exportedAt: new Date().toISOString(), untrained: options.untrained ?? false,
      },
      dims: {
        vitWidth: plan.dims.vit.width, vitLayers: plan.dims.vit.layers, vitHeads: plan.dims.vit.heads, patch: plan.dims.vit.patch,
        decoderWidth: plan.dims.decoder?.hidden, decoderHeads: plan.dims.decoder?.heads,
        decoderLayers: plan.dims.decoder?.layers, decoderLevels: plan.dims.decoder?.levels,
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
    await writeFile(join(tmp, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
    await unlink(join(tmp, PARTIAL_MARKER));
    await swapIntoPlace(tmp, out, target.existing);
    tmp = undefined;
    await updateModelIndex(out, manifest);
    return { outDir: out, manifest, plan, nodeCounts: built.nodeCounts, nonFinite };
  } finally {
    await ckpt.close();
    if (tmp) removePartialSync(tmp);
    release();
  }
}

/**
 * Moves the finished package into place. An old package is moved aside and then only its own files are deleted;
 * it is looked at again here because a long export leaves time for someone to put files into it.
 * Without one, `rename` itself refuses a folder that is not empty (ENOTEMPTY), so nothing is ever overwritten.
 */
async function swapIntoPlace(tmp: string, out: string, existing: ExistingPackage | null): Promise<void> {
  let old: ExistingPackage | null = null;
  if (existing) {
    const now = await readExporterPackage(out, EXPORTER);
    if (!now) throw new ExportError(`refusing to replace ${out}: it changed during the export and is no longer only an exporter package; nothing was deleted`);
    const aside = `${tmp}.old`;
    try {
      await rename(out, aside);
    } catch (e) {
      throw new ExportError(`cannot replace ${out}: ${(e as Error).message}`);
    }
    old = { dir: aside, manifest: now.manifest };
  }
  try {
    await rename(tmp, out);
  } catch (e) {
    if (old) await rename(old.dir, out).catch(() => undefined);
    const code = (e as NodeJS.ErrnoException).code;
    throw new ExportError(code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR'
      ? `refusing to write the package to ${out}: something was put there during the export; nothing was deleted`
      : `cannot move the package into ${out}: ${(e as Error).message}`);
  }
  if (old) await removeExporterPackage(old);
}

/** Two packages with one label look identical in the picker: a label already used in the index gets the folder name. */
async function uniqueLabel(out: string, label: string, onWarning?: (m: string) => void): Promise<string> {
  const modelsDir = dirname(out);
  if (basename(modelsDir) !== 'models' || basename(dirname(modelsDir)) !== 'public') return label;
  let packages: ModelIndexEntry[] = [];
  try {
    const index = JSON.parse(await readFile(join(modelsDir, 'index.json'), 'utf8')) as Partial<ModelIndex>;
    if (Array.isArray(index.packages)) packages = index.packages;
  } catch { return label; }
  const name = basename(out);
  if (!packages.some((p) => p && p.name !== name && p.label === label)) return label;
  const unique = `${label} [${name}]`;
  onWarning?.(`another package in ${modelsDir} is labelled "${label}"; this one is labelled "${unique}"`);
  return unique;
}

/**
 * Keeps `public/models/index.json` in step when the package lands in a `public/models/<name>` folder: the entry
 * for <name> is replaced (re-export) or added; entries whose folder no longer has a manifest are dropped.
 */
export async function updateModelIndex(out: string, manifest: FaceptorManifest): Promise<void> {
  const modelsDir = dirname(out);
  if (basename(modelsDir) !== 'models' || basename(dirname(modelsDir)) !== 'public') return;
  const indexPath = join(modelsDir, 'index.json');
  let packages: ModelIndexEntry[] = [];
  try {
    const old = JSON.parse(await readFile(indexPath, 'utf8')) as Partial<ModelIndex>;
    if (Array.isArray(old.packages)) packages = old.packages.filter((p) => p && typeof p.name === 'string');
  } catch { /* no index yet, or unreadable: rebuild it */ }
  const name = basename(out);
  const entry: ModelIndexEntry = {
    name, label: manifest.label, variant: manifest.variant, precision: manifest.precision,
    untrained: manifest.provenance.untrained, manifest: `${name}/${MANIFEST_FILE}`,
  };
  const kept: ModelIndexEntry[] = [];
  const seen = new Set([name]);
  for (const p of packages) {
    // One entry per folder (a hand-edited index may repeat one), and only plain folder names.
    if (seen.has(p.name) || p.name !== basename(p.name) || p.name.startsWith('.')) continue;
    seen.add(p.name);
    try { await stat(join(modelsDir, p.name, MANIFEST_FILE)); kept.push(p); } catch { /* folder gone */ }
  }
  const index: ModelIndex = { format: 'faceptor-web-model-index', packages: [...kept, entry].sort((a, b) => a.name.localeCompare(b.name)) };
  const tmp = `${indexPath}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(index, null, 2) + '\n');
  await rename(tmp, indexPath);
}

interface Built {
  encoder: EncoderGraph;
  heads: HeadGraph[];
  tasks: TaskEntry[];
  files: string[];
  fused: string[];
  parameters: number;
  weightsSha: string;
  nodeCounts: Record<string, number>;
}

async function writeGraphs(ckpt: Checkpoint, plan: ExportPlan, dir: string, precision: Precision, options: ExportOptions, nonFinite: Map<string, number>): Promise<Built> {
  const store = new WeightStore(join(dir, WEIGHTS_FILE), precision, options.keepFloat32 ?? fp16KeepsFloat32);
  let closed = false;
  try {
    const producer = { name: EXPORTER, version: EXPORTER_VERSION };
    const files: string[] = [];
    const graphs = await buildPackageGraphs(sourceOf(ckpt, nonFinite), plan, store, async (file, g, done, total) => {
      await writeFile(join(dir, file), g.toBytes(producer));
      files.push(file);
      options.onProgress?.(done, total, file);
    });
    const parameters = store.values;
    const { sha256 } = store.close();
    closed = true;
    return { ...graphs, files: [WEIGHTS_FILE, ...files], fused: describeFusions(graphs.ops, precision), parameters, weightsSha: sha256 };
  } finally {
    if (!closed) store.close();
  }
}

/**
 * Builds every graph of the package in order (the encoder, then the head graphs), appending weights to `store` and
 * handing each finished graph to `save`. With a dry-run store this checks a checkpoint's shapes end to end.
 * Faceptor variants get one head graph for every task of both groups (decoder + interpreters, batched queries);
 * Naive gets one per task type (each type's head has its own weights). Every weight lands in exactly one graph.
 */
export async function buildPackageGraphs(source: TensorSource, plan: ExportPlan, store: WeightStore,
  save: (file: string, g: Graph, done: number, total: number) => Promise<void>,
): Promise<{ encoder: EncoderGraph; heads: HeadGraph[]; tasks: TaskEntry[]; ops: Set<string>; nodeCounts: Record<string, number> }> {
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
    file: encFile, input: { name: 'image', dims: ['N', 3, 'H', 'H'] },
    outputs: blocks.map((b) => ({ name: featName(b), dims: ['N', 'S2', C] })),
    groups: groups.map((group) => {
      const ref = enc.posTables.get(group)!;
      return { group, feeds: [{ name: POS_INPUT, type: 'float32', dims: [...ref.dims], offset: ref.offset, length: ref.length }] };
    }),
  };

  const heads: HeadGraph[] = [];
  const tasks: TaskEntry[] = [];
  const add = async (name: string, hb: HeadsBuild) => {
    const file = `${name}.onnx`;
    await finish(file, hb.graph);
    heads.push({
      name, file, kind: hb.kind, inputs: [...hb.inputs], outputs: hb.outputs.map((o) => ({ name: o.name, dims: [...o.dims] })),
      groups: [...hb.groupFeeds].map(([group, feeds]) => ({ group, feeds })),
    });
    for (const [task, outs] of hb.taskOutputs) {
      tasks.push({
        name: task, type: TASKS[task].type, group: TASKS[task].group, queries: plan.dims.outputs[task] ?? 0, graph: name,
        queryOffset: hb.queryOffsets.get(task) ?? null, outputs: outs.map((o) => ({ name: o.name, from: o.from, dims: [...o.dims] })),
      });
    }
  };
  if (plan.variant === 'naive') {
    for (const type of naiveTypes) {
      const mine = plan.tasks.filter((t) => TASKS[t].type === type);
      const group = TASKS[mine[0]].group;
      await add(`naive_${type}`, await buildNaiveHeads(P, { type, tasks: mine, group, S: group / plan.dims.vit.patch }));
    }
  } else {
    await add('decoder', await buildFaceptorHeads(P, {
      tasks: plan.tasks, groups, patch: plan.dims.vit.patch, levels: blocksForTask(plan.variant, 'age_morph2'),
      decoderHeads: plan.dims.decoder!.heads,
      // Layer-Attention only: the Base/Full decoders read one level, so the per-block chart would be one bar.
      crossAttention: plan.variant === 'layer_attention',
    }));
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
  if (precision === 'fp16') out.push('weights stored float16 and Cast to float32 on load (the measured plan of precision.ts keeps some float32); all arithmetic float32');
  if (precision === 'q8' || precision === 'q4') {
    out.push(`MatMul weights block-quantized to ${QUANT[precision].bits} bits (block ${QUANT[precision].block}, symmetric, float32 scales) and run by com.microsoft.MatMulNBits; other matrices float16; activations float32`);
  }
  return out;
}
