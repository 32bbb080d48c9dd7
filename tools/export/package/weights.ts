/**
 * The one external-weights file shared by every graph of a package. Tensors are appended as they are produced
 * (read → convert/fold → append → drop), so memory holds one tensor at a time. A tensor requested twice under the
 * same id (e.g. the ViT blocks used by both the 112 and the 512 encoder) is written once and referenced twice.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { ExternalRef } from '../onnx/graph.ts';
import { toHalf } from '../onnx/fp16.ts';

export type Precision = 'fp32' | 'fp16';
export const WEIGHTS_FILE = 'weights.bin';
/** Every tensor starts on a 64-byte boundary: friendly to mmap and to typed-array views in the browser. */
const ALIGN = 64;

export class WeightStore {
  private fd: number | null;
  private offset = 0;
  private refs = new Map<string, ExternalRef>();
  private hash = createHash('sha256');
  /** Number of float values stored (the package's parameter count, constants included). */
  values = 0;

  /** `path` null = dry run: offsets and counts are computed, nothing is written (shape checks, node counts). */
  constructor(path: string | null, readonly precision: Precision) {
    this.fd = path === null ? null : openSync(path, 'w');
  }

  get bytes(): number { return this.offset; }

  has(id: string): boolean { return this.refs.has(id); }

  /** Returns the stored tensor `id`, producing and appending it on first use. */
  async put(id: string, produce: () => Promise<{ data: Float32Array; dims: readonly number[] }>, opts: { float32?: boolean } = {}): Promise<ExternalRef> {
    const known = this.refs.get(id);
    if (known) return known;
    const { data, dims } = await produce();
    const numel = dims.reduce((a, b) => a * b, 1);
    if (numel !== data.length) throw new Error(`internal: tensor ${id} has ${data.length} values for dims [${dims}]`);
    // fp16 halves the matrices; vectors (biases, norm scales, embeddings' 1-D rows) stay float32: they are a
    // negligible share of the bytes and feed additive/scale paths where rounding shows directly in the output.
    // `float32`: constants the host feeds as inputs (position tables, …) are read as float32 by the pipeline.
    const half = this.precision === 'fp16' && dims.length > 1 && !opts.float32;
    const bytes = half ? new Uint8Array(toHalf(data).buffer) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const pad = (ALIGN - (this.offset % ALIGN)) % ALIGN;
    if (pad) this.write(new Uint8Array(pad));
    const ref: ExternalRef = { location: WEIGHTS_FILE, offset: this.offset, length: bytes.length, dims: [...dims], dtype: half ? 'float16' : 'float32' };
    this.write(bytes);
    this.values += numel;
    this.refs.set(id, ref);
    return ref;
  }

  private write(bytes: Uint8Array): void {
    if (this.fd !== null) {
      let done = 0;
      while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done);
      this.hash.update(bytes);
    }
    this.offset += bytes.length;
  }

  /** Closes the file and returns its sha256 (computed while writing: no second pass over a GB-sized file). */
  close(): { size: number; sha256: string } {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    return { size: this.offset, sha256: this.hash.digest('hex') };
  }
}
