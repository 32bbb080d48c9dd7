import { describe, expect, it } from 'vitest';
import type { Detection, Point } from '../types.ts';
import { OneEuroFilter } from './oneEuro.ts';
import { FaceTracker, iou } from './tracker.ts';
import { denseRefreshIntervalMs, pickDenseRefresh } from './schedule.ts';

const rng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const gauss = (r: () => number) => () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

/** A face of side `s` with its top-left at (x, y); keypoints at fixed fractions of the box. */
const face = (x: number, y: number, s: number, noise: () => number = () => 0): Detection => ({
  box: { x: x + noise(), y: y + noise(), width: s + noise(), height: s + noise() },
  score: 0.9,
  keypoints: [
    [0.3, 0.4],
    [0.7, 0.4],
    [0.5, 0.6],
    [0.5, 0.78],
    [0.05, 0.45],
    [0.95, 0.45],
  ].map(([u, v]): Point => [x + u * s + noise(), y + v * s + noise()]),
});
const std = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
};

describe('iou', () => {
  it('hand-computed', () => {
    expect(iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 5, y: 0, width: 10, height: 10 })).toBeCloseTo(50 / 150, 12);
    expect(iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 20, y: 0, width: 10, height: 10 })).toBe(0);
  });
});

describe('smoothing', () => {
  it('One Euro: a constant stays constant, a step is followed', () => {
    const f = new OneEuroFilter();
    for (let i = 0; i < 10; i++) expect(f.filter(5, i / 30)).toBe(5);
    let y = 5;
    for (let i = 10; i < 70; i++) y = f.filter(105, i / 30, 100);
    expect(y).toBeCloseTo(105, 0);
  });

  it('a still face with detector noise has almost no jitter', () => {
    const noise = gauss(rng(1));
    const tr = new FaceTracker();
    const raw: number[] = [],
      smooth: number[] = [],
      kpRaw: number[] = [],
      kpSmooth: number[] = [];
    for (let i = 0; i < 240; i++) {
      const d = face(300, 200, 200, () => 2 * noise()); // σ = 2 px = 1% of the face width
      const [t] = tr.update([d], (i * 1000) / 30);
      expect(t.id).toBe(1);
      if (i >= 30) {
        raw.push(d.box.x);
        smooth.push(t.box.x);
        kpRaw.push(d.keypoints[0][0]);
        kpSmooth.push(t.keypoints[0][0]);
      }
    }
    console.log(
      `still face: box x jitter raw ${std(raw).toFixed(2)} px → smoothed ${std(smooth).toFixed(2)} px; eye ${std(kpRaw).toFixed(2)} → ${std(kpSmooth).toFixed(2)} px`,
    );
    expect(std(smooth)).toBeLessThan(0.35 * std(raw));
    expect(std(kpSmooth)).toBeLessThan(0.35 * std(kpRaw));
  });

  it('velocity: about none for a still noisy face, the true speed for a moving one', () => {
    const noise = gauss(rng(3));
    const still = new FaceTracker();
    const stillSpeeds: number[] = [];
    for (let i = 0; i < 240; i++) {
      const [t] = still.update([face(300, 200, 200, () => 2 * noise())], (i * 1000) / 30);
      if (i >= 30) stillSpeeds.push(Math.hypot(...t.velocity) * 1000); // px/s
    }
    // the overlay treats < 0.2 face widths/s (40 px/s here) as still: detector noise must stay under it
    console.log(
      `still face speed estimate px/s: median ${[...stillSpeeds].sort((a, b) => a - b)[stillSpeeds.length >> 1].toFixed(1)}, max ${Math.max(...stillSpeeds).toFixed(1)}`,
    );
    expect(Math.max(...stillSpeeds)).toBeLessThan(40);

    const moving = new FaceTracker();
    let last: [number, number] = [0, 0];
    for (let i = 0; i < 60; i++) {
      const [t] = moving.update([face(100 + 300 * (i / 30), 200 - 90 * (i / 30), 200, () => noise())], (i * 1000) / 30);
      last = [t.velocity[0] * 1000, t.velocity[1] * 1000];
    }
    expect(last[0]).toBeGreaterThan(300 * 0.85);
    expect(last[0]).toBeLessThan(300 * 1.15);
    expect(last[1]).toBeGreaterThan(-90 * 1.15);
    expect(last[1]).toBeLessThan(-90 * 0.85);
  });

  it('a moving face is followed without much lag', () => {
    const noise = gauss(rng(2));
    const tr = new FaceTracker();
    let worst = 0;
    for (let i = 0; i < 60; i++) {
      const trueX = 100 + 300 * (i / 30); // 300 px/s = 1.5 face widths per second
      const [t] = tr.update([face(trueX, 200, 200, () => noise())], (i * 1000) / 30);
      if (i >= 15) worst = Math.max(worst, Math.abs(t.box.x - trueX));
    }
    console.log(`moving face (1.5 widths/s): worst lag after 0.5 s ${worst.toFixed(1)} px (face 200 px)`);
    expect(worst).toBeLessThan(10); // < 5% of the face width
  });

  it('smooths per-track landmark sets', () => {
    const noise = gauss(rng(3));
    const tr = new FaceTracker();
    const raw: number[] = [],
      smooth: number[] = [];
    for (let i = 0; i < 120; i++) {
      const [t] = tr.update([face(300, 200, 200)], (i * 1000) / 30);
      const pts: Point[] = [
        [350 + 2 * noise(), 260 + 2 * noise()],
        [420, 260],
      ];
      const s = tr.smoothPoints(t.id, 'landmarks:align_300w', pts, (i * 1000) / 30);
      if (i >= 30) {
        raw.push(pts[0][0]);
        smooth.push(s[0][0]);
      }
    }
    expect(std(smooth)).toBeLessThan(0.35 * std(raw));
  });
});

