/**
 * The one external-weights file shared by every graph of a package. Tensors are appended as they are produced
 * (read → convert/fold → append → drop), so memory holds one tensor at a time. A tensor requested twice under the
 * same id (e.g. the ViT blocks used by both the 112 and the 512 encoder) is written once and referenced twice.
 * This module is free of Node imports (the browser's exporter uses it); weights.ts adds the Node file constructor.
 */
import type { ExternalRef } from '../onnx/graph.ts';
import { toHalf } from '../onnx/fp16.ts';
import { quantizeBlockwise, type QuantBits } from '../onnx/quant.ts';
import type { SinkFile } from './sink.ts';
import type { ConstFeed, Precision } from '../../../src/core/faceptor/manifest.ts';

export type { Precision };

/**
 * q8/q4: MatMul weights quantized block-wise for MatMulNBits, both in blocks of 32: onnxruntime's WebGPU EP runs
 * MatMulNBits with a tiled kernel only when block_size == 32 (and M ≥ 4: every MatMul here has ≥ 49 rows); any other
 * block size takes its one-row-at-a-time kernel, which re-reads the whole weight matrix per row — measured in Debian
 * Chromium (SwiftShader), one 64×768·768×768 MatMulNBits: 8-bit blocks of 64 ~6 s, of 32 ~0.2–0.3 s, 4-bit/32 ~0.2 s
 * (tools/export/testing/nbits-probe.ts); on WASM the block size barely matters. Per value 8+32/32 = 9 bits and
 * 4+32/32 = 5 bits, plus what stays half (other matrices and, since issue 11, the host-fed tables): weights.bin
 * 0.298× / 0.182× fp32 at real size (docs in README).
 */
export const QUANT: Record<'q8' | 'q4', { readonly bits: QuantBits; readonly block: number }> = {
  q8: { bits: 8, block: 32 },
  q4: { bits: 4, block: 32 },
};

/**
 * Ids of tensors the graphs only use as a MatMul's second input x·W (stored transposed [in, out]: `^T`, the packed
 * q/k/v `|qscaled`, folded-BatchNorm linears `|bn^T`/`|bnIn^T`). Graph.matmul emits MatMulNBits for them; any other
 * use of a quantized weight throws at export, so a wrong id here cannot produce a silently broken package.
 */
const MATMUL_WEIGHT = /(\^T(\*[0-9.e+-]+)?|\|qscaled|\|bn\^T|\|bnIn\^T)$/;
export const WEIGHTS_FILE = 'weights.bin';
/** A dry run hashes nothing: the sha256 of no bytes. */
const DRY_RUN_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** Every tensor starts on a 64-byte boundary: friendly to mmap and to typed-array views in the browser. */
const ALIGN = 64;

/** Largest finite IEEE half. */
const HALF_MAX = 65504;
/** True when every value is finite and rounds to a finite half (beyond 65520 rounds to Inf; 65504 is safe). */
function fitsHalf(data: Float32Array): boolean {
  for (let i = 0; i < data.length; i++) if (!(Math.abs(data[i]) <= HALF_MAX)) return false;
  return true;
}

/** The manifest entry of a host-fed constant stored by `put(…, { feed: true })`: its stored type is the ref's. */
export function storedFeed(name: string, ref: ExternalRef): ConstFeed {
  if (ref.dtype === 'uint8' || ref.quant) throw new Error(`internal: feed ${name} was stored quantized`);
  return { name, type: ref.dtype, dims: [...ref.dims], offset: ref.offset, length: ref.length };
}

export class SinkWeightStore {
  private file: SinkFile | null;
  private offset = 0;
  private refs = new Map<string, ExternalRef>();
  /** Number of float values stored (the package's parameter count, constants included). */
  values = 0;

  /**
   * `file` null = dry run: offsets and counts are computed, nothing is written (shape checks, node counts).
   * `keepFloat32(id)`: in an fp16 package, matrices that stay float32 (precision.ts: chosen by measurement).
   */
  constructor(
    file: SinkFile | null,
    readonly precision: Precision,
    private readonly keepFloat32: (id: string) => boolean = () => false,
  ) {
    this.file = file;
  }

  get bytes(): number {
    return this.offset;
  }

