/**
 * ONNX graph builder: a small typed API over the protobuf writer (`g.matmul(a, b)`, `g.layerNorm(...)`).
 * Values are plain strings (ONNX value names). Weights live in an external data file and are referenced by
 * offset/length, so a graph file holds only structure plus a few tiny inline constants.
 */
import { Msg } from './proto.ts';

export const OPSET = 17;
/** com.microsoft contrib ops used (Gelu, QuickGelu): all have WebGPU kernels in onnxruntime-web. */
export const MS_DOMAIN = 'com.microsoft';
const IR_VERSION = 8;

export type ElemType = 'float32' | 'float16' | 'int64' | 'uint8';
const ELEM_CODE: Record<ElemType, number> = { float32: 1, uint8: 2, int64: 7, float16: 10 };

/** A float attribute (plain numbers are written as ints). */
export interface FloatAttr {
  readonly f: number;
}
export const f = (value: number): FloatAttr => ({ f: value });
export type AttrValue = number | readonly number[] | string | FloatAttr | { readonly floats: readonly number[] };

/** Where one initializer's bytes sit inside the shared external weights file. */
export interface ExternalRef {
  readonly location: string;
  readonly offset: number;
  readonly length: number;
  readonly dims: readonly number[];
  readonly dtype: 'float32' | 'float16' | 'uint8';
  /**
   * A MatMul weight W [K, N] stored block-quantized for com.microsoft.MatMulNBits (quant.ts): this ref's bytes are
   * B [N, blocks, blob] (dims), `scales` are float32 [N·blocks] at their own offset. Usable only as a MatMul's B.
   */
  readonly quant?: {
    readonly bits: 4 | 8;
    readonly block: number;
    readonly K: number;
    readonly N: number;
    readonly scales: { readonly offset: number; readonly length: number };
  };
}

export type Dim = number | string;

interface NodeRec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  domain?: string;
  name: string;
}

export class Graph {
  private nodes: NodeRec[] = [];
  private inits: Msg[] = [];
  private initNames = new Set<string>();
  private inputs: Msg[] = [];
  private outputs: Msg[] = [];
  private counter = 0;
  /** Internal value → graph output name, applied when serialising. */
  private renames = new Map<string, string>();
  private usesMs = false;
  /** Initializers holding MatMulNBits weights (see ExternalRef.quant): only `matmul(x, w)` may consume them. */
  private quantized = new Map<string, NonNullable<ExternalRef['quant']>>();
  /** Which fused/contrib ops ended up in this graph (recorded in the package manifest). */
  readonly opsUsed = new Set<string>();

  constructor(readonly name: string) {}

  get nodeCount(): number {
    return this.nodes.length;
  }

  fresh(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  input(name: string, dims: readonly Dim[], type: ElemType = 'float32'): string {
    this.inputs.push(valueInfo(name, dims, type));
    return name;
  }

  /**
   * Declares `value` as a graph output named `name`. A node-produced value is renamed in place rather than copied
   * by an Identity (the JSEP WebGPU build places a trailing Identity on the CPU EP: measured).
   */
  output(value: string, name: string, dims: readonly Dim[], type: ElemType = 'float32'): string {
    if (value !== name) {
      const producer = this.nodes.find((n) => n.outputs.includes(value));
      if (producer && !this.renames.has(value)) this.renames.set(value, name);
      else this.node('Identity', [value], {}, { outputs: [name] });
    }
    this.outputs.push(valueInfo(name, dims, type));
    return name;
  }

  node(
    op: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    opts: { outputs?: readonly string[] | number; domain?: string } = {},
  ): string {
    return this.nodeMulti(op, inputs, attrs, opts)[0];
  }

  nodeMulti(
    op: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    opts: { outputs?: readonly string[] | number; domain?: string } = {},
  ): string[] {
    const outs =
      typeof opts.outputs === 'object'
        ? [...opts.outputs]
        : Array.from({ length: opts.outputs ?? 1 }, () => this.fresh(op.toLowerCase()));
    // A quantized weight is packed codes, not a float tensor: any other consumer would compute garbage.
    if (op !== 'MatMulNBits') {
      const bad = inputs.find((i) => this.quantized.has(i));
      if (bad)
        throw new Error(
          `internal: quantized weight ${bad} used by ${op} (only MatMul's second input may be quantized)`,
        );
    }
    if (opts.domain === MS_DOMAIN) this.usesMs = true;
    this.opsUsed.add(opts.domain ? `${opts.domain}.${op}` : op);
    this.nodes.push({
      op,
      inputs: [...inputs],
      outputs: outs,
      attrs,
      domain: opts.domain,
      name: `${op}_${this.nodes.length}`,
    });
    return outs;
  }

  // ---- constants -------------------------------------------------------------------------------

  /** Small int64 constant stored inline (shapes, axes). */
  i64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const raw = new Uint8Array(values.length * 8);
    const dv = new DataView(raw.buffer);
    values.forEach((v, i) => dv.setBigInt64(i * 8, BigInt(v), true));
    return this.inlineInit(raw, dims, 'int64', 'const_i64');
  }

