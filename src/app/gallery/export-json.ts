/**
 * One image's result in the `analyze` CLI's JSON schema (`{ images: [ { file, width, height, faces: [ { box, score,
 * keypoints } ] } ] }`, source pixels), so files exported from the app and from the CLI are interchangeable.
 */
import type { ImageAnalysis } from '../../../workers/perception-api.ts';

export interface AnalyzeJson {
  readonly images: readonly {
    readonly file: string;
    readonly width: number;
    readonly height: number;
    readonly faces: readonly {
      readonly box: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
      readonly score: number;
      readonly keypoints: readonly (readonly [number, number])[];
    }[];
  }[];
}

export function toAnalyzeJson(file: string, analysis: ImageAnalysis): AnalyzeJson {
  return {
    images: [{
      file,
      width: analysis.width,
      height: analysis.height,
      faces: analysis.faces.map((f) => ({
        box: { x: f.box.x, y: f.box.y, width: f.box.width, height: f.box.height },
        score: f.score,
        keypoints: f.keypoints.map(([x, y]) => [x, y] as const),
      })),
    }],
  };
}

export function jsonFileName(imageName: string): string {
  const stem = imageName.replace(/\.[^./\\]+$/, '') || 'image';
  return `${stem}.faces.json`;
}
