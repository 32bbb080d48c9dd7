/**
 * "Drop the official checkpoint here": the newcomer's way to a model with nothing but a browser. The exporter runs
 * in its own worker (export-runner.ts) with the CLI's options that matter here (precision, label; head counts and
 * the untrained flag under "advanced"), shows its phases with progress and can be cancelled; the package is stored
 * in this browser and loaded. A refused checkpoint shows the exporter's own message and stores nothing.
 */
import { useState, type DragEvent } from 'react';
import { PRECISIONS, type Precision } from '../../core/faceptor/manifest.ts';
import {
  devicePrecision,
  isHashing,
  useCheckpointExport,
  type ProvenanceState,
} from '../../state/checkpoint-export.ts';
import { useEngine } from '../../state/engine.ts';
import { storedChoice, useModels, type ModelChoice } from '../../state/models.ts';
import { FilePickerButton } from '../common/FilePickerButton.tsx';
import { workerExportRunner } from './export-runner.ts';
import { formatBytes, shortHash } from './format.ts';

const PRECISION_NOTES: Record<Precision, string> = {
  fp32: 'fp32 — largest, the reference',
  fp16: 'fp16 — half the size, same results',
  q8: 'q8 — ~0.3× the size, small differences',
  q4: 'q4 — ~0.2× the size, landmarks/parsing degrade',
};

const PHASES: Record<string, string> = {
  reading: 'reading the checkpoint',
  converting: 'converting the weights',
  storing: 'storing the package in this browser',
};

export function CheckpointExport({
  onStored,
  onRecorded,
}: {
  /** Loads the stored package (as soon as it is stored, before its checkpoint sha256 is recorded). */
  onStored: (choice: ModelChoice) => Promise<unknown>;
  /** Its checkpoint sha256 is now in its manifest: the listing and, where it runs, the model take it in place. */
  onRecorded: (storedId: string) => Promise<unknown>;
}) {
  const s = useCheckpointExport();
  const engine = useEngine((e) => e.status);
  // The user's choice wins; until there is one, the precision this device runs best (the engine's report).
  const auto = devicePrecision(engine);
  const precision = s.precision ?? auto.precision;
  const [over, setOver] = useState(false);
  const running = s.job.state === 'running' || isHashing(s.job);

  const start = async (file: File | undefined) => {
    const job = useCheckpointExport.getState().job;
    if (!file || job.state === 'running' || isHashing(job)) return;
    // The model is loaded as soon as it is stored; the checkpoint's sha256 comes after (onRecorded, once the load
    // was asked for: the store runs it after that load).
    let loading: Promise<unknown> = Promise.resolve();
    const result = await useCheckpointExport
      .getState()
      .start(workerExportRunner(), file, useEngine.getState().status, (r, outcome) => {
        if (outcome.state === 'recorded') void loading.catch(() => undefined).then(() => onRecorded(r.stored.id));
        else void useModels.getState().refreshStored();
      });
    if (!result) {
      await useModels.getState().refreshStored();
      return;
    }
    loading = (async () => {
      await useModels.getState().refreshStored();
      // The listing's entry: it has the digest already when the hash ended meanwhile (small checkpoints).
      const fresh = useModels.getState().stored.find((p) => p.id === result.stored.id);
      await onStored(storedChoice(fresh ?? result.stored));
    })();
    await loading;
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault(); // the page-wide image drop leaves a handled drop alone
    setOver(false);
    if (!running) void start(e.dataTransfer.files[0]);
  };

  return (
    <div className="ckpt-export" data-testid="ckpt-export">
      <div
        className={`model-drop ckpt-drop${over ? ' over' : ''}`}
        data-testid="ckpt-drop"
        data-over={over ? 'true' : 'false'}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <strong>
          Drop the official checkpoint (<code>.pth.tar</code>) here
        </strong>
        , or{' '}
        <FilePickerButton
          testId="ckpt-pick"
          disabled={running}
          className="model-pick"
          accept=".tar,.pth,.pt,.pth.tar"
          onFiles={(files) => void start(files[0])}
        >
          choose a checkpoint…
        </FilePickerButton>
        <br />
        <small>It is converted here, in this browser (nothing is uploaded), and kept for your next visits.</small>
      </div>
      {/* Folded: the defaults suit most users, and an open form pushed the camera below the fold. */}
      <details className="ckpt-options ckpt-advanced" data-testid="ckpt-options">
        <summary>
          Options: {precision}
          {s.precision ? '' : ' (best for this device)'}
          {s.label ? `, “${s.label}”` : ''}
        </summary>
        <label>
          Precision{' '}
          <select
            data-testid="ckpt-precision"
            data-default={auto.precision}
            value={precision}
            disabled={running}
            title={`Default: ${auto.precision}, ${auto.why}`}
            onChange={(e) => s.set({ precision: e.target.value as Precision })}
          >
            {PRECISIONS.map((p) => (
              <option key={p} value={p}>
                {PRECISION_NOTES[p]}
                {p === auto.precision ? ' (recommended for this device)' : ''}
              </option>
            ))}
          </select>
        </label>{' '}
        <label>
          Label{' '}
          <input
            data-testid="ckpt-label"
            type="text"
            value={s.label}
            disabled={running}
            placeholder="file name (variant, precision)"
            onChange={(e) => s.set({ label: e.target.value })}
          />
        </label>
        <div className="ckpt-cli-options">
          As the CLI&apos;s options:{' '}
          <label>
            ViT heads{' '}
            <input
              data-testid="ckpt-vit-heads"
              type="number"
              min={1}
              value={s.vitHeads}
              placeholder="width/64"
              onChange={(e) => s.set({ vitHeads: e.target.value })}
            />
          </label>{' '}
          <label>
            Decoder heads{' '}
            <input
              data-testid="ckpt-decoder-heads"
              type="number"
              min={1}
              value={s.decoderHeads}
              placeholder="8"
              onChange={(e) => s.set({ decoderHeads: e.target.value })}
            />
          </label>{' '}
          <label>
            <input
              data-testid="ckpt-untrained"
              type="checkbox"
              checked={s.untrained}
              onChange={(e) => s.set({ untrained: e.target.checked })}
            />{' '}
            random/untrained weights
          </label>
        </div>
      </details>
      <ExportStatus />
    </div>
  );
}

