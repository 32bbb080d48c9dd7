/**
 * Browser side of a card's image exports: the annotated image (the photo with its overlay exactly as the card's
 * canvas shows it, at the photo's own pixel size), parsing label maps as 8-bit PNGs (pixel value = class index)
 * and landmarks as 300W `.pts` text. Nothing leaves the machine: files are saved through object URLs.
 */
import { encodeGreyPng } from '../../core/export/png.ts';
import { labelMapOf } from '../../core/export/label-map.ts';
import { toPts } from '../../core/export/pts.ts';
import { entryOf, type ImageAnalysis } from '../../result.ts';
import type { CardFile } from './card-files.ts';

/** zlib stream through the browser's own DEFLATE (CompressionStream 'deflate' is RFC 1950, what PNG wants). */
export async function browserDeflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * The photo drawn at analysis size with the overlay canvas on top (same pixel grid: the canvas is the source's
 * size). `image` is the card's decoded <img> (browsers apply EXIF rotation to it, as the analysis did).
 */
export async function annotatedPng(
  image: CanvasImageSource,
  overlay: HTMLCanvasElement | null,
  width: number,
  height: number,
): Promise<Blob> {
  const canvas = Object.assign(document.createElement('canvas'), { width, height });
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('this browser cannot draw the annotated image (no 2D canvas)');
  ctx.drawImage(image, 0, 0, width, height);
  if (overlay) ctx.drawImage(overlay, 0, 0, width, height);
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the annotated image could not be encoded'))), 'image/png'),
  );
}

/** One label map or `.pts` file of `analysis` (see cardFiles). */
export async function cardFileBlob(analysis: ImageAnalysis, file: CardFile): Promise<Blob> {
  const face = analysis.faces[file.face];
  if (file.kind === 'pts') {
    const set = entryOf(face?.landmarks, file.head);
    if (!set) throw new Error(`face ${file.face + 1} has no ${file.head} landmarks`);
    return new Blob([toPts(set.points)], { type: 'text/plain' });
  }
  const parsing = entryOf(face?.parsing, file.head);
  if (!parsing) throw new Error(`face ${file.face + 1} has no ${file.head} parsing`);
  const png = await encodeGreyPng(
    analysis.width,
    analysis.height,
    labelMapOf(parsing, analysis.width, analysis.height),
    browserDeflate,
  );
  return new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' });
}

export function downloadBlob(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
