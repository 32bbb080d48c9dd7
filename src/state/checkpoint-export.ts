/**
 * The in-browser export of a dropped checkpoint (the UI side): the options the page offers, and the job's state —
 * running with its phase and progress, refused with the exporter's message, cancelled, or done. The worker is
 * reached through an `ExportRunner` (src/app/models/useCheckpointExport.ts makes one per export; tests pass fakes).
 */
import { create } from 'zustand';
import type { Precision } from '../core/faceptor/manifest.ts';
import type {
  BrowserExportOptions,
  BrowserExportResult,
  ExportProgress,
} from '../../workers/browser-export/export-job.ts';

export type { ExportProgress };

export interface ExportRunner {
  run(file: File, options: BrowserExportOptions, onProgress: (p: ExportProgress) => void): Promise<BrowserExportResult>;
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
  | { readonly state: 'done'; readonly file: string; readonly result: BrowserExportResult };

/**
 * fp16 by default: half of fp32's storage and download, results equal to fp32 on what users see (README's table:
 * identity cosine 1.0000, same expression/attributes, landmarks within 0.05 % of the eye distance), and every
 * device runs it (float32 maths from half storage).
 */
export const DEFAULT_PRECISION: Precision = 'fp16';

export interface CheckpointExportState {
  readonly precision: Precision;
  readonly label: string;
  /** The CLI's --vit-heads / --decoder-heads / --untrained (advanced; empty = the CLI's defaults). */
  readonly vitHeads: string;
  readonly decoderHeads: string;
  readonly untrained: boolean;
  readonly job: ExportJob;
  set(
    patch: Partial<Pick<CheckpointExportState, 'precision' | 'label' | 'vitHeads' | 'decoderHeads' | 'untrained'>>,
  ): void;
  /** Runs one export; resolves with the result, or null when refused or cancelled (the message is in `job`). */
  start(runner: ExportRunner, file: File): Promise<BrowserExportResult | null>;
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
    precision: DEFAULT_PRECISION,
    label: '',
    vitHeads: '',
    decoderHeads: '',
    untrained: false,
    job: { state: 'idle' },
    set: (patch) => set(patch),

    async start(r, file) {
      if (get().job.state === 'running') return null;
      runner = r;
      const s = get();
      const options: BrowserExportOptions = {
        precision: s.precision,
        label: s.label.trim() || undefined,
        untrained: s.untrained,
        vitHeads: positive(s.vitHeads),
        decoderHeads: positive(s.decoderHeads),
      };
      set({ job: { state: 'running', file: file.name, progress: null, cancelling: false } });
      try {
        const result = await r.run(file, options, (progress) => {
          const job = get().job;
          if (job.state === 'running') set({ job: { ...job, progress } });
        });
        set({ job: { state: 'done', file: file.name, result } });
        return result;
      } catch (err) {
        const job = get().job;
        const cancelled = job.state === 'running' && job.cancelling;
        set({
          job: cancelled
            ? { state: 'cancelled', file: file.name }
            : { state: 'error', file: file.name, message: messageOf(err) },
        });
        return null;
      } finally {
        runner = null;
      }
    },

    cancel() {
      const job = get().job;
      if (job.state !== 'running' || !runner) return;
      set({ job: { ...job, cancelling: true } });
      runner.cancel();
    },

    dismiss: () => {
      if (get().job.state !== 'running') set({ job: { state: 'idle' } });
    },
  }));
}

export const useCheckpointExport = createCheckpointExportStore();
