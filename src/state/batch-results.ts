/**
 * A folder of photos analysed as a batch: the pure part. Each photo keeps only its result in the JSON form of the
 * `analyze` CLI (masks run-length encoded) and a one-line summary for the table — never the decoded image or live
 * result objects — so hundreds of photos hold a few MB. Sorting, the summary and the CSV are tested in Node.
 */
import type { ImageAnalysis } from '../result.ts';
import { toImageEntry, type ImageEntry, type ImageEntryOk, type ModelJson } from '../pipeline/analysis-json.ts';
import { formatAnalysisDocument } from '../pipeline/analysis-json.ts';
import { toCsv, type CsvValue } from '../core/export/csv.ts';
import type { IdentityMatcher } from './video-results.ts';

export type BatchState = 'queued' | 'analysing' | 'done' | 'error';

export interface FaceSummary {
  readonly age: number | null;
  readonly expression: string | null;
  readonly embedding: readonly number[] | null;
}

export interface BatchItem {
  readonly id: number;
  /** Path inside the dropped folder. */
  readonly path: string;
  readonly size: number;
  readonly state: BatchState;
  readonly faces: readonly FaceSummary[];
  readonly entry: ImageEntry | null;
  readonly error: string | null;
}

const first = <T>(r: Record<string, T> | undefined): T | undefined => (r ? Object.values(r)[0] : undefined);

/** Summary (first head of each type) and the JSON entry of one analysed photo. */
export function summarise(path: string, analysis: ImageAnalysis): { faces: FaceSummary[]; entry: ImageEntryOk } {
  return {
    faces: analysis.faces.map((f) => ({
      age: first(f.age)?.years ?? null,
      expression: first(f.expression)?.top ?? null,
      embedding: f.identity?.embedding ?? null,
    })),
    entry: toImageEntry(path, analysis),
  };
}

export type SortKey = 'file' | 'faces' | 'age' | 'expression' | 'identity';
export interface Sort {
  readonly key: SortKey;
  readonly descending: boolean;
}

/** Identity shown for a photo: the best accepted match over its faces (name and similarity), else null. */
export function photoMatch(item: BatchItem, match?: IdentityMatcher): { name: string; similarity: number } | null {
  let best: { name: string; similarity: number } | null = null;
  for (const f of item.faces) {
    const m = f.embedding && match ? match(f.embedding) : null;
    if (m?.accepted && (!best || m.similarity > best.similarity)) best = { name: m.name, similarity: m.similarity };
  }
  return best;
}

/**
 * Rows in table order. Photos without a value for the key (no face, not analysed yet) always come last, in
 * either direction, so sorting by age never buries the photos that have one. Ties keep folder order.
 */
export function sortItems(items: readonly BatchItem[], sort: Sort, match?: IdentityMatcher): BatchItem[] {
  const value = (it: BatchItem): string | number | null => {
    switch (sort.key) {
      case 'file':
        return it.path;
      case 'faces':
        return it.state === 'done' ? it.faces.length : null;
      case 'age':
        return it.faces[0]?.age ?? null;
      case 'expression':
        return it.faces[0]?.expression ?? null;
      case 'identity':
        return photoMatch(it, match)?.name ?? null;
    }
  };
  const keyed = items.map((it, i) => ({ it, i, v: value(it) }));
  keyed.sort((a, b) => {
    if (a.v === null || b.v === null) return a.v === b.v ? a.i - b.i : a.v === null ? 1 : -1;
    const c =
      typeof a.v === 'number' && typeof b.v === 'number'
        ? a.v - b.v
        : String(a.v).localeCompare(String(b.v), undefined, { numeric: true });
    return (sort.descending ? -c : c) || a.i - b.i;
  });
  return keyed.map((k) => k.it);
}

export function batchDocumentText(items: readonly BatchItem[], model?: ModelJson): string {
  const images = items.flatMap((it) => (it.entry ? [it.entry] : it.error ? [{ file: it.path, error: it.error }] : []));
  return formatAnalysisDocument(model ? { model, images } : { images });
}

/** One row per face (a photo without faces, or that failed, gets one row with its state). */
export function batchCsv(items: readonly BatchItem[], match?: IdentityMatcher, model?: ModelJson): string {
  // a CSV has no banner: every row says whether its values come from a random-weight model
  const untrained = model ? model.untrained : null;
  const header = [
    'file',
    'faces',
    'face',
    'age',
    'expression',
    'identity_match',
    'identity_similarity',
    'error',
    'model_untrained',
  ];
  const rows: CsvValue[][] = [];
  for (const it of items) {
    if (it.state !== 'done') {
      if (it.state === 'error') rows.push([it.path, null, null, null, null, null, null, it.error, untrained]);
      continue;
    }
    if (it.faces.length === 0) rows.push([it.path, 0, null, null, null, null, null, null, untrained]);
    it.faces.forEach((f, i) => {
      const m = f.embedding && match ? match(f.embedding) : null;
      rows.push([
        it.path,
        it.faces.length,
        i + 1,
        f.age === null ? null : Number(f.age.toFixed(2)),
        f.expression,
        m ? (m.accepted ? m.name : 'unknown') : null,
        m ? Number(m.similarity.toFixed(4)) : null,
        null,
        untrained,
      ]);
    });
  }
  return toCsv(header, rows);
}

/** Photos by file type or extension (a folder also holds sidecar files, thumbnails databases, …). */
export function isImagePath(file: { name: string; type: string }): boolean {
  return file.type.startsWith('image/') || (!file.type && /\.(jpe?g|png|webp|gif|bmp|avif)$/i.test(file.name));
}
