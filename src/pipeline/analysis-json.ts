/**
 * The JSON document of analysed images, shared by the `analyze` CLI and the app's "Export JSON" so files from either
 * are interchangeable: `{ model?, images: [ { file, width, height, faces: [ { box, score, keypoints, ...tasks } ],
 * tasks?, detector, provider, timings } | { file, error } ] }` (schema in README.md). Pure: no DOM, no Node.
 */
import type { FaceAnalysis, ImageAnalysis, ModelInfo } from '../result.ts';
import { faceTaskResultsToJson } from './faceptor/json.ts';

const round = (v: number, digits: number): number => Number(v.toFixed(digits));

export interface FaceJson {
  readonly box: { x: number; y: number; width: number; height: number };
  readonly score: number;
  readonly keypoints: [number, number][];
  /** Faceptor task fields (landmarks, parsing, age, expression, attributes, identity, layerAttention) when they ran. */
  readonly [task: string]: unknown;
}

export interface ImageEntryOk {
  readonly file: string;
  readonly width: number;
  readonly height: number;
  readonly faces: FaceJson[];
  /** Faceptor tasks that ran. */
  readonly tasks?: readonly string[];
  readonly detector: ImageAnalysis['detector'];
  readonly provider: string;
  readonly timings: ImageAnalysis['timings'];
}
export interface ImageEntryError {
  readonly file: string;
  readonly error: string;
}
export type ImageEntry = ImageEntryOk | ImageEntryError;

/** `model` at the top of the document: provenance, the tasks asked for and the execution provider. */
export type ModelJson = ModelInfo & { readonly tasks: readonly string[]; readonly provider: string };

export interface AnalysisDocument {
  readonly model?: ModelJson;
  readonly images: readonly ImageEntry[];
}

/** The JSON form of one analysis: pixels to 0.01, scores to 1e-4, timings to 1 µs (masks as RLE, see json.ts). */
export type AnalysisLike = Pick<ImageAnalysis, 'width' | 'height' | 'tasks' | 'detector' | 'provider' | 'timings'> & {
  readonly faces: readonly FaceAnalysis[];
};

export function toImageEntry(file: string, a: AnalysisLike): ImageEntryOk {
  const t = a.timings;
  const ms = (v: number) => round(v, 3);
  return {
    file,
    width: a.width,
    height: a.height,
    faces: a.faces.map((f) => ({
      box: { x: round(f.box.x, 2), y: round(f.box.y, 2), width: round(f.box.width, 2), height: round(f.box.height, 2) },
      score: round(f.score, 4),
      keypoints: f.keypoints.map(([x, y]) => [round(x, 2), round(y, 2)] as [number, number]),
      ...faceTaskResultsToJson(f),
    })),
    ...(a.tasks && { tasks: a.tasks }),
    detector: a.detector,
    provider: a.provider,
    timings: {
      decodeMs: ms(t.decodeMs),
      preprocessMs: ms(t.preprocessMs),
      runMs: ms(t.runMs),
      postprocessMs: ms(t.postprocessMs),
      totalMs: ms(t.totalMs),
      ...(t.faceptor && {
        faceptor: {
          alignMs: ms(t.faceptor.alignMs),
          encoder112Ms: ms(t.faceptor.encoder112Ms),
          encoder512Ms: ms(t.faceptor.encoder512Ms),
          taskMs: Object.fromEntries(Object.entries(t.faceptor.taskMs).map(([k, v]) => [k, ms(v!)])),
          decodeMs: ms(t.faceptor.decodeMs),
          runMs: ms(t.faceptor.runMs),
          totalMs: ms(t.faceptor.totalMs),
          runs: { ...t.faceptor.runs },
          readBackBytes: t.faceptor.readBackBytes,
        },
      }),
    },
  };
}

/** Keeps every array of numbers (a keypoint, a distribution, an embedding, a mask's runs) on one line. */
const collapseNumberArrays = (json: string): string =>
  json.replace(
    /\[\s+(-?[\d.e+-]+(?:,\s+-?[\d.e+-]+)*)\s+\]/g,
    (_, inner: string) => `[${inner.split(/,\s+/).join(', ')}]`,
  );

/**
 * The document written piece by piece (the CLI streams one image at a time, so output size has no limit and an
 * interrupted run keeps the images done): `head(model)`, then `entry(e, i)` for i = 0, 1, …, then `tail(count)`.
 * Concatenated they are exactly formatAnalysisDocument's text. A run cut short leaves `head + entries` — a prefix
 * that becomes the complete document by appending `tail(count)`.
 */
export const analysisDocumentParts = {
  head(model?: ModelJson): string {
    const modelPart = model
      ? `\n  "model": ${collapseNumberArrays(JSON.stringify(model, null, 2)).replace(/\n/g, '\n  ')},`
      : '';
    return `{${modelPart}\n  "images": [`;
  },
  entry(entry: ImageEntry, index: number): string {
    return `${index === 0 ? '' : ','}\n    ${analysisDocumentParts.entryBody(entry)}`;
  },
  /** The entry's own text, indented for its place in `images` (what `entry` puts after the separator). */
  entryBody(entry: ImageEntry): string {
    return collapseNumberArrays(JSON.stringify(entry, null, 2)).replace(/\n/g, '\n    ');
  },
  tail(count: number): string {
    return count === 0 ? ']\n}\n' : '\n  ]\n}\n';
  },
};

/**
 * Indented JSON with every array of numbers kept on one line, so a face reads as a few lines.
 */
export function formatAnalysisDocument(doc: AnalysisDocument): string {
  const p = analysisDocumentParts;
  return p.head(doc.model) + doc.images.map((e, i) => p.entry(e, i)).join('') + p.tail(doc.images.length);
}
