/**
 * Test-only in-memory origin-private file system with the members browser-export/opfs-store.ts uses, and a byte
 * budget: a write beyond it throws a QuotaExceededError DOMException, as a browser's sync access handle does.
 */
import type { DirHandleLike, FileHandleLike, SyncHandleLike } from '../browser-export/opfs-store.ts';

export interface MemoryOpfs {
  readonly root: DirHandleLike;
  used(): number;
  budget: number;
}

class MemFile implements FileHandleLike {
  readonly kind = 'file' as const;
  bytes = new Uint8Array(0);
  locked = false;
  constructor(
    public name: string,
    public parent: MemDir,
    private readonly fs: { used: number; budget: number },
  ) {}
  async getFile(): Promise<File> {
    return new File([this.bytes.slice()], this.name);
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
    private readonly fs: { used: number; budget: number },
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
    this.fs.used -= sizeOf(e);
    this.entries.delete(name);
  }
  async *keys(): AsyncIterable<string> {
    yield* [...this.entries.keys()];
  }
  async move(dir: DirHandleLike, name?: string): Promise<void> {
    const to = dir as MemDir;
    const newName = name ?? this.name;
    if (to.entries.has(newName)) throw new DOMException('exists', 'InvalidModificationError');
    this.parent?.entries.delete(this.name);
    this.name = newName;
    this.parent = to;
    to.entries.set(newName, this);
  }
}

function sizeOf(e: MemDir | MemFile): number {
  return e instanceof MemFile ? e.bytes.length : [...e.entries.values()].reduce((s, x) => s + sizeOf(x), 0);
}

export function memoryOpfs(budget = Number.POSITIVE_INFINITY): MemoryOpfs {
  const fs = { used: 0, budget };
  const root = new MemDir('', null, fs);
  return {
    root,
    used: () => fs.used,
    get budget() {
      return fs.budget;
    },
    set budget(b: number) {
      fs.budget = b;
    },
  };
}
