import { describe, expect, it } from 'vitest';
import { jsonFileName, toAnalyzeJson } from './export-json.ts';

describe('toAnalyzeJson', () => {
  it('writes the CLI schema with source-pixel values and nothing else', () => {
    const json = toAnalyzeJson('me.jpg', {
      width: 800, height: 600, scale: 0.5, detectorModel: 'back', provider: 'wasm',
      timings: { decodeMs: 1, preprocessMs: 1, runMs: 1, postprocessMs: 1, totalMs: 4 },
      faces: [{ score: 0.93, box: { x: 10, y: 20, width: 100, height: 120 }, keypoints: [[40, 60], [80, 60], [60, 80], [60, 100], [15, 70], [105, 70]] }],
    });
    expect(JSON.parse(JSON.stringify(json))).toEqual({
      images: [{
        file: 'me.jpg', width: 800, height: 600,
        faces: [{ box: { x: 10, y: 20, width: 100, height: 120 }, score: 0.93, keypoints: [[40, 60], [80, 60], [60, 80], [60, 100], [15, 70], [105, 70]] }],
      }],
    });
  });
});

describe('jsonFileName', () => {
  it('replaces the extension', () => {
    expect(jsonFileName('holiday.photo.jpg')).toBe('holiday.photo.faces.json');
    expect(jsonFileName('noext')).toBe('noext.faces.json');
  });
});
