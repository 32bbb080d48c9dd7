/**
 * toHalf (the whole-tensor float32 → half conversion of fp16 packages, rewritten on the bits for speed) gives the
 * bits of the per-value floatToHalfBits for every exponent, both signs, the rounding edges of the mantissa
 * (ties to even, carries into the exponent, overflow to infinity, subnormals, underflow), NaN and infinities, and
 * a million random patterns; and on an unaligned view.
 */
import { describe, expect, it } from 'vitest';
import { floatToHalfBits, halfToFloat, toHalf, type Float16ArrayLike } from './fp16.ts';

function patterns(): Uint32Array {
  const mantissas = [
    0, 1, 2, 0xfff, 0x1000, 0x1001, 0x1fff, 0x2000, 0x3000, 0x3001, 0x5000, 0x7fffff, 0x7fe000, 0x7ff000, 0x7fefff,
    0x7ff001, 0x400000, 0x3fffff, 0x1ffff, 0x20000, 0x800, 0x17fff,
  ];
  const out: number[] = [];
  for (let sign = 0; sign < 2; sign++)
    for (let exp = 0; exp < 256; exp++) for (const m of mantissas) out.push(((sign << 31) | (exp << 23) | m) >>> 0);
  let seed = 12345;
  for (let i = 0; i < 1_000_000; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    out.push(seed);
  }
  return Uint32Array.from(out);
}

describe('toHalf', () => {
  it('gives floatToHalfBits for every exponent, the rounding edges, NaN/Inf and random bit patterns', () => {
    const bits = patterns();
    const values = new Float32Array(bits.buffer);
    const half = toHalf(values);
    let mismatches = 0;
    let first = '';
    for (let i = 0; i < values.length; i++) {
      const want = floatToHalfBits(values[i]!);
      if (half[i] !== want) {
        if (!mismatches) first = `0x${bits[i]!.toString(16)} → 0x${half[i]!.toString(16)}, want 0x${want.toString(16)}`;
        mismatches++;
      }
    }
    expect(first).toBe('');
    expect(mismatches).toBe(0);
    // Independent spot checks of the rounding itself (not only agreement with the scalar version).
    const spot = toHalf(Float32Array.from([1, -2, 65504, 65520, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 2 ** -24, 2 ** -25]));
    expect([...spot].map(halfToFloat)).toEqual([1, -2, 65504, Infinity, 1, 1 + 2 ** -9, 2 ** -24, 0]);
  });

  it('converts a view that does not start on a 4-byte boundary of its buffer', () => {
    const src = Float32Array.from([0.1, -3.5, 1e-6, 70000]);
    const bytes = new Uint8Array(src.byteLength + 2);
    bytes.set(new Uint8Array(src.buffer), 2);
    // An unaligned Float32Array cannot be made directly; a copy through a DataView proves the same values.
    const view = new DataView(bytes.buffer, 2);
    const values = Float32Array.from({ length: 4 }, (_, i) => view.getFloat32(i * 4, true));
    expect([...toHalf(values)]).toEqual([...src].map(floatToHalfBits));
    expect([...toHalf(new Float32Array(src.buffer, 4, 2))]).toEqual([floatToHalfBits(-3.5), floatToHalfBits(1e-6)]);
  });

  it("with a native Float16Array keeps its bits but rewrites NaNs as floatToHalfBits makes them (CLI's bytes)", () => {
    // A stand-in for an engine's Float16Array: correct rounding, but every NaN written as 0xfe01 (sign set, payload).
    class EngineF16 {
      constructor(private readonly buffer: ArrayBuffer) {}
      set(values: Float32Array) {
        const u = new Uint16Array(this.buffer);
        values.forEach((v, i) => (u[i] = Number.isNaN(v) ? 0xfe01 : floatToHalfBits(v)));
      }
    }
    const bits = patterns().subarray(0, 20_000);
    const values = new Float32Array(bits.slice().buffer);
    expect([...toHalf(values, EngineF16 as unknown as Float16ArrayLike)]).toEqual([...toHalf(values, undefined)]);
    expect([...values].some(Number.isNaN)).toBe(true);
  });
});
