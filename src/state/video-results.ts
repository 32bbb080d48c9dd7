/**
 * Results of a whole video analysed at a chosen rate, and what is made of them: the sample times, track ids, the
 * per-track timelines drawn under the video, and the exports (JSON in the `analyze` CLI's document with one entry
 * per frame and its timestamp; CSV with one row per face per frame). Pure: no DOM, no worker.
 *
 * Each sampled frame is analysed like a photo (every enabled task on every frame, raw values: what the CLI gives
 * for the same frame); faces get track ids from the core tracker's association (IoU with motion prediction), not
 * its smoothing, so the exported numbers are per-frame measurements.
 */
import { entryOf, type FaceAnalysis, type ImageAnalysis, type ParsingResult } from '../result.ts';
import { FaceTracker } from '../core/track/tracker.ts';
import { formatAnalysisDocument, toImageEntry, type ImageEntry, type ModelJson } from '../pipeline/analysis-json.ts';
import { toCsv, type CsvValue } from '../core/export/csv.ts';
import { decodeRle, encodeRle } from '../pipeline/faceptor/json.ts';

/**
 * A parsing mask as a sampled frame keeps it: run-length encoded in 4-byte numbers when that is smaller (trained
 * heads give smooth masks, a few runs per row), else the raw label bytes (random-weight fixtures give noisy masks
 * whose RLE is larger than the mask: measured 49 314 numbers for a 247×247 mask). Never more than the raw bytes.
 */
export interface StoredMask {
  readonly labels: readonly string[];
  readonly region: ParsingResult['region'];
  readonly width: number;
  readonly height: number;
  readonly rle?: Uint32Array;
  readonly raw?: Uint8Array;
}

export interface VideoFrameResult {
  /** Media time of the frame, ms from the start of the video. */
  readonly timeMs: number;
  /** The frame's analysis; parsing masks are held in `masks` instead (compactFrame). */
  readonly analysis: ImageAnalysis;
  /** Per face (same index), its parsing masks per head. */
  readonly masks?: readonly (Readonly<Record<string, StoredMask>> | undefined)[];
}

function storeMask(p: ParsingResult): StoredMask {
  const base = { labels: p.labels, region: p.region, width: p.width, height: p.height };
  const runs = encodeRle(p.data);
  return runs.length * 4 < p.data.length ? { ...base, rle: Uint32Array.from(runs) } : { ...base, raw: p.data };
}

function loadMask(m: StoredMask): ParsingResult {
  const data = m.raw ?? decodeRle(Array.from(m.rle ?? []), m.width * m.height);
  return { labels: m.labels, region: m.region, width: m.width, height: m.height, data };
}

/** Bytes a stored mask holds (for tests and the memory note). */
export const storedMaskBytes = (m: StoredMask): number => m.rle?.byteLength ?? m.raw?.byteLength ?? 0;

/**
 * The form a sampled frame is kept in: a long video at a high rate holds thousands of frames, and a face's raw
 * label map is its region's size in bytes (60 KB at 640×480, ~400 KB at 1080p); see StoredMask.
 */
export function compactFrame(timeMs: number, analysis: ImageAnalysis): VideoFrameResult {
  if (!analysis.faces.some((f) => f.parsing)) return { timeMs, analysis };
  const masks = analysis.faces.map(
    (f) => f.parsing && Object.fromEntries(Object.entries(f.parsing).map(([h, p]) => [h, storeMask(p)])),
  );
  const faces = analysis.faces.map((f): FaceAnalysis => {
    const { parsing: _, ...rest } = f;
    return rest;
  });
  return { timeMs, analysis: { ...analysis, faces }, masks };
}

/** The frame's analysis with its parsing masks back (for the overlay and the JSON export). */
export function expandFrame(frame: VideoFrameResult): ImageAnalysis {
  const { analysis, masks } = frame;
  if (!masks) return analysis;
  return {
    ...analysis,
    faces: analysis.faces.map((f, i) => {
      const m = masks[i];
      return m ? { ...f, parsing: Object.fromEntries(Object.entries(m).map(([h, x]) => [h, loadMask(x)])) } : f;
    }),
  };
}

/** Largest number of frames one analysis samples (a long video at a high rate would otherwise hold GBs of masks). */
export const MAX_SAMPLED_FRAMES = 3600;

