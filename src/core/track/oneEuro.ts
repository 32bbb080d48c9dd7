/**
 * One Euro filter (Casiez, Roussel, Vogel, CHI 2012): a low-pass filter whose cutoff rises with speed, so a
 * still value is smoothed hard (no jitter) while a moving one follows with little lag.
 *
 * Scale-aware: the speed that raises the cutoff is measured in `scale` units per second (we pass the face's box
 * width), so the same parameters behave alike for a face 80 px wide and one 800 px wide.
 */

export interface OneEuroParams {
  /** Cutoff (Hz) at rest: lower = smoother still faces. */
  readonly minCutoff: number;
  /** Cutoff increase per (scale unit / s) of speed: higher = less lag in motion. */
  readonly beta: number;
  /** Cutoff (Hz) of the speed estimate itself. */
  readonly dCutoff: number;
}

/**
 * Defaults for face geometry at webcam rates, chosen by a sweep over the synthetic checks in track.test.ts
 * (30 fps, 200 px face, detector noise σ = 1% of the width): a still face keeps about a quarter of its jitter (under 35%), and a
 * face crossing the frame at 1.5 widths/s trails by under 5% of its width. The slow speed estimate
 * (dCutoff 0.3 Hz) stops detector noise from opening the filter on a still face.
 */
export const FACE_SMOOTHING: OneEuroParams = { minCutoff: 0.3, beta: 4, dCutoff: 0.3 };

const alpha = (cutoff: number, dt: number) => {
  const tau = 1 / (2 * Math.PI * cutoff);
  return 1 / (1 + tau / dt);
};

export class OneEuroFilter {
  private x: number | null = null;
  private dx = 0;
  private t = 0;

  constructor(private readonly params: OneEuroParams = FACE_SMOOTHING) {}

  /** Filters `value` observed at `timeSeconds`. Non-increasing time restarts nothing and returns the last output. */
  filter(value: number, timeSeconds: number, scale = 1): number {
    if (!Number.isFinite(value)) return this.x ?? value;
    if (this.x === null) {
      this.x = value;
      this.t = timeSeconds;
      return value;
    }
    const dt = timeSeconds - this.t;
    if (!(dt > 0)) return this.x;
    this.t = timeSeconds;
    const rawDx = (value - this.x) / dt;
    this.dx += alpha(this.params.dCutoff, dt) * (rawDx - this.dx);
    const cutoff = this.params.minCutoff + (this.params.beta * Math.abs(this.dx)) / Math.max(scale, 1e-9);
    this.x += alpha(cutoff, dt) * (value - this.x);
    return this.x;
  }

  reset(): void {
    this.x = null;
    this.dx = 0;
  }
}

/** One filter per component of a fixed-length vector (a box, a list of points). */
export class VectorFilter {
  private filters: OneEuroFilter[] = [];

  constructor(private readonly params: OneEuroParams = FACE_SMOOTHING) {}

  filter(values: readonly number[], timeSeconds: number, scale = 1): number[] {
    if (values.length !== this.filters.length) this.filters = values.map(() => new OneEuroFilter(this.params)); // new shape: restart
    return values.map((v, i) => this.filters[i].filter(v, timeSeconds, scale));
  }
}
