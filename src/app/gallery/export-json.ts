/**
 * The app's JSON export uses the `analyze` CLI's document (src/pipeline/analysis-json.ts), so files exported from the
 * app and from the CLI are interchangeable: one image's card, or every analysed image at once.
 */
import {
  formatAnalysisDocument,
  toImageEntry,
  type AnalysisDocument,
  type ImageEntry,
  type ModelJson,
} from '../../pipeline/analysis-json.ts';
import type { ImageAnalysis } from '../../result.ts';

export interface NamedResult {
  readonly name: string;
  readonly analysis: ImageAnalysis | null;
  readonly error: string | null;
}

function modelOf(analysis: ImageAnalysis): ModelJson | undefined {
  return analysis.model && { ...analysis.model, tasks: analysis.tasks ?? [], provider: analysis.provider };
}

/** One document for several images; `model` comes from the first image a Faceptor model ran on. */
export function toAnalysisDocument(results: readonly NamedResult[]): AnalysisDocument {
  const images: ImageEntry[] = [];
  let model: ModelJson | undefined;
  for (const r of results) {
    if (r.analysis) {
      images.push(toImageEntry(r.name, r.analysis));
      model ??= modelOf(r.analysis);
    } else if (r.error) {
      images.push({ file: r.name, error: r.error });
    }
  }
  return model ? { model, images } : { images };
}

export function toAnalyzeJson(file: string, analysis: ImageAnalysis): AnalysisDocument {
  return toAnalysisDocument([{ name: file, analysis, error: null }]);
}

export function exportText(results: readonly NamedResult[]): string {
  return formatAnalysisDocument(toAnalysisDocument(results));
}

export function jsonFileName(imageName: string): string {
  const stem = imageName.replace(/\.[^./\\]+$/, '') || 'image';
  return `${stem}.faces.json`;
}

/** Saves text as a file through a temporary link (nothing leaves the machine). */
export function downloadText(name: string, text: string, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
