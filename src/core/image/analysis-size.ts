/**
 * Sizing rules for images entering the analysis (the app's worker and the CLI). Pure, unit-tested.
 *
 * Why a cap: a 12000×12000 photo is 576 MB as RGBA; copying it into an ImageData (and later into crops) can kill the
 * tab. Detection runs on a 128/256 input anyway, and the Faceptor crops (112/512) need far less than 4096 px, so we
 * analyse a copy whose long side is at most MAX_ANALYSIS_SIDE; the pipeline (analyzeImage's sourceSize) maps every
 * result back to source pixels.
 */
export const MAX_ANALYSIS_SIDE = 4096;

export interface AnalysisSize {
  readonly width: number;
  readonly height: number;
  /** analysed pixels per source pixel (1 when not downscaled, < 1 otherwise). */
  readonly scale: number;
}

export function fitWithin(width: number, height: number, maxSide = MAX_ANALYSIS_SIDE): AnalysisSize {
  if (!(width > 0 && height > 0) || !Number.isFinite(width) || !Number.isFinite(height)) {
    throw new Error(`image has no pixels (${width}×${height})`);
  }
  const longSide = Math.max(width, height);
  if (longSide <= maxSide) return { width, height, scale: 1 };
  const scale = maxSide / longSide;
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)), scale };
}
