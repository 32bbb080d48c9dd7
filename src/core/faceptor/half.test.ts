/** halfToFloat / halfBytesToFloat32 against IEEE 754 binary16 bit patterns worked out by hand. */
import { describe, expect, it } from 'vitest';
import { halfBytesToFloat32, halfToFloat } from './half.ts';

// bits → value, from the binary16 layout (1 sign, 5 exponent bits biased by 15, 10 fraction bits).
const KNOWN: [number, number][] = [
  [0x0000, 0],
  [0x3c00, 1],
  [0xc000, -2],
  [0x3555, 0.333251953125], // 2^-2 · (1 + 341/1024): the half nearest 1/3
  [0x3800, 0.5],
  [0x57f0, 127], // 2^6 · (1 + 1008/1024)
  [0xd3f0, -63.5], // a soft-argmax table value at 128 px: −(128 − 1)/2
  [0x7bff, 65504], // largest finite half
  [0x0400, 2 ** -14], // smallest normal
  [0x0001, 2 ** -24], // smallest subnormal
  [0x03ff, 1023 * 2 ** -24], // largest subnormal
  [0x7c00, Infinity],
  [0xfc00, -Infinity],
];

describe('halfToFloat', () => {
  it('decodes normal, subnormal, zero and infinite halves exactly', () => {
    for (const [bits, value] of KNOWN) expect(halfToFloat(bits), `0x${bits.toString(16)}`).toBe(value);
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
    expect(halfToFloat(0x7e00)).toBeNaN();
  });
});

describe('halfBytesToFloat32', () => {
  it('reads little-endian halves from any byte offset, into float32', () => {
    const buf = new Uint8Array(1 + KNOWN.length * 2);
    const view = new DataView(buf.buffer);
    KNOWN.forEach(([bits], i) => view.setUint16(1 + i * 2, bits, true));
    const out = halfBytesToFloat32(buf.subarray(1)); // odd byte offset: no Uint16Array view possible
    expect(out).toBeInstanceOf(Float32Array);
    expect([...out]).toEqual(KNOWN.map(([, v]) => v));
  });
  it('refuses a byte count that is not whole halves', () => {
    expect(() => halfBytesToFloat32(new Uint8Array(3))).toThrow(/not a whole number of values/);
  });
});
