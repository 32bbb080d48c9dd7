/**
 * Runs `work` over `items` with up to `concurrency` at once and hands the results to `emit` in the items' order.
 *
 * Why in order: the output (JSON or JSONL) is then the same whatever the number of workers, and a resumed run
 * continues a prefix-closed file. Why a window: one slow image (a 100-megapixel photo) must not let the others pile
 * up finished results in memory without bound, so at most `window` items past the oldest unwritten one are started.
 * Once `signal` is aborted nothing new starts; the items already started finish and are emitted.
 */
export interface RunOrderedOptions {
  readonly concurrency: number;
  /** Default 4 × concurrency. */
  readonly window?: number;
  readonly signal?: AbortSignal;
}

/** Returns how many items were started (all emitted) — fewer than items.length only when aborted. */
export async function runOrdered<T, R>(
  items: readonly T[],
  options: RunOrderedOptions,
  work: (item: T, index: number) => Promise<R>,
  emit: (result: R, item: T, index: number) => Promise<void>,
): Promise<number> {
  const concurrency = Math.max(1, options.concurrency);
  const window = Math.max(concurrency, options.window ?? 4 * concurrency);
  const results = new Map<number, R>();
  const inFlight = new Set<Promise<void>>();
  let next = 0,
    emitted = 0;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  for (;;) {
    while (results.has(emitted)) {
      const r = results.get(emitted)!;
      results.delete(emitted);
      await emit(r, items[emitted], emitted);
      emitted++;
    }
    if (failure) throw failure.error;
    if (!options.signal?.aborted && next < items.length && inFlight.size < concurrency && next - emitted < window) {
      const i = next++;
      const p: Promise<void> = work(items[i], i)
        .then(
          (r) => {
            results.set(i, r);
          },
          (e: unknown) => {
            failure ??= { error: e };
          },
        )
        .finally(() => {
          inFlight.delete(p);
          wake?.();
        });
      inFlight.add(p);
      continue;
    }
    if (inFlight.size === 0) return next;
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
    wake = undefined;
  }
}