  /** Small float32 constant stored inline (scalars, little tables). */
  f32(values: ArrayLike<number>, dims: readonly number[] = [values.length]): string {
    const arr = Float32Array.from(values as ArrayLike<number>);
    return this.inlineInit(new Uint8Array(arr.buffer), dims, 'float32', 'const_f32');
  }

  private inlineInit(raw: Uint8Array, dims: readonly number[], type: ElemType, hint: string): string {
    const name = this.fresh(hint);
    const t = new Msg();
    for (const d of dims) t.int(1, d);
    t.int(2, ELEM_CODE[type]).string(8, name).bytes(9, raw);
    this.inits.push(t);
    return name;
  }

  /**
   * An initializer whose data lives in the external weights file. float16 weights are cast to float32 on load
   * (weights-only fp16: the maths stays float32, so norms and softmax never see half precision).
   */
  weight(name: string, ref: ExternalRef): string {
    const initName = `w:${name}`;
    if (!this.initNames.has(initName)) {
      this.initNames.add(initName);
      const t = new Msg();
      for (const d of ref.dims) t.int(1, d);
      t.int(2, ELEM_CODE[ref.dtype]).string(8, initName);
      t.msg(13, new Msg().string(1, 'location').string(2, ref.location));
      t.msg(13, new Msg().string(1, 'offset').string(2, String(ref.offset)));
      t.msg(13, new Msg().string(1, 'length').string(2, String(ref.length)));
      t.int(14, 1); // data_location = EXTERNAL
      this.inits.push(t);
      if (ref.dtype === 'float16')
        this.node('Cast', [initName], { to: ELEM_CODE.float32 }, { outputs: [`${initName}:f32`] });
      if (ref.quant) {
        const q = ref.quant;
        const t2 = new Msg().int(1, q.N * (q.K / q.block));
        t2.int(2, ELEM_CODE.float32).string(8, `${initName}:scales`);
        t2.msg(13, new Msg().string(1, 'location').string(2, ref.location));
        t2.msg(13, new Msg().string(1, 'offset').string(2, String(q.scales.offset)));
        t2.msg(13, new Msg().string(1, 'length').string(2, String(q.scales.length)));
        t2.int(14, 1);
        this.inits.push(t2);
        this.quantized.set(initName, q);
      }
    }
    return ref.dtype === 'float16' ? `${initName}:f32` : initName;
  }

  // ---- op helpers ------------------------------------------------------------------------------

