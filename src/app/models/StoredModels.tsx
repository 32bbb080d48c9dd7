/**
 * The packages exported in this browser: provenance ("exported in this browser from <file>, sha256 …"), size,
 * a delete button each, and the storage they and the rest of the page use (navigator.storage.estimate).
 */
import { useEffect, useState } from 'react';
import { useModels, storedChoice, type ModelChoice } from '../../state/models.ts';
import { deleteStored, opfsRoot } from '../../../workers/browser-export/opfs-store.ts';
import { formatBytes, shortHash } from './format.ts';

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
            this browser from {p.sourceFile}, sha256 <code title={p.sourceSha256}>{shortHash(p.sourceSha256)}…</code>{' '}
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
