/**
 * One export in the browser: a dropped checkpoint File → a package stored in OPFS, by the same core as
 * `npm run export` (tools/export/package/write-package.ts), so the bytes are the CLI's. Runs in a dedicated worker
 * (export.worker.ts): the page and the perception worker (and its current model) keep running meanwhile.
 *
 * Phases: reading (zip directory, data.pkl, plan) → converting (tensors read, folded and written; progress = tensor
 * bytes read) → hashing (sha256 of the whole checkpoint, for the provenance) → storing (the folder is made visible).
 * Anything the CLI refuses is refused here with the same message; a refused or cancelled export removes its folder.
 */
import { openCheckpointFrom } from '../../tools/export/checkpoint/checkpoint.ts';
import { planExport, type ExportPlan } from '../../tools/export/plan/plan.ts';
import { checkPrecision, writePackage } from '../../tools/export/package/write-package.ts';
import type { Precision } from '../../tools/export/package/weight-store.ts';
import type { Checkpoint } from '../../tools/export/checkpoint/checkpoint.ts';
import { blobFile, hashBlob, ExportCancelled } from './blob-file.ts';
import { fastSha256 } from './hashers.ts';
import {
  beginPackage,
  listStored,
  StorageFullError,
  storageFullMessage,
  type DirHandleLike,
  type PendingPackage,
  type StoredPackage,
} from './opfs-store.ts';

export type ExportPhase = 'reading' | 'converting' | 'hashing' | 'storing';

export interface ExportProgress {
  readonly phase: ExportPhase;
  /** Bytes done / total in this phase (0/0 while unknown). */
  readonly done: number;
  readonly total: number;
}

/** What the page offers (the CLI's options that matter in a browser). */
export interface BrowserExportOptions {
  readonly precision: Precision;
  /** Empty/absent: the CLI's default label "<file> (<variant>, <precision>)". */
  readonly label?: string;
  /** The CLI's --vit-heads / --decoder-heads (shapes cannot tell head counts; defaults as in the CLI). */
  readonly vitHeads?: number;
  readonly decoderHeads?: number;
  /** The CLI's --untrained. */
  readonly untrained?: boolean;
}

export interface ExportHost {
  readonly root: DirHandleLike;
  /** Bytes this origin may still store (quota − usage), or null when unknown. */
  free(): Promise<number | null>;
  readonly signal?: AbortSignal;
  onProgress?(progress: ExportProgress): void;
  onWarning?(message: string): void;
}

export interface BrowserExportResult {
  readonly stored: StoredPackage;
  readonly warnings: readonly string[];
}

/** Bytes per stored value by precision (weights.bin at real size: fp16 0.5×, q8 ≤ 0.30×, q4 ≤ 0.20× of fp32). */
const BYTES_PER_VALUE: Record<Precision, number> = { fp32: 4, fp16: 2.2, q8: 1.25, q4: 0.85 };

/** A generous estimate of the package size before anything is written (the quota check). */
export function estimatePackageBytes(ckpt: Checkpoint, plan: ExportPlan, precision: Precision): number {
  let values = 0;
  for (const [key] of plan.keep) values += ckpt.tensors.get(key)?.numel ?? 0;
  return Math.ceil(values * BYTES_PER_VALUE[precision] * 1.1) + (4 << 20);
}

/** A folder name for a new package: variant, precision and time (unique within this browser). */
function newId(variant: string, precision: string): string {
  return `${variant}-${precision}-${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 3).toString(36)}`
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '-');
}

export async function exportInBrowser(
  file: File,
  options: BrowserExportOptions,
  host: ExportHost,
): Promise<BrowserExportResult> {
  const precision = checkPrecision(options.precision);
  const warnings: string[] = [];
  const warn = (m: string) => {
    warnings.push(m);
    host.onWarning?.(m);
  };
  const progress = (phase: ExportPhase, done: number, total: number) => host.onProgress?.({ phase, done, total });
  const cancelled = () => {
    if (host.signal?.aborted) throw new ExportCancelled();
  };

  progress('reading', 0, file.size);
  // Interrupted exports of earlier visits: removed before this one starts (the CLI does the same per folder).
  await listStored(host.root, true).catch(() => []);
  let total = 0;
  let base = 0;
  const reader = blobFile(file, {
    signal: host.signal,
    onRead: (n) => {
      if (total > 0) progress('converting', Math.min(total, n - base), total);
    },
  });
  const ckpt = await openCheckpointFrom(reader, file.name, file.size);
  let pending: PendingPackage | null = null;
  try {
    const plan = planExport(ckpt.tensors, { vitHeads: options.vitHeads, decoderHeads: options.decoderHeads });
    cancelled();
    const needed = estimatePackageBytes(ckpt, plan, precision);
    const free = await host.free();
    if (free !== null && needed > free) throw new StorageFullError(storageFullMessage(needed, free));
    for (const [key] of plan.keep) {
      const t = ckpt.tensors.get(key);
      if (t)
        total +=
          t.numel * ({ float32: 4, float16: 2, bfloat16: 2, float64: 8 } as Record<string, number>)[t.dtype]! || 0;
    }
    base = reader.bytesRead;
    progress('converting', 0, total);
    pending = await beginPackage(host.root, newId(plan.variant, precision), fastSha256, {
      needed,
      free: () => host.free(),
    });
    const target = pending;
    let written;
    try {
      written = await writePackage(
        ckpt,
        plan,
        {
          sink: target.sink,
          sourceName: file.name,
          sourceSize: file.size,
          sourceSha256: async () =>
            hashBlob(file, await fastSha256(), {
              signal: host.signal,
              onProgress: (d, t) => progress('hashing', d, t),
            }),
          label: async (fallback) => fallback,
        },
        {
          precision,
          label: options.label?.trim() || undefined,
          untrained: options.untrained ?? false,
          vitHeads: options.vitHeads,
          decoderHeads: options.decoderHeads,
          onWarning: warn,
        },
      );
    } catch (e) {
      // The sync write only knows the quota was hit; say how much space is free, now that we can ask.
      if (e instanceof StorageFullError)
        throw new StorageFullError(storageFullMessage(needed, await host.free().catch(() => null)));
      throw e;
    }
    cancelled();
    progress('storing', 0, 1);
    await target.commit();
    pending = null;
    progress('storing', 1, 1);
    const stored = (await listStored(host.root)).find((p) => p.id === target.id);
    if (!stored) throw new Error('the package was written but cannot be read back from storage');
    void written;
    return { stored, warnings };
  } finally {
    await ckpt.close();
    if (pending) await pending.discard();
  }
}
