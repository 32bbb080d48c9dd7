/**
 * A loaded Faceptor model: runs the enabled tasks for all faces of one frame.
 *
 * Run plan per call (the properties the tests and the bench count):
 * - group 112 (identity, age, attributes, expression): every face's ArcFace crop goes into ONE batch [N,3,112,112]
 *   (up to 32 faces; more faces → more batches, see MAX_FACES_PER_RUN); the shared encoder runs once on it, then each
 *   head graph carrying an enabled task runs once: a Faceptor package's decoder graph takes the queries of every
 *   enabled task of the group in one run (self-attention blocked across tasks; src/core/faceptor/batch.ts), a Naive
 *   package runs one graph per enabled task type. All 13 Faceptor tasks: 4 runs per face batch.
 * - group 512 (landmarks, parsing): only when such a task is enabled. One batch per 512 framing (`denseCrops`:
 *   'shared' = one framing for all dense tasks, the default; 'exact' = each task's training framing, ≤ 4 passes),
 *   of up to 4 faces (memory, see MAX_FACES_PER_RUN).
 * - a task that is not enabled is not in the batch (its queries are not fed); a group with no enabled task runs
 *   nothing, and a graph no enabled task needs is never opened.
 * Sessions are opened lazily per graph file and share the package's single weights buffer; each weight belongs to
 * exactly one graph, so each is held once even by runtimes that copy initializers per session. Runtimes that take
 * the weights as bytes (the browser) copy what each session uses, so once every graph has its session the model
 * drops its own copy of weights.bin (held-weights.ts): the weights are then held once, by the runtime.
 */
import type { TaskRequest } from '../../options.ts';
import type { FaceTaskResults, FaceptorTimings, LayerAttentionShare, ModelInfo, RunCounts } from '../../result.ts';
import type { Detection, RgbaImage } from '../../core/types.ts';
import {
  SHA256_NOT_RECORDED,
  type FaceptorManifest,
  type GroupFeeds,
  type HeadGraph,
  type TaskGraph,
} from '../../core/faceptor/manifest.ts';
import { DECODED_OUTPUTS, TASK_OUTPUT } from '../../core/faceptor/graph-io.ts';
import {
  DECODER_IO,
  constFeedTensors,
  decoderBatchFeeds,
  planDecoderBatch,
  sliceAxis,
  taskPart,
} from '../../core/faceptor/batch.ts';
import { NORMALISATION, TASKS, type InputGroup, type TaskName } from '../../core/faceptor/tasks.ts';
import { crop112, planDenseCrops, type CropSpec } from '../../core/align/crops.ts';
import { warpCrop } from '../../core/image/warp.ts';
import { batchItem, decodeTaskOutput, type RawTaskOutput, type TaskResult } from '../../core/faceptor/decodeTask.ts';
import { labelsToImage, layerAttentionMass } from '../../core/faceptor/decode.ts';
import type { InferenceBackend, InferenceSession, TensorData } from '../backend.ts';
import { ModelPackageError } from './errors.ts';
import { HeldWeights } from './held-weights.ts';
import { parsingMaskInImage } from './parsing.ts';
import { decodeIsolated } from './isolate.ts';
import { headKey, resolveTasks } from './select.ts';
import type { FaceptorAnalysis } from './types.ts';

export interface AnalyzeFacesOptions {
  /** Which tasks: 'default' (one head per type), 'all', or names/types (see select.ts). Default 'default'. */
  readonly tasks?: TaskRequest;
  /** 512 framing: 'shared' (one 512 pass per face batch, default) or 'exact' (training framing per task). */
  readonly denseCrops?: 'shared' | 'exact';
  /**
   * Layer-Attention models: also report each task's cross-attention mass per encoder block. Needs task graphs
   * with a `cross_attention` output ([N, decoderLayers, Q, levels·S²], head-averaged softmax weights); graphs
   * without it give no layerAttention field (see `model.hasLayerAttentionWeights`).
   */
  readonly layerAttention?: boolean;
  /** Most faces per encoder run, per input size (default MAX_FACES_PER_RUN). */
  readonly maxFacesPerRun?: Partial<Record<InputGroup, number>>;
}

/**
 * Faces per encoder run. A 512 ViT-B run holds, per layer, 12 × 1024 × 1024 attention scores per face (48 MiB in
 * fp32), so a crowd photo in one batch could exhaust a browser's memory (WASM's 4 GiB heap, a GPU's buffers); four
 * faces per run keep it under ~200 MiB. 112 runs have 49 tokens: 32 faces per run cost little.
 */