  matmul(a: string, b: string): string {
    const q = this.quantized.get(b);
    if (!q) return this.node('MatMul', [a, b]);
    return this.node(
      'MatMulNBits',
      [a, b, `${b}:scales`],
      { K: q.K, N: q.N, bits: q.bits, block_size: q.block },
      { domain: MS_DOMAIN },
    );
  }
  add(a: string, b: string): string {
    return this.node('Add', [a, b]);
  }
  sub(a: string, b: string): string {
    return this.node('Sub', [a, b]);
  }
  mul(a: string, b: string): string {
    return this.node('Mul', [a, b]);
  }
  div(a: string, b: string): string {
    return this.node('Div', [a, b]);
  }
  max(a: string, b: string): string {
    return this.node('Max', [a, b]);
  }
  relu(x: string): string {
    return this.node('Relu', [x]);
  }
  sigmoid(x: string): string {
    return this.node('Sigmoid', [x]);
  }
  softmax(x: string, axis = -1): string {
    return this.node('Softmax', [x], { axis });
  }
  /** Exact (erf) GELU as one fused contrib op. */
  gelu(x: string): string {
    return this.node('Gelu', [x], {}, { domain: MS_DOMAIN });
  }
  /** CLIP's QuickGELU x·sigmoid(1.702x) as one fused contrib op. */
  quickGelu(x: string): string {
    return this.node('QuickGelu', [x], { alpha: f(1.702) }, { domain: MS_DOMAIN });
  }
  reshape(x: string, shape: readonly number[]): string {
    return this.node('Reshape', [x, this.i64(shape)]);
  }
  transpose(x: string, perm: readonly number[]): string {
    return this.node('Transpose', [x], { perm });
  }
  concat(xs: readonly string[], axis: number): string {
    return this.node('Concat', xs, { axis });
  }
  layerNorm(x: string, scale: string, bias: string, epsilon: number, axis = -1): string {
    return this.node('LayerNormalization', [x, scale, bias], { axis, epsilon: f(epsilon) });
  }
  reduceMean(x: string, axes: readonly number[], keepdims = 0): string {
    return this.node('ReduceMean', [x], { axes, keepdims });
  }
  reduceMax(x: string, axes: readonly number[], keepdims = 0): string {
    return this.node('ReduceMax', [x], { axes, keepdims });
  }
  reduceSum(x: string, axes: readonly number[], keepdims = 0): string {
    return this.node('ReduceSum', [x, this.i64(axes)], { keepdims });
  }
  /** x·W + b, with W already stored transposed as [in, out]. */
  linear(x: string, wT: string, b?: string): string {
    const y = this.matmul(x, wT);
    return b ? this.add(y, b) : y;
  }

  // ---- serialisation ---------------------------------------------------------------------------

  toBytes(producer: { name: string; version: string }): Uint8Array {
    const g = new Msg();
    const rn = (v: string) => this.renames.get(v) ?? v;
    for (const n of this.nodes) {
      const m = new Msg();
      for (const i of n.inputs) m.string(1, rn(i));
      for (const o of n.outputs) m.string(2, rn(o));
      m.string(3, n.name).string(4, n.op);
      for (const [k, v] of Object.entries(n.attrs)) m.msg(5, attribute(k, v));
      if (n.domain) m.string(7, n.domain);
      g.msg(1, m);
    }
    g.string(2, this.name);
    for (const t of this.inits) g.msg(5, t);
    for (const i of this.inputs) g.msg(11, i);
    for (const o of this.outputs) g.msg(12, o);
    const model = new Msg().int(1, IR_VERSION).string(2, producer.name).string(3, producer.version);
    model.msg(8, new Msg().string(1, '').int(2, OPSET));
    if (this.usesMs) model.msg(8, new Msg().string(1, MS_DOMAIN).int(2, 1));
    model.msg(7, g);
    return model.finish();
  }
}

function attribute(name: string, v: AttrValue): Msg {
  const a = new Msg().string(1, name);
  if (typeof v === 'number') return a.int(3, v).int(20, 2);
  if (typeof v === 'string') return a.string(4, v).int(20, 3);
  if (Array.isArray(v)) {
    for (const x of v as number[]) a.int(8, x);
    return a.int(20, 7);
  }
  if ('floats' in (v as object)) {
    for (const x of (v as { floats: number[] }).floats) a.float(7, x);
    return a.int(20, 6);
  }
  return a.float(2, (v as FloatAttr).f).int(20, 1);
}

function valueInfo(name: string, dims: readonly Dim[], type: ElemType): Msg {
  const shape = new Msg();
  for (const d of dims) shape.msg(1, typeof d === 'number' ? new Msg().int(1, d) : new Msg().string(2, d));
  const tensor = new Msg().int(1, ELEM_CODE[type]).msg(2, shape);
  return new Msg().string(1, name).msg(2, new Msg().msg(1, tensor));
}
