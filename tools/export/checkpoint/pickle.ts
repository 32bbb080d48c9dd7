/**
 * A whitelisting unpickler for `torch.save` data.pkl (pickle protocol 2; a few protocol-4 opcodes are accepted too).
 *
 * Why hand-written: a pickle is a program. Python's unpickler imports and calls any global the file names
 * (`os.system` included). This one never calls anything: GLOBAL resolves only the names in {@link WHITELIST} to
 * inert markers, REDUCE interprets those few markers itself, and every other global is refused with its name.
 * Tensor storages are persistent ids and become lazy references; no tensor bytes are touched here.
 */

/** A Python dict (or OrderedDict); keys keep insertion order. `attrs` holds BUILD state (`_metadata`). */
export class PyDict {
  readonly items = new Map<PyValue, PyValue>();
  attrs: PyDict | null = null;
  constructor(readonly ordered = false) {}
  get(key: string): PyValue | undefined {
    return this.items.get(key);
  }
}

/** A tuple: kept apart from lists only so that callers can tell them apart when they care. */
export class PyTuple {
  constructor(readonly values: PyValue[]) {}
}

/** A storage named by a persistent id `('storage', <StorageType>, '<key>', '<location>', numel)`. */
export interface StorageRef {
  readonly kind: 'storage';
  readonly dtype: StorageDtype;
  /** Record name under `<archive>/data/`. */
  readonly key: string;
  readonly location: string;
  /** Element count of the whole storage. */
  readonly numel: number;
}

/** What `_rebuild_tensor_v2` describes: a view into a storage. Nothing is read. */
export interface TensorDesc {
  readonly kind: 'tensor';
  readonly storage: StorageRef;
  readonly storageOffset: number;
  readonly shape: number[];
  readonly stride: number[];
}

export type StorageDtype =
  'float32' | 'float16' | 'float64' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | PyDict
  | GlobalRef
  | StorageRef
  | TensorDesc;

/** An allowed global, resolved to an inert marker. */
export interface GlobalRef {
  readonly kind: 'global';
  readonly module: string;
  readonly name: string;
}

const STORAGE_DTYPES: Record<string, StorageDtype> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  DoubleStorage: 'float64',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

/** Every global this unpickler will resolve; anything else is refused. */
export const WHITELIST: ReadonlySet<string> = new Set([
  'collections OrderedDict',
  'torch._utils _rebuild_tensor_v2',
  'torch._utils _rebuild_tensor',
  'torch._utils _rebuild_parameter',
  'torch._utils _rebuild_parameter_with_state',
  // torch ≥ 1.12 wraps tensors that carry Python attributes: _rebuild_from_type_v2(func, type, args, state).
  'torch._tensor _rebuild_from_type_v2',
  'torch Tensor',
  'torch.nn.parameter Parameter',
  ...Object.keys(STORAGE_DTYPES).map((s) => `torch ${s}`),
]);

export class PickleError extends Error {
  constructor(
    readonly code: 'forbidden_global' | 'bad_pickle' | 'old_protocol',
    message: string,
  ) {
    super(message);
    this.name = 'PickleError';
  }
}

const MARK = Symbol('mark');
type StackItem = PyValue | typeof MARK;

const isGlobal = (v: unknown): v is GlobalRef =>
  typeof v === 'object' && v !== null && (v as GlobalRef).kind === 'global';
const isTensor = (v: unknown): v is TensorDesc =>
  typeof v === 'object' && v !== null && (v as TensorDesc).kind === 'tensor';
const isStorage = (v: unknown): v is StorageRef =>
  typeof v === 'object' && v !== null && (v as StorageRef).kind === 'storage';

function toInt(v: PyValue, what: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER))
    return Number(v);
  throw new PickleError('bad_pickle', `${what} is not an integer`);
}

/** Sizes, strides and offsets: torch refuses negative ones, and a negative one would read the wrong bytes. */
function intList(v: PyValue, what: string): number[] {
  const values = v instanceof PyTuple ? v.values : Array.isArray(v) ? v : null;
  if (!values) throw new PickleError('bad_pickle', `${what} is not a tuple`);
  return values.map((x, i) => nonNegative(x, `${what}[${i}]`));
}

function nonNegative(v: PyValue, what: string): number {
  const n = toInt(v, what);
  if (n < 0) throw new PickleError('bad_pickle', `${what} is negative (${n})`);
  return n;
}

