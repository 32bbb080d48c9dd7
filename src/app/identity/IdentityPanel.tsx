/**
 * The identity gallery manager: who is enrolled (with sample counts), rename, delete, export/import as JSON and
 * the match threshold. Everything lives in this browser's IndexedDB; nothing is uploaded.
 */
import { modelIdentityKey } from '../../core/faceptor/manifest.ts';
import { useEffect, useState } from 'react';
import { DEFAULT_MATCH_THRESHOLD, samplesOfModel, type Person } from '../../core/identity/index.ts';
import { useModels } from '../../state/models.ts';
import { useIdentity } from '../../state/identity.ts';
import { useCompare } from '../../state/compare.ts';
import { downloadText } from './download.ts';
import { FilePickerButton } from '../common/FilePickerButton.tsx';
import './identity.css';

export function IdentityPanel() {
  const gallery = useIdentity((s) => s.gallery);
  const status = useIdentity((s) => s.status);
  const storageError = useIdentity((s) => s.storageError);
  const error = useIdentity((s) => s.error);
  const { removeAll, importJson, exportJson, clearError } = useIdentity.getState();
  const count = gallery.people.length;
  const people = `${count} ${count === 1 ? 'person' : 'people'}`;

  const onDeleteAll = () => {
    if (
      count &&
      window.confirm(
        `Delete ${count === 1 ? 'the 1 person' : `all ${people}`} from this browser's gallery? This cannot be undone (export first to keep a copy).`,
      )
    )
      removeAll();
  };
  const onImport = async (file: File | undefined, mode: 'replace' | 'merge') => {
    if (!file) return;
    // Replace asks first; the store checks the file's size before reading it and asks only once the file has been read
    // (a bad file is refused without a question). Merge adds people and samples; every sample keeps its model, so
    // nothing is compared across models.
    const confirmReplace =
      count && mode === 'replace'
        ? () => window.confirm(`Replace the ${people} in this gallery with the people in ${file.name}?`)
        : undefined;
    try {
      await importJson(file, confirmReplace, mode);
    } catch {
      /* the store put the reason in `error` */
    }
  };

  return (
    <section className="panel identity-panel" data-testid="identity-panel" data-status={status}>
      {/* collapsible: the gallery matters while enrolling, not while watching the camera */}
      <details open className="panel-fold">
        <summary>
          <h2>People{count > 0 ? ` (${count})` : ''}</h2>
        </summary>
        <p className="note" data-testid="identity-storage-note" data-state={status}>
          Stored locally in this browser (IndexedDB); nothing is uploaded.
          {status === 'loading' && ' Loading…'}
          {storageError && (
            <span className="error" data-testid="identity-storage-error">
              {' '}
              {storageError}
            </span>
          )}
        </p>
        {error && (
          <p className="error identity-error" data-testid="identity-error" role="alert">
            {error}{' '}
            <button type="button" className="link" onClick={clearError} data-testid="identity-error-dismiss">
              dismiss
            </button>
          </p>
        )}

        <p data-testid="identity-count" data-count={count}>
          {count === 0 ? 'No one enrolled yet — use “Enrol…” under a face.' : people}
          {gallery.embeddingSize !== null && <span className="hint"> · {gallery.embeddingSize}-value embeddings</span>}
        </p>
        {count > 0 && (
          <ul className="identity-people">
            {gallery.people.map((p) => (
              <PersonRow key={p.id} person={p} />
            ))}
          </ul>
        )}

        <div className="identity-actions">
          <button
            type="button"
            data-testid="identity-export"
            disabled={count === 0}
            onClick={() => downloadText(exportJson(), 'faceptor-gallery.json')}
          >
            Export JSON
          </button>
          <FilePickerButton
            accept="application/json,.json"
            testId="identity-import-merge"
            className="identity-import"
            title="Add the people of a gallery file to this one (a name already here gets the file's samples)"
            onFiles={(files) => void onImport(files[0], 'merge')}
          >
            Import and merge…
          </FilePickerButton>
          <FilePickerButton
            accept="application/json,.json"
            testId="identity-import"
            className="identity-import"
            title="Replace this gallery with a gallery file (asks first)"
            onFiles={(files) => void onImport(files[0], 'replace')}
          >
            Import and replace…
          </FilePickerButton>
          <button
            type="button"
            className="identity-danger"
            data-testid="identity-delete-all"
            disabled={count === 0}
            onClick={onDeleteAll}
          >
            Delete all
          </button>
        </div>

        <ThresholdControl />
      </details>
    </section>
  );
}

