/**
 * One analysed image: the photo with its overlay and parsing legend, face count, downscale note, timings, one panel
 * per face (with a Faceptor model), JSON export.
 */
import { modelIdentityKey } from '../../core/faceptor/manifest.ts';
import { memo, useRef, useState } from 'react';
import { useGallery, type GalleryItem } from '../../state/gallery.ts';
import { OverlayCanvas } from '../overlay/OverlayCanvas.tsx';
import { Timings } from '../layout/Timings.tsx';
import { ParsingLegend } from '../overlay/ParsingLegend.tsx';
import { FaceList } from '../faces/FaceList.tsx';
import { downloadText, exportText, jsonFileName } from './export-json.ts';
import { annotatedFileName, cardFiles } from './card-files.ts';
import { annotatedPng, cardFileBlob, downloadBlob } from './card-export.ts';
import { errorMessage } from '../engine/client.ts';
import { useCompare } from '../../state/compare.ts';
import { alignedCropUrl } from '../compare/crop.ts';
import './card-exports.css';

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
  const figure = useRef<HTMLElement>(null);
  const [exportError, setExportError] = useState<string | null>(null);
  const untrainedModel = analysis?.model?.untrained === true;
  const files = analysis ? cardFiles(item.name, analysis.faces, untrainedModel) : [];
  const exporting = (work: () => Promise<void>) => () => {
    setExportError(null);
    work().catch((err: unknown) => setExportError(`Export failed: ${errorMessage(err)}`));
  };
  const exportAnnotated = exporting(async () => {
    const img = figure.current?.querySelector('img');
    if (!analysis || !img || !img.complete || img.naturalWidth === 0) throw new Error('the photo is not shown yet');
    const overlay = figure.current?.querySelector<HTMLCanvasElement>('canvas.overlay') ?? null;
    downloadBlob(
      annotatedFileName(item.name, untrainedModel),
      await annotatedPng(img, overlay, analysis.width, analysis.height),
    );
  });
  const exportKind = (kind: 'labels' | 'pts') =>
    exporting(async () => {
      if (!analysis) return;
      for (const f of files.filter((x) => x.kind === kind)) downloadBlob(f.name, await cardFileBlob(analysis, f));
    });
  const compare = (i: number) => {
    const f = analysis?.faces[i];
    if (!analysis || !f?.identity) return;
    const img = figure.current?.querySelector('img');
    useCompare.getState().pick({
      key: `${item.id}#${i}`,
      label: `${item.name} · face ${i + 1}`,
      embeddings: [{ vector: f.identity.embedding, model: modelIdentityKey(analysis.model?.sourceSha256) }],
      crop: img && img.complete && img.naturalWidth > 0 ? alignedCropUrl(img, f.keypoints) : null,
      untrained: analysis.model?.untrained === true,
    });
  };
  return (
    <figure
      ref={figure}
      className="card"
      data-testid="gallery-item"
      data-state={item.state}
      data-name={item.name}
      data-stale={String(stale)}
    >
      <div className="stage">
        {item.state !== 'error' && item.url && shown !== 'broken' && (
          <img
            src={item.url}
            alt={item.name}
            decoding="async"
            style={shown === 'ok' ? undefined : { visibility: 'hidden' }}
            onLoad={() => setShown('ok')}
            onError={() => setShown('broken')}
          />
        )}
        {analysis && (
          <OverlayCanvas
            width={analysis.width}
            height={analysis.height}
            faces={analysis.faces}
            testId="gallery-overlay"
            highlightedFace={face}
            onHoverFace={analysis.model ? setFace : undefined}
          />
        )}
      </div>
      <figcaption>
        <strong title={item.name}>{item.name}</strong>
        {item.state === 'analysing' && (
          <span role="status" data-testid="gallery-busy">
            {analysis ? 'analysing again with the current tasks…' : 'analysing…'}
          </span>
        )}
        {stale && item.state === 'done' && (
          <span className="card-stale" role="status" data-testid="gallery-stale">
            These results are from other tasks or another model than those chosen now.{' '}
            {onReanalyse && (
              <button type="button" data-testid="gallery-reanalyse" onClick={() => onReanalyse([item.id])}>
                Re-analyse
              </button>
            )}
          </span>
        )}
        {item.state === 'error' && (
          <span className="error" role="alert" data-testid="gallery-error" data-code={item.errorCode ?? undefined}>
            {item.error}
          </span>
        )}
        {analysis && (
          <>
            <span data-testid="gallery-face-count" data-count={analysis.faces.length}>
              {analysis.faces.length === 0
                ? 'no face found'
                : `${analysis.faces.length} face${analysis.faces.length === 1 ? '' : 's'}`}
            </span>
            <span data-testid="gallery-size">
              {analysis.width}×{analysis.height}
              {analysis.scale < 1 && ` — analysed downscaled ×${analysis.scale.toFixed(3)}`}
            </span>
            <span data-testid="gallery-detector">
              {analysis.provider} · BlazeFace{' '}
              {analysis.detector === 'auto' ? '128 + 256' : analysis.detector === 'back' ? '256' : '128'}
            </span>
            <Timings timings={analysis.timings} />
            <span className="card-exports">
              <button
                type="button"
                data-testid="gallery-export"
                onClick={() => downloadText(jsonFileName(item.name), exportText([item]))}
              >
                Export JSON
              </button>
              <button
                type="button"
                data-testid="gallery-export-png"
                disabled={shown !== 'ok'}
                onClick={exportAnnotated}
                title="The photo with its overlay as shown here, at the photo's own size"
              >
                Annotated PNG
              </button>
              {files.some((f) => f.kind === 'labels') && (
                <button
                  type="button"
                  data-testid="gallery-export-labels"
                  onClick={exportKind('labels')}
                  title="One PNG per face and parsing head; each pixel's value is its class index (0 = background)"
                >
                  Label maps (PNG)
                </button>
              )}
              {files.some((f) => f.kind === 'pts') && (
                <button
                  type="button"
                  data-testid="gallery-export-pts"
                  onClick={exportKind('pts')}
                  title="One file per face and landmark head, in the 300W .pts form (1-based pixel coordinates)"
                >
                  Landmarks (.pts)
                </button>
              )}
            </span>
            {exportError && (
              <span className="error" role="alert" data-testid="gallery-export-error">
                {exportError}
              </span>
            )}
          </>
        )}
        <button type="button" className="link" onClick={() => useGallery.getState().remove(item.id)}>
          Remove
        </button>
      </figcaption>
      {analysis && <ParsingLegend faces={analysis.faces} />}
      {analysis?.model && (
        <FaceList analysis={analysis} testId="image-faces" highlighted={face} onHover={setFace} onCompare={compare} />
      )}
    </figure>
  );
});
