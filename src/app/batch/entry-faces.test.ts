import { describe, expect, it } from 'vitest';
import { toImageEntry } from '../../pipeline/analysis-json.ts';
import type { ImageAnalysis } from '../../result.ts';
import { entryToAnalysis } from './entry-faces.ts';

describe('entryToAnalysis', () => {
  it('gives back the masks, boxes and task values that the JSON entry was made from', () => {
    const data = Uint8Array.from([0, 0, 3, 3, 1, 0]);
    const analysis: ImageAnalysis = {
      width: 20,
      height: 10,
      scale: 1,
      detector: 'auto',
      provider: 'wasm',
      timings: { decodeMs: 0, preprocessMs: 0, runMs: 0, postprocessMs: 0, totalMs: 0 },
      faces: [
        {
          box: { x: 1.5, y: 2, width: 8, height: 6 },
          score: 0.75,
          keypoints: [[3, 4]],
          parsing: {
            celebam: {
              labels: ['bg', 'a', 'b', 'c'],
              region: { x: 2, y: 3, width: 3, height: 2 },
              width: 3,
              height: 2,
              data,
            },
          },
          landmarks: { '300w': { points: [[1.25, 2.5]] } },
          age: { utkface: { years: 41.5, distribution: [0.5, 0.5] } },
        },
      ],
    };
    const back = entryToAnalysis(JSON.parse(JSON.stringify(toImageEntry('x.png', analysis))), undefined);
    expect([back.width, back.height]).toEqual([20, 10]);
    const [f] = back.faces;
    expect(f.box).toEqual(analysis.faces[0].box);
    expect(Array.from(f.parsing!.celebam!.data)).toEqual(Array.from(data));
    expect(f.parsing!.celebam!.region).toEqual({ x: 2, y: 3, width: 3, height: 2 });
    expect(f.landmarks!['300w']!.points).toEqual([[1.25, 2.5]]);
    expect(f.age!.utkface!.years).toBe(41.5);
  });
});
