/**
 * SSD anchors as MediaPipe's SsdAnchorsCalculator builds them for BlazeFace.
 *
 * BlazeFace uses `fixed_anchor_size: true`, so every anchor is 1×1 (normalised) and only its centre matters;
 * consecutive layers with the same stride share one feature map and each contributes two anchors per cell
 * (aspect ratio 1.0 plus the interpolated scale). Order: layer group, then row (y), then column (x), then anchor.
 */

export interface SsdAnchorOptions {
  /** Square model input side in pixels (128 front, 256 back). */
  readonly inputSize: number;
  /** One stride per layer, e.g. [8, 16, 16, 16]. */
  readonly strides: readonly number[];
  /** Anchors each layer adds per cell (MediaPipe: one per aspect ratio + one interpolated = 2). */
  readonly anchorsPerLayer: number;
  /** Offset of the anchor centre inside its cell, in cells (MediaPipe: 0.5). */
  readonly anchorOffset: number;
}

/** Anchor centres in normalised input coordinates: [cx0, cy0, cx1, cy1, ...]. */
export type AnchorCentres = Float32Array;

export function generateAnchors(options: SsdAnchorOptions): AnchorCentres {
  const { inputSize, strides, anchorsPerLayer, anchorOffset } = options;
  const out: number[] = [];
  let layer = 0;
  while (layer < strides.length) {
    const stride = strides[layer];
    let sameStride = 0;
    while (layer + sameStride < strides.length && strides[layer + sameStride] === stride) sameStride++;
    const perCell = sameStride * anchorsPerLayer;
    const featureSize = Math.ceil(inputSize / stride);
    for (let y = 0; y < featureSize; y++) {
      for (let x = 0; x < featureSize; x++) {
        const cx = (x + anchorOffset) / featureSize;
        const cy = (y + anchorOffset) / featureSize;
        for (let k = 0; k < perCell; k++) out.push(cx, cy);
      }
    }
    layer += sameStride;
  }
  return Float32Array.from(out);
}

export function anchorCount(anchors: AnchorCentres): number {
  return anchors.length / 2;
}
