/**
 * Batch folders: drop a folder (or choose one) of hundreds of photos → a queue with progress, pause/resume/cancel,
 * a sortable summary table (file, faces, age, top expression, identity match), JSON/CSV of everything. Memory stays
 * bounded: rows hold a summary and the JSON entry only, the table shows one page of rows, and a photo is decoded
 * for display only when its row's card is opened (its object URL is revoked when the card closes).
 */
import { useEffect, useMemo, useState } from 'react';
import { useBatch, batchFiles } from '../../state/batch.ts';
import {
  batchCsv,
  batchDocumentText,
  photoMatch,
  sortItems,
  type BatchItem,
  type SortKey,
} from '../../state/batch-results.ts';
import { fromDataTransfer, fromFiles } from '../models/dropped-files.ts';
import { DropTarget } from '../common/DropTarget.tsx';
import { FilePickerButton } from '../common/FilePickerButton.tsx';
import { useBatchQueue } from './useBatchQueue.ts';
import { useIdentityMatcher } from '../video/Timelines.tsx';
import { downloadText } from '../gallery/export-json.ts';
import { OverlayCanvas } from '../overlay/OverlayCanvas.tsx';
import { FaceList } from '../faces/FaceList.tsx';
import { entryToAnalysis } from './entry-faces.ts';
import type { ImageEntryOk } from '../../pipeline/analysis-json.ts';
import './batch.css';
import './test-section.ts';

const PAGE = 100;
const COLUMNS: readonly [SortKey, string][] = [
  ['file', 'File'],
  ['faces', 'Faces'],
  ['age', 'Age'],
  ['expression', 'Top expression'],
  ['identity', 'Identity match'],
];

