import { describe, expect, it } from 'vitest';
import type { ImageAnalysis } from '../result.ts';
import type { ModelJson } from '../pipeline/analysis-json.ts';
import { batchCsv, batchDocumentText, isImagePath, sortItems, summarise, type BatchItem } from './batch-results.ts';

const timings = { decodeMs: 0, preprocessMs: 0, runMs: 0, postprocessMs: 0, totalMs: 0 };
const item = (
  id: number,
  path: string,
  faces: { age: number | null; expression: string | null; embedding?: number[] }[] | null,
  error: string | null = null,
): BatchItem => ({
  id,
  path,
  size: 1,
  state: error ? 'error' : faces ? 'done' : 'queued',
  error,
  entry: null,
  faces: (faces ?? []).map((f) => ({ age: f.age, expression: f.expression, embedding: f.embedding ?? null })),
});
const items = [
  item(1, 'b/img10.jpg', [{ age: 40, expression: 'Happy', embedding: [1, 0] }]),
  item(2, 'a/img2.jpg', [
    { age: 25, expression: 'Sad' },
    { age: 60, expression: 'Happy' },
  ]),
  item(3, 'img1.jpg', []),
  item(4, 'queued.jpg', null),
  item(5, 'broken.jpg', null, 'not an image'),
];
const match = (e: readonly number[]) => ({ name: 'Ada', similarity: e[0], accepted: e[0] >= 0.5 });

describe('batch table', () => {
  it('sorts by file with numbers in natural order, and by age/faces with missing values last either way', () => {
    expect(sortItems(items, { key: 'file', descending: false }).map((i) => i.id)).toEqual([2, 1, 5, 3, 4]);
    expect(sortItems(items, { key: 'age', descending: false }).map((i) => i.id)).toEqual([2, 1, 3, 4, 5]);
    expect(sortItems(items, { key: 'age', descending: true }).map((i) => i.id)).toEqual([1, 2, 3, 4, 5]);
    expect(sortItems(items, { key: 'faces', descending: true }).map((i) => i.id)).toEqual([2, 1, 3, 4, 5]);
    expect(sortItems(items, { key: 'identity', descending: false }, match).map((i) => i.id)).toEqual([1, 2, 3, 4, 5]);
  });
  it('CSV: a row per face, one for a photo without faces or that failed; queued photos are not exported', () => {
    expect(batchCsv(items, match, { untrained: true } as ModelJson).split('\r\n')).toEqual([
      'file,faces,face,age,expression,identity_match,identity_similarity,error,model_untrained',
      'b/img10.jpg,1,1,40,Happy,Ada,1,,true',
      'a/img2.jpg,2,1,25,Sad,,,,true',
      'a/img2.jpg,2,2,60,Happy,,,,true',
      'img1.jpg,0,,,,,,,true',
      'broken.jpg,,,,,,,not an image,true',
      '',
    ]);
  });
  it('summary and JSON entry of an analysis: the CLI document, errors as { file, error }', () => {
    const analysis: ImageAnalysis = {
      width: 10,
      height: 10,
      scale: 1,
      detector: 'auto',
      provider: 'wasm',
      timings,
      faces: [
        {
          box: { x: 1, y: 2, width: 3, height: 4 },
          score: 0.9,
          keypoints: [],
          age: { utkface: { years: 33.333, distribution: [] } },
        },
      ],
    };
    const s = summarise('x.jpg', analysis);
    expect(s.faces).toEqual([{ age: 33.333, expression: null, embedding: null }]);
    const doc = JSON.parse(batchDocumentText([{ ...items[0], entry: s.entry }, items[3], items[4]]));
    expect(doc.images).toEqual([
      expect.objectContaining({ file: 'x.jpg', width: 10 }),
      { file: 'broken.jpg', error: 'not an image' },
    ]);
  });
  it('keeps photos, leaves other files of a folder out', () => {
    expect(isImagePath({ name: 'a.JPG', type: '' })).toBe(true);
    expect(isImagePath({ name: 'Thumbs.db', type: '' })).toBe(false);
    expect(isImagePath({ name: 'x', type: 'image/png' })).toBe(true);
  });
});
