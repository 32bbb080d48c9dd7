import { describe, expect, it } from 'vitest';
import { RunQueue } from './run-queue.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RunQueue', () => {
  it('never lets two jobs overlap, and keeps submission order', async () => {
    const q = new RunQueue();
    let running = 0;
    let maxRunning = 0;
    const order: number[] = [];
    const job = (id: number, ms: number) => async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await sleep(ms);
      order.push(id);
      running--;
      return id;
    };
    // The first job is the slowest: without serialisation it would finish last and overlap the others.
    const results = await Promise.all([q.push(job(1, 30)), q.push(job(2, 5)), q.push(job(3, 1))]);
    expect(results).toEqual([1, 2, 3]);
    expect(order).toEqual([1, 2, 3]);
    expect(maxRunning).toBe(1);
    expect(q.size).toBe(0);
  });

  it('reports a failing job to its caller and still runs the next one', async () => {
    const q = new RunQueue();
    const failing = q.push(async () => {
      throw new Error('boom');
    });
    const next = q.push(async () => 'ok');
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ok');
  });
});