describe('association', () => {
  it('keeps the ids of two faces that cross each other', () => {
    const tr = new FaceTracker();
    const shuffle = rng(4);
    const idOf: { A?: number; B?: number } = {};
    // Fast (30 px per frame) and timed so that at frame 15 face B lands exactly where face A was at frame 14:
    // matching on the last boxes alone would swap the ids there; the motion prediction keeps them.
    for (let i = 0; i <= 30; i++) {
      const t = i / 30;
      const a = face(50 + 900 * t, 100, 100),
        b = face(920 - 900 * t, 110, 100);
      const swap = shuffle() < 0.5;
      const tracks = tr.update(swap ? [b, a] : [a, b], t * 1000);
      const idA = tracks.find((x) => x.detection === a)!.id,
        idB = tracks.find((x) => x.detection === b)!.id;
      idOf.A ??= idA;
      idOf.B ??= idB;
      expect([idA, idB], `frame ${i}`).toEqual([idOf.A, idOf.B]);
    }
    expect(idOf.A).not.toBe(idOf.B);
  });

  it('coasts through a few missed frames, then drops the track; ids are never reused', () => {
    const tr = new FaceTracker({ maxMissed: 5 });
    let t = 0;
    const step = () => (t += 33);
    expect(tr.update([face(100, 100, 100)], step())[0].id).toBe(1);
    for (let i = 0; i < 3; i++)
      expect(tr.update([], step())).toMatchObject([{ id: 1, missed: i + 1, detection: null, detectionIndex: -1 }]);
    expect(tr.update([face(101, 100, 100)], step())[0]).toMatchObject({ id: 1, missed: 0 });
    for (let i = 0; i < 6; i++) tr.update([], step());
    expect(tr.tracks).toHaveLength(0);
    expect(tr.update([face(101, 100, 100)], step())[0].id).toBe(2);
  });

  it('a new face far away starts a new track', () => {
    const tr = new FaceTracker();
    tr.update([face(100, 100, 100)], 0);
    const tracks = tr.update([face(101, 100, 100), face(400, 100, 100)], 33);
    expect(tracks.map((x) => x.id)).toEqual([1, 2]);
  });
});

describe('dense 512 scheduling', () => {
  it('new tracks first, then round-robin by longest wait', () => {
    const last = new Map<number, number>();
    const opts = { maxPerFrame: 1, minIntervalMs: 0 };
    const order: number[] = [];
    for (let frame = 0; frame < 6; frame++) {
      const [id] = pickDenseRefresh([3, 1, 2], last, frame * 33, opts);
      order.push(id);
      last.set(id, frame * 33);
    }
    expect(order).toEqual([1, 2, 3, 1, 2, 3]);
  });
  it('respects the minimum interval and the per-frame limit', () => {
    const last = new Map([
      [1, 1000],
      [2, 900],
      [3, 100],
    ]);
    expect(pickDenseRefresh([1, 2, 3, 4], last, 1100, { maxPerFrame: 2, minIntervalMs: 500 })).toEqual([4, 3]);
    expect(pickDenseRefresh([1, 2], last, 1100, { maxPerFrame: 2, minIntervalMs: 500 })).toEqual([]);
  });
  it('refresh interval keeps the 512 pass under its share of the time', () => {
    expect(denseRefreshIntervalMs(10, 1, 33)).toBe(0); // fast device: every frame
    expect(denseRefreshIntervalMs(400, 2, 33, 0.5)).toBe(1600);
  });
});
