/**
 * A recording stand-in for CanvasRenderingContext2D, enough for the overlay's drawing code: it keeps the current
 * transform (setTransform, save/restore) and records geometry in *device* (canvas pixel) coordinates, so tests can
 * compare against hand-computed positions whatever matrix the code chose.
 */
export type Matrix = [a: number, b: number, c: number, d: number, e: number, f: number];

export interface Call {
  readonly op: string;
  /** Device coordinates for moveTo/lineTo/fillRect (centre)/drawImage (origin); raw numbers otherwise. */
  readonly args: number[];
  readonly matrix: Matrix;
  readonly alpha: number;
  readonly image?: unknown;
}

export function recordingContext(width: number, height: number) {
  const calls: Call[] = [];
  let matrix: Matrix = [1, 0, 0, 1, 0, 0];
  const stack: { matrix: Matrix; alpha: number }[] = [];
  const device = (x: number, y: number): [number, number] => [
    matrix[0] * x + matrix[2] * y + matrix[4],
    matrix[1] * x + matrix[3] * y + matrix[5],
  ];
  const push = (op: string, args: number[], image?: unknown) =>
    calls.push({ op, args, matrix: [...matrix], alpha: ctx.globalAlpha, image });
  const ctx = {
    canvas: { width, height },
    globalAlpha: 1,
    lineWidth: 1,
    font: '',
    textBaseline: '',
    strokeStyle: '',
    fillStyle: '',
    save: () => {
      stack.push({ matrix: [...matrix], alpha: ctx.globalAlpha });
    },
    restore: () => {
      const s = stack.pop();
      if (s) {
        matrix = s.matrix;
        ctx.globalAlpha = s.alpha;
      }
    },
    setTransform: (...m: number[]) => {
      matrix = m as Matrix;
      push('setTransform', m);
    },
    clearRect: (...a: number[]) => push('clearRect', a),
    strokeRect: (...a: number[]) => push('strokeRect', a),
    fillRect: (x: number, y: number, w: number, h: number) => push('fillRect', device(x + w / 2, y + h / 2)),
    fillText: (_t: string, ...a: number[]) => push('fillText', a),
    arc: (...a: number[]) => push('arc', a),
    beginPath: () => push('beginPath', []),
    closePath: () => push('closePath', []),
    moveTo: (x: number, y: number) => push('moveTo', device(x, y)),
    lineTo: (x: number, y: number) => push('lineTo', device(x, y)),
    stroke: () => push('stroke', []),
    fill: () => undefined,
    drawImage: (image: unknown, x: number, y: number) => push('drawImage', device(x, y), image),
    measureText: () => ({ width: 20 }),
  };
  return {
    ctx: ctx as unknown as CanvasRenderingContext2D,
    calls,
    /** Device position of user-space point (x, y) under a recorded matrix. */
    apply: (m: Matrix, x: number, y: number): [number, number] => [
      m[0] * x + m[2] * y + m[4],
      m[1] * x + m[3] * y + m[5],
    ],
  };
}

/** Polylines as drawn: each beginPath … stroke becomes its device points and whether it was closed. */
export function polylines(calls: readonly Call[]): { points: number[][]; closed: boolean }[] {
  const out: { points: number[][]; closed: boolean }[] = [];
  let current: { points: number[][]; closed: boolean } | null = null;
  for (const c of calls) {
    if (c.op === 'beginPath') current = { points: [], closed: false };
    else if ((c.op === 'moveTo' || c.op === 'lineTo') && current) current.points.push(c.args);
    else if (c.op === 'closePath' && current) current.closed = true;
    else if (c.op === 'stroke' && current) {
      out.push(current);
      current = null;
    }
  }
  return out;
}
