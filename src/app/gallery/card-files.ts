/**
 * The files a photo card can export besides its JSON: the annotated image, one PNG label map per face and parsing
 * head, one `.pts` per face and landmark head. Pure naming/selection (the pixels are made in card-export.ts), so
 * the names are tested without a browser.
 */
import type { FaceAnalysis } from '../../result.ts';

export function fileStem(imageName: string): string {
  return imageName.replace(/\.[^./\\]+$/, '').replace(/[\\/:*?"<>|]+/g, '_') || 'image';
}

export interface CardFile {
  readonly name: string;
  readonly kind: 'labels' | 'pts';
  readonly face: number;
  readonly head: string;
}

/**
 * Label maps and landmark files of an analysis, in face order (face numbers 1-based, as the panels show them).
 * `untrained`: made by a random-weight model — the names say so (`.untrained.`), since a label map or a .pts file
 * has no room for the banner the app shows, and a file must not pass for a prediction once it leaves the app.
 */
export function cardFiles(imageName: string, faces: readonly FaceAnalysis[], untrained = false): CardFile[] {
  const stem = fileStem(imageName) + (untrained ? '.untrained' : '');
  return faces.flatMap((f, i) => [
    ...Object.keys(f.parsing ?? {}).map((head) => ({
      name: `${stem}.face${i + 1}.${head}.labels.png`,
      kind: 'labels' as const,
      face: i,
      head,
    })),
    ...Object.keys(f.landmarks ?? {}).map((head) => ({
      name: `${stem}.face${i + 1}.${head}.pts`,
      kind: 'pts' as const,
      face: i,
      head,
    })),
  ]);
}

export const annotatedFileName = (imageName: string, untrained = false): string =>
  `${fileStem(imageName)}${untrained ? '.untrained' : ''}.annotated.png`;
