/** A canvas laid over a video or image, with the source's pixel grid, redrawn whenever the faces change. */
import { useEffect, useRef } from 'react';
import type { Detection } from '../../core/types.ts';
import { drawDetections } from './draw-detections.ts';

export function OverlayCanvas({ width, height, faces, testId }: {
  width: number; height: number; faces: readonly Detection[]; testId?: string;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (ctx) drawDetections(ctx, faces);
  }, [faces, width, height]);
  return <canvas ref={ref} className="overlay" width={width} height={height} data-testid={testId} data-faces={faces.length} />;
}
