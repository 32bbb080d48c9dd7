/**
 * Test/benchmark-only writer of `torch.save` zip checkpoints, streamed: tensor bytes are generated chunk by chunk
 * straight into the file (CRC-32 computed on the way), so a ~2 GB real-size checkpoint with AdamW optimizer state
 * can be produced with a few MB of memory. The pickle (protocol 2) is emitted by the shared PickleWriter with the
 * same opcodes torch.save uses: {'step', 'state_dict': OrderedDict, 'optimizer': {'state', 'param_groups'}}.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { PickleWriter } from '../checkpoint/testing/pickle-writer.ts';

export interface TensorSpec {
  /** state_dict key as written (include `module.` for the official layout). */
  readonly key: string;
  readonly shape: readonly number[];
  readonly dtype?: 'float32' | 'int64';
  /** Explicit values; otherwise seeded pseudo-random floats in [−0.05, 0.05] (int64: the value 50000). */
  readonly data?: Float32Array;
  /** Share the storage of an earlier key (torch aliases, e.g. Norm2d's `.ln.weight`). */
  readonly aliasOf?: string;
}

export interface CheckpointSpec {
  readonly tensors: readonly TensorSpec[];
  readonly step?: number;
  /** 'adamw': exp_avg/exp_avg_sq/step for every float tensor (official Solver.save layout); 'empty': no state. */
  readonly optimizer?: 'none' | 'empty' | 'adamw';
  /** Zip folder; torch uses the file name without its last extension. */
  readonly folder?: string;
  readonly seed?: number;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
function crcUpdate(crc: number, b: Uint8Array): number {
  let c = crc ^ 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

class StoredZip {
  private fd: number;
  private pos = 0;
  private central: Buffer[] = [];
  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  private raw(b: Uint8Array, at?: number): void {
    let done = 0;
    while (done < b.length) done += writeSync(this.fd, b, done, b.length - done, at === undefined ? null : at + done);
    if (at === undefined) this.pos += b.length;
  }

  /** One stored entry whose bytes come from `chunks` (sizes must add up to `size`). */
  entry(name: string, size: number, chunks: Iterable<Uint8Array>): void {
    if (this.pos + size > 0xfffffff0)
      throw new Error('synthetic checkpoints above 4 GiB need ZIP64, which this writer does not emit');
    const nameBytes = Buffer.from(name);
    // Pad the extra field so the data starts on a 64-byte boundary, as torch does.
    const pad = (64 - ((this.pos + 30 + nameBytes.length + 4) % 64)) % 64;
    const extra = Buffer.alloc(4 + pad);
    extra.writeUInt16LE(0x1234, 0); // private "padding" extra field id, as in torch's writer
    extra.writeUInt16LE(pad, 2);
    const headerAt = this.pos;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(size, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(extra.length, 28);
    this.raw(local);
    this.raw(nameBytes);
    this.raw(extra);
    let crc = 0,
      written = 0;
    for (const c of chunks) {
      crc = crcUpdate(crc, c);
      this.raw(c);
      written += c.length;
    }
    if (written !== size) throw new Error(`entry ${name}: wrote ${written} bytes, declared ${size}`);
    const crcBuf = Buffer.alloc(4);
    crcBuf.writeUInt32LE(crc, 0);
    this.raw(crcBuf, headerAt + 14);
    const cen = Buffer.alloc(46);
    cen.writeUInt32LE(0x02014b50, 0);
    cen.writeUInt16LE(20, 4);
    cen.writeUInt16LE(20, 6);
    cen.writeUInt32LE(crc, 16);
    cen.writeUInt32LE(size, 20);
    cen.writeUInt32LE(size, 24);
    cen.writeUInt16LE(nameBytes.length, 28);
    cen.writeUInt32LE(headerAt, 42);
    this.central.push(cen, nameBytes);
  }

  close(): number {
    const cd = Buffer.concat(this.central);
    const cdAt = this.pos;
    this.raw(cd);
    const end = Buffer.alloc(22);
    const n = this.central.length / 2;
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(n, 8);
    end.writeUInt16LE(n, 10);
    end.writeUInt32LE(cd.length, 12);
    end.writeUInt32LE(cdAt, 16);
    this.raw(end);
    closeSync(this.fd);
    return this.pos;
  }
}

const numelOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const stridesOf = (shape: readonly number[]) => shape.map((_, i) => numelOf(shape.slice(i + 1)));

/** Seeded floats in [−0.05, 0.05], produced in 1 MiB chunks. */
function* randomFloats(numel: number, seed: number): Generator<Uint8Array> {
  let s = (seed * 2654435761) >>> 0 || 1;
  const chunk = 1 << 18;
  for (let done = 0; done < numel; done += chunk) {
    const n = Math.min(chunk, numel - done);
    const f = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      f[i] = ((s >>> 0) / 4294967296 - 0.5) * 0.1;
    }
    yield new Uint8Array(f.buffer);
  }
}

/** Writes the checkpoint; returns its size in bytes. */
export function writeTorchCheckpoint(path: string, spec: CheckpointSpec): number {
  const folder = spec.folder ?? 'checkpoint.pth';
  const zip = new StoredZip(path);
  const w = new PickleWriter();
  const storageOf = new Map<string, string>();
  let nextStorage = 0;
  const records: { storage: string; size: number; chunks: () => Iterable<Uint8Array> }[] = [];
  const seed = spec.seed ?? 1;

  const addStorage = (numel: number, dtype: 'float32' | 'int64', data?: Float32Array): string => {
    const storage = String(nextStorage++);
    const size = numel * (dtype === 'int64' ? 8 : 4);
    const n = nextStorage;
    records.push({
      storage,
      size,
      chunks: () =>
        dtype === 'int64'
          ? [new Uint8Array(new BigInt64Array(numel).fill(50000n).buffer)]
          : data
            ? [new Uint8Array(data.buffer, data.byteOffset, data.byteLength)]
            : randomFloats(numel, seed * 100003 + n),
    });
    return storage;
  };
  const tensor = (storage: string, numel: number, shape: readonly number[], dtype: 'float32' | 'int64') =>
    w.tensor({
      storageType: dtype === 'int64' ? 'LongStorage' : 'FloatStorage',
      key: storage,
      numel,
      shape: [...shape],
      stride: stridesOf(shape),
    });

  w.emptyDict().mark();
  w.str('step').int(spec.step ?? 50000);
  w.str('state_dict').global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  for (const t of spec.tensors) {
    const dtype = t.dtype ?? 'float32';
    const numel = numelOf(t.shape);
    const storage = t.aliasOf ? storageOf.get(t.aliasOf) : addStorage(numel, dtype, t.data);
    if (storage === undefined) throw new Error(`alias ${t.key} refers to unknown ${t.aliasOf}`);
    storageOf.set(t.key, storage);
    w.str(t.key);
    tensor(storage, numel, t.shape, dtype);
  }
  w.setitems();
  const optimizer = spec.optimizer ?? 'none';
  if (optimizer !== 'none') {
    const params = spec.tensors.filter((t) => (t.dtype ?? 'float32') === 'float32' && !t.aliasOf);
    w.str('optimizer').emptyDict().mark();
    w.str('state').emptyDict();
    if (optimizer === 'adamw') {
      w.mark();
      params.forEach((t, i) => {
        const numel = numelOf(t.shape);
        w.int(i).emptyDict().mark();
        w.str('step');
        tensor(addStorage(1, 'float32', Float32Array.of(50000)), 1, [], 'float32');
        w.str('exp_avg');
        tensor(addStorage(numel, 'float32'), numel, t.shape, 'float32');
        w.str('exp_avg_sq');
        tensor(addStorage(numel, 'float32'), numel, t.shape, 'float32');
        w.setitems();
      });
      w.setitems();
    }
    w.str('param_groups').emptyList().mark();
    params.forEach((_, i) => {
      w.emptyDict().mark();
      w.str('lr')
        .float(5e-5)
        .str('betas')
        .mark()
        .float(0.9)
        .float(0.999)
        .tuple()
        .str('eps')
        .float(1e-8)
        .str('weight_decay')
        .float(0.05)
        .str('amsgrad')
        .op(0x89)
        .str('foreach')
        .none()
        .str('maximize')
        .op(0x89)
        .str('capturable')
        .op(0x89)
        .str('initial_lr')
        .float(5e-5)
        .str('params')
        .emptyList()
        .int(i)
        .op(0x61); // APPEND
      w.setitems();
    });
    w.appends();
    w.setitems();
  }
  w.setitems();
  const pkl = w.stop();

  zip.entry(`${folder}/data.pkl`, pkl.length, [pkl]);
  zip.entry(`${folder}/byteorder`, 6, [Buffer.from('little')]);
  for (const r of records) zip.entry(`${folder}/data/${r.storage}`, r.size, r.chunks());
  zip.entry(`${folder}/version`, 2, [Buffer.from('3\n')]);
  return zip.close();
}
