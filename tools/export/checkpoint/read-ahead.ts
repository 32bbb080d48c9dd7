/**
 * A bounded read-ahead queue: loads items in an expected order before they are asked for, so that slow I/O (the
 * browser's `Blob.slice().arrayBuffer()`, answered by other threads) overlaps the caller's CPU work instead of being
 * awaited one item at a time. Generic (no I/O of its own): checkpoint.ts feeds it tensor records.
 *
 * Bounds: at most `maxReads` loads in flight, and at most `maxBytes` held in loads started but not yet taken (the
 * first item is always allowed, however large: the caller would read it anyway). An item is handed out once
 * (`take`); one asked for before it was started is never started afterwards (the caller reads it itself), so a
 * wrong guess about the order costs a direct read, never a wrong byte. A failed load stops the read-ahead; its
 * error is given to whoever takes that item (it is never an unhandled rejection).
 */
export interface ReadAheadItem<T> {
  readonly id: string;
  /** Bytes the load holds until taken (the window's unit). */
  readonly bytes: number;
  load(): Promise<T>;
}

export interface ReadAheadOptions {
  /** Bytes held by started, not yet taken loads (default 64 MiB). */
  readonly maxBytes?: number;
  /** Loads in flight at once (default 4). */
  readonly maxReads?: number;
}

export interface ReadAheadStats {
  /** Loads started. */
  started: number;
  /** Items taken from the read-ahead (hits). */
  taken: number;
  /** Items asked for before they were started (the caller read them itself). */
  missed: number;
  /** Largest bytes held at once, and largest loads in flight at once. */
  peakBytes: number;
  peakReads: number;
}

export class ReadAhead<T> {
  private readonly items: ReadAheadItem<T>[];
  private next = 0;
  private readonly started = new Map<string, { promise: Promise<T>; bytes: number }>();
  /** Ids asked for before they were started, and ids already handed out: never (re)started. */
  private readonly done = new Set<string>();
  private heldBytes = 0;
  private inFlight = 0;
  private stopped = false;
  private readonly maxBytes: number;
  private readonly maxReads: number;
  readonly stats: ReadAheadStats = { started: 0, taken: 0, missed: 0, peakBytes: 0, peakReads: 0 };

  constructor(items: Iterable<ReadAheadItem<T>>, options: ReadAheadOptions = {}) {
    const seen = new Set<string>();
    this.items = [];
    for (const item of items)
      if (!seen.has(item.id)) {
        seen.add(item.id);
        this.items.push(item);
      }
    this.maxBytes = options.maxBytes ?? 64 << 20;
    this.maxReads = Math.max(1, options.maxReads ?? 4);
    this.pump();
  }

  /** The item's load when it was started (then it is the caller's), else undefined: read it yourself. */
  take(id: string): Promise<T> | undefined {
    const s = this.started.get(id);
    this.done.add(id);
    if (!s) {
      if (!this.stopped) this.stats.missed++;
      return undefined;
    }
    this.started.delete(id);
    this.heldBytes -= s.bytes;
    this.stats.taken++;
    this.pump();
    return s.promise;
  }

  /** Starts nothing more and drops what is held (loads in flight finish; their results are ignored). */
  stop(): void {
    this.stopped = true;
    this.started.clear();
    this.heldBytes = 0;
  }

  private pump(): void {
    while (!this.stopped && this.inFlight < this.maxReads && this.next < this.items.length) {
      const item = this.items[this.next]!;
      if (this.done.has(item.id)) {
        this.next++;
        continue;
      }
      if (this.heldBytes > 0 && this.heldBytes + item.bytes > this.maxBytes) return;
      this.next++;
      this.inFlight++;
      this.heldBytes += item.bytes;
      this.stats.started++;
      this.stats.peakBytes = Math.max(this.stats.peakBytes, this.heldBytes);
      this.stats.peakReads = Math.max(this.stats.peakReads, this.inFlight);
      let promise: Promise<T>;
      try {
        promise = item.load();
      } catch (e) {
        promise = Promise.reject(e);
      }
      this.started.set(item.id, { promise, bytes: item.bytes });
      promise.then(
        () => {
          this.inFlight--;
          this.pump();
        },
        () => {
          // The error belongs to whoever takes this item; reading further ahead would only repeat it.
          this.inFlight--;
          this.stopped = true;
        },
      );
    }
  }
}
