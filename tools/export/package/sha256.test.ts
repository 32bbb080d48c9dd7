/** The browser exporter's streaming SHA-256 and portable CRC-32 against Node's native ones (independent truth). */
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Sha256 } from './sha256.ts';
import { crc32Portable } from '../checkpoint/zip.ts';

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('Sha256 (streaming, pure TypeScript)', () => {
  it('equals node:crypto on the standard vectors and on every length around the padding boundaries', () => {
    expect(new Sha256().update(new TextEncoder().encode('abc')).digest()).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(new Sha256().digest()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    for (const n of [1, 55, 56, 57, 63, 64, 65, 119, 120, 121, 127, 128, 129, 1000]) {
      const b = bytes(n, n);
      expect(new Sha256().update(b).digest(), `length ${n}`).toBe(createHash('sha256').update(b).digest('hex'));
    }
  });

  it('gives the same digest however the input is cut into updates', () => {
    const b = bytes(300_007, 7);
    const want = createHash('sha256').update(b).digest('hex');
    for (const cuts of [[1, 63, 64, 65], [4096], [3, 1 << 16], [299_999]]) {
      const h = new Sha256();
      let at = 0;
      let i = 0;
      while (at < b.length) {
        const n = Math.min(cuts[i++ % cuts.length]!, b.length - at);
        h.update(b.subarray(at, at + n));
        at += n;
      }
      expect(h.digest(), `cuts ${cuts}`).toBe(want);
    }
  });
});

describe("crc32Portable (the browser reader's CRC-32)", () => {
  it('equals zlib on every length 0..40 and on a large buffer at odd offsets', () => {
    const native = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
    if (!native) return; // Node < 20.15 has no native CRC to compare with
    for (let n = 0; n <= 40; n++) {
      const b = bytes(n, n + 1);
      expect(crc32Portable(b), `length ${n}`).toBe(native(b) >>> 0);
    }
    const big = bytes(1_000_003, 3);
    expect(crc32Portable(big.subarray(3))).toBe(native(big.subarray(3)) >>> 0);
  });
});
