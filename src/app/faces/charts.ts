/** Geometry of the face panel's tiny SVG charts, kept pure so it is tested against hand-computed numbers. */

const r2 = (v: number) => Math.round(v * 100) / 100;

/**
 * SVG path of a distribution drawn as a line over [0, width] × [0, height], scaled so its peak touches the top:
 * bin i sits at x = i·width/(n−1), y = height·(1 − p_i/max). A flat-zero distribution lies on the baseline.
 */
export function sparklinePath(values: readonly number[], width: number, height: number): string {
  const n = values.length;
  if (n === 0) return '';
  const max = Math.max(...values.map((v) => (Number.isFinite(v) ? v : 0)));
  const step = n > 1 ? width / (n - 1) : 0;
  return values
    .map((v, i) => {
      const p = Number.isFinite(v) && max > 0 ? Math.max(0, v) / max : 0;
      return `${i === 0 ? 'M' : 'L'}${r2(i * step)},${r2(height * (1 - p))}`;
    })
    .join(' ');
}

export interface BarRect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Vertical bars for values in [0, `max`] side by side in a width × height box, `gap` between neighbours:
 * each bar is (width − gap·(n−1))/n wide and value/max·height tall, standing on the bottom edge.
 */
export function barGeometry(
  values: readonly number[],
  box: { width: number; height: number; gap?: number; max?: number },
): BarRect[] {
  const n = values.length;
  if (n === 0) return [];
  const gap = box.gap ?? 0;
  const max = box.max ?? 1;
  const barWidth = (box.width - gap * (n - 1)) / n;
  return values.map((v, i) => {
    const h = max > 0 ? (Math.min(Math.max(v, 0), max) / max) * box.height : 0;
    return { x: r2(i * (barWidth + gap)), y: r2(box.height - h), width: r2(barWidth), height: r2(h) };
  });
}

/** Layer-Attention shares in encoder-block order (the model lists block 11 first: LAYER_ATTENTION_BLOCKS). */
export function sharesByBlock<T extends { readonly block: number }>(shares: readonly T[]): T[] {
  return [...shares].sort((a, b) => a.block - b.block);
}
