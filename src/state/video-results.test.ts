import { describe, expect, it } from 'vitest';
import { FaceTracker } from '../core/track/tracker.ts';
import type { FaceAnalysis, ImageAnalysis } from '../result.ts';
import type { AttributeName, ExpressionLabel } from '../core/faceptor/tasks.ts';
import {
  assignTracks,
  compactFrame,
  expandFrame,
  storedMaskBytes,
  nearestFrame,
  sampleTimes,
  seriesPath,
  trackTimelines,
  videoCsv,
  videoDocumentText,
  type VideoFrameResult,
} from './video-results.ts';

const timings = { decodeMs: 0, preprocessMs: 0, runMs: 0, postprocessMs: 0, totalMs: 0 };
const face = (x: number, extra: Partial<FaceAnalysis> = {}): FaceAnalysis => ({
  box: { x, y: 10, width: 50, height: 50 },
  score: 0.9,
  keypoints: [[x + 10, 20]],
  ...extra,
});
const analysis = (faces: FaceAnalysis[]): ImageAnalysis => ({
  width: 320,
  height: 240,
  scale: 1,
  faces,
  detector: 'front',
  provider: 'wasm',
  timings,
});

describe('sampleTimes', () => {
  it('steps 1/rate from 0, strictly before the end', () => {
    expect(sampleTimes(2, 2)).toEqual([0, 500, 1000, 1500]);
    expect(sampleTimes(2.1, 2)).toEqual([0, 500, 1000, 1500, 2000]);
    expect(sampleTimes(0.3, 10)).toEqual([0, 100, 200]);
  });
  it('refuses an unknown duration and a rate that would sample too many frames', () => {
    expect(() => sampleTimes(Infinity, 1)).toThrow(/no known duration/);
    expect(() => sampleTimes(3600, 10)).toThrow(/choose a lower rate/);
  });
});

describe('assignTracks', () => {
  it('a face moving a little keeps its id, a new face far away gets a new one; boxes stay raw', () => {
    const tracker = new FaceTracker();
    const a = assignTracks(tracker, analysis([face(0)]), 0);
    const b = assignTracks(tracker, analysis([face(200), face(6)]), 500);
    expect(a.faces[0].trackId).toBe(1);
    expect(b.faces.map((f) => f.trackId)).toEqual([2, 1]);
    expect(b.faces[1].box.x).toBe(6); // not smoothed
  });
});

// Two labels and one attribute only (a model gives all of them): the exports' columns come from what is present.
const someAttributes = (a: Partial<Record<AttributeName, number>>) => a as Record<AttributeName, number>;
const expr = (happy: number) => ({
  rafdb: {
    top: happy > 0.5 ? ('Happy' as const) : ('Neutral' as const),
    probs: { Neutral: 1 - happy, Happy: happy } as Record<ExpressionLabel, number>,
  },
});
const frames: VideoFrameResult[] = [
  {
    timeMs: 0,
    analysis: analysis([
      face(0, {
        trackId: 1,
        age: { utkface: { years: 30, distribution: [] } },
        expression: expr(0.2),
        attributes: someAttributes({ Smiling: 0.1 }),
        identity: { embedding: [1, 0] },
      }),
    ]),
  },
  { timeMs: 500, analysis: analysis([]) },
  {
    timeMs: 1000,
    analysis: {
      ...analysis([
        face(4, {
          trackId: 1,
          age: { utkface: { years: 32.5, distribution: [] } },
          expression: expr(0.75),
          attributes: someAttributes({ Smiling: 0.9 }),
          identity: { embedding: [0, 1] },
        }),
      ]),
      model: { untrained: true } as ImageAnalysis['model'],
    },
  },
];
const match = (e: readonly number[]) => ({ name: 'Ada', similarity: e[0], accepted: e[0] >= 0.5 });

