/** The image half of the app: drop zone, the grid of analysed images, and one JSON export of them all. */
import { useGallery } from '../../state/gallery.ts';
import { DropZone } from './DropZone.tsx';
import { PhotoOptions } from './PhotoOptions.tsx';
import { useImageAnalysis } from './useImageAnalysis.ts';
import { usePageDrop } from './usePageDrop.ts';
import { useCurrentRequestKey } from './useCurrentRequestKey.ts';
import { ImageCard } from './ImageCard.tsx';
import { downloadText, exportText } from './export-json.ts';

export function GalleryPanel() {
  const items = useGallery((s) => s.items);
  const actions = useImageAnalysis();
  usePageDrop(actions.add);
  const current = useCurrentRequestKey();
  const stale = items.filter((i) => i.state === 'done' && i.request !== undefined && i.request !== current);
  return (
    <section className="panel gallery" aria-labelledby="gallery-title">
      <details open className="panel-fold" data-testid="gallery-fold">
        <summary>
          <h2 id="gallery-title">Images</h2>
        </summary>
        <DropZone />
        <PhotoOptions />
        {items.length > 0 && (
          <div className="controls">
            <button
              type="button"
              data-testid="gallery-export-all"
              disabled={!items.some((i) => i.analysis)}
              onClick={() => downloadText('faceptor-analysis.json', exportText(items))}
            >
              Export all (JSON)
            </button>
            <button type="button" onClick={() => useGallery.getState().clear()}>
              Clear all
            </button>
            {stale.length > 0 && (
              <button
                type="button"
                data-testid="gallery-reanalyse-all"
                onClick={() => actions.reanalyse(stale.map((i) => i.id))}
              >
                Re-analyse {stale.length} out-of-date photo{stale.length === 1 ? '' : 's'}
              </button>
            )}
          </div>
        )}
        <div className="grid" data-testid="gallery">
          {items.map((item) => (
            <ImageCard
              key={item.id}
              item={item}
              stale={item.state !== 'error' && item.request !== undefined && item.request !== current}
              onReanalyse={actions.reanalyse}
            />
          ))}
        </div>
      </details>
    </section>
  );
}
