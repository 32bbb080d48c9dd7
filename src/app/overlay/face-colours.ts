/**
 * One colour per face, shared by its box on the overlay and its panel, so "which panel is this face" needs no
 * reading. Picked to stay apart from each other and from the landmark/keypoint colours, on photos and on the dark UI.
 */
export const FACE_COLOURS = [
  '#39ff14',
  '#ff9f1c',
  '#4cc9f0',
  '#f72585',
  '#ffd60a',
  '#b388ff',
  '#ff5c5c',
  '#2ec4b6',
] as const;

/** Colour of the face at `index` (0-based), cycling through FACE_COLOURS. */
export function faceColour(index: number): string {
  return FACE_COLOURS[((index % FACE_COLOURS.length) + FACE_COLOURS.length) % FACE_COLOURS.length];
}

/** Index of the face whose box holds (x, y), the smallest such box when boxes overlap; null when none. */
export function faceAt(
  faces: readonly { readonly box: { x: number; y: number; width: number; height: number } }[],
  x: number,
  y: number,
): number | null {
  let best: number | null = null;
  let area = Infinity;
  faces.forEach((f, i) => {
    const b = f.box;
    if (x >= b.x && x <= b.x + b.width && y >= b.y && y <= b.y + b.height && b.width * b.height < area) {
      best = i;
      area = b.width * b.height;
    }
  });
  return best;
}
