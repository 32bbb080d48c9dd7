/**
 * Coloured parsing masks, made once per ParsingResult object and kept in a WeakMap on it: the overlay redraws at
 * video rate and on every hover, and recolouring a 512×512 label map each time would cost more than the drawing.
 * Colours come from the registry through core colourLabels (background stays transparent).
 *
 * Results that arrive from the worker are new objects per message (structured clone), so the cache serves redraws
 * of one analysis (hover, option changes, resizes), not consecutive video frames.
 */
import { colourLabels } from '../../core/faceptor/decode.ts';
import type { ParsingResult } from '../../result.ts';

type Colours = readonly (readonly [number, number, number])[];

/** Turns RGBA pixels into something drawImage accepts; null when it cannot (empty region). */
export type MakeBitmap = (rgba: Uint8ClampedArray, width: number, height: number) => CanvasImageSource | null;

export interface MaskBitmaps {
  /** Every class coloured, alpha 255 (the opacity is the canvas' globalAlpha). */
  all(result: ParsingResult, colours: Colours): CanvasImageSource | null;
  /** Only `label` coloured, for the hovered part. Keeps the last label per result. */
  only(result: ParsingResult, colours: Colours, label: number): CanvasImageSource | null;
}

interface Entry {
  readonly colours: Colours;
  all?: CanvasImageSource | null;
  only?: { readonly label: number; readonly bitmap: CanvasImageSource | null };
}

export function createMaskBitmaps(makeBitmap: MakeBitmap = browserBitmap): MaskBitmaps {
  const cache = new WeakMap<ParsingResult, Entry>();
  const entryOf = (result: ParsingResult, colours: Colours): Entry => {
    let e = cache.get(result);
    if (!e || e.colours !== colours) cache.set(result, (e = { colours }));
    return e;
  };
  return {
    all(result, colours) {
      const e = entryOf(result, colours);
      if (e.all === undefined) e.all = makeBitmap(colourLabels(result.data, colours), result.width, result.height);
      return e.all;
    },
    only(result, colours, label) {
      const e = entryOf(result, colours);
      if (e.only?.label !== label) {
        const one = result.data.map((l) => (l === label ? l : 0));
        e.only = { label, bitmap: makeBitmap(colourLabels(one, colours), result.width, result.height) };
      }
      return e.only.bitmap;
    },
  };
}

const counts = new WeakMap<ParsingResult, Uint32Array>();

/** Pixels per class of one result (index = class), cached like the bitmaps. */
export function labelCounts(result: ParsingResult): Uint32Array {
  let c = counts.get(result);
  if (!c) {
    c = new Uint32Array(Math.max(result.labels.length, 1));
    for (const l of result.data) if (l < c.length) c[l]++;
    counts.set(result, c);
  }
  return c;
}

/** Non-background pixels of one result. */
export function labelledPixels(result: ParsingResult): number {
  const c = labelCounts(result);
  return result.data.length - c[0];
}

/** Browser bitmaps: an OffscreenCanvas where there is one (no DOM node), else a detached <canvas>. */
function browserBitmap(rgba: Uint8ClampedArray, width: number, height: number): CanvasImageSource | null {
  if (width === 0 || height === 0) return null;
  const canvas =
    typeof OffscreenCanvas !== 'undefined'
      ? new OffscreenCanvas(width, height)
      : Object.assign(document.createElement('canvas'), { width, height });
  const ctx = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null;
  if (!ctx) return null;
  ctx.putImageData(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, width, height), 0, 0);
  return canvas;
}