function PersonRow({ person }: { person: Person }) {
  const current = useModels((s) => s.current?.info);
  const { rename, remove } = useIdentity.getState();
  const [draft, setDraft] = useState(person.name);
  useEffect(() => setDraft(person.name), [person.name]);
  const commit = () => {
    if (draft.trim() === person.name) {
      setDraft(person.name);
      return;
    }
    try {
      rename(person.id, draft);
    } catch {
      setDraft(person.name); /* reason shown in identity-error */
    }
  };
  return (
    <li data-testid="identity-person" data-name={person.name} data-samples={person.samples.length} data-id={person.id}>
      <input
        data-testid="identity-rename"
        aria-label={`Name of ${person.name}`}
        value={draft}
        maxLength={100}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') e.currentTarget.blur();
          if (e.key === 'Escape') {
            setDraft(person.name);
          }
        }}
      />
      <span
        className="hint"
        data-testid="identity-samples"
        title="Embeddings kept for this person; a face matches the closest one made by its own model"
      >
        {person.samples.length} {person.samples.length === 1 ? 'sample' : 'samples'}
        {current &&
          (() => {
            if (!modelIdentityKey(current.sourceSha256))
              return " (not compared: this model's sha256 is not recorded yet)";
            const other = person.samples.length - samplesOfModel(person, current.sourceSha256);
            return other > 0 ? ` (${other} from another model, not compared)` : '';
          })()}
      </span>
      <button
        type="button"
        className="link"
        data-testid="identity-compare"
        title="Pick this person for a 1:1 comparison (their closest sample counts)"
        onClick={() =>
          useCompare.getState().pick({
            key: `person:${person.id}`,
            label: person.name,
            crop: null,
            untrained: false,
            embeddings: person.samples.map((vector, k) => ({ vector, model: person.models[k] ?? null })),
          })
        }
      >
        Compare…
      </button>
      <button
        type="button"
        className="link identity-danger"
        data-testid="identity-delete"
        onClick={() => remove(person.id)}
      >
        Delete
      </button>
    </li>
  );
}

function ThresholdControl() {
  const threshold = useIdentity((s) => s.threshold);
  const setThreshold = useIdentity((s) => s.setThreshold);
  // The number field keeps its own text while typing ("0." is not a number yet) and commits valid values.
  const [text, setText] = useState(threshold.toFixed(2));
  // Follow outside changes (slider, reset, load) without rewriting what is being typed ("0.4" while typing 0.45).
  useEffect(() => setText((t) => (Number(t) === threshold ? t : threshold.toFixed(2))), [threshold]);
  const commitText = (value: string) => {
    setText(value);
    const v = Number(value);
    if (value.trim() !== '' && Number.isFinite(v) && v >= 0 && v <= 1) setThreshold(v);
  };
  return (
    <div className="identity-threshold">
      <label>
        Match threshold{' '}
        <input
          type="range"
          min={0}
          max={1}
          step={0.01}
          value={threshold}
          data-testid="identity-threshold-slider"
          onChange={(e) => setThreshold(Number(e.target.value))}
        />
        <input
          type="number"
          min={0}
          max={1}
          step={0.01}
          value={text}
          data-testid="identity-threshold"
          data-value={threshold}
          onChange={(e) => commitText(e.target.value)}
          onBlur={() => setText(threshold.toFixed(2))}
        />
      </label>
      <button
        type="button"
        className="link"
        data-testid="identity-threshold-reset"
        disabled={threshold === DEFAULT_MATCH_THRESHOLD}
        onClick={() => setThreshold(DEFAULT_MATCH_THRESHOLD)}
      >
        default {DEFAULT_MATCH_THRESHOLD.toFixed(2)}
      </button>
      <p className="hint">
        Cosine similarity above which a face is taken to be the person. {DEFAULT_MATCH_THRESHOLD} is an uncalibrated
        starting point: raise it if strangers match, lower it if the same person is missed.
      </p>
    </div>
  );
}
