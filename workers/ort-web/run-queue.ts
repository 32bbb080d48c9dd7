/**
 * Serialises async jobs. ORT-web fails ("Session already started") or, with the `/webgpu` bundle, hangs when two
 * `session.run()` calls overlap on one session, so every session owns one of these and pushes its runs through it.
 * A failed job does not poison the queue: the next job still runs.
 */
export class RunQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  /** Number of jobs queued or running (for diagnostics and tests). */
  get size(): number {
    return this.pending;
  }

  push<T>(job: () => Promise<T>): Promise<T> {
    this.pending++;
    const result = this.tail.then(job, job);
    // Keep the chain alive whether the job resolved or threw; the caller still sees the rejection through `result`.
    this.tail = result.then(
      () => {
        this.pending--;
      },
      () => {
        this.pending--;
      },
    );
    return result;
  }
}
