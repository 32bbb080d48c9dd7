/**
 * Test-only zip writer: stored (uncompressed) entries, optional ZIP64 records, and optional placement of an entry
 * far into the file (a sparse hole) so a > 4 GiB archive can be built without writing gigabytes.
 * Written from the PKWARE APPNOTE, independently of the reader under test.
 */
import { open } from 'node:fs/promises';

export interface ZipInput {
  name: string;
  /** Payload; omit and give `holeSize` for a large all-zero payload left as a sparse hole (CRC then not valid). */
  data?: Uint8Array;
  holeSize?: number;
  /** Place the local header at this absolute offset (must be past the previous entry); the gap stays a hole. */
  at?: number;
}

const crcTable = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export async function writeZip(path: string, inputs: ZipInput[], opts: { zip64?: boolean } = {}): Promise<void> {
  const fh = await open(path, 'w');
  const enc = new TextEncoder();
  const central: Buffer[] = [];
  let pos = 0;
  try {
    for (const input of inputs) {
      if (input.at !== undefined) {
        if (input.at < pos) throw new Error('entries must be placed in increasing order');
        pos = input.at;
      }
      const name = enc.encode(input.name);
      const data = input.data ?? new Uint8Array(0);
      const size = input.data ? input.data.length : (input.holeSize ?? 0);
      const crc = input.data ? crc32(data) : 0;
      const z64 = opts.zip64 || pos >= 0xffffffff || size >= 0xffffffff;
      const local = Buffer.alloc(30 + name.length + (z64 ? 20 : 0));
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(z64 ? 45 : 20, 4);
      local.writeUInt16LE(0, 8); // stored
      local.writeUInt32LE(crc, 14);
      local.writeUInt32LE(z64 ? 0xffffffff : size, 18);
      local.writeUInt32LE(z64 ? 0xffffffff : size, 22);
      local.writeUInt16LE(name.length, 26);
      local.writeUInt16LE(z64 ? 20 : 0, 28);
      Buffer.from(name).copy(local, 30);
      if (z64) {
        const e = 30 + name.length;
        local.writeUInt16LE(0x0001, e);
        local.writeUInt16LE(16, e + 2);
        local.writeBigUInt64LE(BigInt(size), e + 4);
        local.writeBigUInt64LE(BigInt(size), e + 12);
      }
      await fh.write(local, 0, local.length, pos);
      if (data.length) await fh.write(data, 0, data.length, pos + local.length);

      const cen = Buffer.alloc(46 + name.length + (z64 ? 28 : 0));
      cen.writeUInt32LE(0x02014b50, 0);
      cen.writeUInt16LE(45, 4);
      cen.writeUInt16LE(z64 ? 45 : 20, 6);
      cen.writeUInt16LE(0, 10);
      cen.writeUInt32LE(crc, 16);
      cen.writeUInt32LE(z64 ? 0xffffffff : size, 20);
      cen.writeUInt32LE(z64 ? 0xffffffff : size, 24);
      cen.writeUInt16LE(name.length, 28);
      cen.writeUInt16LE(z64 ? 28 : 0, 30);
      cen.writeUInt32LE(z64 ? 0xffffffff : pos, 42);
      Buffer.from(name).copy(cen, 46);
      if (z64) {
        const e = 46 + name.length;
        cen.writeUInt16LE(0x0001, e);
        cen.writeUInt16LE(24, e + 2);
        cen.writeBigUInt64LE(BigInt(size), e + 4);
        cen.writeBigUInt64LE(BigInt(size), e + 12);
        cen.writeBigUInt64LE(BigInt(pos), e + 20);
      }
      central.push(cen);
      pos += local.length + size;
    }
    const cd = Buffer.concat(central);
    const cdOffset = pos;
    await fh.write(cd, 0, cd.length, cdOffset);
    pos += cd.length;
    const z64 = opts.zip64 || cdOffset >= 0xffffffff;
    if (z64) {
      const rec = Buffer.alloc(56);
      rec.writeUInt32LE(0x06064b50, 0);
      rec.writeBigUInt64LE(44n, 4);
      rec.writeUInt16LE(45, 12);
      rec.writeUInt16LE(45, 14);
      rec.writeBigUInt64LE(BigInt(inputs.length), 24);
      rec.writeBigUInt64LE(BigInt(inputs.length), 32);
      rec.writeBigUInt64LE(BigInt(cd.length), 40);
      rec.writeBigUInt64LE(BigInt(cdOffset), 48);
      const loc = Buffer.alloc(20);
      loc.writeUInt32LE(0x07064b50, 0);
      loc.writeBigUInt64LE(BigInt(pos), 8);
      loc.writeUInt32LE(1, 16);
      await fh.write(Buffer.concat([rec, loc]), 0, 76, pos);
      pos += 76;
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(z64 ? 0xffff : inputs.length, 8);
    end.writeUInt16LE(z64 ? 0xffff : inputs.length, 10);
    end.writeUInt32LE(z64 ? 0xffffffff : cd.length, 12);
    end.writeUInt32LE(z64 ? 0xffffffff : cdOffset, 16);
    await fh.write(end, 0, 22, pos);
  } finally {
    await fh.close();
  }
}