export const MAX_FACES_PER_RUN: Readonly<Record<InputGroup, number>> = { 112: 32, 512: 4 };

/** Name of the optional task-graph output holding cross-attention weights (see AnalyzeFacesOptions). */
export const CROSS_ATTENTION_OUTPUT = TASK_OUTPUT.crossAttention;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
/** FaceptorTimings being added up (the contract's timings are readonly). */
export type TimingsTally = Mutable<FaceptorTimings> & {
  taskMs: Partial<Record<TaskName, number>>;
  runs: Record<string, number>;
};

/** RunCounts being added up (the contract's RunCounts is readonly). */
export interface RunTally {
  encoder112: number;
  encoder512: number;
  tasks: Partial<Record<TaskName, number>>;
}

function emptyCounts(): RunTally {
  return { encoder112: 0, encoder512: 0, tasks: {} };
}

/** All-zero Faceptor timings, filled in as a frame runs (also the video analyser's start for a frame). */
export function zeroFaceptorTimings(): TimingsTally {
  return {
    alignMs: 0,
    encoder112Ms: 0,
    encoder512Ms: 0,
    taskMs: {},
    decodeMs: 0,
    runMs: 0,
    totalMs: 0,
    runs: {},
    readBackBytes: 0,
  };
}

export class FaceptorModel {
  /** Cumulative graph runs since load (or resetRunCounts). */
  readonly runCounts: RunTally = emptyCounts();
  private readonly sessions = new Map<string, Promise<InferenceSession>>();
  private readonly constCache = new Map<string, Record<string, TensorData>>();
  private readonly available: readonly TaskName[];
  private released = false;
  /** Graph bytes by package path (weights.bin is in `weights`); empty when the package stays `onDisk`. */
  private readonly graphFiles: ReadonlyMap<string, Uint8Array>;
  /** weights.bin when the runtime takes bytes; null when the package stays `onDisk`. */
  private readonly weights: HeldWeights | null;

  /** The package's manifest; only its provenance digest may change after loading (recordSourceSha256). */
  get manifest(): FaceptorManifest {
    return this.verifiedManifest;
  }
  private verifiedManifest: FaceptorManifest;

  constructor(
    manifest: FaceptorManifest,
    /** Verified file bytes by package path (graphs and the weights file); empty when the package stays `onDisk`. */
    files: ReadonlyMap<string, Uint8Array>,
    private readonly backend: InferenceBackend,
    /** Where the package came from, for messages. */
    readonly origin: string,
    /**
     * A verified package on local disk that the backend opens by path (createSessionFromFile): no bytes are held
     * here but the host-fed constants, by their offset in weights.bin.
     */
    private readonly onDisk?: {
      readonly localPath: (path: string) => string;
      readonly feedBytes: ReadonlyMap<number, Uint8Array>;
    },
    /**
     * weights.bin with a way to read it again, so it can be dropped once every session exists (see held-weights.ts);
     * default: the bytes in `files`, kept.
     */
    weights?: HeldWeights,
  ) {
    this.verifiedManifest = manifest;
    this.available = manifest.tasks.map((t) => t.name);
    this.graphFiles = new Map([...files].filter(([path]) => path !== manifest.weights));
    const bytes = files.get(manifest.weights);
    this.weights = weights ?? (bytes ? new HeldWeights(bytes) : null);
  }

  /**
   * The same package on another backend (EP switch, WebGPU device lost → WASM): shares the verified files and
   * manifest, so nothing is re-read or re-hashed; sessions open lazily on the new backend. This model is untouched
   * (its caller releases it once its in-flight runs are done).
   */
  rebind(backend: InferenceBackend): FaceptorModel {
    return new FaceptorModel(
      this.manifest,
      this.graphFiles,
      backend,
      this.origin,
      this.onDisk,
      this.weights ?? undefined,
    );
  }

