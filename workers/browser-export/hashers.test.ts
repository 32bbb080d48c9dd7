/** The WebAssembly hashes agree with independent implementations (Node's sha256, zip's portable CRC-32). */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { crc32Portable } from '../../tools/export/checkpoint/zip.ts';
import { fastCrc32, fastSha256 } from './hashers.ts';

const data = Uint8Array.from({ length: (1 << 20) + 13 }, (_, i) => (i * 2654435761) >>> 24);

describe('browser exporter hashes', () => {
  it('CRC-32 equals the portable one on every length, including the empty and unaligned buffers', async () => {
    const crc = (await fastCrc32())!;
    expect(crc).toBeTypeOf('function');
    for (const [a, b] of [
      [0, 0],
      [0, 1],
      [3, 10],
      [5, data.length],
      [0, data.length],
    ] as const)
      expect(crc(data.subarray(a, b))).toBe(crc32Portable(data.subarray(a, b)));
    expect(crc(new TextEncoder().encode('123456789'))).toBe(0xcbf43926); // the CRC-32 check value
  });

  it('SHA-256 streamed in pieces equals Node’s', async () => {
    const h = await fastSha256();
    h.update(data.subarray(0, 1000));
    h.update(data.subarray(1000));
    expect(h.digest()).toBe(createHash('sha256').update(data).digest('hex'));
  });
});
