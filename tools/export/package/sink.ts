/**
 * Where the exporter's core writes a package. Node writes a folder (node-sink.ts); the browser writes into its
 * origin-private file system (workers/browser-export/opfs-store.ts). Files are written front to back, in one go,
 * and hashed while they are written: no second pass over a GB-sized weights file.
 *
 * `write` is synchronous on purpose: the weight store lays tensors out at offsets it computes itself, so no other
 * write may slip in between (Node: writeSync; the browser: FileSystemSyncAccessHandle, in a worker, or an ordered
 * message to the worker that writes — see workers/browser-export/file-writer-client.ts). `close` is asynchronous
 * because that writer may be on another thread: the size and sha256 come back from there.
 */
export interface Hasher {
  update(data: Uint8Array): unknown;
  /** Lower-case hex digest. */
  digest(): string;
}

export interface SinkFile {
  /** Appends `bytes` (the caller may reuse them once this returns). */
  write(bytes: Uint8Array): void;
  /**
   * Where writes are done elsewhere (another thread): resolves once few enough are still pending, so a fast
   * producer cannot pile up memory; rejects with the writer's error (e.g. the storage is full). Absent: writes are
   * done when `write` returns.
   */
  drain?(): Promise<void>;
  /** Flushes and closes; the size and sha256 of everything written. */
  close(): Promise<{ size: number; sha256: string }>;
  /** Closes without a result (the export failed or was cancelled); the caller removes the package. */
  abort(): void;
}

export interface PackageSink {
  /** A new file at `path` (a plain file name inside the package). */
  create(path: string): Promise<SinkFile>;
}

/** A sink file over a synchronous writer, hashing what it writes with `hasher`. */
export function hashingFile(writeAll: (bytes: Uint8Array) => void, closeFile: () => void, hasher: Hasher): SinkFile {
  let size = 0;
  let open = true;
  return {
    write(bytes) {
      writeAll(bytes);
      hasher.update(bytes);
      size += bytes.length;
    },
    async close() {
      if (open) {
        open = false;
        closeFile();
      }
      return { size, sha256: hasher.digest() };
    },
    abort() {
      if (open) {
        open = false;
        try {
          closeFile();
        } catch {
          /* already failing */
        }
      }
    },
  };
}
