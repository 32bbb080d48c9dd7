/**
 * Opens a `torch.save` zip checkpoint without loading it: the zip directory and `data.pkl` are read at open time;
 * each tensor's bytes are read only when its `read()` is called. The optimizer state is walked (it is part of the
 * pickle) but its tensors stay lazy references that nobody reads.
 */
import { CheckpointError } from './errors.ts';
import { PickleError, PyDict, unpickle, type PyValue, type StorageDtype, type TensorDesc } from './pickle.ts';
import {
  CountingReader,
  checkCrc,
  entryDataOffset,
  localDataOffset,
  readZipDirectory,
  type RandomAccessFile,
  type ZipEntry,
} from './zip.ts';
import { halfToFloat } from '../onnx/fp16.ts';
import { ReadAhead, type ReadAheadOptions, type ReadAheadStats } from './read-ahead.ts';

export type TensorDtype = StorageDtype;

export interface TensorRef {
  /** state_dict key with a leading `module.` stripped. */
  readonly key: string;
  readonly dtype: TensorDtype;
  readonly shape: number[];
  readonly numel: number;
  /** Storage record name; tensors that share a storage (aliases) share this. */
  readonly storageKey: string;
  /** Element offset into the storage. */
  readonly storageOffset: number;
  /** Reads only this tensor's bytes from the file; float16/bfloat16/float64 are converted to float32. */
  read(): Promise<Float32Array>;
}

export interface Checkpoint {
  readonly path: string;
  /** File size in bytes. */
  readonly size: number;
  /** Top-level `step` (training iteration + 1) when the file has one. */
  readonly step?: number;
  /** Keys of the top-level dict (`['state_dict']`-less files: the state_dict's own keys are not listed here). */
  readonly topLevelKeys: string[];
  /** state_dict entries, keys with a leading `module.` stripped, in file order. */
  readonly tensors: Map<string, TensorRef>;
  /**
   * Bytes and read calls made on the file so far (zip directory, data.pkl and tensor reads), and the milliseconds
   * tensor reads spent awaiting the file (their bytes, read ahead or not; the browser's export profile).
   */
  readStats(): { bytesRead: number; reads: number; waitMs: number };
  /**
   * Starts reading these tensors' records ahead, in this order (bounded: see read-ahead.ts), so that each
   * `read()` finds its bytes already there. For readers whose reads answer asynchronously elsewhere (the browser's
   * Blob slices); a guess about the order that turns out wrong costs a direct read, never other bytes. Only
   * tensors that are their whole storage record are read ahead (a view reads only its part, as before). Once.
   */
  readAhead(keys: Iterable<string>, options?: ReadAheadOptions): void;
  /** Hits and misses of the read-ahead, and re-reads served from its recent small records (null without one). */
  readAheadStats(): (ReadAheadStats & { rereads: number }) | null;
  close(): Promise<void>;
}

const ELEMENT_SIZE: Record<TensorDtype, number> = {
  float32: 4,
  float16: 2,
  float64: 8,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

const isTensor = (v: PyValue | undefined): v is TensorDesc =>
  typeof v === 'object' && v !== null && (v as TensorDesc).kind === 'tensor';

function isContiguous(shape: number[], stride: number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i]! !== 1 && stride[i]! !== expected) return false;
    expected *= shape[i]!;
  }
  return true;
}

/** Finds the single `<folder>/data.pkl`; the folder is named after the saved file, so it is never hard-coded. */
function findArchivePrefix(entries: Map<string, ZipEntry>, file: string): string {
  const pkls = [...entries.keys()].filter((n) => n === 'data.pkl' || n.endsWith('/data.pkl'));
  const pkl = pkls[0];
  if (!pkl) throw new CheckpointError('not_torch', file, 'zip has no data.pkl: not a torch checkpoint');
  // torch writes exactly one; with two, which one "is" the checkpoint is a guess another reader may make differently.
  if (pkls.length > 1)
    throw new CheckpointError(
      'ambiguous_zip',
      file,
      `zip holds ${pkls.length} data.pkl records (${pkls.slice(0, 3).join(', ')}): which one is the checkpoint is ambiguous`,
    );
  return pkl.slice(0, pkl.length - 'data.pkl'.length);
}