  /**
   * The checkpoint's sha256 recorded after loading: a package stored in the browser before its checkpoint was
   * hashed (provenance.sourceSha256 "", see manifest.ts SHA256_NOT_RECORDED) gets it here once the page has written
   * it into the stored manifest, so results carry it (the identity key) without reloading the model. Only "" → a
   * digest: any other change of a loaded model's provenance is refused.
   */
  recordSourceSha256(sha256: string): void {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`internal: not a sha256: '${sha256}'`);
    const provenance = this.verifiedManifest.provenance;
    if (provenance.sourceSha256 === sha256) return;
    if (provenance.sourceSha256 !== SHA256_NOT_RECORDED)
      throw new Error('this model already records another checkpoint sha256');
    this.verifiedManifest = { ...this.verifiedManifest, provenance: { ...provenance, sourceSha256: sha256 } };
  }

  get provider(): string {
    return this.backend.provider;
  }
  /** Task names in the package, registry order as exported. */
  get tasks(): readonly TaskName[] {
    return this.available;
  }

  get info(): ModelInfo {
    const m = this.manifest;
    return {
      label: m.label,
      variant: m.variant,
      precision: m.precision,
      untrained: m.provenance.untrained,
      sourceFile: m.provenance.sourceFile,
      sourceSha256: m.provenance.sourceSha256,
      step: m.provenance.step,
      exporterVersion: m.provenance.exporterVersion,
      tasks: this.available,
    };
  }

  /** True when the task graphs expose cross-attention weights (needed for the layerAttention option). */
  get hasLayerAttentionWeights(): boolean {
    return this.manifest.tasks.some((t) => t.outputs.some((o) => o.name === CROSS_ATTENTION_OUTPUT));
  }

  /** Graph files whose sessions exist (opened lazily on first use). */
  openedGraphs(): string[] {
    return [...this.sessions.keys()];
  }

  /** Whether this model holds weights.bin in memory now (false on disk, and once every session exists). */
  get holdsWeightsBytes(): boolean {
    return this.weights?.held ?? false;
  }

  /** Every graph file of the package: the shared encoder and the head graphs. */
  private get graphs(): string[] {
    return [this.manifest.encoder.file, ...this.manifest.heads.map((h) => h.file)];
  }

  resetRunCounts(): void {
    this.runCounts.encoder112 = 0;
    this.runCounts.encoder512 = 0;
    this.runCounts.tasks = {};
  }

  resolveTasks(request: TaskRequest = 'default'): TaskName[] {
    return resolveTasks(request, this.available);
  }

  private session(file: string): Promise<InferenceSession> {
    if (this.released) throw new Error('FaceptorModel: used after release()');
    let s = this.sessions.get(file);
    if (!s) {
      // The encoder's features only feed the head graphs: on WebGPU they stay in GPU memory (no read-back).
      const outputsOnDevice = file === this.manifest.encoder.file;
      let opening: Promise<InferenceSession>;
      if (this.onDisk && this.backend.createSessionFromFile) {
        opening = this.backend.createSessionFromFile(this.onDisk.localPath(file), { outputsOnDevice });
      } else {
        const bytes = this.graphFiles.get(file);
        const held = this.weights;
        if (!bytes || !held)
          throw new ModelPackageError(
            'missing-file',
            file,
            `${this.origin}: ${file} is not part of the package, or its bytes were not loaded (a package kept on disk needs a backend that opens files)`,
          );
        opening = held.get().then((weights) =>
          this.backend.createSession(bytes, {
            externalData: [{ path: this.manifest.weights, data: weights }],
            outputsOnDevice,
          }),
        );
        void opening.then(
          () => this.dropWeightsOnceAllOpen(),
          () => undefined,
        );
      }
      s = opening.catch((err: unknown) => {
        this.sessions.delete(file); // a later call may retry (e.g. after an EP change)
        if (err instanceof ModelPackageError) throw err; // weights.bin read again and refused: that is the problem
        throw new ModelPackageError(
          'graph-load-failed',
          file,
          `${this.origin}: the runtime cannot open ${file}: ${(err as Error).message}`,
          { cause: err },
        );
      });
      this.sessions.set(file, s);
    }
    return s;
  }

  /**
   * Runs the requested tasks for every face (detector keypoints drive the alignment) and returns typed results in
   * source-image pixels, in the order of `faces`.
   */
  async analyzeFaces(
    image: RgbaImage,
    faces: readonly Detection[],
    opts: AnalyzeFacesOptions = {},
  ): Promise<FaceptorAnalysis> {
    const start = performance.now();
    const tasks = resolveTasks(opts.tasks ?? 'default', this.available);
    const t = zeroFaceptorTimings();
    const runs = emptyCounts();
    const results: Mutable<FaceTaskResults>[] = faces.map(() => ({}));
    if (faces.length > 0 && tasks.length > 0) {
      const sparse = tasks.filter((n) => TASKS[n].group === 112);
      const dense = tasks.filter((n) => TASKS[n].group === 512);
      const per = { ...MAX_FACES_PER_RUN, ...opts.maxFacesPerRun };
      if (sparse.length) {
        const a0 = performance.now();
        const all = faces.map((f, i) => forFace(i, () => crop112(f.keypoints)));
        t.alignMs += performance.now() - a0;
        for (const [from, to] of chunks(all.length, per[112])) {
          const b0 = performance.now();
          const crops = all.slice(from, to);
          const batch = this.batchCrops(image, crops, 112);
          t.alignMs += performance.now() - b0;
          await this.runGroup(112, batch, sparse, crops, image, opts, t, runs, results.slice(from, to));
        }
      }
      if (dense.length) {
        const a0 = performance.now();
        const plans = faces.map((f, i) =>
          forFace(i, () => planDenseCrops(f.keypoints, dense, opts.denseCrops ?? 'shared')),
        );
        t.alignMs += performance.now() - a0;
        // planDenseCrops orders framings by task order, so plan k is the same framing for every face
        for (let k = 0; k < plans[0].length; k++) {
          for (const [from, to] of chunks(plans.length, per[512])) {
            const b0 = performance.now();
            const crops = plans.slice(from, to).map((p) => p[k].spec);
            const batch = this.batchCrops(image, crops, 512);
            t.alignMs += performance.now() - b0;
            await this.runGroup(512, batch, plans[0][k].tasks, crops, image, opts, t, runs, results.slice(from, to));
          }
        }
      }
    }
    this.accumulate(runs);
    t.totalMs = performance.now() - start;
    return { faces: results, tasks, timings: t, runs };
  }

  private batchCrops(image: RgbaImage, crops: readonly CropSpec[], size: InputGroup): TensorData {
    const per = 3 * size * size;
    const data = new Float32Array(per * crops.length);
    crops.forEach((c, i) => warpCrop(image, c, NORMALISATION[size], data.subarray(i * per, (i + 1) * per)));
    return { type: 'float32', dims: [crops.length, 3, size, size], data };
  }

  private async timedRun(
    file: string,
    feeds: Record<string, TensorData>,
    fetches: readonly string[] | undefined,
    t: TimingsTally,
  ) {
    const session = await this.session(file);
    const r0 = performance.now();
    const out = await session.run(feeds, fetches);
    const ms = performance.now() - r0;
    t.runMs += ms;
    for (const v of Object.values(out)) if (!v.device) t.readBackBytes += v.data.byteLength;
    return { out, ms };
  }

  /**
   * Once every graph has its session, the runtime holds every weight: slice out the host-fed constants (the only
   * weights the host itself reads), then let the JS copy of weights.bin go.
   */
  private async dropWeightsOnceAllOpen(): Promise<void> {
    const held = this.weights;
    if (!held?.held || this.released || !this.graphs.every((g) => this.sessions.has(g))) return;
    const opened = await Promise.allSettled(this.graphs.map((g) => this.sessions.get(g)!));
    if (opened.some((o) => o.status === 'rejected')) return;
    try {
      for (const g of [this.manifest.encoder, ...this.manifest.heads]) {
        for (const feeds of g.groups) await this.constFeeds(g.file, feeds);
      }
    } catch {
      return; // a constant that cannot be read fails the run that needs it, with its own message
    }
    held.drop();
  }

  /** A graph's constant feeds for one input group (sliced from the weights once, then reused every frame). */
  private async constFeeds(file: string, feeds: GroupFeeds): Promise<Record<string, TensorData>> {
    const key = `${file}@${feeds.group}`;
    let c = this.constCache.get(key);
    if (!c) {
      const needsWeights = !this.onDisk && feeds.feeds.some((f) => f.type !== 'int64');
      const weights = needsWeights && this.weights ? await this.weights.get() : undefined;
      const fed = this.onDisk?.feedBytes;
      c = constFeedTensors(
        feeds.feeds,
        weights ??
          ((offset, length) => {
            const b = fed?.get(offset);
            if (!b || b.byteLength !== length)
              throw new Error(`internal: constant at ${offset} of ${this.manifest.weights} was not read`);
            return b;
          }),
      );
      this.constCache.set(key, c);
    }
    return c;
  }

  private async runGroup(
    group: InputGroup,
    batch: TensorData,
    tasks: readonly TaskName[],
    crops: readonly CropSpec[],
    image: RgbaImage,
    opts: AnalyzeFacesOptions,
    t: TimingsTally,
    runs: RunTally,
    results: Mutable<FaceTaskResults>[],
  ): Promise<void> {
    const count = (file: string) => {
      t.runs[file] = (t.runs[file] ?? 0) + 1;
    };
    const encoder = this.manifest.encoder;
    const entries = tasks.map((n) => this.manifest.tasks.find((g) => g.name === n)!);
    const heads = this.manifest.heads.filter((h) => entries.some((e) => e.graph === h.name));
    const feats = [...new Set(heads.flatMap((h) => h.inputs))];
    const encFeeds = await this.constFeeds(
      encoder.file,
      encoder.groups.find((g) => g.group === group)!,
    );
    const enc = await this.timedRun(encoder.file, { [encoder.input.name]: batch, ...encFeeds }, feats, t);
    count(encoder.file);
    if (group === 112) {
      t.encoder112Ms += enc.ms;
      runs.encoder112++;
    } else {
      t.encoder512Ms += enc.ms;
      runs.encoder512++;
    }
    try {
      await this.runHeads(group, heads, entries, enc.out, crops, image, opts, t, runs, results);
    } finally {
      for (const v of Object.values(enc.out)) v.dispose?.(); // device-resident features (WebGPU)
    }
  }

  private async runHeads(
    group: InputGroup,
    heads: readonly HeadGraph[],
    entries: readonly TaskGraph[],
    feats: Record<string, TensorData>,
    crops: readonly CropSpec[],
    image: RgbaImage,
    opts: AnalyzeFacesOptions,
    t: TimingsTally,
    runs: RunTally,
    results: Mutable<FaceTaskResults>[],
  ): Promise<void> {
    for (const head of heads) {
      // Every enabled task this graph computes, in ONE run (a decoder graph batches their queries).
      const mine = entries.filter((e) => e.graph === head.name);
      const wantAttention =
        !!opts.layerAttention && mine.some((e) => e.outputs.some((o) => o.name === CROSS_ATTENTION_OUTPUT));
      const wanted = new Map(mine.map((e) => [e.name, fetchesFor(e, wantAttention)]));
      const feeds: Record<string, TensorData> = {
        ...(await this.constFeeds(
          head.file,
          head.groups.find((g) => g.group === group)!,
        )),
      };
      for (const input of head.inputs) feeds[input] = feats[input];
      const plan =
        head.kind === 'decoder'
          ? planDecoderBatch(
              mine
                .filter((e) => e.queryOffset !== null)
                .map((e) => ({
                  name: e.name,
                  queryOffset: e.queryOffset!,
                  queries: e.queries,
                  maps: wanted.get(e.name)!.some((o) => o.from === DECODER_IO.maps),
                })),
            )
          : undefined;
      if (plan) Object.assign(feeds, decoderBatchFeeds(plan));
      const fetches = [...new Set([...wanted.values()].flatMap((os) => os.map((o) => o.from)))];
      const { out, ms } = await this.timedRun(head.file, feeds, fetches, t);
      t.runs[head.file] = (t.runs[head.file] ?? 0) + 1;
      const d0 = performance.now();
      for (const entry of mine) {
        const name = entry.name;
        // A batched run's time is shared equally by the tasks it carried.
        t.taskMs[name] = (t.taskMs[name] ?? 0) + ms / mine.length;
        runs.tasks[name] = (runs.tasks[name] ?? 0) + 1;
        const own: Record<string, TensorData> = {};
        for (const o of wanted.get(name)!) {
          const v = out[o.from];
          const part = taskPart(head.kind, o.from, plan?.rows.get(name));
          own[o.name] = part
            ? { type: 'float32', ...sliceAxis(v.data as Float32Array, v.dims, part.axis, part.start, part.count) }
            : v;
        }
        this.decodeTask(name, own, crops, image, results, wantAttention && !!own[CROSS_ATTENTION_OUTPUT], group);
      }
      t.decodeMs += performance.now() - d0;
    }
  }

  private decodeTask(
    name: TaskName,
    out: Record<string, TensorData>,
    crops: readonly CropSpec[],
    image: RgbaImage,
    results: Mutable<FaceTaskResults>[],
    withAttention: boolean,
    group: InputGroup,
  ): void {
    for (let i = 0; i < crops.length; i++) {
      const raw: Mutable<RawTaskOutput> = {};
      for (const key of DECODED_OUTPUTS) {
        const o = out[key];
        if (o) raw[key] = batchItem(o.data as Float32Array, o.dims, i);
      }
      // One task's bad output for one face costs only that field (see isolate.ts).
      decodeIsolated(results[i], name, raw, () => {
        const spec = TASKS[name];
        if (spec.type === 'parsing' && out.logits_128) {
          // footprint-only decode: identical labels to the core's full 512 map, a fraction of the work
          const dims = out.logits_128.dims;
          const m = parsingMaskInImage(raw.logits_128!, dims[1], dims[3], crops[i], image.width, image.height);
          results[i].parsing = {
            ...results[i].parsing,
            [headKey(name)]: {
              labels: spec.labels,
              region: { x: m.x, y: m.y, width: m.width, height: m.height },
              width: m.width,
              height: m.height,
              data: m.labels,
            },
          };
        } else {
          place(results[i], decodeTaskOutput(name, raw, crops[i]), image);
        }
        if (withAttention) {
          const a = out[CROSS_ATTENTION_OUTPUT];
          const S = group / this.manifest.dims.patch;
          const levels = this.manifest.dims.decoderLevels ?? 1;
          const shares: LayerAttentionShare[] = layerAttentionMass(batchItem(a.data as Float32Array, a.dims, i), {
            levels,
            tokensPerLevel: S * S,
          });
          results[i].layerAttention = { ...results[i].layerAttention, [name]: shares };
        }
      });
    }
  }

  private accumulate(runs: RunCounts): void {
    this.runCounts.encoder112 += runs.encoder112;
    this.runCounts.encoder512 += runs.encoder512;
    for (const [k, v] of Object.entries(runs.tasks) as [TaskName, number][])
      this.runCounts.tasks[k] = (this.runCounts.tasks[k] ?? 0) + v;
  }

  /** Releases every opened session; the model cannot be used afterwards. */
  async release(): Promise<void> {
    this.released = true;
    const opened = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(opened.map(async (s) => (await s.catch(() => undefined))?.release()));
  }
}

