/**
 * Constant tables folded at export time (docs/model.md §4.2, §5.2, §7.3). Computed in float64, stored float32.
 */

/** PyTorch bicubic weights (A = −0.75). */
function cubic(t: number, A = -0.75): [number, number, number, number] {
  const c1 = (z: number) => ((A + 2) * z - (A + 3)) * z * z + 1;
  const c2 = (z: number) => ((A * z - 5 * A) * z + 8 * A) * z - 4 * A;
  return [c2(t + 1), c1(t), c1(1 - t), c2(2 - t)];
}

/**
 * [out × in] matrix of PyTorch `interpolate(mode='bicubic', align_corners=False)` along one axis:
 * src = (i + 0.5)·in/out − 0.5 (not clamped), taps i0−1..i0+2 clamped into [0, in−1] (edge replication).
 */
export function bicubicMatrix(inSize: number, outSize: number): Float64Array {
  const m = new Float64Array(outSize * inSize);
  const scale = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const src = (i + 0.5) * scale - 0.5;
    const i0 = Math.floor(src);
    const w = cubic(src - i0);
    for (let k = 0; k < 4; k++) {
      const j = Math.min(Math.max(i0 - 1 + k, 0), inSize - 1);
      m[i * inSize + j] += w[k];
    }
  }
  return m;
}

/** [out × in] matrix of PyTorch bilinear, align_corners=False (src clamped at 0, upper tap clamped). */
export function bilinearMatrix(inSize: number, outSize: number): Float64Array {
  const m = new Float64Array(outSize * inSize);
  const scale = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const src = Math.max((i + 0.5) * scale - 0.5, 0);
    const i0 = Math.floor(src);
    const i1 = Math.min(i0 + 1, inSize - 1);
    const t = src - i0;
    m[i * inSize + i0] += 1 - t;
    m[i * inSize + i1] += t;
  }
  return m;
}

/** [out × in] matrix of AdaptiveAvgPool1d: bin i covers [floor(i·n/s), ceil((i+1)·n/s)) — bins may overlap. */
export function adaptivePoolMatrix(inSize: number, outSize: number): Float64Array {
  const m = new Float64Array(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    const a = Math.floor((i * inSize) / outSize);
    const b = Math.ceil(((i + 1) * inSize) / outSize);
    for (let j = a; j < b; j++) m[i * inSize + j] = 1 / (b - a);
  }
  return m;
}

/**
 * The ViT position table for an S×S grid: row 0 is the class row (never resized); rows 1.. are the stored
 * G×G grid (G = sqrt(rows − 1)) resized by separable bicubic. `table` is [(1 + G²) × C].
 */
export function resizePosTable(table: Float32Array, channels: number, S: number): Float32Array {
  const G = Math.round(Math.sqrt(table.length / channels - 1));
  if ((1 + G * G) * channels !== table.length)
    throw new Error(`position table of ${table.length / channels} rows is not 1 + a square grid`);
  const out = new Float32Array((1 + S * S) * channels);
  out.set(table.subarray(0, channels), 0);
  if (S === G) {
    out.set(table.subarray(channels), channels);
    return out;
  }
  const M = bicubicMatrix(G, S);
  const acc = new Float64Array(channels);
  for (let h = 0; h < S; h++)
    for (let w = 0; w < S; w++) {
      acc.fill(0);
      for (let gh = 0; gh < G; gh++) {
        const wh = M[h * G + gh];
        if (wh === 0) continue;
        for (let gw = 0; gw < G; gw++) {
          const ww = M[w * G + gw];
          if (ww === 0) continue;
          const k = wh * ww;
          const base = (1 + gh * G + gw) * channels;
          for (let c = 0; c < channels; c++) acc[c] += k * table[base + c];
        }
      }
      const o = (1 + h * S + w) * channels;
      for (let c = 0; c < channels; c++) out[o + c] = acc[c];
    }
  return out;
}

/**
 * Sine embedding of the anchor grid (docs/model.md §5.2 steps 1–3): [S² × D], row h·S + w = concat(e(y), e(x)) with
 * x = (w + 0.5)/S, y = (h + 0.5)/S, F = D/2 frequencies, sin on even and cos on odd positions.
 */
export function anchorSineEmbedding(S: number, D: number): Float32Array {
  const F = D / 2;
  const out = new Float32Array(S * S * D);
  const e = (v: number, dst: Float32Array, o: number) => {
    for (let i = 0; i < F; i++) {
      const dimT = 10000 ** ((2 * Math.floor(i / 2)) / F);
      const a = (2 * Math.PI * v) / dimT;
      dst[o + i] = i % 2 === 0 ? Math.sin(a) : Math.cos(a);
    }
  };
  for (let h = 0; h < S; h++)
    for (let w = 0; w < S; w++) {
      const o = (h * S + w) * D;
      e((h + 0.5) / S, out, o);
      e((w + 0.5) / S, out, o + F);
    }
  return out;
}

/** y = relu(x·W1ᵀ + b1)·W2ᵀ + b2 for row-major x [rows × D], weights stored PyTorch-style [out × in]. */
export function mlp2(
  x: Float32Array,
  rows: number,
  D: number,
  w1: Float32Array,
  b1: Float32Array,
  w2: Float32Array,
  b2: Float32Array,
): Float32Array {
  const h = new Float64Array(D);
  const out = new Float32Array(rows * D);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < D; o++) {
      let s = b1[o];
      for (let i = 0; i < D; i++) s += x[r * D + i] * w1[o * D + i];
      h[o] = s > 0 ? s : 0;
    }
    for (let o = 0; o < D; o++) {
      let s = b2[o];
      for (let i = 0; i < D; i++) s += h[i] * w2[o * D + i];
      out[r * D + o] = s;
    }
  }
  return out;
}
