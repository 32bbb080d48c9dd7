/**
 * One analysed image: the photo with its overlay and parsing legend, face count, downscale note, timings, one panel
 * per face (with a Faceptor model), JSON export.
 */
import { memo, useState } from 'react';
import { useGallery, type GalleryItem } from '../../state/gallery.ts';
import { OverlayCanvas } from '../overlay/OverlayCanvas.tsx';
import { Timings } from '../layout/Timings.tsx';
import { ParsingLegend } from '../overlay/ParsingLegend.tsx';
import { FaceList } from '../faces/FaceList.tsx';
import { downloadText, exportText, jsonFileName } from './export-json.ts';

export interface ImageCardProps {
  readonly item: GalleryItem;
  /** The results are for other tasks, heads or another model than those chosen now. */
  readonly stale?: boolean;
  readonly onReanalyse?: (ids: string[]) => void;
}

export const ImageCard = memo(function ImageCard({ item, stale = false, onReanalyse }: ImageCardProps) {
  const { analysis } = item;
  // shown once the browser has decoded it: a file it cannot show (not an image, corrupt) never flashes a
  // broken-image icon before its error
  const [shown, setShown] = useState<'loading' | 'ok' | 'broken'>('loading');
  // box ↔ panel: the face under the pointer on the photo, or whose panel is hovered/focused
  const [face, setFace] = useState<number | null>(null);
  return (
    <figure className="card" data-testid="gallery-item" data-state={item.state} data-name={item.name} data-stale={String(stale)}>
      <div className="stage">
        {item.state !== 'error' && item.url && shown !== 'broken' && (
          <img src={item.url} alt={item.name} decoding="async" style={shown === 'ok' ? undefined : { visibility: 'hidden' }}
            onLoad={() => setShown('ok')} onError={() => setShown('broken')} />
        )}
        {analysis && (
          <OverlayCanvas width={analysis.width} height={analysis.height} faces={analysis.faces} testId="gallery-overlay"
            highlightedFace={face} onHoverFace={analysis.model ? setFace : undefined} />
        )}
      </div>
      <figcaption>
        <strong title={item.name}>{item.name}</strong>
        {item.state === 'analysing' && (
          <span role="status" data-testid="gallery-busy">{analysis ? 'analysing again with the current tasks…' : 'analysing…'}</span>
        )}
        {stale && item.state === 'done' && (
          <span className="card-stale" role="status" data-testid="gallery-stale">
            These results are from other tasks or another model than those chosen now.{' '}
            {onReanalyse && <button type="button" data-testid="gallery-reanalyse" onClick={() => onReanalyse([item.id])}>Re-analyse</button>}
          </span>
        )}
        {item.state === 'error' && <span className="error" role="alert" data-testid="gallery-error" data-code={item.errorCode ?? undefined}>{item.error}</span>}
        {analysis && (
          <>
            <span data-testid="gallery-face-count" data-count={analysis.faces.length}>
              {analysis.faces.length === 0 ? 'no face found' : `${analysis.faces.length} face${analysis.faces.length === 1 ? '' : 's'}`}
            </span>
            <span data-testid="gallery-size">
              {analysis.width}×{analysis.height}
              {analysis.scale < 1 && ` — analysed downscaled ×${analysis.scale.toFixed(3)}`}
            </span>
            <span data-testid="gallery-detector">
              {analysis.provider} · BlazeFace {analysis.detectorModel === 'auto' ? '128 + 256' : analysis.detectorModel === 'back' ? '256' : '128'}
            </span>
            <Timings timings={analysis.timings} />
            <button type="button" data-testid="gallery-export" onClick={() => downloadText(jsonFileName(item.name), exportText([item]))}>
              Export JSON
            </button>
          </>
        )}
        <button type="button" className="link" onClick={() => useGallery.getState().remove(item.id)}>Remove</button>
      </figcaption>
      {analysis && <ParsingLegend faces={analysis.faces} />}
      {analysis?.model && <FaceList analysis={analysis} testId="image-faces" highlighted={face} onHover={setFace} />}
    </figure>
  );
});
