/**
 * Minimal reader for the zip container that `torch.save` writes: only the central directory is parsed, entries must
 * be "stored" (uncompressed), and ZIP64 records are honoured because a real training checkpoint is 2–5 GB.
 * Nothing but the directory (and, per entry, its 30-byte local header) is read here: payloads are read on demand.
 */
import { CheckpointError } from './errors.ts';

/**
 * Positional reads of the checkpoint: the part of Node's FileHandle the reader uses, so a FileHandle is one as it
 * is, and the browser's exporter wraps a Blob (`slice`) in the same shape (workers/browser-export/blob-file.ts).
 */
export interface RandomAccessFile {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  /**
   * Optional: a read the caller has sized itself (a whole record, read ahead), to be done as asked, without any
   * buffering or read-ahead of the file's own (the browser's Blob reader has a window for small reads).
   */
  readExact?(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

export interface ZipEntry {
  readonly name: string;
  /** Compression method from the central directory; 0 = stored. */
  readonly method: number;
  readonly size: number;
  readonly compressedSize: number;
  readonly localHeaderOffset: number;
  /** The record's bytes must end here: where the next record (or the central directory) starts. */
  readonly limit: number;
  /** CRC-32 from the central directory; 0 when the writer did not compute one (torch can be told not to). */
  readonly crc32: number;
}

/**
 * Slicing-by-8 tables: 8 bytes per step, several times faster than one table lookup per byte. Int32Array, so V8
 * keeps every value a small integer (a Uint32Array hands out doubles above 2^31).
 */
const CRC_TABLES = (() => {
  const t = new Int32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++)
    for (let k = 1; k < 8; k++) t[k * 256 + n] = t[t[(k - 1) * 256 + n]! & 0xff]! ^ (t[(k - 1) * 256 + n]! >>> 8);
  return t;
})();

export function crc32Portable(data: Uint8Array): number {
  const t = CRC_TABLES;
  let c = -1;
  let i = 0;
  const end8 = data.length - (data.length % 8);
  for (; i < end8; i += 8) {
    const a = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    c =
      t[1792 + (a & 0xff)]! ^
      t[1536 + ((a >>> 8) & 0xff)]! ^
      t[1280 + ((a >>> 16) & 0xff)]! ^
      t[1024 + (a >>> 24)]! ^
      t[768 + data[i + 4]!]! ^
      t[512 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
  }
  for (; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * zlib's native CRC-32 where Node provides it (checkpoint/open-file.ts installs it); the portable loop in the
 * browser. This module itself imports nothing from Node, so the browser's exporter runs the very same reader.
 */
let crcImpl: (data: Uint8Array) => number = crc32Portable;
export function useNativeCrc32(native: ((data: Uint8Array) => number) | undefined): void {
  if (native) crcImpl = (d) => native(d) >>> 0;
}
export function crc32(data: Uint8Array): number {
  return crcImpl(data);
}

/** Refuses a record whose bytes do not match its CRC-32: a damaged file must not become wrong weights. */
export function checkCrc(entry: ZipEntry, data: Uint8Array, file: string): void {
  if (entry.crc32 === 0 || data.length !== entry.size) return;
  const got = crc32(data);
  if (got !== entry.crc32) {
    throw new CheckpointError(
      'crc_mismatch',
      file,
      `record ${entry.name} is damaged: CRC-32 ${got.toString(16).padStart(8, '0')} instead of ${entry.crc32.toString(16).padStart(8, '0')}`,
    );
  }
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
    readonly fh: RandomAccessFile,
    readonly file: string,
    readonly size: number,
  ) {}

  /** Reads exactly `length` bytes at `position` into `target` (or a new buffer); a short file is a truncation. */
  async readAt(position: number, length: number, target?: Uint8Array, exact = false): Promise<Uint8Array> {
    const out = target ?? new Uint8Array(length);
    const fh = this.fh;
    const read = exact && fh.readExact ? fh.readExact.bind(fh) : fh.read.bind(fh);
    let done = 0;
    while (done < length) {
      // One read call is capped at 2 GiB by Node; loop for larger records and short reads.
      const chunk = Math.min(length - done, 1 << 30);
      const { bytesRead } = await read(out, done, chunk, position + done);
      this.reads++;
      if (bytesRead === 0) {
        throw new CheckpointError(
          'truncated',
          this.file,
          `unexpected end of file at byte ${position + done} of ${this.size}`,
        );
      }
      done += bytesRead;
      this.bytesRead += bytesRead;
    }
    return out;
  }
}

/** A 64-bit field as a safe integer; larger values (no real file has them) name the field and the file. */
function u64(view: DataView, at: number, file: string, what: string): number {
  if (at < 0 || at + 8 > view.byteLength) throw new CheckpointError('truncated', file, `${what} is cut short`);
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new CheckpointError('truncated', file, `${what} (${v}) is too large`);
  return Number(v);
}

/** `torch.save(..., _use_new_zipfile_serialization=False)` and torch < 1.6: a pickle (magic number first) or a tar. */
const LEGACY_PICKLE = Uint8Array.from([
  0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19,
]);
const LEGACY_HINT =
  'convert it with PyTorch 1.6 or newer: torch.save(torch.load(path), new_path, _use_new_zipfile_serialization=True)';

/** Recognised from the first bytes alone: tensor bytes in a legacy file may look like a zip end record by chance. */
function legacyKind(head: Uint8Array): string | null {
  if (head.length >= LEGACY_PICKLE.length && LEGACY_PICKLE.every((b, i) => head[i] === b))
    return 'the legacy (pre-1.6) torch.save format';
  if (head.length >= 262 && new TextDecoder('latin1').decode(head.subarray(257, 262)) === 'ustar')
    return 'the legacy tar torch.save format (PyTorch < 0.4)';
  return null;
}

/**
 * Reads the central directory. Distinguishes "not a zip at all" from "a zip whose end is missing", and refuses
 * ambiguity that other readers could resolve differently (a duplicate name, a directory inside a record).
 */
export async function readZipDirectory(reader: CountingReader): Promise<Map<string, ZipEntry>> {
  const { file, size } = reader;
  const head = size > 0 ? await reader.readAt(0, Math.min(size, 512)) : new Uint8Array(0);
  const startsLikeZip = head.length >= 4 && new DataView(head.buffer).getUint32(0, true) === SIG_LOCAL;
  const legacy = legacyKind(head);
  if (legacy) throw new CheckpointError('legacy_format', file, `${legacy} is not supported; ${LEGACY_HINT}`);

  const tailLen = Math.min(size, EOCD_MIN + MAX_COMMENT);
  const tail = tailLen > 0 ? await reader.readAt(size - tailLen, tailLen) : new Uint8Array(0);
  const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let i = tail.length - EOCD_MIN; i >= 0; i--) {
    if (tv.getUint32(i, true) === SIG_EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    if (startsLikeZip)
      throw new CheckpointError(
        'truncated',
        file,
        'zip end-of-central-directory record not found: the file is truncated',
      );
    if (head.length >= 2 && head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5) {
      throw new CheckpointError(
        'not_zip',
        file,
        'a bare pickle, not a torch.save zip archive (a torch checkpoint is a zip archive)',
      );
    }
    throw new CheckpointError('not_zip', file, 'not a zip file (a torch checkpoint is a zip archive)');
  }
  let entries = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  const eocdAbs = size - tailLen + eocd;
  /** Where the central directory must end at the latest: the record that follows it. */
  let cdLimit = eocdAbs;

  if (entries === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // ZIP64: the locator sits immediately before the classic EOCD and points at the ZIP64 EOCD record.
    const locPos = eocdAbs - 20;
    if (locPos < 0) throw new CheckpointError('truncated', file, 'ZIP64 locator missing');
    const loc = new DataView((await reader.readAt(locPos, 20)).buffer);
    if (loc.getUint32(0, true) !== SIG_ZIP64_LOCATOR)
      throw new CheckpointError('truncated', file, 'ZIP64 locator missing');
    const z64Pos = u64(loc, 8, file, 'ZIP64 end record offset');
    if (z64Pos + 56 > locPos)
      throw new CheckpointError('truncated', file, 'ZIP64 end record lies beyond the end of the file');
    const z = new DataView((await reader.readAt(z64Pos, 56)).buffer);
    if (z.getUint32(0, true) !== SIG_ZIP64_EOCD)
      throw new CheckpointError('truncated', file, 'ZIP64 end record not found');
    entries = u64(z, 32, file, 'ZIP64 entry count');
    cdSize = u64(z, 40, file, 'ZIP64 central directory size');
    cdOffset = u64(z, 48, file, 'ZIP64 central directory offset');
    cdLimit = z64Pos;
  }
  if (cdOffset + cdSize > size) {
    throw new CheckpointError(
      'truncated',
      file,
      `central directory (${cdOffset}+${cdSize}) lies beyond the end of the file (${size} bytes)`,
    );
  }
  if (cdOffset + cdSize > cdLimit) {
    throw new CheckpointError(
      'ambiguous_zip',
      file,
      `central directory (${cdOffset}+${cdSize}) overlaps the end-of-directory record at ${cdLimit}`,
    );
  }
  // Each entry takes at least 46 bytes: a count the directory cannot hold is damage, found before any loop.
  if (entries * 46 > cdSize)
    throw new CheckpointError('truncated', file, `central directory of ${cdSize} bytes cannot hold ${entries} entries`);

  const cd = await reader.readAt(cdOffset, cdSize);
  const cv = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const out = new Map<string, Omit<ZipEntry, 'limit'>>();
  const spans: { name: string; start: number; minEnd: number }[] = [];
  let p = 0;
  for (let i = 0; i < entries; i++) {
    if (p + 46 > cd.length || cv.getUint32(p, true) !== SIG_CENTRAL) {
      throw new CheckpointError('truncated', file, `central directory entry ${i} is damaged`);
    }
    const method = cv.getUint16(p + 10, true);
    const crc = cv.getUint32(p + 16, true);
    let compressedSize = cv.getUint32(p + 20, true);
    let uncompressed = cv.getUint32(p + 24, true);
    const nameLen = cv.getUint16(p + 28, true);
    const extraLen = cv.getUint16(p + 30, true);
    const commentLen = cv.getUint16(p + 32, true);
    let localHeaderOffset = cv.getUint32(p + 42, true);
    const extraEnd = p + 46 + nameLen + extraLen;
    if (extraEnd + commentLen > cd.length)
      throw new CheckpointError('truncated', file, `central directory entry ${i} runs past the directory`);
    let name: string;
    try {
      name = decoder.decode(cd.subarray(p + 46, p + 46 + nameLen));
    } catch {
      throw new CheckpointError('truncated', file, `central directory entry ${i} has a name that is not UTF-8`);
    }
    // The ZIP64 extra field holds, in this order, only the fields whose 32-bit slot is saturated.
    let e = p + 46 + nameLen;
    let sawZip64 = false;
    while (e + 4 <= extraEnd) {
      const id = cv.getUint16(e, true);
      const len = cv.getUint16(e + 2, true);
      if (e + 4 + len > extraEnd)
        throw new CheckpointError('truncated', file, `extra field of zip entry ${name} runs past its end`);
      if (id === 0x0001) {
        if (sawZip64) throw new CheckpointError('ambiguous_zip', file, `zip entry ${name} has two ZIP64 extra fields`);
        sawZip64 = true;
        const needed = 8 * [uncompressed, compressedSize, localHeaderOffset].filter((v) => v === 0xffffffff).length;
        if (len < needed || len === 0) {
          throw new CheckpointError(
            'ambiguous_zip',
            file,
            `ZIP64 extra field of zip entry ${name} is ${len} bytes, too short for the ${needed} bytes of 64-bit sizes it must hold`,
          );
        }
        const field = new DataView(cd.buffer, cd.byteOffset + e + 4, len);
        let q = 0;
        if (uncompressed === 0xffffffff) {
          uncompressed = u64(field, q, file, `ZIP64 size of ${name}`);
          q += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = u64(field, q, file, `ZIP64 compressed size of ${name}`);
          q += 8;
        }
        if (localHeaderOffset === 0xffffffff) {
          localHeaderOffset = u64(field, q, file, `ZIP64 local header offset of ${name}`);
          q += 8;
        }
      }
      e += 4 + len;
    }
    if (out.has(name))
      throw new CheckpointError(
        'ambiguous_zip',
        file,
        `zip entry ${name} appears twice (readers disagree on which one counts)`,
      );
    // A stored record is its own bytes: two different sizes leave it to the reader which one to believe.
    if (method === 0 && uncompressed !== compressedSize) {
      throw new CheckpointError(
        'ambiguous_zip',
        file,
        `stored zip entry ${name} states two sizes (${uncompressed} and ${compressedSize})`,
      );
    }
    out.set(name, { name, method, size: uncompressed, compressedSize, localHeaderOffset, crc32: crc });
    spans.push({ name, start: localHeaderOffset, minEnd: localHeaderOffset + 30 + nameLen + compressedSize });
    p = extraEnd + commentLen;
  }
  // Records lie one after another before the directory: a directory (or record) inside another record's bytes is
  // a second reading of the same bytes, and the two readings can disagree.
  spans.sort((a, b) => a.start - b.start);
  const result = new Map<string, ZipEntry>();
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i]!;
    const limit = spans[i + 1]?.start ?? cdOffset;
    if (s.minEnd > limit) {
      throw new CheckpointError(
        'ambiguous_zip',
        file,
        i + 1 < spans.length
          ? `zip records ${s.name} and ${spans[i + 1]!.name} overlap`
          : `zip record ${s.name} overlaps the central directory at ${cdOffset}`,
      );
    }
    result.set(s.name, { ...out.get(s.name)!, limit });
  }
  // Keep the directory's order (callers and messages follow the file's own listing).
  return new Map([...out.keys()].map((n) => [n, result.get(n)!]));
}

/** Absolute file offset of an entry's payload: the local header's own name/extra lengths differ from the central ones. */
export async function entryDataOffset(reader: CountingReader, entry: ZipEntry): Promise<number> {
  if (entry.localHeaderOffset + 30 > reader.size) {
    throw new CheckpointError('truncated', reader.file, `record ${entry.name} lies beyond the end of the file`);
  }
  const nameLen = new TextEncoder().encode(entry.name).length;
  const headLen = Math.min(30 + nameLen, reader.size - entry.localHeaderOffset);
  return localDataOffset(await reader.readAt(entry.localHeaderOffset, headLen), entry, reader.file, reader.size);
}

/**
 * The checks of {@link entryDataOffset} on bytes already read from the entry's local header on (`raw` starts at
 * `localHeaderOffset`; a whole record read in one go, header and payload, is checked the same way).
 */
export function localDataOffset(raw: Uint8Array, entry: ZipEntry, file: string, size: number): number {
  const name = new TextEncoder().encode(entry.name);
  const headLen = raw.length;
  if (headLen < 30)
    throw new CheckpointError('truncated', file, `record ${entry.name} lies beyond the end of the file`);
  const h = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (h.getUint32(0, true) !== SIG_LOCAL) {
    throw new CheckpointError('truncated', file, `local header of ${entry.name} is damaged`);
  }
  // The local header names the record too: a different name there is a second, disagreeing directory.
  const localNameLen = h.getUint16(26, true);
  if (localNameLen !== name.length || headLen < 30 + name.length || !name.every((b, i) => raw[30 + i] === b)) {
    throw new CheckpointError('ambiguous_zip', file, `local header of ${entry.name} names another record`);
  }
  const start = entry.localHeaderOffset + 30 + localNameLen + h.getUint16(28, true);
  if (start + entry.compressedSize > size) {
    throw new CheckpointError(
      'truncated',
      file,
      `record ${entry.name} ends beyond the end of the file (${size} bytes)`,
    );
  }
  if (start + entry.compressedSize > entry.limit) {
    throw new CheckpointError(
      'ambiguous_zip',
      file,
      `record ${entry.name} runs into the next record or the central directory`,
    );
  }
  return start;
}
