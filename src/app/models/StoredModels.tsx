/**
 * The packages exported in this browser: provenance ("exported in this browser from <file>, sha256 …"), size,
 * a delete button each, and the storage they and the rest of the page use (navigator.storage.estimate).
 */
import { useEffect, useState } from 'react';
import { useModels, storedChoice, type ModelChoice } from '../../state/models.ts';
import { deleteStored, opfsRoot } from '../../../workers/browser-export/opfs-store.ts';
import { formatBytes, shortHash } from './format.ts';
import { useCheckpointExport } from '../../state/checkpoint-export.ts';
import type { StoredPackage } from '../../../workers/browser-export/opfs-store.ts';

/** The checkpoint's sha256 of a stored package; "" is being recorded (this export) or was never recorded. */
function Sha256({ pkg }: { pkg: StoredPackage }) {
  const job = useCheckpointExport((s) => s.job);
  if (pkg.sourceSha256)
    return (
      <>
        sha256 <code title={pkg.sourceSha256}>{shortHash(pkg.sourceSha256)}…</code>
      </>
    );
  const here = job.state === 'done' && job.result.stored.id === pkg.id ? job.provenance : null;
  if (here?.state === 'hashing')
    return (
      <span data-testid="stored-sha256" data-state="hashing">
        recording the checkpoint&apos;s sha256: {here.total ? Math.floor((100 * here.done) / here.total) : 0} %
      </span>
    );
  if (here?.state === 'recorded') return <span data-testid="stored-sha256">sha256 recorded</span>;
  return (
    <span data-testid="stored-sha256" data-state="missing" title="It has no provenance digest and cannot enrol faces">
      sha256 not recorded (
      {here?.state === 'failed' && !here.cancelled ? here.message : 'the page closed or the hash was cancelled'})
    </span>
  );
}

interface StorageUse {
  readonly usage: number;
  readonly quota: number;
  readonly persisted: boolean | null;
}

async function readStorageUse(): Promise<StorageUse | null> {
  const storage = navigator.storage;
  if (!storage?.estimate) return null;
  const e = await storage.estimate();
  const persisted = storage.persisted ? await storage.persisted().catch(() => null) : null;
  return { usage: e.usage ?? 0, quota: e.quota ?? 0, persisted };
}

export function StoredModels({ onChoose }: { onChoose: (choice: ModelChoice) => void }) {
  const stored = useModels((s) => s.stored);
  const currentChoice = useModels((s) => s.currentChoice);
  const [use, setUse] = useState<StorageUse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const total = stored.reduce((sum, p) => sum + p.bytes, 0);
  useEffect(() => {
    void readStorageUse()
      .then(setUse)
      .catch(() => setUse(null));
  }, [stored]);
  if (stored.length === 0) return null;

  const remove = async (id: string, label: string) => {
    if (
      !window.confirm(
        `Delete the stored model "${label}" from this browser? (A loaded model keeps running until the page is reloaded.)`,
      )
    )
      return;
    try {
      await deleteStored(await opfsRoot(), id);
      setError(null);
    } catch (err) {
      setError(`Could not delete ${label}: ${(err as Error).message}`);
    }
    await useModels.getState().refreshStored();
  };

  return (
    <div className="stored-models" data-testid="stored-models" data-count={stored.length} data-bytes={total}>
      <strong>Models stored in this browser</strong>{' '}
      <span data-testid="stored-usage">
        ({formatBytes(total)}
        {use ? `; this site uses ${formatBytes(use.usage)} of ${formatBytes(use.quota)} allowed` : ''}
        {use?.persisted === true
          ? ', kept persistently'
          : use?.persisted === false
            ? ', may be evicted if the disk fills up'
            : ''}
        )
      </span>
      <ul>
        {stored.map((p) => (
          <li
            key={p.id}
            data-testid="stored-model"
            data-id={p.id}
            data-sha256={p.sourceSha256}
            data-precision={p.precision}
          >
            <button
              type="button"
              className="stored-use"
              disabled={currentChoice?.key === `stored:${p.id}`}
              onClick={() => onChoose(storedChoice(p))}
            >
              {p.label}
            </button>{' '}
            — {p.variant}, {p.precision}, {formatBytes(p.bytes)} (weights {formatBytes(p.weightsBytes)}); exported in
            this browser from {p.sourceFile}, <Sha256 pkg={p} />{' '}
            <button type="button" data-testid="stored-delete" onClick={() => void remove(p.id, p.label)}>
              Delete
            </button>
          </li>
        ))}
      </ul>
      {error && (
        <p className="model-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
