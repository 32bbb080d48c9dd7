import { describe, expect, it } from 'vitest';
import type { Detection } from '../../core/types.ts';
import { drawDetections } from './draw-detections.ts';

/** Records the drawing calls that carry geometry; everything else is a no-op. */
function recordingContext(width: number, height: number) {
  const calls: { op: string; args: number[] }[] = [];
  const texts: string[] = [];
  const record =
    (op: string) =>
    (...args: unknown[]) => {
      calls.push({ op, args: args.filter((a): a is number => typeof a === 'number') });
    };
  const ctx = {
    canvas: { width, height },
    clearRect: record('clearRect'),
    strokeRect: record('strokeRect'),
    fillRect: record('fillRect'),
    fillText: (t: string, ...rest: number[]) => {
      texts.push(t);
      calls.push({ op: 'fillText', args: rest });
    },
    arc: record('arc'),
    beginPath: () => undefined,
    fill: () => undefined,
    measureText: () => ({ width: 20 }),
  };
  return { ctx: ctx as unknown as CanvasRenderingContext2D, calls, texts };
}

const face: Detection = {
  score: 0.87,
  box: { x: 100, y: 50, width: 200, height: 220 },
  keypoints: [
    [150, 120],
    [250, 120],
    [200, 170],
    [200, 220],
    [110, 140],
    [290, 140],
  ],
};

describe('drawDetections', () => {
  it('clears the canvas, then draws each box and keypoint at its source-pixel position', () => {
    const { ctx, calls, texts } = recordingContext(640, 480);
    drawDetections(ctx, [face, { ...face, box: { x: 400, y: 60, width: 100, height: 110 } }]);
    expect(calls[0]).toEqual({ op: 'clearRect', args: [0, 0, 640, 480] });
    expect(calls.filter((c) => c.op === 'strokeRect').map((c) => c.args)).toEqual([
      [100, 50, 200, 220],
      [400, 60, 100, 110],
    ]);
    const arcs = calls.filter((c) => c.op === 'arc').map((c) => c.args.slice(0, 2));
    expect(arcs.slice(0, 6)).toEqual(face.keypoints.map(([x, y]) => [x, y]));
    expect(arcs).toHaveLength(12);
    // each box carries its face's number (as its panel) and score
    expect(texts).toEqual(['1 · 0.87', '2 · 0.87']);
  });

  it('clears old drawings when there are no faces', () => {
    const { ctx, calls } = recordingContext(64, 48);
    drawDetections(ctx, []);
    expect(calls).toEqual([{ op: 'clearRect', args: [0, 0, 64, 48] }]);
  });
});
