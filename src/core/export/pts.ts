/**
 * Landmarks as text in the 300W `.pts` form (iBUG; also read by menpo, dlib's tools and most alignment code):
 *
 *     version: 1
 *     n_points:  68
 *     {
 *     x y
 *     …
 *     }
 *
 * 300W's annotations count pixels from 1 (Matlab), so a point is written as x + 1, y + 1 from our 0-based pixel
 * centres; menpo subtracts 1 when it reads them. `fromPts` reads the same form back (0-based again).
 */
import type { Point } from '../types.ts';

export function toPts(points: readonly Point[]): string {
  for (const [x, y] of points)
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new Error('.pts: a landmark is not a finite point');
  const rows = points.map(([x, y]) => `${fmt(x + 1)} ${fmt(y + 1)}`);
  return `version: 1\nn_points:  ${points.length}\n{\n${rows.join('\n')}${rows.length ? '\n' : ''}}\n`;
}

const fmt = (v: number): string => String(Number(v.toFixed(3)));

/** Parses `.pts` text (strict: the header's count must match the rows). Points come back 0-based. */
export function fromPts(text: string): Point[] {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const count = /^n_points:\s*(\d+)$/.exec(lines[1] ?? '');
  if (!/^version:\s*1$/.test(lines[0] ?? '') || !count || lines[2] !== '{' || lines.at(-1) !== '}')
    throw new Error('.pts: not in the 300W form');
  const rows = lines.slice(3, -1).map((l) => l.split(/\s+/).map(Number));
  if (rows.length !== Number(count[1])) throw new Error(`.pts: header says ${count[1]} points, found ${rows.length}`);
  return rows.map((r) => {
    if (r.length !== 2 || !r.every(Number.isFinite)) throw new Error('.pts: a row is not "x y"');
    return [r[0] - 1, r[1] - 1] as Point;
  });
}