/** [from, to) index ranges of at most `size` items covering 0..count. */
function chunks(count: number, size: number): [number, number][] {
  const step = Math.max(1, Math.floor(size));
  const out: [number, number][] = [];
  for (let from = 0; from < count; from += step) out.push([from, Math.min(count, from + step)]);
  return out;
}

/** Names the face whose detection cannot be aligned (e.g. keypoints missing or coinciding). */
function forFace<T>(index: number, f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new Error(`face ${index}: ${(err as Error).message}`, { cause: err });
  }
}

/** Outputs to copy back: landmarks need only the Q×2 points, not the Q heatmaps (much less data read back). */
function fetchesFor(task: TaskGraph, attention: boolean): TaskGraph['outputs'] {
  let outs = task.outputs.filter((o) => o.name !== CROSS_ATTENTION_OUTPUT);
  if (task.type === 'align' && outs.some((o) => o.name === TASK_OUTPUT.landmark))
    outs = outs.filter((o) => o.name === TASK_OUTPUT.landmark);
  return attention ? [...outs, ...task.outputs.filter((o) => o.name === CROSS_ATTENTION_OUTPUT)] : outs;
}

/** Puts one decoded task into the face's result record under its type's field and head key. */
function place(face: Mutable<FaceTaskResults>, r: TaskResult, image: RgbaImage): void {
  const head = headKey(r.task);
  switch (r.type) {
    case 'recog':
      face.identity = { embedding: r.embedding };
      break;
    case 'age':
      face.age = { ...face.age, [head]: { years: r.years, distribution: r.distribution } };
      break;
    case 'biattr':
      face.attributes = r.probs;
      break;
    case 'affect':
      face.expression = { ...face.expression, [head]: { top: r.top, probs: r.probs } };
      break;
    case 'align':
      face.landmarks = { ...face.landmarks, [r.set]: { points: r.points } };
      break;
    case 'parsing': {
      const m = labelsToImage(r.mask, r.crop, image.width, image.height);
      face.parsing = {
        ...face.parsing,
        [head]: {
          labels: r.labels,
          region: { x: m.x, y: m.y, width: m.width, height: m.height },
          width: m.width,
          height: m.height,
          data: m.labels,
        },
      };
      break;
    }
  }
}