function ExportStatus() {
  const job = useCheckpointExport((s) => s.job);
  const cancel = useCheckpointExport((s) => s.cancel);
  if (job.state === 'idle') return null;
  if (job.state === 'running') {
    const p = job.progress;
    return (
      <div
        className="model-progress"
        role="status"
        aria-live="polite"
        data-testid="ckpt-progress"
        data-phase={p?.phase ?? 'reading'}
        data-done={p?.done ?? 0}
        data-total={p?.total ?? 0}
      >
        <progress max={p?.total || 1} value={p && p.total ? p.done : undefined} />
        <span>
          Exporting {job.file} — {PHASES[p?.phase ?? 'reading']}
          {p && p.total > 0 && `: ${formatBytes(p.done)} of ${formatBytes(p.total)}`}
          {job.cancelling && ' — cancelling…'}
        </span>
        <button type="button" data-testid="ckpt-cancel" onClick={cancel} disabled={job.cancelling}>
          Cancel
        </button>
      </div>
    );
  }
  if (job.state === 'error') {
    return (
      <p className="model-error" role="alert" data-testid="ckpt-error">
        Could not export {job.file}: {job.message}. Nothing was stored.
      </p>
    );
  }
  if (job.state === 'cancelled')
    return <p data-testid="ckpt-cancelled">Export of {job.file} cancelled: nothing was stored.</p>;
  return (
    <div data-testid="ckpt-done" data-id={job.result.stored.id} data-timings={JSON.stringify(job.result.timings)}>
      <p>
        Exported {job.file}: {job.result.stored.label}, {formatBytes(job.result.stored.bytes)}, stored in this browser.
        {job.result.warnings.map((w) => (
          <span key={w} className="model-error">
            {' '}
            Warning: {w}
          </span>
        ))}
      </p>
      <ProvenanceStatus provenance={job.provenance} onCancel={cancel} />
    </div>
  );
}

/** The checkpoint's sha256 after the package is stored: progress (with cancel), recorded, or not recorded. */
function ProvenanceStatus({ provenance: p, onCancel }: { provenance: ProvenanceState; onCancel: () => void }) {
  const common = {
    'data-testid': 'ckpt-provenance',
    'data-state': p.state,
  };
  if (p.state === 'hashing') {
    const pct = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 0;
    return (
      <p
        className="model-progress"
        role="status"
        aria-live="polite"
        {...common}
        data-done={p.done}
        data-total={p.total}
      >
        <progress max={p.total || 1} value={p.total ? p.done : undefined} />
        <span>
          The model is ready; recording the checkpoint&apos;s sha256: {pct} %{p.cancelling && ' — cancelling…'}
        </span>{' '}
        <button
          type="button"
          data-testid="ckpt-hash-cancel"
          onClick={onCancel}
          disabled={p.cancelling}
          title="The package stays stored and usable, without its checkpoint sha256 (its provenance)"
        >
          Stop hashing
        </button>
      </p>
    );
  }
  if (p.state === 'recorded')
    return (
      <p {...common} data-sha256={p.sha256} data-timings={p.timings ? JSON.stringify(p.timings) : undefined}>
        Checkpoint sha256 <code title={p.sha256}>{shortHash(p.sha256)}…</code> recorded.
      </p>
    );
  return (
    <p className="model-error" {...common} data-cancelled={String(p.cancelled)}>
      {p.message}. Without the digest the model has no provenance and cannot enrol faces in the gallery; export it again
      to record it.
    </p>
  );
}