describe('exports', () => {
  it('CSV: one row per face per frame, columns from the heads present, identity as the gallery sees it', () => {
    expect(videoCsv('clip,1.webm', frames, match)).toBe(
      [
        'file,time_s,frame,track,x,y,width,height,score,age_utkface,expression_rafdb,expression_rafdb_Neutral,expression_rafdb_Happy,Smiling,identity_match,identity_similarity,model_untrained',
        '"clip,1.webm",0,0,1,0,10,50,50,0.9,30,Neutral,0.8,0.2,0.1,Ada,1,',
        '"clip,1.webm",1,2,1,4,10,50,50,0.9,32.5,Happy,0.25,0.75,0.9,unknown,0,true',
        '',
      ].join('\r\n'),
    );
  });
  it('JSON: the CLI document, one entry per frame with its timestamp, faces with their track', () => {
    const doc = JSON.parse(videoDocumentText('clip.webm', frames));
    expect(
      doc.images.map((e: { timestampMs: number; frame: number; file: string }) => [e.file, e.timestampMs, e.frame]),
    ).toEqual([
      ['clip.webm', 0, 0],
      ['clip.webm', 500, 1],
      ['clip.webm', 1000, 2],
    ]);
    expect(doc.images[2].faces[0]).toMatchObject({ trackId: 1, box: { x: 4 }, age: { utkface: { years: 32.5 } } });
    expect(doc.images[1].faces).toEqual([]);
  });
});

describe('timelines', () => {
  it('per track: a value per frame, null where the track is not seen', () => {
    const [t] = trackTimelines(frames, { attributes: ['Smiling', 'Eyeglasses'], match });
    expect(t).toMatchObject({ trackId: 1, fromMs: 0, toMs: 1000 });
    expect(t.age!.values).toEqual([30, null, 32.5]);
    expect(t.expression.map((s) => [s.name, s.values])).toEqual([
      ['Neutral', [0.8, null, 0.25]],
      ['Happy', [0.2, null, 0.75]],
    ]);
    expect(t.attributes.map((s) => s.name)).toEqual(['Smiling']); // Eyeglasses never ran: no empty line
    expect(t.identity!.values).toEqual([1, null, 0]);
  });
  it('seriesPath maps time and value into the box and breaks at gaps', () => {
    const box = { t0: 0, t1: 1000, width: 100, height: 10, lo: 0, hi: 1 };
    expect(seriesPath([0, 500, 1000], [0, 1, 0.5], box)).toBe('M0,10 L50,0 L100,5');
    expect(seriesPath([0, 500, 1000], [0.5, null, 2], box)).toBe('M0,5 M100,0');
  });
  it('nearestFrame finds the analysed frame shown at a time, within a tolerance', () => {
    expect(nearestFrame(frames, 620, 250)).toBe(1);
    expect(nearestFrame(frames, 2000, 250)).toBe(-1);
  });
});

describe('compact frames', () => {
  it('keeps parsing masks as RLE and gives them back byte for byte; the JSON export is the same', () => {
    const data = Uint8Array.from({ length: 200 * 150 }, (_, i) => (i % 200 < 80 ? 0 : i % 200 < 150 ? 3 : 7));
    const parsing = {
      celebam: {
        labels: ['bg', 'a', 'b', 'c', 'd', 'e', 'f', 'g'],
        region: { x: 5, y: 6, width: 200, height: 150 },
        width: 200,
        height: 150,
        data,
      },
    };
    const a = analysis([face(0, { trackId: 1, parsing })]);
    const compact = compactFrame(40, a);
    expect(compact.analysis.faces[0].parsing).toBeUndefined();
    // 3 runs a row × 150 rows, a (value, count) pair each in 4 bytes: 3 600 bytes for 30 000
    expect(storedMaskBytes(compact.masks![0]!.celebam)).toBe(3600);
    expect(Array.from(expandFrame(compact).faces[0].parsing!.celebam!.data)).toEqual(Array.from(data));
    expect(videoDocumentText('v.webm', [compact])).toBe(videoDocumentText('v.webm', [{ timeMs: 40, analysis: a }]));
  });
  it('a noisy mask (random weights) stays raw: never more bytes than the mask itself', () => {
    const data = Uint8Array.from({ length: 100 * 100 }, (_, i) => (i * 7919) % 11);
    const parsing = {
      lapa: { labels: [], region: { x: 0, y: 0, width: 100, height: 100 }, width: 100, height: 100, data },
    };
    const compact = compactFrame(0, analysis([face(0, { parsing })]));
    expect(storedMaskBytes(compact.masks![0]!.lapa)).toBe(10_000);
    expect(Array.from(expandFrame(compact).faces[0].parsing!.lapa!.data)).toEqual(Array.from(data));
  });
});
