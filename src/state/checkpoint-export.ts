/**
 * The in-browser export of a dropped checkpoint (the UI side): the options the page offers, and the job's state —
 * running with its phase and progress, refused with the exporter's message, cancelled, or done. The worker is
 * reached through an `ExportRunner` (src/app/models/useCheckpointExport.ts makes one per export; tests pass fakes).
 */
import { create } from 'zustand';
import type { Precision } from '../core/faceptor/manifest.ts';
import type { EngineStatus } from '../../workers/perception-api.ts';
import type {
  BrowserExportOptions,
  BrowserExportResult,
  ExportProgress,
  ExportTimings,
} from '../../workers/browser-export/export-job.ts';

export type { ExportProgress };

/** The provenance phase's report (what export.worker.ts sends; timings absent when the page made the outcome). */
export type ProvenanceEvent =
  | { readonly state: 'hashing'; readonly done: number; readonly total: number }
  | { readonly state: 'recorded'; readonly sha256: string; readonly timings?: ExportTimings }
  | {
      readonly state: 'failed';
      readonly message: string;
      readonly cancelled: boolean;
      readonly timings?: ExportTimings;
    };

/** The checkpoint's sha256 of a stored export: being hashed, recorded in its manifest, or not recorded. */
export type ProvenanceState =
  | { readonly state: 'hashing'; readonly done: number; readonly total: number; readonly cancelling: boolean }
  | { readonly state: 'recorded'; readonly sha256: string; readonly timings: ExportTimings | null }
  | { readonly state: 'failed'; readonly message: string; readonly cancelled: boolean };

export interface ExportRunner {
  /**
   * Resolves when the package is stored; then `onProvenance` reports the checkpoint's hash (progress, then one
   * final 'recorded' or 'failed'). `cancel()` before the commit cancels the export, after it the hash.
   */
  run(
    file: File,
    options: BrowserExportOptions,
    onProgress: (p: ExportProgress) => void,
    onProvenance?: (p: ProvenanceEvent) => void,
  ): Promise<BrowserExportResult>;
  cancel(): void;
}

export type ExportJob =
  | { readonly state: 'idle' }
  | {
      readonly state: 'running';
      readonly file: string;
      readonly progress: ExportProgress | null;
      readonly cancelling: boolean;
    }
  | { readonly state: 'error'; readonly file: string; readonly message: string }
  | { readonly state: 'cancelled'; readonly file: string }
  | {
      readonly state: 'done';
      readonly file: string;
      readonly result: BrowserExportResult;
      /** The package is stored and usable; its checkpoint sha256 is recorded after (see export-job.ts). */
      readonly provenance: ProvenanceState;
    };

/** True while a stored export's checkpoint is still being hashed (the worker is kept; cancel stops the hash). */
export const isHashing = (job: ExportJob): boolean => job.state === 'done' && job.provenance.state === 'hashing';

/** What the precision default is decided from: the perception engine's report (null while it starts). */
export type EngineFacts = Pick<EngineStatus, 'provider' | 'wasmThreads' | 'shaderF16'> | null;

/**
 * The precision an export gets unless the user picks one: the precision this device runs best. From what the
 * engine reports, the answer is fp16 on every engine, for these reasons (docs/benchmarks.md, README "Exporter"):
 * - WebGPU, with or without `shader-f16`: the package's half weights are Cast to float32 on load and all maths is
 *   float32, so fp16 runs like fp32 at half the download and storage; its results equal fp32's on what users see
 *   (README fidelity table: identity cosine 1.0000, same expression/attributes, landmarks within 0.05 % of the eye
 *   distance). fp32 would only double the download; q8/q4 change results (q8: 92 % of parsing labels agree).
 * - WASM (any thread count): fp16 loads as float32 too. q8 was weighed: it is 0.30× fp32’s size and was 1.2× faster
 *   on CPU (onnxruntime-node, 1 thread — within that measurement's ±30 % noise, and never measured in WASM), but it
 *   visibly changes parsing (92 % labels agree) and moves landmarks (0.19 % mean, 0.48 % max of the eye distance).
 *   An unproven speed-up does not buy a visible change in results, so WASM gets fp16 as well.
 * - Engine not ready yet: fp16 (what both engines take).
 * When a measurement in the browser shows q8 clearly faster on WASM, this is the one place to change.
 */
export function devicePrecision(engine: EngineFacts): { precision: Precision; why: string } {
  if (!engine) return { precision: 'fp16', why: 'runs on WebGPU and WASM alike, half of fp32’s size' };
  if (engine.provider === 'webgpu')
    return {
      precision: 'fp16',
      why: `best for WebGPU${engine.shaderF16 ? ' (shader-f16 available; maths stays float32)' : ''}: half of fp32’s size, same results`,
    };
  return { precision: 'fp16', why: 'best for WASM: half of fp32’s size, same results (q8 would change parsing)' };
}

