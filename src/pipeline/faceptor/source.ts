/**
 * Where a model package's files come from. The pipeline only reads through this interface, so the same loader
 * serves a Node folder (tools/node-host `folderPackageSource`), fetch + Cache API in the browser, or files dropped
 * on a page. Paths are package-relative, '/'-separated, exactly as listed in faceptor.json.
 */
export interface ModelPackageSource {
  /** Human description for messages, e.g. the folder path or URL. */
  readonly description: string;
  /** Parsed JSON of a small file (faceptor.json). Rejects with PackageFileMissing when absent. */
  readJson(path: string): Promise<unknown>;
  /**
   * Bytes of a file. Rejects with PackageFileMissing when absent. `onProgress(loaded, total)` may be called while
   * reading (total = expected size when known, else 0) so hosts can show a download bar.
   */
  readBytes(path: string, onProgress?: (loaded: number, total: number) => void): Promise<Uint8Array>;
  /**
   * Optional, for packages on a local disk (Node): the file's path. With `hashFile`, `readRange` and a backend that
   * opens graphs from files (`createSessionFromFile`), the loader verifies the weights by streaming them and never
   * holds them in memory: the runtime reads them itself, so they are held once (peak RSS: docs/benchmarks.md §3).
   */
  localPath?(path: string): string;
  /** With localPath: size and sha256 (lowercase hex) of a file, computed by streaming it. */
  hashFile?(path: string): Promise<{ size: number; sha256: string }>;
  /** With localPath: `length` bytes at `offset` of a file (the constants the host feeds from weights.bin). */
  readRange?(path: string, offset: number, length: number): Promise<Uint8Array>;
}
