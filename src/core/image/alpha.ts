/**
 * The one alpha rule of the CLI and the app: a transparent image is analysed as if composited on BLACK.
 *
 * Why black: in the browser, transparent pixels drawn on a canvas are stored premultiplied, so a fully transparent
 * pixel reads back as (0, 0, 0, 0) whatever RGB the file held; the detector's letterbox padding is black too
 * (MediaPipe pads with zeros). The CLI's decoders return the file's raw RGB instead (a face hidden under alpha 0 was
 * found by the CLI and not by the app). Both hosts now call this function on their decoded RGBA, so a pixel's
 * analysed colour is round(rgb · alpha / 255) everywhere, and alpha becomes 255.
 */
export function compositeOnBlack(data: Uint8Array | Uint8ClampedArray): void {
  for (let i = 3; i < data.length; i += 4) {
    const a = data[i];
    if (a === 255) continue;
    // (v·a + 127) / 255 rounded, integer-only
    data[i - 3] = Math.floor((data[i - 3] * a + 127) / 255);
    data[i - 2] = Math.floor((data[i - 2] * a + 127) / 255);
    data[i - 1] = Math.floor((data[i - 1] * a + 127) / 255);
    data[i] = 255;
  }
}