export interface CheckpointExportState {
  /** The user's explicit choice; null: the device's default (devicePrecision), decided when an export starts. */
  readonly precision: Precision | null;
  readonly label: string;
  /** The CLI's --vit-heads / --decoder-heads / --untrained (advanced; empty = the CLI's defaults). */
  readonly vitHeads: string;
  readonly decoderHeads: string;
  readonly untrained: boolean;
  readonly job: ExportJob;
  set(
    patch: Partial<Pick<CheckpointExportState, 'precision' | 'label' | 'vitHeads' | 'decoderHeads' | 'untrained'>>,
  ): void;
  /**
   * Runs one export with the user's precision, or else the one `engine` runs best; resolves with the result as
   * soon as the package is stored, or null when refused or cancelled (the message is in `job`). The provenance
   * phase goes on in `job.provenance`; `onProvenanceEnd` is called once when it ends (recorded or failed).
   */
  start(
    runner: ExportRunner,
    file: File,
    engine?: EngineFacts,
    onProvenanceEnd?: (
      result: BrowserExportResult,
      outcome: Extract<ProvenanceState, { state: 'recorded' | 'failed' }>,
    ) => void,
  ): Promise<BrowserExportResult | null>;
  /** Cancels a running export, or the hash of a stored one (which stays, without its sha256). */
  cancel(): void;
  dismiss(): void;
}

const positive = (v: string): number | undefined => {
  const n = Number(v.trim());
  return v.trim() && Number.isInteger(n) && n > 0 ? n : undefined;
};

/** comlink rebuilds errors with only their message; keep the worker's wording. */
function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}

export function createCheckpointExportStore() {
  let runner: ExportRunner | null = null;
  return create<CheckpointExportState>()((set, get) => ({
    precision: null,
    label: '',
    vitHeads: '',
    decoderHeads: '',
    untrained: false,
    job: { state: 'idle' },
    set: (patch) => set(patch),

    async start(r, file, engine = null, onProvenanceEnd) {
      if (get().job.state === 'running' || isHashing(get().job)) return null;
      runner = r;
      const s = get();
      const options: BrowserExportOptions = {
        precision: s.precision ?? devicePrecision(engine).precision,
        label: s.label.trim() || undefined,
        untrained: s.untrained,
        vitHeads: positive(s.vitHeads),
        decoderHeads: positive(s.decoderHeads),
      };
      set({ job: { state: 'running', file: file.name, progress: null, cancelling: false } });
      // Provenance events may come before the result is handled here: the last one is kept until then.
      let result: BrowserExportResult | null = null;
      let early: ProvenanceEvent | null = null;
      let ended = false;
      const apply = (e: ProvenanceEvent) => {
        const job = get().job;
        if (!result || job.state !== 'done' || job.result !== result || ended) return;
        if (e.state === 'hashing') {
          const cancelling = job.provenance.state === 'hashing' && job.provenance.cancelling;
          set({ job: { ...job, provenance: { state: 'hashing', done: e.done, total: e.total, cancelling } } });
          return;
        }
        ended = true;
        runner = null;
        const outcome =
          e.state === 'recorded'
            ? ({ state: 'recorded', sha256: e.sha256, timings: e.timings ?? null } as const)
            : ({ state: 'failed', message: e.message, cancelled: e.cancelled } as const);
        set({ job: { ...job, provenance: outcome } });
        onProvenanceEnd?.(result, outcome);
      };
      try {
        result = await r.run(
          file,
          options,
          (progress) => {
            const job = get().job;
            if (job.state === 'running') set({ job: { ...job, progress } });
          },
          (e) => {
            if (result) apply(e);
            else if (e.state !== 'hashing' || !early || early.state === 'hashing') early = e;
          },
        );
        const sha = result.stored.sourceSha256;
        set({
          job: {
            state: 'done',
            file: file.name,
            result,
            provenance: sha
              ? { state: 'recorded', sha256: sha, timings: null }
              : { state: 'hashing', done: 0, total: 0, cancelling: false },
          },
        });
        if (sha) ended = true; // recorded in the stored manifest already: nothing more to wait for
        if (early) apply(early);
        if (ended && sha) runner = null;
        return result;
      } catch (err) {
        runner = null;
        const job = get().job;
        const cancelled = job.state === 'running' && job.cancelling;
        set({
          job: cancelled
            ? { state: 'cancelled', file: file.name }
            : { state: 'error', file: file.name, message: messageOf(err) },
        });
        return null;
      }
    },

    cancel() {
      const job = get().job;
      if (job.state === 'done' && job.provenance.state === 'hashing' && runner) {
        set({ job: { ...job, provenance: { ...job.provenance, cancelling: true } } });
        runner.cancel();
        return;
      }
      if (job.state !== 'running' || !runner) return;
      set({ job: { ...job, cancelling: true } });
      runner.cancel();
    },

    dismiss: () => {
      if (get().job.state !== 'running' && !isHashing(get().job)) set({ job: { state: 'idle' } });
    },
  }));
}

export const useCheckpointExport = createCheckpointExportStore();
