/** The shared alpha rule (CLI decoders and the app's canvas read-back both call it). */
import { describe, expect, it } from 'vitest';
import { compositeOnBlack } from './alpha.ts';

describe('compositeOnBlack', () => {
  it('premultiplies by alpha with rounding and makes every pixel opaque', () => {
    const px = Uint8Array.from([200, 100, 50, 0, 200, 100, 50, 128, 200, 100, 50, 255, 255, 255, 255, 1]);
    compositeOnBlack(px);
    // 200·128/255 = 100.4 → 100, 100·128/255 = 50.2 → 50, 50·128/255 = 25.1 → 25; 255·1/255 = 1
    expect([...px]).toEqual([0, 0, 0, 255, 100, 50, 25, 255, 200, 100, 50, 255, 1, 1, 1, 255]);
  });
  it('a fully transparent image becomes black whatever RGB it stored (as a browser canvas reads it back)', () => {
    const px = new Uint8ClampedArray(4 * 100).map((_, i) => (i % 4 === 3 ? 0 : 77 + (i % 13)));
    compositeOnBlack(px);
    for (let i = 0; i < px.length; i += 4) expect([px[i], px[i + 1], px[i + 2], px[i + 3]]).toEqual([0, 0, 0, 255]);
  });
  it('matches the exact composite round(v·a/255) for every value pair', () => {
    for (let a = 0; a < 256; a += 5) {
      for (let v = 0; v < 256; v += 3) {
        const px = Uint8Array.from([v, v, v, a]);
        compositeOnBlack(px);
        expect(px[0]).toBe(Math.round((v * a) / 255));
      }
    }
  });
});
