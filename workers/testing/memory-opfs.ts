/**
 * Test-only in-memory origin-private file system with the members browser-export/opfs-store.ts uses, and a byte
 * budget: a write beyond it throws a QuotaExceededError DOMException, as a browser's sync access handle does.
 */
import type { DirHandleLike, FileHandleLike, SyncHandleLike, WritableLike } from '../browser-export/opfs-store.ts';

export interface MemoryOpfs {
  readonly root: DirHandleLike;
  /** Set: the next writable stream's close() throws this (a crash or quota error at the swap). */
  failNextClose: Error | null;
  used(): number;
  budget: number;
}

interface Fs {
  used: number;
  budget: number;
  failNextClose: Error | null;
}

class MemFile implements FileHandleLike {
  readonly kind = 'file' as const;
  bytes = new Uint8Array(0);
  locked = false;
  constructor(
    public name: string,
    public parent: MemDir,
    private readonly fs: Fs,
  ) {}
  async getFile(): Promise<File> {
    return new File([this.bytes.slice()], this.name);
  }
  /** As the browser's: written into a swap buffer that replaces the file on close (atomic); abort drops it. */
  async createWritable(): Promise<WritableLike> {
    if (this.locked) throw new DOMException('locked', 'NoModificationAllowedError');
    const parts: Uint8Array[] = [];
    let open = true;
    return {
      write: async (data) => {
        if (!open) throw new TypeError('closed');
        parts.push(data.slice());
      },
      abort: async () => {
        open = false;
      },
      close: async () => {
        if (!open) throw new TypeError('closed');
        open = false;
        const fail = this.fs.failNextClose;
        this.fs.failNextClose = null;
        if (fail) throw fail;
        const next = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) {
          next.set(p, at);
          at += p.length;
        }
        if (this.fs.used - this.bytes.length + next.length > this.fs.budget)
          throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        this.fs.used += next.length - this.bytes.length;
        this.bytes = next;
      },
    };
  }
  async createSyncAccessHandle(): Promise<SyncHandleLike> {
    if (this.locked) throw new DOMException('locked', 'NoModificationAllowedError');
    this.locked = true;
    return {
      write: (buffer, options) => {
        const at = options?.at ?? 0;
        const end = at + buffer.length;
        const grow = Math.max(0, end - this.bytes.length);
        if (this.fs.used + grow > this.fs.budget)
          throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        if (grow) {
          const b = new Uint8Array(end);
          b.set(this.bytes);
          this.bytes = b;
          this.fs.used += grow;
        }
        this.bytes.set(buffer, at);
        return buffer.length;
      },
      truncate: (size) => {
        const grow = size - this.bytes.length;
        if (grow > 0 && this.fs.used + grow > this.fs.budget)
          throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        const b = new Uint8Array(size);
        b.set(this.bytes.subarray(0, Math.min(size, this.bytes.length)));
        this.bytes = b;
        this.fs.used += grow;
      },
      flush: () => undefined,
      close: () => {
        this.locked = false;
      },
    };
  }
}

class MemDir implements DirHandleLike {
  readonly kind = 'directory' as const;
  readonly entries = new Map<string, MemDir | MemFile>();
  constructor(
    public name: string,
    public parent: MemDir | null,
    private readonly fs: Fs,
  ) {}
  async getDirectoryHandle(name: string, options?: { create?: boolean }): Promise<DirHandleLike> {
    const e = this.entries.get(name);
    if (e instanceof MemDir) return e;
    if (e || !options?.create) throw new DOMException(`${name} not found`, e ? 'TypeMismatchError' : 'NotFoundError');
    const d = new MemDir(name, this, this.fs);
    this.entries.set(name, d);
    return d;
  }
  async getFileHandle(name: string, options?: { create?: boolean }): Promise<FileHandleLike> {
    if (name.includes('/')) throw new TypeError('Name is not allowed.');
    const e = this.entries.get(name);
    if (e instanceof MemFile) return e;
    if (e || !options?.create) throw new DOMException(`${name} not found`, e ? 'TypeMismatchError' : 'NotFoundError');
    const f = new MemFile(name, this, this.fs);
    this.entries.set(name, f);
    return f;
  }
  async removeEntry(name: string, options?: { recursive?: boolean }): Promise<void> {
    const e = this.entries.get(name);
    if (!e) throw new DOMException(`${name} not found`, 'NotFoundError');
    if (e instanceof MemDir && e.entries.size && !options?.recursive)
      throw new DOMException('not empty', 'InvalidModificationError');
    // As the browser: a file a sync access handle holds open cannot be removed (nor a folder holding one).
    if (holdsLocked(e)) throw new DOMException('a file is open', 'NoModificationAllowedError');
    this.fs.used -= sizeOf(e);
    this.entries.delete(name);
  }
  async *keys(): AsyncIterable<string> {
    yield* [...this.entries.keys()];
  }
  async move(dir: DirHandleLike, name?: string): Promise<void> {
    const to = dir as MemDir;
    if (holdsLocked(this)) throw new DOMException('a file is open', 'NoModificationAllowedError');
    const newName = name ?? this.name;
    if (to.entries.has(newName)) throw new DOMException('exists', 'InvalidModificationError');
    this.parent?.entries.delete(this.name);
    this.name = newName;
    this.parent = to;
    to.entries.set(newName, this);
  }
}

function holdsLocked(e: MemDir | MemFile): boolean {
  return e instanceof MemFile ? e.locked : [...e.entries.values()].some(holdsLocked);
}

function sizeOf(e: MemDir | MemFile): number {
  return e instanceof MemFile ? e.bytes.length : [...e.entries.values()].reduce((s, x) => s + sizeOf(x), 0);
}

export function memoryOpfs(budget = Number.POSITIVE_INFINITY): MemoryOpfs {
  const fs: Fs = { used: 0, budget, failNextClose: null };
  const root = new MemDir('', null, fs);
  return {
    root,
    get failNextClose() {
      return fs.failNextClose;
    },
    set failNextClose(e: Error | null) {
      fs.failNextClose = e;
    },
    used: () => fs.used,
    get budget() {
      return fs.budget;
    },
    set budget(b: number) {
      fs.budget = b;
    },
  };
}