  has(id: string): boolean {
    return this.refs.has(id);
  }

  /** Returns the stored tensor `id`, producing and appending it on first use. */
  async put(
    id: string,
    produce: () => Promise<{ data: Float32Array; dims: readonly number[] }>,
    opts: { feed?: boolean } = {},
  ): Promise<ExternalRef> {
    const known = this.refs.get(id);
    if (known) return known;
    const { data, dims } = await produce();
    const numel = dims.reduce((a, b) => a * b, 1);
    if (numel !== data.length) throw new Error(`internal: tensor ${id} has ${data.length} values for dims [${dims}]`);
    // fp16 halves the matrices; vectors (biases, norm scales, embeddings' 1-D rows) stay float32: they are a
    // negligible share of the bytes and feed additive/scale paths where rounding shows directly in the output.
    // `feed`: constants the host feeds as inputs (position tables, soft-argmax tables) — never quantized; float32,
    // except in q8/q4 packages, where they are stored half (manifest feed type `float16`) and the host converts
    // them to float32 on load: the 512 position table alone is 3 MB as float32, and with it float32 q8 misses its
    // 0.30 × fp32 target (0.304 ×; 0.298 × with the tables half). A table with a value beyond half's range stays
    // float32 (half would turn it into ±Inf). fp16 packages keep them float32: measured, half tables would save
    // 2 % and their golden bounds were chosen with float32 tables (docs/model.md §10).
    const quantized = this.precision === 'q8' || this.precision === 'q4';
    const q = quantized ? QUANT[this.precision as 'q8' | 'q4'] : null;
    // q8/q4: the MatMul weights, except those the fp16 plan keeps (they stay half: their rounding matters most).
    if (
      q &&
      dims.length === 2 &&
      !opts.feed &&
      MATMUL_WEIGHT.test(id) &&
      !this.keepFloat32(id) &&
      dims[0] % q.block === 0 &&
      dims[1] >= 16
    ) {
      const [K, N] = dims;
      const qz = quantizeBlockwise(data, K, N, q.bits, q.block);
      this.align();
      const offset = this.offset;
      this.write(qz.packed);
      this.align();
      const scales = { offset: this.offset, length: qz.scales.byteLength };
      this.write(new Uint8Array(qz.scales.buffer));
      const ref: ExternalRef = {
        location: WEIGHTS_FILE,
        offset,
        length: qz.packed.length,
        dims: [N, qz.blocks, qz.blob],
        dtype: 'uint8',
        quant: { bits: q.bits, block: q.block, K, N, scales },
      };
      this.values += numel;
      this.refs.set(id, ref);
      await this.file?.drain?.();
      return ref;
    }
    // fp16 halves the matrices except those its plan keeps float32; q8/q4 store every other matrix half.
    const half = opts.feed
      ? quantized && fitsHalf(data)
      : dims.length > 1 && (this.precision === 'fp16' ? !this.keepFloat32(id) : quantized);
    const bytes = half
      ? new Uint8Array(toHalf(data).buffer)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.align();
    const ref: ExternalRef = {
      location: WEIGHTS_FILE,
      offset: this.offset,
      length: bytes.length,
      dims: [...dims],
      dtype: half ? 'float16' : 'float32',
    };
    this.write(bytes);
    this.values += numel;
    this.refs.set(id, ref);
    await this.file?.drain?.();
    return ref;
  }

  private align(): void {
    const pad = (ALIGN - (this.offset % ALIGN)) % ALIGN;
    if (pad) this.write(new Uint8Array(pad));
  }

  private write(bytes: Uint8Array): void {
    this.file?.write(bytes);
    this.offset += bytes.length;
  }

  /** Closes the file and returns its sha256 (computed while writing: no second pass over a GB-sized file). */
  async close(): Promise<{ size: number; sha256: string }> {
    const file = this.file;
    this.file = null;
    if (file) return { size: this.offset, sha256: (await file.close()).sha256 };
    return { size: this.offset, sha256: DRY_RUN_SHA256 };
  }

  /** Closes the file after a failure (nothing is returned; the package is removed by the caller). */
  abort(): void {
    this.file?.abort();
    this.file = null;
  }
}
