import { describe, expect, it } from 'vitest';
import type { ModelLoadProgress } from './perception-api.ts';
import { throttleProgress } from './progress-throttle.ts';

const p = (loaded: number, total = 1000): ModelLoadProgress => ({
  loaded,
  total,
  file: 'weights.bin',
  fromCache: false,
});

describe('throttleProgress', () => {
  it('passes the first call, then at most one per 100 ms, and always the final one', () => {
    let t = 0;
    const seen: number[] = [];
    const report = throttleProgress(
      (x) => seen.push(x.loaded),
      100,
      () => t,
    );
    // 64 KB-style chunks every 10 ms: 1 … 999 over 1 s
    for (let loaded = 10; loaded < 1000; loaded += 10) {
      report(p(loaded));
      t += 10;
    }
    report(p(1000));
    report(p(1000)); // a repeated end is not sent twice
    expect(seen[0]).toBe(10);
    expect(seen.at(-1)).toBe(1000);
    expect(seen.filter((x) => x === 1000)).toHaveLength(1);
    // 99 chunks over 990 ms → the first one, one per 100 ms after it, and the end
    expect(seen).toEqual([10, 110, 210, 310, 410, 510, 610, 710, 810, 910, 1000]);
  });

  it('always passes a phase change: "verifying" shows while the sha256 of a read file is computed', () => {
    const seen: string[] = [];
    const report = throttleProgress(
      (x) => seen.push(`${x.loaded}:${x.phase}`),
      100,
      () => 0,
    ); // no time passes
    report({ ...p(500), phase: 'reading' });
    report({ ...p(600), phase: 'reading' }); // throttled
    report({ ...p(1000), phase: 'verifying' });
    report({ ...p(1000), phase: 'reading' }); // hashed: the end
    expect(seen).toEqual(['500:reading', '1000:verifying', '1000:reading']);
  });
});
