import { describe, expect, it } from 'vitest';
import { lastDenseRefreshMs, type FrameTimings } from './live.ts';

const frame = (roundTripMs: number, encoder512Ms?: number): FrameTimings => ({
  decodeMs: 0,
  preprocessMs: 0,
  runMs: 0,
  postprocessMs: 0,
  totalMs: roundTripMs,
  grabMs: 1,
  roundTripMs,
  ...(encoder512Ms === undefined
    ? {}
    : { faceptor: { encoder512Ms } as unknown as NonNullable<FrameTimings['faceptor']> }),
});

describe('lastDenseRefreshMs', () => {
  it('is the round trip of the newest frame that ran the 512 encoder', () => {
    expect(lastDenseRefreshMs([frame(15_000, 14_000), frame(900, 0), frame(16_500, 15_200), frame(800, 0)])).toBe(
      16_500,
    );
  });
  it('is undefined before any frame ran it (no model, or landmarks and parsing off)', () => {
    expect(lastDenseRefreshMs([])).toBeUndefined();
    expect(lastDenseRefreshMs([frame(30), frame(700, 0)])).toBeUndefined();
  });
});
