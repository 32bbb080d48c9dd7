/**
 * Block-wise weight-only quantization in the layout of ORT's contrib op `com.microsoft.MatMulNBits`
 * (Y = A · W with W [K, N]): B is Wᵀ quantized, [N, ⌈K/block⌉, block·bits/8] uint8, each block of `block` values
 * along K with one float32 scale ([N·⌈K/block⌉]); no zero-point input, so ORT uses the default 2^(bits−1) and a
 * stored q means (q − 2^(bits−1))·scale. Symmetric: scale = max|w| / (2^(bits−1) − 1), codes clamp to [−2^(bits−1)+1,
 * 2^(bits−1)−1], so 0 is exact and the rounding error of a weight is ≤ scale/2. 4-bit: two codes per byte, the even
 * element of a block in the low nibble (MatMulNBits' packing).
 */
export type QuantBits = 4 | 8;

export interface Quantized {
  readonly packed: Uint8Array;
  readonly scales: Float32Array;
  readonly blocks: number;
  readonly blob: number;
}

export function quantizeBlockwise(w: Float32Array, K: number, N: number, bits: QuantBits, block: number): Quantized {
  if (w.length !== K * N) throw new Error(`internal: ${w.length} values for [${K}, ${N}]`);
  if (K % block !== 0) throw new Error(`internal: K ${K} is not a multiple of the block size ${block}`);
  const blocks = K / block,
    blob = (block * bits) / 8;
  const zero = 1 << (bits - 1),
    qmax = zero - 1;
  const packed = new Uint8Array(N * blocks * blob);
  const scales = new Float32Array(N * blocks);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < blocks; b++) {
      let amax = 0;
      for (let j = 0; j < block; j++) amax = Math.max(amax, Math.abs(w[(b * block + j) * N + n]));
      const scale = amax / qmax;
      const si = n * blocks + b;
      scales[si] = scale;
      const inv = scale > 0 ? 1 / Math.fround(scale) : 0;
      const base = si * blob;
      for (let j = 0; j < block; j++) {
        const q = Math.max(-qmax, Math.min(qmax, Math.round(w[(b * block + j) * N + n] * inv))) + zero;
        if (bits === 8) packed[base + j] = q;
        else packed[base + (j >> 1)] |= j & 1 ? q << 4 : q;
      }
    }
  }
  return { packed, scales, blocks, blob };
}

/** The W [K, N] that MatMulNBits computes with (for tests and error estimates). */
export function dequantizeBlockwise(qz: Quantized, K: number, N: number, bits: QuantBits, block: number): Float32Array {
  const zero = 1 << (bits - 1);
  const w = new Float32Array(K * N);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < qz.blocks; b++) {
      const si = n * qz.blocks + b,
        base = si * qz.blob;
      for (let j = 0; j < block; j++) {
        const q = bits === 8 ? qz.packed[base + j] : (qz.packed[base + (j >> 1)] >> ((j & 1) * 4)) & 15;
        w[(b * block + j) * N + n] = (q - zero) * qz.scales[si];
      }
    }
  }
  return w;
}
