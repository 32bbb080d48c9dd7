/**
 * Group photos composed from the shared face photos (nothing binary is committed): each photo is downscaled by an
 * integer factor (area average) and pasted on a grey canvas. Each shared photo shows exactly one face (counted by
 * hand), so a composition has exactly as many faces as placements, and the hand-measured nose tip of each
 * (face-truth.ts) mapped through the placement says where each face is.
 */
import type { Point, RgbaImage } from '../../../src/core/types.ts';
import { TRUTH } from './face-truth.ts';

export interface Placement {
  readonly file: keyof typeof TRUTH;
  /** Integer downscale factor (1 = as is). */
  readonly shrink: number;
  readonly x: number;
  readonly y: number;
}

export interface GroupPhoto {
  readonly image: RgbaImage;
  /** Nose tip of every face, in the composed image's pixels, in placement order. */
  readonly noses: Point[];
  /** Face size: the eye-to-mouth distance of every face in the composed image's pixels. */
  readonly faceSizes: number[];
}

/** Box (area-average) downscale by an integer factor. */
function shrinkBy(src: RgbaImage, k: number): RgbaImage {
  const width = Math.floor(src.width / k),
    height = Math.floor(src.height / k);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 4; c++) {
        let sum = 0;
        for (let j = 0; j < k; j++)
          for (let i = 0; i < k; i++) sum += src.data[((y * k + j) * src.width + x * k + i) * 4 + c];
        data[(y * width + x) * 4 + c] = Math.round(sum / (k * k));
      }
    }
  }
  return { width, height, data };
}

export function composeGroupPhoto(
  width: number,
  height: number,
  placements: readonly Placement[],
  photos: ReadonlyMap<string, RgbaImage>,
): GroupPhoto {
  const data = new Uint8ClampedArray(width * height * 4).fill(128);
  const noses: Point[] = [];
  const faceSizes: number[] = [];
  for (const p of placements) {
    const photo = photos.get(p.file);
    if (!photo) throw new Error(`photo ${p.file} not loaded`);
    const small = shrinkBy(photo, p.shrink);
    if (p.x < 0 || p.y < 0 || p.x + small.width > width || p.y + small.height > height)
      throw new Error(`${p.file} does not fit at ${p.x},${p.y}`);
    for (let row = 0; row < small.height; row++) {
      data.set(
        small.data.subarray(row * small.width * 4, (row + 1) * small.width * 4),
        ((p.y + row) * width + p.x) * 4,
      );
    }
    const map = ([x, y]: Point): Point => [(x + 0.5) / p.shrink - 0.5 + p.x, (y + 0.5) / p.shrink - 0.5 + p.y];
    const t = TRUTH[p.file];
    noses.push(map(t.nose));
    const eye = map(t.rightEye ?? t.leftEye!),
      mouth = map(t.mouth);
    faceSizes.push(Math.hypot(eye[0] - mouth[0], eye[1] - mouth[1]));
  }
  return { image: { width, height, data }, noses, faceSizes };
}

/**
 * The compositions the tests and README's recall figures use: `pair` = astronaut + Grace Hopper side by side
 * (1112×600), `mosaic` = 3×2 cells (1536×1024) at shrink 1–4, `crowd` = 10 faces in two rows (2048×1024), shrink 2–6.
 */
export const GROUP_LAYOUTS = {
  pair: [
    { file: 'astronaut.png', shrink: 1, x: 0, y: 44 },
    { file: 'grace_hopper.jpg', shrink: 1, x: 600, y: 0 },
  ],
  mosaic: [
    { file: 'astronaut.png', shrink: 1, x: 0, y: 0 },
    { file: 'grace_hopper.jpg', shrink: 2, x: 640, y: 100 },
    { file: 'camera.png', shrink: 1, x: 1024, y: 0 },
    { file: 'camera.png', shrink: 2, x: 100, y: 640 },
    { file: 'astronaut.png', shrink: 3, x: 600, y: 700 },
    { file: 'grace_hopper.jpg', shrink: 4, x: 1200, y: 700 },
  ],
  crowd: [2, 3, 4, 5, 6].flatMap((shrink, i) => [
    { file: 'astronaut.png', shrink, x: i * 400 + 10, y: 20 },
    { file: 'grace_hopper.jpg', shrink, x: i * 400 + 10, y: 560 },
  ]),
} as const satisfies Record<string, readonly Placement[]>;

export const GROUP_SIZES = { pair: [1112, 600], mosaic: [1536, 1024], crowd: [2048, 1024] } as const;
