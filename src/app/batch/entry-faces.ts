/**
 * A batch row keeps only the JSON entry of its photo (masks as RLE). Its card, opened on demand, turns that entry
 * back into the shapes the overlay and face panels draw.
 */
import type { FaceAnalysis, ImageAnalysis } from '../../result.ts';
import type { ImageEntryOk, ModelJson } from '../../pipeline/analysis-json.ts';
import { decodeRle, type ParsingJson } from '../../pipeline/faceptor/json.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function entryToAnalysis(entry: ImageEntryOk, model: ModelJson | undefined): ImageAnalysis {
  const faces = entry.faces.map((f: Json): FaceAnalysis => ({
    ...(f as FaceAnalysis),
    ...(f.parsing && {
      parsing: Object.fromEntries(
        Object.entries(f.parsing as Record<string, ParsingJson>).map(([head, p]) => [
          head,
          {
            labels: p.labels,
            region: p.region,
            width: p.width,
            height: p.height,
            data: decodeRle(p.rle, p.width * p.height),
          },
        ]),
      ),
    }),
  }));
  return {
    width: entry.width,
    height: entry.height,
    scale: 1,
    faces,
    detector: entry.detector,
    provider: entry.provider as ImageAnalysis['provider'],
    timings: entry.timings,
    ...(model && { model }),
    ...(entry.tasks && { tasks: entry.tasks as ImageAnalysis['tasks'] }),
  };
}
