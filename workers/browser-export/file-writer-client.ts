/**
 * The export worker's side of the package writer: SinkFiles whose bytes are written and hashed by the writer
 * worker (file-writer-host.ts), so the conversion thread only copies them into 8 MiB chunks and posts them.
 *
 * - Order: every chunk, close and abort is one message, posted when `write`/`close`/`abort` is called; the worker
 *   handles them in that order, so the file is exactly the bytes written, as with a synchronous writer.
 * - Memory: at most MAX_PENDING bytes posted and not yet written; `drain()` (which the weight store awaits after
 *   each tensor) waits below that. Written chunks come back and are reused.
 * - Errors: a failure in the worker (storage full, a handle that cannot be opened) arrives as a message; it is
 *   thrown by the file's next `write`, `drain` or `close`. A worker that dies fails every open file.
 */
import type { SinkFile } from '../../tools/export/package/sink.ts';
import type { FileHandleLike } from './opfs-store.ts';
import type { FromWriter, ToWriter } from './file-writer-host.ts';
import { WRITE_BUFFER } from './opfs-file-writer.ts';

/** Bytes posted to the writer and not yet written, at most (4 chunks): a bound on the memory a fast producer holds. */
export const MAX_PENDING = 4 * WRITE_BUFFER;
/** A writer worker that has not said "ready" by then is taken as not starting (its script failed to load, say). */
export const WRITER_START_MS = 20_000;
/**
 * How long `settle()` waits for the worker to let go of its files. A worker that stopped answering (and never said
 * so) must not hold the export forever: the folder it may still hold is then left behind, and the next export
 * removes it (listStored's clean-up of `.partial-*` folders).
 */
export const SETTLE_MS = 30_000;

/** The worker as the client uses it (a dedicated Worker; a fake in Node tests). */
export interface WriterChannel {
  post(message: ToWriter, transfer: Transferable[]): void;
  /** `onError`: the worker failed to start or died. */
  listen(onMessage: (message: FromWriter) => void, onError: (why: string) => void): void;
  terminate(): void;
}

export interface RemoteFileOptions {
  /** The error a failure becomes (`quota`: the storage is full). */
  toError(message: string, quota: boolean): Error;
  /** The writer thread's time for this file (writes, hash), when it is closed. */
  onClosed?(writeMs: number, hashMs: number): void;
}

interface RemoteFile {
  pending: number;
  failure: Error | null;
  /** Settled: closed, aborted or failed (the worker holds no handle of it any more). */
  done: boolean;
  /** An abort was posted. */
  aborting: boolean;
  onSettled: (() => void)[];
  drains: { resolve: () => void; reject: (e: Error) => void }[];
  closing: { resolve: (r: { size: number; sha256: string }) => void; reject: (e: Error) => void } | null;
  options: RemoteFileOptions;
}

export class FileWriterClient {
  /** True once the worker runs; false when it did not start (the caller then writes on its own thread). */
  readonly ready: Promise<boolean>;
  private readonly files = new Map<number, RemoteFile>();
  private readonly pool: ArrayBuffer[] = [];
  private nextId = 1;
  private dead: string | null = null;

