/**
 * A minimal protobuf *writer* (no reader): just enough wire format to emit ONNX ModelProto bytes.
 * Messages are built bottom-up as byte chunks; each `Msg` knows its length so nesting is a simple concat.
 */

const textEncoder = new TextEncoder();

/** Growable byte sink for one message. */
export class Msg {
  private chunks: Uint8Array[] = [];
  private len = 0;

  get length(): number {
    return this.len;
  }

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.len += bytes.length;
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  /** Unsigned varint; numbers up to 2^53 are exact (enough for byte offsets of any weights file). */
  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.push(Uint8Array.from(out));
  }

  int(field: number, value: number | bigint): this {
    this.tag(field, 0);
    this.varint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.varint(value.length);
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, textEncoder.encode(value));
  }

  msg(field: number, value: Msg): this {
    this.tag(field, 2);
    this.varint(value.length);
    for (const c of value.chunks) this.push(c);
    return this;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.len);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}