/** Sample times in ms: 0, 1/rate, 2/rate, … strictly before the end. */
export function sampleTimes(durationS: number, rate: number): number[] {
  if (!(Number.isFinite(durationS) && durationS > 0))
    throw new Error('the video has no known duration (a live stream cannot be analysed as a whole)');
  if (!(Number.isFinite(rate) && rate > 0)) throw new Error(`invalid sampling rate ${rate}`);
  const n = Math.ceil(durationS * rate - 1e-9);
  if (n > MAX_SAMPLED_FRAMES)
    throw new Error(`${n} frames at ${rate}/s is more than ${MAX_SAMPLED_FRAMES}: choose a lower rate`);
  return Array.from({ length: n }, (_, k) => Math.round((k / rate) * 1e6) / 1e3);
}

/** Gives every face of the frame its track id (tracker association on the raw boxes); values stay as measured. */
export function assignTracks(tracker: FaceTracker, analysis: ImageAnalysis, timeMs: number): ImageAnalysis {
  const tracks = tracker.update(analysis.faces, timeMs);
  const idOf = new Map<number, number>();
  for (const t of tracks) if (t.detectionIndex >= 0) idOf.set(t.detectionIndex, t.id);
  return { ...analysis, faces: analysis.faces.map((f, i): FaceAnalysis => ({ ...f, trackId: idOf.get(i) })) };
}

function modelJson(frames: readonly VideoFrameResult[]): ModelJson | undefined {
  const a = frames.find((f) => f.analysis.model)?.analysis;
  return a?.model && { ...a.model, tasks: a.tasks ?? [], provider: a.provider };
}

/** The CLI's document: `images` holds one entry per frame (file = the video), with `timestampMs`, `frame` and `trackId` per face. */
export function videoDocumentText(fileName: string, frames: readonly VideoFrameResult[]): string {
  const images = frames.map((f, frame): ImageEntry => {
    const { timeMs } = f;
    const analysis = expandFrame(f);
    const entry = toImageEntry(fileName, analysis);
    return {
      ...entry,
      timestampMs: timeMs,
      frame,
      faces: entry.faces.map((f, i) => ({ trackId: analysis.faces[i]?.trackId ?? null, ...f })),
    } as ImageEntry;
  });
  const model = modelJson(frames);
  return formatAnalysisDocument(model ? { model, images } : { images });
}

/** Identity of a face as the gallery sees it now (null: no identity or nobody comparable). */
export type IdentityMatcher = (
  embedding: readonly number[],
) => { readonly name: string; readonly similarity: number; readonly accepted: boolean } | null;

const r = (v: number | undefined, digits: number): number | undefined =>
  v === undefined ? undefined : Number(v.toFixed(digits));

/**
 * One row per face per frame. Columns come from what the frames hold (heads in order of first appearance): the
 * box, age per head, top expression and its 7 probabilities per head, every attribute, the identity match.
 */
export function videoCsv(fileName: string, frames: readonly VideoFrameResult[], match?: IdentityMatcher): string {
  const ageHeads = new Set<string>(),
    exprHeads = new Map<string, string[]>(),
    attrs = new Set<string>();
  let identity = false;
  for (const { analysis } of frames) {
    for (const f of analysis.faces) {
      Object.keys(f.age ?? {}).forEach((h) => ageHeads.add(h));
      for (const [h, e] of Object.entries(f.expression ?? {}))
        if (!exprHeads.has(h)) exprHeads.set(h, Object.keys(e.probs));
      Object.keys(f.attributes ?? {}).forEach((a) => attrs.add(a));
      identity ||= !!f.identity;
    }
  }
  const header = [
    'file',
    'time_s',
    'frame',
    'track',
    'x',
    'y',
    'width',
    'height',
    'score',
    ...[...ageHeads].map((h) => `age_${h}`),
    ...[...exprHeads].flatMap(([h, labels]) => [`expression_${h}`, ...labels.map((l) => `expression_${h}_${l}`)]),
    ...[...attrs],
    ...(identity && match ? ['identity_match', 'identity_similarity'] : []),
    // a CSV has no banner: every row says whether its values come from a random-weight model
    'model_untrained',
  ];
  const rows: CsvValue[][] = [];
  frames.forEach(({ timeMs, analysis }, frame) => {
    for (const f of analysis.faces) {
      const id = identity && match ? (f.identity ? match(f.identity.embedding) : null) : undefined;
      rows.push([
        fileName,
        r(timeMs / 1000, 3),
        frame,
        f.trackId,
        r(f.box.x, 2),
        r(f.box.y, 2),
        r(f.box.width, 2),
        r(f.box.height, 2),
        r(f.score, 4),
        ...[...ageHeads].map((h) => r(entryOf(f.age, h)?.years, 2)),
        ...[...exprHeads].flatMap(([h, labels]) => [
          entryOf(f.expression, h)?.top,
          ...labels.map((l) => r(entryOf(entryOf(f.expression, h)?.probs, l), 5)),
        ]),
        ...[...attrs].map((a) => r(entryOf(f.attributes, a), 5)),
        ...(identity && match ? [id ? (id.accepted ? id.name : 'unknown') : undefined, r(id?.similarity, 4)] : []),
        analysis.model ? analysis.model.untrained : undefined,
      ]);
    }
  });
  return toCsv(header, rows);
}

