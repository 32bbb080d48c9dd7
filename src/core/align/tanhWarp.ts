/**
 * The LaPa tanh warp (docs/model.md §3.5), one axis at a time. "Aligned" coordinates are the similarity
 * frame M·(x, y); "output" coordinates are the pixels of the warped crop the network sees. The central band
 * |a| ≤ 1 − f is a plain similarity crop; towards the borders an ever larger field of view is compressed.
 */

/** Output pixel u → aligned coordinate u' (the sampling map: output pixel u reads the image at M⁻¹(u', v')). */
export function tanhOutputToAligned(u: number, size: number, f: number): number {
  const a = (u / size) * 2 - 1; // 512, not 511, and no +0.5: as in the official code
  const band = 1 - f;
  let aw = a;
  if (a > band) aw = Math.atanh(Math.min((a - band) / f, 0.999)) * f + band;
  else if (a < -band) aw = Math.atanh(Math.max((a + band) / f, -0.999)) * f - band;
  return ((aw + 1) / 2) * size;
}

/** Aligned coordinate u' → output pixel u (the official post-processing direction, tanh). */
export function tanhAlignedToOutput(uAligned: number, size: number, f: number): number {
  const a = (uAligned / size) * 2 - 1;
  const band = 1 - f;
  const aw = Math.abs(a) > band ? Math.sign(a) * (Math.tanh((Math.abs(a) - band) / f) * f + band) : a;
  return ((aw + 1) / 2) * size;
}
