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

  it('measures analysed frames per second over the recent frames', () => {
    const gate = new FrameGate(8);
    // 11 frames finishing every 100 ms → 10 fps.
    for (let i = 0; i <= 10; i++) {
      gate.offer();
      gate.done(i * 100);
    }
    expect(gate.fps()).toBeCloseTo(10, 6);
  });

  it('reads a slow device right: a frame every 1.1 s is 0.91 fps, not 0', () => {
    const gate = new FrameGate(8);
    for (let i = 0; i < 4; i++) {
      gate.offer();
      gate.done(i * 1100);
    }
    expect(gate.fps()).toBeCloseTo(1000 / 1100, 6);
    // the rate follows the device: after 8 frames 250 ms apart, the old slow ones are forgotten
    for (let i = 1; i <= 8; i++) {
      gate.offer();
      gate.done(3300 + i * 250);
    }
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