function tupleValues(v: PyValue, what: string): PyValue[] {
  if (v instanceof PyTuple) return v.values;
  throw new PickleError('bad_pickle', `${what}: REDUCE arguments are not a tuple`);
}

function persistentLoad(pid: PyValue): StorageRef {
  const t = pid instanceof PyTuple ? pid.values : null;
  if (!t || t.length < 5 || t[0] !== 'storage')
    throw new PickleError('bad_pickle', 'unknown persistent id (expected a storage tuple)');
  const [, type, key, location, numel] = t;
  if (!isGlobal(type) || type.module !== 'torch' || !(type.name in STORAGE_DTYPES)) {
    throw new PickleError('bad_pickle', 'persistent id names no storage type');
  }
  if (typeof key !== 'string' || typeof location !== 'string')
    throw new PickleError('bad_pickle', 'persistent id has a bad key');
  return {
    kind: 'storage',
    dtype: STORAGE_DTYPES[type.name]!,
    key,
    location,
    numel: nonNegative(numel, 'storage numel'),
  };
}

/** Interprets REDUCE for the whitelisted callables; never executes anything. */
function reduce(fn: PyValue, args: PyValue): PyValue {
  if (!isGlobal(fn)) throw new PickleError('bad_pickle', 'REDUCE on a value that is not a callable global');
  const qual = `${fn.module}.${fn.name}`;
  const a = tupleValues(args, qual);
  switch (qual) {
    case 'collections.OrderedDict': {
      const d = new PyDict(true);
      if (a.length > 0) {
        // OrderedDict([(k, v), ...]): accept the list-of-pairs form, the only one torch could produce.
        const pairs = a[0];
        if (!Array.isArray(pairs)) throw new PickleError('bad_pickle', 'OrderedDict argument is not a list of pairs');
        for (const p of pairs) {
          if (!(p instanceof PyTuple) || p.values.length !== 2)
            throw new PickleError('bad_pickle', 'OrderedDict pair is malformed');
          d.items.set(p.values[0]!, p.values[1]!);
        }
      }
      return d;
    }
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_tensor_v2': {
      const [storage, offset, size, stride] = a;
      if (!isStorage(storage)) throw new PickleError('bad_pickle', `${qual}: first argument is not a storage`);
      const shape = intList(size!, `${qual} size`);
      const strides = intList(stride!, `${qual} stride`);
      if (strides.length !== shape.length)
        throw new PickleError('bad_pickle', `${qual}: size and stride differ in length`);
      return {
        kind: 'tensor',
        storage,
        storageOffset: nonNegative(offset!, `${qual} storage offset`),
        shape,
        stride: strides,
      };
    }
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state': {
      const data = a[0];
      if (!isTensor(data)) throw new PickleError('bad_pickle', `${fn.name}: data is not a tensor`);
      return data;
    }
    case 'torch._tensor._rebuild_from_type_v2': {
      // Only the values matter; the Python type (Tensor/Parameter) and attribute state are ignored.
      const [inner, type, innerArgs] = a;
      if (
        !isGlobal(type) ||
        !['torch.Tensor', 'torch.nn.parameter.Parameter'].includes(`${type.module}.${type.name}`)
      ) {
        throw new PickleError('bad_pickle', '_rebuild_from_type_v2: unsupported tensor type');
      }
      if (isGlobal(inner) && inner.module === 'torch._tensor')
        throw new PickleError('bad_pickle', '_rebuild_from_type_v2 cannot nest');
      const data = reduce(inner!, innerArgs!);
      if (!isTensor(data)) throw new PickleError('bad_pickle', '_rebuild_from_type_v2 did not rebuild a tensor');
      return data;
    }
    default:
      // Storage classes are markers for persistent ids only; calling one is not something torch writes.
      throw new PickleError('bad_pickle', `${qual} cannot be called`);
  }
}

function setItem(target: StackItem, key: PyValue, value: PyValue): void {
  if (!(target instanceof PyDict)) throw new PickleError('bad_pickle', 'SETITEM on a value that is not a dict');
  target.items.set(key, value);
}

const latin1 = new TextDecoder('latin1');

/**
 * Longest LONG1/LONG4 integer accepted. torch writes small ints (steps, sizes); a legacy file's magic number is
 * 10 bytes. Capping keeps a hostile 256 KiB integer from costing minutes (BigInt building is quadratic).
 */
