/**
 * A canvas laid over a video or image, with the source's pixel grid, redrawn whenever the faces or the overlay
 * options change. With parsing results present it takes the pointer: the class under it is highlighted (shared
 * with the legend through useOverlay.hoveredPart) and named in a small tooltip. Otherwise it lets every pointer
 * event through to the media below.
 */
import { useEffect, useRef, useState, type PointerEvent } from 'react';
import { samePart, useOverlay } from '../../state/overlay.ts';
import { drawOverlay } from './draw-overlay.ts';
import { createMaskBitmaps } from './mask-bitmaps.ts';
import { faceAt } from './face-colours.ts';
import { clientToSource, hasParsing, hitTestParsing, type OverlayFace } from './overlay-geometry.ts';
import './overlay.css';

/** One cache for every canvas: entries live as long as their ParsingResult objects (WeakMap). */
const masks = createMaskBitmaps();

interface Tip {
  readonly left: number;
  readonly top: number;
  readonly name: string;
  readonly head: string;
  readonly label: number;
}

export function OverlayCanvas({
  width,
  height,
  faces,
  testId,
  highlightedFace = null,
  onHoverFace,
}: {
  width: number;
  height: number;
  faces: readonly OverlayFace[];
  testId?: string;
  /** Face whose panel is hovered/focused (drawn highlighted). */
  highlightedFace?: number | null;
  /** Pointer over a face's box (its index) or off every box (null): lets the page highlight that face's panel. */
  onHoverFace?: (index: number | null) => void;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  const showBoxes = useOverlay((s) => s.showBoxes);
  const showKeypoints = useOverlay((s) => s.showKeypoints);
  const showPoints = useOverlay((s) => s.showPoints);
  const showContours = useOverlay((s) => s.showContours);
  const maskOpacity = useOverlay((s) => s.maskOpacity);
  const hoveredPart = useOverlay((s) => s.hoveredPart);
  const [tip, setTip] = useState<Tip | null>(null);
  /** Last pointer position over this canvas (client px), so a new video frame re-checks what lies under it. */
  const pointer = useRef<{ x: number; y: number } | null>(null);
  const parsing = hasParsing(faces);
  const interactive = parsing || (!!onHoverFace && faces.length > 0);
  const hoveredFace = useRef<number | null>(null);

  useEffect(() => {
    const canvas = ref.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    const t0 = performance.now();
    const stats = drawOverlay(
      ctx,
      faces,
      { showBoxes, showKeypoints, showPoints, showContours, maskOpacity, hoveredPart, highlightedFace },
      masks,
    );
    // Read by the benchmark's "draw" stage (mask bitmaps are built on a result's first draw, then cached).
    canvas.dataset.drawMs = (performance.now() - t0).toFixed(3);
    canvas.dataset.landmarkPoints = String(stats.landmarkPoints);
    canvas.dataset.contours = String(stats.contours);
    canvas.dataset.masks = String(stats.masks);
    canvas.dataset.maskPixels = String(stats.maskPixels);
  }, [
    faces,
    width,
    height,
    showBoxes,
    showKeypoints,
    showPoints,
    showContours,
    maskOpacity,
    hoveredPart,
    highlightedFace,
  ]);

  const hover = (clientX: number, clientY: number) => {
    const canvas = ref.current;
    if (!canvas) return;
    const rect = canvas.getBoundingClientRect();
    const p = clientToSource(clientX, clientY, rect, canvas.width, canvas.height);
    const onFace = p ? faceAt(faces, p[0], p[1]) : null;
    if (onHoverFace && onFace !== hoveredFace.current) {
      hoveredFace.current = onFace;
      onHoverFace(onFace);
    }
    const hit = parsing && p ? hitTestParsing(faces, p[0], p[1]) : null;
    const part = hit ? { head: hit.head, label: hit.label } : null;
    const { hoveredPart: current, set } = useOverlay.getState();
    if (!samePart(current, part)) set({ hoveredPart: part });
    setTip(
      hit
        ? { left: clientX - rect.left, top: clientY - rect.top, name: hit.name, head: hit.head, label: hit.label }
        : null,
    );
  };

  const leave = () => {
    if (!pointer.current) return;
    pointer.current = null;
    setTip(null);
    if (hoveredFace.current !== null) {
      hoveredFace.current = null;
      onHoverFace?.(null);
    }
    useOverlay.getState().set({ hoveredPart: null });
  };

  // New faces under a still pointer (video): re-check the part; parsing gone: the canvas no longer takes the pointer.
  useEffect(() => {
    if (!pointer.current) return;
    if (interactive) hover(pointer.current.x, pointer.current.y);
    else leave();
  }, [faces]); // only new faces call for a re-check (hover/leave are re-created every render)

  const onPointerMove = (e: PointerEvent<HTMLCanvasElement>) => {
    pointer.current = { x: e.clientX, y: e.clientY };
    hover(e.clientX, e.clientY);
  };

  return (
    <>
      <canvas
        ref={ref}
        className="overlay"
        width={width}
        height={height}
        data-testid={testId}
        data-faces={faces.length}
        data-interactive={interactive}
        data-highlighted-face={highlightedFace ?? ''}
        data-hovered-part={hoveredPart ? `${hoveredPart.head}:${hoveredPart.label}` : ''}
        style={{ pointerEvents: interactive ? 'auto' : 'none', cursor: parsing ? 'crosshair' : undefined }}
        onPointerMove={interactive ? onPointerMove : undefined}
        onPointerLeave={leave}
      />
      {tip && (
        <div
          className="overlay-tooltip"
          data-testid="overlay-tooltip"
          data-head={tip.head}
          data-label={tip.label}
          style={{ left: tip.left, top: tip.top }}
        >
          {tip.name}
        </div>
      )}
    </>
  );
}