  constructor(private readonly channel: WriterChannel) {
    let started: (ok: boolean) => void = () => undefined;
    this.ready = new Promise<boolean>((resolve) => (started = resolve));
    const timer = setTimeout(() => started(false), WRITER_START_MS);
    channel.listen(
      (m) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          started(true);
          return;
        }
        this.receive(m);
      },
      (why) => {
        clearTimeout(timer);
        started(false);
        this.dead = why;
        for (const [id, f] of this.files)
          this.fail(id, f, f.options.toError(`the package writer stopped: ${why}`, false));
      },
    );
  }

  /** A file written by the worker into `handle` (opened there). */
  open(handle: FileHandleLike, options: RemoteFileOptions): SinkFile {
    const id = this.nextId++;
    const f: RemoteFile = {
      pending: 0,
      failure: null,
      done: false,
      aborting: false,
      onSettled: [],
      drains: [],
      closing: null,
      options,
    };
    this.files.set(id, f);
    if (this.dead) this.fail(id, f, options.toError(`the package writer stopped: ${this.dead}`, false));
    else this.channel.post({ type: 'open', id, handle }, []);
    let chunk: Uint8Array | null = null;
    let fill = 0;
    let ended = false;
    const send = () => {
      if (!chunk || fill === 0) return;
      const buffer = chunk.buffer as ArrayBuffer;
      f.pending += fill;
      this.channel.post({ type: 'write', id, buffer, length: fill }, [buffer]);
      chunk = null;
      fill = 0;
    };
    const check = () => {
      if (f.failure) throw f.failure;
      if (ended) throw new Error('internal: write after close');
    };
    return {
      write: (bytes) => {
        check();
        let from = 0;
        while (from < bytes.length) {
          chunk ??= new Uint8Array(this.pool.pop() ?? new ArrayBuffer(WRITE_BUFFER));
          const n = Math.min(bytes.length - from, WRITE_BUFFER - fill);
          chunk.set(bytes.subarray(from, from + n), fill);
          fill += n;
          from += n;
          if (fill === WRITE_BUFFER) send();
        }
      },
      drain: () => {
        if (f.failure) return Promise.reject(f.failure);
        if (f.pending <= MAX_PENDING) return Promise.resolve();
        return new Promise<void>((resolve, reject) => f.drains.push({ resolve, reject }));
      },
      close: () => {
        check();
        ended = true;
        send();
        return new Promise((resolve, reject) => {
          f.closing = { resolve, reject };
          this.channel.post({ type: 'close', id }, []);
        });
      },
      abort: () => {
        if (ended || f.done) return;
        ended = true;
        chunk = null;
        if (f.failure || this.dead) return;
        f.aborting = true;
        this.channel.post({ type: 'abort', id }, []);
      },
    };
  }

  /**
   * Aborts every file still open and resolves once the worker holds none (a file it holds open cannot be
   * removed or moved: the package's folder is removed or moved only after this).
   */
  async settle(): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const [id, f] of this.files) {
      if (f.done) continue;
      if (!f.closing && !f.aborting && !this.dead) {
        f.aborting = true;
        this.channel.post({ type: 'abort', id }, []);
      }
      waits.push(new Promise((resolve) => f.onSettled.push(resolve)));
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(waits), new Promise<void>((resolve) => (timer = setTimeout(resolve, SETTLE_MS)))]);
    clearTimeout(timer);
  }

  /** Ends the worker (its handles close with it). */
  dispose(): void {
    this.channel.terminate();
    this.dead ??= 'disposed';
  }

  private receive(m: Exclude<FromWriter, { type: 'ready' }>): void {
    const f = this.files.get(m.id);
    if (!f) return;
    switch (m.type) {
      case 'ack':
        f.pending -= m.length;
        if (this.pool.length < MAX_PENDING / WRITE_BUFFER && m.buffer.byteLength === WRITE_BUFFER)
          this.pool.push(m.buffer);
        if (f.pending <= MAX_PENDING) for (const d of f.drains.splice(0)) d.resolve();
        return;
      case 'closed':
        f.options.onClosed?.(m.writeMs, m.hashMs);
        f.closing?.resolve({ size: m.size, sha256: m.sha256 });
        this.settled(m.id, f);
        return;
      case 'aborted':
        this.settled(m.id, f);
        return;
      case 'failed':
        this.fail(m.id, f, f.options.toError(m.message, m.quota));
        return;
    }
  }

  private fail(id: number, f: RemoteFile, e: Error): void {
    f.failure ??= e;
    for (const d of f.drains.splice(0)) d.reject(f.failure);
    f.closing?.reject(f.failure);
    this.settled(id, f);
  }

  private settled(id: number, f: RemoteFile): void {
    f.done = true;
    f.closing = null;
    this.files.delete(id);
    for (const s of f.onSettled.splice(0)) s();
  }
}
