import { describe, expect, it } from 'vitest';
import { decodeRle } from '../../pipeline/faceptor/json.ts';
import type { ImageAnalysis } from '../../result.ts';
import { exportText, jsonFileName, toAnalysisDocument, toAnalyzeJson } from './export-json.ts';

const TIMINGS = { decodeMs: 1, preprocessMs: 1, runMs: 1, postprocessMs: 1, totalMs: 4 };
const FACE = {
  score: 0.93,
  box: { x: 10, y: 20, width: 100, height: 120 },
  keypoints: [
    [40, 60],
    [80, 60],
    [60, 80],
    [60, 100],
    [15, 70],
    [105, 70],
  ] as [number, number][],
};

describe('toAnalyzeJson', () => {
  it('writes the CLI schema with source-pixel values', () => {
    const json = toAnalyzeJson('me.jpg', {
      width: 800,
      height: 600,
      scale: 0.5,
      detector: 'back',
      provider: 'wasm',
      timings: TIMINGS,
      faces: [FACE],
    });
    expect(JSON.parse(JSON.stringify(json))).toEqual({
      images: [
        {
          file: 'me.jpg',
          width: 800,
          height: 600,
          detector: 'back',
          provider: 'wasm',
          timings: TIMINGS,
          faces: [{ box: { x: 10, y: 20, width: 100, height: 120 }, score: 0.93, keypoints: FACE.keypoints }],
        },
      ],
    });
  });

  it('carries every Faceptor field, the model provenance and the tasks; masks survive as RLE', () => {
    const mask = new Uint8Array([0, 0, 3, 3, 3, 1]);
    const analysis: ImageAnalysis = {
      width: 64,
      height: 64,
      scale: 1,
      detector: 'front',
      provider: 'webgpu',
      timings: TIMINGS,
      tasks: ['age_utkface', 'parsing_lapa'],
      model: {
        label: 'fixture',
        variant: 'full',
        precision: 'fp32',
        untrained: true,
        sourceFile: 'c.pth.tar',
        sourceSha256: 'ab'.repeat(32),
        step: null,
        exporterVersion: '1',
        tasks: ['age_utkface', 'parsing_lapa'],
      },
      faces: [
        {
          ...FACE,
          age: { utkface: { years: 31.234567, distribution: [0.5, 0.5] } },
          parsing: {
            lapa: {
              labels: ['background', 'skin', 'x', 'y'],
              region: { x: 1, y: 2, width: 3, height: 2 },
              width: 3,
              height: 2,
              data: mask,
            },
          },
        },
      ],
    };
    const doc = JSON.parse(
      exportText([
        { name: 'a.png', analysis, error: null },
        { name: 'b.txt', analysis: null, error: 'not an image' },
      ]),
    );
    expect(doc.model).toMatchObject({
      label: 'fixture',
      untrained: true,
      tasks: ['age_utkface', 'parsing_lapa'],
      provider: 'webgpu',
    });
    expect(doc.images[0].tasks).toEqual(['age_utkface', 'parsing_lapa']);
    expect(doc.images[0].faces[0].age.utkface.years).toBe(31.23);
    const p = doc.images[0].faces[0].parsing.lapa;
    expect(Array.from(decodeRle(p.rle, p.width * p.height))).toEqual([0, 0, 3, 3, 3, 1]);
    expect(doc.images[1]).toEqual({ file: 'b.txt', error: 'not an image' });
  });

  it('omits model when no Faceptor model ran', () => {
    expect(toAnalysisDocument([{ name: 'x', analysis: null, error: 'bad' }])).toEqual({
      images: [{ file: 'x', error: 'bad' }],
    });
  });
});

describe('jsonFileName', () => {
  it('replaces the extension', () => {
    expect(jsonFileName('holiday.photo.jpg')).toBe('holiday.photo.faces.json');
    expect(jsonFileName('noext')).toBe('noext.faces.json');
  });
});
