import { describe, expect, it } from 'vitest';
import { Lease } from './lease.ts';

describe('Lease', () => {
  it('idle() waits for every use in flight, and is immediate when none is', async () => {
    const lease = new Lease('model');
    let idle = false;
    await lease.idle();
    let finishA!: () => void, finishB!: () => void;
    const a = lease.use(
      () =>
        new Promise<void>((r) => {
          finishA = r;
        }),
    );
    const b = lease.use(
      () =>
        new Promise<void>((r) => {
          finishB = r;
        }),
    );
    const waiting = lease.idle().then(() => {
      idle = true;
    });
    finishA();
    await a;
    await Promise.resolve();
    expect(idle).toBe(false);
    finishB();
    await b;
    await waiting;
    expect(idle).toBe(true);
  });

  it('a failing use still ends its lease', async () => {
    const lease = new Lease(1);
    await expect(
      lease.use(async () => {
        throw new Error('run failed');
      }),
    ).rejects.toThrow('run failed');
    await lease.idle();
  });
});
