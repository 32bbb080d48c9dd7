/**
 * Test-only pickle (protocol 2) emitter for hand-built checkpoints: each helper appends the exact opcodes
 * CPython's pickler / torch.save would write, so tests can state the expected values independently of the reader.
 */
export interface TensorArgs {
  storageType: string;
  key: string;
  numel: number;
  offset?: number;
  shape: number[];
  stride: number[];
}

export class PickleWriter {
  private parts: number[] = [0x80, 2];
  private u32(n: number): number[] {
    return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
  }
  op(...bytes: number[]): this {
    this.parts.push(...bytes);
    return this;
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.op(0x58, ...this.u32(b.length), ...b);
  }
  int(n: number): this {
    if (n >= 0 && n < 256) return this.op(0x4b, n);
    if (n >= -(2 ** 31) && n < 2 ** 31) return this.op(0x4a, ...this.u32(n >>> 0));
    return this.long(BigInt(n));
  }
  /** LONG1: little-endian two's complement, as short as the sign allows (CPython's encode_long). */
  long(n: bigint): this {
    const bytes: number[] = [];
    let v = n;
    for (;;) {
      bytes.push(Number(v & 0xffn));
      v >>= 8n;
      const sign = bytes[bytes.length - 1]! & 0x80;
      if ((v === 0n && !sign) || (v === -1n && sign)) break;
    }
    return this.op(0x8a, bytes.length, ...bytes);
  }
  float(x: number): this {
    const b = new DataView(new ArrayBuffer(8));
    b.setFloat64(0, x, false); // BINFLOAT is big-endian
    return this.op(0x47, ...new Uint8Array(b.buffer));
  }
  none(): this {
    return this.op(0x4e);
  }
  emptyList(): this {
    return this.op(0x5d);
  }
  setitems(): this {
    return this.op(0x75);
  }
  appends(): this {
    return this.op(0x65);
  }
  global(module: string, name: string): this {
    return this.op(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`));
  }
  mark(): this {
    return this.op(0x28);
  }
  tuple(): this {
    return this.op(0x74);
  }
  emptyDict(): this {
    return this.op(0x7d);
  }
  emptyTuple(): this {
    return this.op(0x29);
  }
  reduce(): this {
    return this.op(0x52);
  }
  setitem(): this {
    return this.op(0x73);
  }
  intTuple(values: number[]): this {
    this.mark();
    for (const v of values) this.int(v);
    return this.tuple();
  }
  /** `_rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset, size, stride, False, OrderedDict())`. */
  tensor(t: TensorArgs): this {
    this.global('torch._utils', '_rebuild_tensor_v2');
    return this.tensorArgs(t).reduce();
  }
  /** The argument tuple of `_rebuild_tensor_v2`. */
  tensorArgs(t: TensorArgs): this {
    this.mark();
    this.mark().str('storage').global('torch', t.storageType).str(t.key).str('cpu').int(t.numel).tuple().op(0x51); // BINPERSID
    this.int(t.offset ?? 0)
      .intTuple(t.shape)
      .intTuple(t.stride)
      .op(0x89); // NEWFALSE
    this.global('collections', 'OrderedDict').emptyTuple().reduce();
    return this.tuple();
  }
  /** `_rebuild_from_type_v2(_rebuild_tensor_v2, <type>, (args...), {})`: a tensor carrying Python attributes. */
  tensorFromType(t: TensorArgs, type: [string, string]): this {
    this.global('torch._tensor', '_rebuild_from_type_v2').mark();
    this.global('torch._utils', '_rebuild_tensor_v2').global(type[0], type[1]).tensorArgs(t).emptyDict();
    return this.tuple().reduce();
  }
  /** `_rebuild_parameter(<tensor>, True, OrderedDict())`. */
  parameter(t: TensorArgs): this {
    this.global('torch._utils', '_rebuild_parameter').mark().tensor(t).op(0x88);
    this.global('collections', 'OrderedDict').emptyTuple().reduce();
    return this.tuple().reduce();
  }
  stop(): Uint8Array {
    return Uint8Array.from([...this.parts, 0x2e]);
  }
}

export interface FakeTensor {
  key: string;
  storageType: string;
  storageKey: string;
  numel: number;
  offset?: number;
  shape: number[];
  stride: number[];
}

/**
 * `{'step': step, 'state_dict': OrderedDict(tensors)}`, or the bare OrderedDict when `nested` is false.
 */
export function statePickle(tensors: FakeTensor[], opts: { nested?: boolean; step?: number } = {}): Uint8Array {
  const w = new PickleWriter();
  const nested = opts.nested ?? true;
  if (nested)
    w.emptyDict()
      .str('step')
      .int(opts.step ?? 7)
      .setitem()
      .str('state_dict');
  w.global('collections', 'OrderedDict').emptyTuple().reduce();
  for (const t of tensors)
    w.str(t.key)
      .tensor({ ...t, key: t.storageKey })
      .setitem();
  if (nested) w.setitem();
  return w.stop();
}