export const MAX_LONG_BYTES = 64;

/** Text opcodes of protocols 0/1 that protocol 2+ (all torch.save writes by default) never uses. */
const OLD_PROTOCOL_OPS: Record<number, string> = {
  0x70: 'PUT',
  0x67: 'GET',
  0x49: 'INT',
  0x4c: 'LONG',
  0x53: 'STRING',
  0x56: 'UNICODE',
  0x46: 'FLOAT',
  0x50: 'PERSID',
  0x69: 'INST',
  0x6f: 'OBJ',
};
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Unpickles `data`. Throws {@link PickleError}: `forbidden_global` (message names the global) or `bad_pickle`.
 * Dict keys are compared by value only for strings and numbers (all torch writes); other keys are kept by identity.
 */
export function unpickle(data: Uint8Array): PyValue {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const stack: StackItem[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  let pos = 0;

  // Every length read from the file passes here: a negative one would move the cursor backwards (an endless loop).
  const need = (n: number): void => {
    if (!Number.isSafeInteger(n) || n < 0) throw new PickleError('bad_pickle', `invalid length ${n} at byte ${pos}`);
    if (pos + n > data.length) throw new PickleError('bad_pickle', 'pickle ends in the middle of an opcode');
  };
  const u8 = (): number => {
    need(1);
    return data[pos++]!;
  };
  const u16 = (): number => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = (): number => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const bytes = (n: number): Uint8Array => {
    need(n);
    const b = data.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const line = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) throw new PickleError('bad_pickle', 'pickle ends in the middle of an opcode (unterminated text line)');
    const s = latin1.decode(data.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = (): PyValue => {
    if (stack.length === 0) throw new PickleError('bad_pickle', 'stack underflow');
    const v = stack.pop()!;
    if (v === MARK) throw new PickleError('bad_pickle', 'unexpected MARK on the stack');
    return v;
  };
  const top = (): StackItem => {
    if (stack.length === 0) throw new PickleError('bad_pickle', 'stack underflow');
    return stack[stack.length - 1]!;
  };
  /** The top value for memo and DUP: a MARK copied there would later pose as a value (or as a second MARK). */
  const topValue = (): PyValue => {
    const v = top();
    if (v === MARK) throw new PickleError('bad_pickle', 'MARK cannot be memoized or duplicated');
    return v;
  };
  const popMark = (): PyValue[] => {
    const m = marks.pop();
    if (m === undefined) throw new PickleError('bad_pickle', 'no MARK to pop to');
    const items = stack.splice(m) as StackItem[];
    items.shift(); // the MARK itself
    return items as PyValue[];
  };
  const memoGet = (i: number): PyValue => {
    if (!memo.has(i)) throw new PickleError('bad_pickle', `memo entry ${i} missing`);
    return memo.get(i)!;
  };
  const resolveGlobal = (module: string, name: string): GlobalRef => {
    if (!WHITELIST.has(`${module} ${name}`)) {
      throw new PickleError(
        'forbidden_global',
        `forbidden global ${module}.${name}: only torch tensor/storage rebuilders and OrderedDict are allowed`,
      );
    }
    return { kind: 'global', module, name };
  };
  const long = (n: number, op: string): Uint8Array => {
    if (n > MAX_LONG_BYTES)
      throw new PickleError(
        'bad_pickle',
        `${op} integer of ${n} bytes at byte ${pos} is too large (a checkpoint holds none over ${MAX_LONG_BYTES} bytes)`,
      );
    return bytes(n);
  };
  const decodeLong = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    // One hex string → one BigInt: linear in the length (shift-and-or per byte is quadratic).
    let hex = '';
    for (let i = b.length - 1; i >= 0; i--) hex += b[i]!.toString(16).padStart(2, '0');
    let v = BigInt(`0x${hex}`);
    if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80:
        u8();
        break; // PROTO
      case 0x95:
        bytes(8);
        break; // FRAME (protocol 4): framing is only a read hint
      case 0x2e: {
        // STOP
        const v = pop();
        return v;
      }
      case 0x28:
        marks.push(stack.length);
        stack.push(MARK);
        break; // MARK
      case 0x7d:
        stack.push(new PyDict());
        break; // EMPTY_DICT
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x29:
        stack.push(new PyTuple([]));
        break; // EMPTY_TUPLE
      case 0x74:
        stack.push(new PyTuple(popMark()));
        break; // TUPLE
      case 0x85:
        stack.push(new PyTuple([pop()]));
        break; // TUPLE1
      case 0x86: {
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b]));
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b, c]));
        break;
      } // TUPLE3
      case 0x6c:
        stack.push(popMark());
        break; // LIST
      case 0x64: {
        // DICT
        const items = popMark();
        const d = new PyDict();
        for (let i = 0; i + 1 < items.length; i += 2) d.items.set(items[i]!, items[i + 1]!);
        stack.push(d);
        break;
      }
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x4a:
        stack.push(i32());
        break; // BININT
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        stack.push(u16());
        break; // BININT2
      case 0x8a:
        stack.push(decodeLong(long(u8(), 'LONG1')));
        break; // LONG1
      case 0x8b:
        stack.push(decodeLong(long(u32(), 'LONG4')));
        break; // LONG4
      case 0x47: {
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      } // BINFLOAT (big-endian)
      case 0x58: {
        // BINUNICODE
        const n = u32();
        try {
          stack.push(utf8.decode(bytes(n)));
        } catch {
          throw new PickleError('bad_pickle', 'invalid UTF-8 string');
        }
        break;
      }
      case 0x8c: {
        // SHORT_BINUNICODE (protocol 4)
        const n = u8();
        try {
          stack.push(utf8.decode(bytes(n)));
        } catch {
          throw new PickleError('bad_pickle', 'invalid UTF-8 string');
        }
        break;
      }
      case 0x54:
        stack.push(latin1.decode(bytes(i32())));
        break; // BINSTRING (py2 str)
      case 0x55:
        stack.push(latin1.decode(bytes(u8())));
        break; // SHORT_BINSTRING
      case 0x42:
        stack.push(bytes(u32()).slice());
        break; // BINBYTES
      case 0x43:
        stack.push(bytes(u8()).slice());
        break; // SHORT_BINBYTES
      case 0x71:
        memo.set(u8(), topValue());
        break; // BINPUT
      case 0x72:
        memo.set(u32(), topValue());
        break; // LONG_BINPUT
      case 0x94:
        memo.set(memo.size, topValue());
        break; // MEMOIZE (protocol 4)
      case 0x68:
        stack.push(memoGet(u8()));
        break; // BINGET
      case 0x6a:
        stack.push(memoGet(u32()));
        break; // LONG_BINGET
      case 0x30:
        pop();
        break; // POP
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        stack.push(topValue());
        break; // DUP
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        const name = line();
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL (protocol 4)
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          throw new PickleError('bad_pickle', 'STACK_GLOBAL needs two strings');
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        stack.push(reduce(fn, args));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const target = top();
        if (target instanceof PyDict && (state instanceof PyDict || state === null)) {
          // OrderedDict.__reduce__ puts instance attributes (torch's `_metadata`) here, never items.
          target.attrs = state;
        } else if (isTensor(target)) {
          // Parameter/tensor state (e.g. Python attributes set on a parameter) does not change the values.
        } else {
          throw new PickleError('bad_pickle', 'BUILD on an object this reader does not rebuild');
        }
        break;
      }
      case 0x51:
        stack.push(persistentLoad(pop()));
        break; // BINPERSID
      case 0x73: {
        const v = pop();
        const k = pop();
        setItem(top(), k, v);
        break;
      } // SETITEM
      case 0x75: {
        // SETITEMS
        const items = popMark();
        const target = top();
        for (let i = 0; i + 1 < items.length; i += 2) setItem(target, items[i]!, items[i + 1]!);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        const t = top();
        if (!Array.isArray(t)) throw new PickleError('bad_pickle', 'APPEND on a value that is not a list');
        t.push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const t = top();
        if (!Array.isArray(t)) throw new PickleError('bad_pickle', 'APPENDS on a value that is not a list');
        // A loop, not push(...items): spreading 300k items overflows the call stack.
        for (const item of items) t.push(item);
        break;
      }
      default:
        if (op in OLD_PROTOCOL_OPS) {
          throw new PickleError(
            'old_protocol',
            `pickle protocol 0/1 opcode ${OLD_PROTOCOL_OPS[op]} at byte ${pos - 1}: protocol 0/1 pickles are not supported; re-save the checkpoint with torch.save(obj, path) (its default pickle protocol is 2)`,
          );
        }
        throw new PickleError(
          'bad_pickle',
          `unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${pos - 1}`,
        );
    }
  }
}
