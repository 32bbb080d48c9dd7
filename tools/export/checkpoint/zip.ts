/**
 * Minimal reader for the zip container that `torch.save` writes: only the central directory is parsed, entries must
 * be "stored" (uncompressed), and ZIP64 records are honoured because a real training checkpoint is 2–5 GB.
 * Nothing but the directory (and, per entry, its 30-byte local header) is read here: payloads are read on demand.
 */
import type { FileHandle } from 'node:fs/promises';
import { CheckpointError } from './errors.ts';

export interface ZipEntry {
  readonly name: string;
  /** Compression method from the central directory; 0 = stored. */
  readonly method: number;
  readonly size: number;
  readonly compressedSize: number;
  readonly localHeaderOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const EOCD_MIN = 22;
const MAX_COMMENT = 0xffff;

/** Positional reads that count bytes, so callers (and tests) can prove only the requested tensors were read. */
export class CountingReader {
  bytesRead = 0;
  reads = 0;
  constructor(
    readonly fh: FileHandle,
    readonly file: string,
    readonly size: number,
  ) {}

  /** Reads exactly `length` bytes at `position` into `target` (or a new buffer); a short file is a truncation. */
  async readAt(position: number, length: number, target?: Uint8Array): Promise<Uint8Array> {
    const out = target ?? new Uint8Array(length);
    let done = 0;
    while (done < length) {
      // One read call is capped at 2 GiB by Node; loop for larger records and short reads.
      const chunk = Math.min(length - done, 1 << 30);
      const { bytesRead } = await this.fh.read(out, done, chunk, position + done);
      this.reads++;
      if (bytesRead === 0) {
        throw new CheckpointError('truncated', this.file, `unexpected end of file at byte ${position + done} of ${this.size}`);
      }
      done += bytesRead;
      this.bytesRead += bytesRead;
    }
    return out;
  }
}

function u64(view: DataView, at: number): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('64-bit zip field too large');
  return Number(v);
}

/** Reads the central directory. Distinguishes "not a zip at all" from "a zip whose end is missing". */
export async function readZipDirectory(reader: CountingReader): Promise<Map<string, ZipEntry>> {
  const { file, size } = reader;
  const head = size >= 4 ? await reader.readAt(0, 4) : new Uint8Array(0);
  const startsLikeZip = head.length === 4 && new DataView(head.buffer).getUint32(0, true) === SIG_LOCAL;

  const tailLen = Math.min(size, EOCD_MIN + MAX_COMMENT);
  const tail = tailLen > 0 ? await reader.readAt(size - tailLen, tailLen) : new Uint8Array(0);
  const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let i = tail.length - EOCD_MIN; i >= 0; i--) {
    if (tv.getUint32(i, true) === SIG_EOCD) { eocd = i; break; }
  }
  if (eocd < 0) {
    if (startsLikeZip) throw new CheckpointError('truncated', file, 'zip end-of-central-directory record not found: the file is truncated');
    throw new CheckpointError('not_zip', file, 'not a zip file (a torch checkpoint is a zip archive)');
  }
  let entries = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  const eocdAbs = size - tailLen + eocd;

  if (entries === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // ZIP64: the locator sits immediately before the classic EOCD and points at the ZIP64 EOCD record.
    const locPos = eocdAbs - 20;
    if (locPos < 0) throw new CheckpointError('truncated', file, 'ZIP64 locator missing');
    const loc = new DataView((await reader.readAt(locPos, 20)).buffer);
    if (loc.getUint32(0, true) !== SIG_ZIP64_LOCATOR) throw new CheckpointError('truncated', file, 'ZIP64 locator missing');
    const z64Pos = u64(loc, 8);
    if (z64Pos + 56 > size) throw new CheckpointError('truncated', file, 'ZIP64 end record lies beyond the end of the file');
    const z = new DataView((await reader.readAt(z64Pos, 56)).buffer);
    if (z.getUint32(0, true) !== SIG_ZIP64_EOCD) throw new CheckpointError('truncated', file, 'ZIP64 end record not found');
    entries = u64(z, 32);
    cdSize = u64(z, 40);
    cdOffset = u64(z, 48);
  }
  if (cdOffset + cdSize > size) {
    throw new CheckpointError('truncated', file, `central directory (${cdOffset}+${cdSize}) lies beyond the end of the file (${size} bytes)`);
  }

  const cd = await reader.readAt(cdOffset, cdSize);
  const cv = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const decoder = new TextDecoder();
  const out = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < entries; i++) {
    if (p + 46 > cd.length || cv.getUint32(p, true) !== SIG_CENTRAL) {
      throw new CheckpointError('truncated', file, `central directory entry ${i} is damaged`);
    }
    const method = cv.getUint16(p + 10, true);
    let compressedSize = cv.getUint32(p + 20, true);
    let uncompressed = cv.getUint32(p + 24, true);
    const nameLen = cv.getUint16(p + 28, true);
    const extraLen = cv.getUint16(p + 30, true);
    const commentLen = cv.getUint16(p + 32, true);
    let localHeaderOffset = cv.getUint32(p + 42, true);
    const name = decoder.decode(cd.subarray(p + 46, p + 46 + nameLen));
    // The ZIP64 extra field holds, in this order, only the fields whose 32-bit slot is saturated.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = cv.getUint16(e, true);
      const len = cv.getUint16(e + 2, true);
      if (id === 0x0001) {
        let q = e + 4;
        if (uncompressed === 0xffffffff) { uncompressed = u64(cv, q); q += 8; }
        if (compressedSize === 0xffffffff) { compressedSize = u64(cv, q); q += 8; }
        if (localHeaderOffset === 0xffffffff) { localHeaderOffset = u64(cv, q); q += 8; }
      }
      e += 4 + len;
    }
    out.set(name, { name, method, size: uncompressed, compressedSize, localHeaderOffset });
    p = extraEnd + commentLen;
  }
  return out;
}

/** Absolute file offset of an entry's payload: the local header's own name/extra lengths differ from the central ones. */
export async function entryDataOffset(reader: CountingReader, entry: ZipEntry): Promise<number> {
  if (entry.localHeaderOffset + 30 > reader.size) {
    throw new CheckpointError('truncated', reader.file, `record ${entry.name} lies beyond the end of the file`);
  }
  const h = new DataView((await reader.readAt(entry.localHeaderOffset, 30)).buffer);
  if (h.getUint32(0, true) !== SIG_LOCAL) {
    throw new CheckpointError('truncated', reader.file, `local header of ${entry.name} is damaged`);
  }
  const start = entry.localHeaderOffset + 30 + h.getUint16(26, true) + h.getUint16(28, true);
  if (start + entry.compressedSize > reader.size) {
    throw new CheckpointError('truncated', reader.file, `record ${entry.name} ends beyond the end of the file (${reader.size} bytes)`);
  }
  return start;
}
