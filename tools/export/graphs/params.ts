/**
 * Access to checkpoint weights for graph building: reads a tensor when a graph first needs it, applies the
 * export-time transform (transpose, BatchNorm fold, q/k/v split with the attention scale folded in), appends the
 * result to the shared weights file and hands the graph an initializer name. Nothing is kept in memory.
 */
import type { Graph } from '../onnx/graph.ts';
import type { SinkWeightStore as WeightStore } from '../package/weight-store.ts';

/** The reader side: tensor shapes up front, values on demand. Keys have no `module.` prefix. */
export interface TensorSource {
  shape(key: string): readonly number[] | undefined;
  read(key: string): Promise<Float32Array>;
}

export type Produce = () => Promise<{ data: Float32Array; dims: readonly number[] }>;

export class Params {
  constructor(
    readonly src: TensorSource,
    readonly store: WeightStore,
  ) {}

  has(key: string): boolean {
    return this.src.shape(key) !== undefined;
  }

  shape(key: string): readonly number[] {
    const s = this.src.shape(key);
    if (!s) throw new Error(`checkpoint has no tensor '${key}'`);
    return s;
  }

  async read(key: string): Promise<Float32Array> {
    this.shape(key);
    return this.src.read(key);
  }

  /** A derived tensor stored under `id` (computed once per package, shared by every graph that asks). */
  async derived(g: Graph, id: string, produce: Produce): Promise<string> {
    return g.weight(id, await this.store.put(id, produce));
  }

  /** The tensor as stored in the checkpoint. */
  raw(g: Graph, key: string, dims?: readonly number[]): Promise<string> {
    const d = dims ?? this.shape(key);
    return this.derived(g, dims ? `${key}@[${d}]` : key, async () => ({ data: await this.read(key), dims: d }));
  }

  /** A Linear weight [out, in] stored transposed [in, out] so that y = x·Wᵀ is one MatMul. */
  linearT(g: Graph, key: string, scale = 1): Promise<string> {
    const [o, i] = this.shape(key);
    return this.derived(g, `${key}^T${scale === 1 ? '' : `*${scale}`}`, async () => ({
      data: transpose2d(await this.read(key), o, i, scale),
      dims: [i, o],
    }));
  }

  /**
   * One of q/k/v from a packed `in_proj_weight` [3E, E] (or bias [3E]), transposed to [E, E]. The softmax scale
   * 1/sqrt(head_dim) is folded into q's weight and bias (one multiply fewer per attention; exact up to rounding).
   */
  async inProj(g: Graph, prefix: string, part: 0 | 1 | 2, headDim: number): Promise<{ w: string; b: string }> {
    const [three, E] = this.shape(`${prefix}.in_proj_weight`);
    if (three !== 3 * E)
      throw new Error(`${prefix}.in_proj_weight has shape [${three}, ${E}], expected [${3 * E}, ${E}]`);
    const scale = part === 0 ? 1 / Math.sqrt(headDim) : 1;
    const w = await this.derived(g, `${prefix}.in_proj_weight#${part}^T*${scale}`, async () => {
      const all = await this.read(`${prefix}.in_proj_weight`);
      return { data: transpose2d(all.subarray(part * E * E, (part + 1) * E * E), E, E, scale), dims: [E, E] };
    });
    const b = await this.derived(g, `${prefix}.in_proj_bias#${part}*${scale}`, async () => {
      const all = await this.read(`${prefix}.in_proj_bias`);
      return { data: all.slice(part * E, (part + 1) * E).map((v) => v * scale), dims: [E] };
    });
    return { w, b };
  }

  /** Per-channel eval BatchNorm as y = x·s + t: s = w/sqrt(var + eps), t = b − mean·s. */
  async bnAffine(prefix: string, eps: number): Promise<{ s: Float64Array; t: Float64Array }> {
    const [w, b, m, v] = await Promise.all(
      ['weight', 'bias', 'running_mean', 'running_var'].map((k) => this.read(`${prefix}.${k}`)),
    );
    const s = new Float64Array(w.length);
    const t = new Float64Array(w.length);
    for (let c = 0; c < w.length; c++) {
      s[c] = w[c] / Math.sqrt(v[c] + eps);
      t[c] = b[c] - m[c] * s[c];
    }
    return { s, t };
  }
}

export function transpose2d(a: Float32Array, rows: number, cols: number, scale = 1): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c] * scale;
  return out;
}
