import { describe, expect, it } from 'vitest';
import { FrameGate } from './frame-gate.ts';

describe('FrameGate', () => {
  it('admits one frame at a time and skips frames offered while busy', () => {
    const gate = new FrameGate();
    expect(gate.offer()).toBe(true);
    expect(gate.offer()).toBe(false);
    expect(gate.offer()).toBe(false);
    gate.done(0);
    expect(gate.offer()).toBe(true);
    expect(gate).toMatchObject({ analysed: 1, skipped: 2 });
  });

  it('measures analysed frames per second over its window', () => {
    const gate = new FrameGate(1000);
    // 11 frames finishing every 100 ms → 10 intervals in 1000 ms → 10 fps.
    for (let i = 0; i <= 10; i++) {
      gate.offer();
      gate.done(i * 100);
    }
    expect(gate.fps()).toBeCloseTo(10, 6);
    // Frames older than the window are forgotten: after a 2 s pause two frames 250 ms apart read as 4 fps.
    gate.offer(); gate.done(3000);
    gate.offer(); gate.done(3250);
    expect(gate.fps()).toBeCloseTo(4, 6);
  });

  it('abort frees the gate without counting a frame', () => {
    const gate = new FrameGate();
    gate.offer();
    gate.abort();
    expect(gate.offer()).toBe(true);
    expect(gate.analysed).toBe(0);
  });
});
