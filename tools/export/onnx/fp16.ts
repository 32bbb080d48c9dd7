/** float32 → IEEE half bits, round to nearest even (overflow → ±Inf, tiny → subnormal/zero). */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function floatToHalfBits(value: number): number {
  f32[0] = value;
  return bitsToHalf(u32[0]!);
}

/** The bits of a float32 → IEEE half bits (the one implementation; floatToHalfBits and toHalf's rare cases call it). */
function bitsToHalf(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 112; // exp - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  const h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  return sign | (rem > 0x1000 || (rem === 0x1000 && h & 1) ? h + 1 : h);
}

/** The engine's Float16Array where it has one (Chromium ≥ 135, Node ≥ 24): its `set` converts natively. */
export type Float16ArrayLike = new (buffer: ArrayBuffer) => { set(values: Float32Array): void };
const NATIVE_F16 = (globalThis as { Float16Array?: Float16ArrayLike }).Float16Array;

/**
 * float32 → half bits for a whole tensor (the fp16 package's matrices): ~100 M values at real size, measured 4 s
 * with one floatToHalfBits call per value — the largest compute cost of the browser's export. With a native
 * Float16Array the engine converts (IEEE round to nearest even from the exact float32 value: the same bits);
 * otherwise the bits are read through a Uint32 view with the common case inline. NaN bits are the engines' own
 * choice, so NaNs are rewritten as floatToHalfBits makes them: the CLI and the browser write the same bytes.
 */
export function toHalf(data: Float32Array, native: Float16ArrayLike | undefined = NATIVE_F16): Uint16Array {
  const n = data.length;
  const out = new Uint16Array(n);
  const bits =
    data.byteOffset % 4 === 0
      ? new Uint32Array(data.buffer, data.byteOffset, n)
      : new Uint32Array(Float32Array.from(data).buffer);
  if (native) {
    new native(out.buffer).set(data);
    for (let i = 0; i < n; i++) if ((out[i]! & 0x7fff) > 0x7c00) out[i] = bitsToHalf(bits[i]!);
    return out;
  }
  for (let i = 0; i < n; i++) {
    const x = bits[i]!;
    const e = ((x >>> 23) & 0xff) - 112;
    // The common case (a normal half, no overflow): round to nearest even on the 13 dropped bits, inline.
    if (e > 0 && e < 0x1f) {
      const h = ((x >>> 16) & 0x8000) | (e << 10) | ((x >>> 13) & 0x3ff);
      const rem = x & 0x1fff;
      out[i] = rem > 0x1000 || (rem === 0x1000 && h & 1) ? h + 1 : h;
    } else out[i] = bitsToHalf(x);
  }
  return out;
}

/** half → float32 lives in the pure core (hosts convert half-stored feeds with it); re-exported for the tools. */
export { halfToFloat } from '../../../src/core/faceptor/half.ts';