export interface OpenOptions {
  /** Refuse files whose data.pkl is larger than this (default 512 MiB); it is the only record read whole. */
  readonly maxPickleBytes?: number;
}

/**
 * Opens a checkpoint from any positional reader: Node's FileHandle (open-file.ts: `openCheckpoint(path)`) or a
 * browser Blob. `file` names it in every message (the path in the CLI, the file name in the browser). On failure
 * the reader is closed.
 */
export async function openCheckpointFrom(
  fh: RandomAccessFile,
  file: string,
  size: number,
  options: OpenOptions = {},
): Promise<Checkpoint> {
  try {
    return await readCheckpoint(file, size, new CountingReader(fh, file, size), options);
  } catch (e) {
    await fh.close();
    throw e;
  }
}

async function readCheckpoint(
  path: string,
  size: number,
  reader: CountingReader,
  options: OpenOptions,
): Promise<Checkpoint> {
  const entries = await readZipDirectory(reader);
  const prefix = findArchivePrefix(entries, path);

  const record = (name: string): ZipEntry | undefined => entries.get(prefix + name);
  const readRecord = async (entry: ZipEntry): Promise<Uint8Array> => {
    if (entry.method !== 0)
      throw new CheckpointError(
        'compressed',
        path,
        `record ${entry.name} is compressed (method ${entry.method}); torch writes stored records`,
      );
    const data = await reader.readAt(await entryDataOffset(reader, entry), entry.size);
    checkCrc(entry, data, path);
    return data;
  };

  const byteorder = record('byteorder');
  if (byteorder) {
    const order = new TextDecoder().decode(await readRecord(byteorder)).trim();
    if (order !== 'little') throw new CheckpointError('big_endian', path, `byte order "${order}" is not supported`);
  }

  const pklEntry = record('data.pkl')!;
  const maxPickle = options.maxPickleBytes ?? 512 * 1024 * 1024;
  if (pklEntry.size > maxPickle)
    throw new CheckpointError(
      'bad_pickle',
      path,
      `data.pkl is ${pklEntry.size} bytes, over the ${maxPickle}-byte limit`,
    );
  let root: PyValue;
  try {
    root = unpickle(await readRecord(pklEntry));
  } catch (e) {
    if (e instanceof PickleError) throw new CheckpointError(e.code, path, `${e.message} in ${pklEntry.name}`);
    throw e;
  }

  if (!(root instanceof PyDict))
    throw new CheckpointError('no_state_dict', path, 'top level of the checkpoint is not a dict');
  const nested = root.get('state_dict');
  const stateDict = nested instanceof PyDict ? nested : root;
  // Only strings and numbers are printed as they are: String() of a nested list recurses (a deep one overflows).
  const topLevelKeys = [...root.items.keys()].map((k) =>
    typeof k === 'string' || typeof k === 'number' || typeof k === 'bigint' ? String(k) : `<${typeof k}>`,
  );
  const stepValue = nested instanceof PyDict ? root.get('step') : undefined;
  const step =
    typeof stepValue === 'number' ? stepValue : typeof stepValue === 'bigint' ? Number(stepValue) : undefined;

  const dataOffsets = new Map<string, Promise<number>>();
  const dataOffset = (entry: ZipEntry): Promise<number> => {
    // One local-header read per storage, shared by aliases, done on first use.
    let p = dataOffsets.get(entry.name);
    if (!p) {
      p = entryDataOffset(reader, entry);
      dataOffsets.set(entry.name, p);
    }
    return p;
  };
  let closed = false;
  let ahead: ReadAhead<Uint8Array> | null = null;
  let waitMs = 0;
  /**
   * Small records just taken from the read-ahead, kept for the re-reads that follow (one in_proj is read for each
   * of q, k and v; a position table once per input size): measured at real size, 114 of 447 tensor reads. A copy
   * each (a caller may change the array it was given), at most RECENT records of at most RECENT_BYTES.
   */
  const recent = new Map<string, Uint8Array>();
  let rereads = 0;
  /** Tensors that may be read ahead (contiguous floats that are their whole record), by key. */
  const wholeRecords = new Map<string, ZipEntry>();
  /**
   * One read of a whole record, its local header and payload together (half the round trips of a header read then
   * a payload read). It starts on a 64-byte boundary: torch aligns payloads to 64 bytes, so a float32 payload can
   * be viewed in place. Never past where the payload can end (the header's 16-bit extra field at most).
   */
  const loadRecord = async (entry: ZipEntry): Promise<Uint8Array> => {
    const lho = entry.localHeaderOffset;
    const from = lho - (lho % 64);
    const nameLen = new TextEncoder().encode(entry.name).length;
    const end = Math.min(entry.limit, size, lho + 30 + nameLen + 0xffff + entry.compressedSize);
    if (lho + 30 > end)
      throw new CheckpointError('truncated', path, `record ${entry.name} lies beyond the end of the file`);
    const raw = await reader.readAt(from, end - from, undefined, true);
    const start = localDataOffset(raw.subarray(lho - from), entry, path, size);
    if (!dataOffsets.has(entry.name)) dataOffsets.set(entry.name, Promise.resolve(start));
    return raw.subarray(start - from, start - from + entry.size);
  };

  const tensors = new Map<string, TensorRef>();
  for (const [rawKey, value] of stateDict.items) {
    if (typeof rawKey !== 'string' || !isTensor(value)) continue;
    const key = rawKey.startsWith('module.') ? rawKey.slice('module.'.length) : rawKey;
    const { storage, storageOffset, shape, stride } = value;
    const entry = record(`data/${storage.key}`);
    if (!entry)
      throw new CheckpointError(
        'storage_missing',
        path,
        `storage record data/${storage.key} of tensor ${rawKey} is missing`,
      );
    if (entry.method !== 0)
      throw new CheckpointError('compressed', path, `record ${entry.name} is compressed (method ${entry.method})`);
    const elem = ELEMENT_SIZE[storage.dtype];
    const numel = shape.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(numel))
      throw new CheckpointError('bad_pickle', path, `tensor ${rawKey} has an impossible shape [${shape}]`);
    if (entry.size < storage.numel * elem) {
      throw new CheckpointError(
        'truncated',
        path,
        `storage ${entry.name} holds ${entry.size} bytes, fewer than its ${storage.numel} ${storage.dtype} elements`,
      );
    }
    const contiguous = isContiguous(shape, stride);
    // Offsets/strides are non-negative (the unpickler refuses others); the view must lie inside its storage, as
    // torch checks: the last element it touches is offset + Σ (size−1)·stride.
    const lastElement = storageOffset + shape.reduce((a, n, i) => a + (n - 1) * stride[i]!, 0);
    if (numel > 0 && (lastElement >= storage.numel || lastElement * elem >= entry.size)) {
      throw new CheckpointError(
        'truncated',
        path,
        `tensor ${rawKey} (storage offset ${storageOffset}, shape [${shape}]) extends beyond its storage ${entry.name} of ${storage.numel} elements`,
      );
    }
    const dtype = storage.dtype;
    const isFloat = dtype === 'float32' || dtype === 'float16' || dtype === 'float64' || dtype === 'bfloat16';
    if (contiguous && isFloat && storageOffset === 0 && numel * elem === entry.size) wholeRecords.set(key, entry);
    tensors.set(key, {
      key,
      dtype,
      shape,
      numel,
      storageKey: storage.key,
      storageOffset,
      async read(): Promise<Float32Array> {
        if (closed) throw new CheckpointError('closed', path, `checkpoint is closed; cannot read ${key}`);
        if (!contiguous) {
          throw new CheckpointError(
            'non_contiguous',
            path,
            `tensor ${key} is a non-contiguous view (shape [${shape}], stride [${stride}]); only contiguous tensors are supported`,
          );
        }
        if (dtype !== 'float32' && dtype !== 'float16' && dtype !== 'float64' && dtype !== 'bfloat16') {
          throw new CheckpointError(
            'unsupported_dtype',
            path,
            `tensor ${key} has dtype ${dtype}; only floating-point tensors can be read as float32`,
          );
        }
        // A tensor that is its whole storage record (nearly all) is checked against the record's CRC-32 for free;
        // views and aliases read part of a record and are not.
        const whole = storageOffset === 0 && numel * elem === entry.size;
        const again = recent.get(entry.name);
        const early = again ? undefined : ahead?.take(entry.name);
        let raw: Uint8Array;
        const waitStart = performance.now();
        if (early || again) {
          let record: Uint8Array;
          if (again) {
            record = again.slice();
            rereads++;
          } else {
            record = await early!;
            waitMs += performance.now() - waitStart;
            if (record.length <= RECENT_BYTES) {
              recent.set(entry.name, record.slice());
              if (recent.size > RECENT) recent.delete(recent.keys().next().value!);
            }
          }
          if (closed) throw new CheckpointError('closed', path, `checkpoint is closed; cannot read ${key}`);
          raw = record.subarray(storageOffset * elem, (storageOffset + numel) * elem);
          if (whole) checkCrc(entry, raw, path);
          if (dtype === 'float32')
            return raw.byteOffset % 4 === 0
              ? new Float32Array(raw.buffer, raw.byteOffset, numel)
              : new Float32Array(raw.slice().buffer);
        } else {
          const pos = (await dataOffset(entry)) + storageOffset * elem;
          if (dtype === 'float32') {
            const out = new Float32Array(numel);
            const bytes = await reader.readAt(pos, numel * 4, new Uint8Array(out.buffer));
            waitMs += performance.now() - waitStart;
            if (whole) checkCrc(entry, bytes, path);
            return out;
          }
          raw = await reader.readAt(pos, numel * elem);
          waitMs += performance.now() - waitStart;
          if (whole) checkCrc(entry, raw, path);
        }
        const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        const out = new Float32Array(numel);
        if (dtype === 'float64') for (let i = 0; i < numel; i++) out[i] = view.getFloat64(i * 8, true);
        else if (dtype === 'float16') for (let i = 0; i < numel; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
        else for (let i = 0; i < numel; i++) out[i] = bf16(view.getUint16(i * 2, true));
        return out;
      },
    });
  }
  if (tensors.size === 0) throw new CheckpointError('no_state_dict', path, 'no tensors found in the state_dict');

  return {
    path,
    size,
    step,
    topLevelKeys,
    tensors,
    readStats: () => ({ bytesRead: reader.bytesRead, reads: reader.reads, waitMs }),
    readAhead(keys, options) {
      if (closed || ahead) return;
      const items = [];
      for (const key of keys) {
        const entry = wholeRecords.get(key);
        if (entry) items.push({ id: entry.name, bytes: entry.size, load: () => loadRecord(entry) });
      }
      ahead = new ReadAhead(items, options);
    },
    readAheadStats: () => (ahead ? { ...ahead.stats, rereads } : null),
    async close() {
      if (closed) return;
      closed = true;
      ahead?.stop();
      recent.clear();
      await reader.fh.close();
    },
  };
}

/** The read-ahead's cache of recent small records (see `recent`). */
const RECENT = 4;
const RECENT_BYTES = 1 << 20;

const bfScratch = new DataView(new ArrayBuffer(4));
/** bfloat16 is the top half of a float32. */
function bf16(bits: number): number {
  bfScratch.setUint32(0, bits << 16, false);
  return bfScratch.getFloat32(0, false);
}
