/**
 * A value that in-flight work is using, so it can be released only when that work is done: a replaced Faceptor
 * model (new package, EP switch, device loss) may be halfway through a frame, between two graph runs, and releasing
 * its sessions then would fail that frame.
 */
export class Lease<T> {
  private active = 0;
  private waiters: (() => void)[] = [];

  constructor(readonly value: T) {}

  async use<R>(work: (value: T) => Promise<R>): Promise<R> {
    this.active++;
    try {
      return await work(this.value);
    } finally {
      if (--this.active === 0) this.waiters.splice(0).forEach((w) => w());
    }
  }

  /** Resolves once no work is using the value. */
  idle(): Promise<void> {
    return this.active === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}