/** One line of a timeline: a value per sample time (null where the track was not seen or the task did not run). */
export interface Series {
  readonly name: string;
  readonly values: readonly (number | null)[];
}

export interface TrackTimeline {
  readonly trackId: number;
  /** First and last time the track was seen (ms). */
  readonly fromMs: number;
  readonly toMs: number;
  readonly age: Series | null;
  readonly expression: readonly Series[];
  readonly attributes: readonly Series[];
  /** Cosine similarity to the best gallery person (null: nobody comparable). */
  readonly identity: Series | null;
}

/** Timelines per track over the frames' times (same index as `frames`), first head of each type. */
export function trackTimelines(
  frames: readonly VideoFrameResult[],
  options: { attributes: readonly string[]; match?: IdentityMatcher },
): TrackTimeline[] {
  const ids = [
    ...new Set(
      frames.flatMap((f) => f.analysis.faces.map((x) => x.trackId).filter((t): t is number => t !== undefined)),
    ),
  ].sort((a, b) => a - b);
  return ids.map((trackId) => {
    const faces = frames.map((f) => f.analysis.faces.find((x) => x.trackId === trackId) ?? null);
    const seen = frames.filter((_, i) => faces[i] !== null).map((f) => f.timeMs);
    const first = <T>(rec: Record<string, T> | undefined): T | undefined => (rec ? Object.values(rec)[0] : undefined);
    const ageValues = faces.map((f) => first(f?.age)?.years ?? null);
    const exprLabels = Object.keys(faces.map((f) => first(f?.expression)).find((e) => e)?.probs ?? {});
    const idValues = options.match
      ? faces.map((f) => (f?.identity ? (options.match!(f.identity.embedding)?.similarity ?? null) : null))
      : [];
    return {
      trackId,
      fromMs: Math.min(...seen),
      toMs: Math.max(...seen),
      age: ageValues.some((v) => v !== null) ? { name: 'age', values: ageValues } : null,
      expression: exprLabels.map((label) => ({
        name: label,
        values: faces.map((f) => entryOf(first(f?.expression)?.probs, label) ?? null),
      })),
      attributes: options.attributes
        .map((a) => ({ name: a, values: faces.map((f) => entryOf(f?.attributes, a) ?? null) }))
        .filter((s) => s.values.some((v) => v !== null)),
      identity: idValues.some((v) => v !== null) ? { name: 'identity', values: idValues } : null,
    };
  });
}

/**
 * SVG path of a series over [0, width] × [0, height]: x = (t − t0)/(t1 − t0)·width, y = height·(1 − (v − lo)/(hi − lo))
 * (values clamped to [lo, hi]). A null breaks the line (the next point starts a new sub-path).
 */
export function seriesPath(
  timesMs: readonly number[],
  values: readonly (number | null)[],
  box: { t0: number; t1: number; width: number; height: number; lo: number; hi: number },
): string {
  const { t0, t1, width, height, lo, hi } = box;
  const span = t1 - t0 || 1,
    range = hi - lo || 1;
  const r2 = (v: number) => Math.round(v * 100) / 100;
  let out = '',
    pen = false;
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      pen = false;
      return;
    }
    const x = ((timesMs[i] - t0) / span) * width;
    const y = height * (1 - (Math.min(hi, Math.max(lo, v)) - lo) / range);
    out += `${out ? ' ' : ''}${pen ? 'L' : 'M'}${r2(x)},${r2(y)}`;
    pen = true;
  });
  return out;
}

/** Index of the analysed frame nearest to `timeMs` when it lies within `toleranceMs`, else −1. */
export function nearestFrame(frames: readonly VideoFrameResult[], timeMs: number, toleranceMs: number): number {
  let best = -1,
    bestD = Infinity;
  frames.forEach((f, i) => {
    const d = Math.abs(f.timeMs - timeMs);
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  return bestD <= toleranceMs ? best : -1;
}