export function BatchPanel() {
  const { items, queue, sort, selected, skipped, model } = useBatch();
  const { addFolder, pause, resume, cancel, clear } = useBatchQueue();
  const match = useIdentityMatcher();
  const [page, setPage] = useState(0);
  const rows = useMemo(() => sortItems(items, sort, match), [items, sort, match]);
  const done = items.filter((i) => i.state === 'done' || i.state === 'error').length;
  const untrained = model?.untrained === true;
  const pages = Math.max(1, Math.ceil(rows.length / PAGE));
  const shown = rows.slice(page * PAGE, (page + 1) * PAGE);

  const onDrop = (data: DataTransfer) => {
    void fromDataTransfer(data).then(({ files, paths }) => addFolder(files, paths));
  };
  const sortBy = (key: SortKey) =>
    useBatch.getState().set({ sort: { key, descending: sort.key === key ? !sort.descending : false } });

  return (
    <section className="panel batch-panel" aria-labelledby="batch-title" data-testid="batch-panel">
      <details open className="panel-fold">
        <summary>
          <h2 id="batch-title">Batch folder</h2>
        </summary>
        <DropTarget testId="batch-dropzone" onDrop={onDrop}>
          <p>Drop a folder of photos here (hundreds are fine), or</p>
          <FilePickerButton
            directory
            multiple
            testId="batch-input"
            onFiles={(fs) => {
              const p = fromFiles(fs);
              addFolder(p.files, p.paths);
            }}
          >
            choose a folder…
          </FilePickerButton>
        </DropTarget>
        {items.length > 0 && (
          <>
            <div
              className="video-progress"
              data-testid="batch-progress"
              data-queue={queue}
              data-done={done}
              data-total={items.length}
            >
              <progress max={items.length} value={done} />
              <span role="status">
                {done} of {items.length} photos
                {queue === 'paused' ? ' · paused' : queue === 'running' ? ' · analysing…' : ''}
                {skipped ? ` · ${skipped} other files left out` : ''}
              </span>
            </div>
            <div className="controls">
              {queue === 'running' && (
                <button type="button" data-testid="batch-pause" onClick={pause}>
                  Pause
                </button>
              )}
              {queue === 'paused' && (
                <button type="button" data-testid="batch-resume" onClick={resume}>
                  Resume
                </button>
              )}
              {queue !== 'idle' && (
                <button type="button" data-testid="batch-cancel" onClick={cancel}>
                  Cancel
                </button>
              )}
              <button
                type="button"
                data-testid="batch-export-json"
                disabled={done === 0}
                onClick={() => downloadText('faceptor-batch.json', batchDocumentText(items, model))}
              >
                Export all (JSON)
              </button>
              <button
                type="button"
                data-testid="batch-export-csv"
                disabled={done === 0}
                onClick={() => downloadText('faceptor-batch.csv', batchCsv(items, match, model), 'text/csv')}
              >
                Export all (CSV)
              </button>
              <button type="button" className="link" onClick={clear}>
                Clear
              </button>
              {untrained && (
                <span className="face-untrained" data-testid="batch-untrained">
                  untrained model — ages, expressions and matches are meaningless
                </span>
              )}
            </div>
            <div className="batch-table-wrap">
              <table className="batch-table" data-testid="batch-table">
                <thead>
                  <tr>
                    {COLUMNS.map(([key, title]) => (
                      <th
                        key={key}
                        aria-sort={sort.key === key ? (sort.descending ? 'descending' : 'ascending') : 'none'}
                      >
                        <button
                          type="button"
                          className="link"
                          data-testid="batch-sort"
                          data-key={key}
                          onClick={() => sortBy(key)}
                        >
                          {title}
                          {sort.key === key ? (sort.descending ? ' ▾' : ' ▴') : ''}
                        </button>
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {shown.map((it) => (
                    <Row key={it.id} item={it} match={photoMatch(it, match)} selected={selected === it.id} />
                  ))}
                </tbody>
              </table>
            </div>
            {pages > 1 && (
              <div className="controls">
                <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
                  Previous
                </button>
                <span>
                  rows {page * PAGE + 1}–{Math.min(rows.length, (page + 1) * PAGE)} of {rows.length}
                </span>
                <button type="button" disabled={page >= pages - 1} onClick={() => setPage(page + 1)}>
                  Next
                </button>
              </div>
            )}
            {selected !== null && <BatchCard id={selected} />}
          </>
        )}
      </details>
    </section>
  );
}

function Row({
  item,
  match,
  selected,
}: {
  item: BatchItem;
  match: { name: string; similarity: number } | null;
  selected: boolean;
}) {
  const f = item.faces;
  return (
    <tr
      data-testid="batch-row"
      data-state={item.state}
      data-path={item.path}
      data-faces={item.state === 'done' ? f.length : ''}
      className={selected ? 'selected' : undefined}
    >
      <td>
        <button
          type="button"
          className="link"
          disabled={item.state !== 'done'}
          title="Show this photo with its results"
          onClick={() => useBatch.getState().set({ selected: selected ? null : item.id })}
        >
          {item.path}
        </button>
      </td>
      <td>
        {item.state === 'done' ? (
          f.length
        ) : item.state === 'error' ? (
          <span className="error" title={item.error ?? ''}>
            error
          </span>
        ) : item.state === 'analysing' ? (
          '…'
        ) : (
          ''
        )}
      </td>
      <td>{f.map((x) => (x.age === null ? '—' : x.age.toFixed(1))).join(', ')}</td>
      <td>{f.map((x) => x.expression ?? '—').join(', ')}</td>
      <td>{match ? `${match.name} (${match.similarity.toFixed(2)})` : ''}</td>
    </tr>
  );
}

/** The one open card: decodes its photo for display now, and lets it go when closed. */
function BatchCard({ id }: { id: number }) {
  const item = useBatch((s) => s.items.find((i) => i.id === id));
  const model = useBatch((s) => s.model);
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    const file = batchFiles.get(id);
    if (!file) return;
    const u = URL.createObjectURL(file);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [id]);
  const analysis = useMemo(
    () => (item?.entry && 'faces' in item.entry ? entryToAnalysis(item.entry as ImageEntryOk, model) : null),
    [item, model],
  );
  if (!item || !analysis) return null;
  return (
    <figure className="card batch-card" data-testid="batch-card">
      <div className="stage">
        {url && <img src={url} alt={item.path} />}
        <OverlayCanvas width={analysis.width} height={analysis.height} faces={analysis.faces} testId="batch-overlay" />
      </div>
      <figcaption>
        <strong>{item.path}</strong>{' '}
        <button type="button" className="link" onClick={() => useBatch.getState().set({ selected: null })}>
          Close
        </button>
      </figcaption>
      {analysis.model && <FaceList analysis={analysis} testId="batch-faces" />}
    </figure>
  );
}
