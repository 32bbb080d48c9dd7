/**
 * IEEE half → float32, the one implementation: the exporter's readers (checkpoint, golden inputs) and every host
 * that loads a package's half-stored constant feeds (batch.ts `constFeedTensors`) convert through it. Pure: no DOM,
 * worker or runtime import, so the browser worker, Node and the tools share it.
 */

/** IEEE half bits → float32 value, exact (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Little-endian half values (`bytes`, any byte offset: a slice of a weights file need not be 2-aligned in its
 * buffer) → a new Float32Array. Throws on an odd byte count (a length that is not whole halves is a corrupt feed).
 */
export function halfBytesToFloat32(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 2 !== 0)
    throw new Error(`half data of ${bytes.byteLength} bytes is not a whole number of values`);
  const n = bytes.byteLength / 2;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  return out;
}
