/**
 * The model-package manifest (`faceptor.json`) contract, shared by the exporter (writes it), the app and the CLI
 * (load packages through `parseManifest`). Pure TypeScript: no Node or DOM imports.
 *
 * A package folder holds this manifest, ONE encoder graph serving both input sizes, the head graphs (Faceptor: one
 * decoder+interpreters graph for every task of both groups; Naive: one per task type) and ONE external weights
 * file shared by all graphs. Every weight sits in exactly one graph, so a runtime that copies initializers per
 * session still holds each weight once. Task labels and decoding are NOT copied here: they come from the task
 * registry (tasks.ts) by task name.
 */
import {
  TASKS,
  VARIANT_TASKS,
  isTaskName,
  type InputGroup,
  type TaskName,
  type TaskType,
  type Variant,
} from './tasks.ts';

export const MANIFEST_FORMAT = 'faceptor-web-model';
/**
 * Bump when a reader of the previous version could misread a new package. 2: one shared encoder and batched head
 * graphs (version 1 had one encoder per input size and one graph per task; it is refused with re-export advice).
 */
export const MANIFEST_VERSION = 2;
/** The oldest format version this reader loads. */
export const MANIFEST_MIN_VERSION = 2;
export const MANIFEST_FILE = 'faceptor.json';

/** Weight storage: fp16 and q8/q4 (block-quantized MatMul weights, com.microsoft.MatMulNBits) compute in float32. */
export type Precision = 'fp32' | 'fp16' | 'q8' | 'q4';
export const PRECISIONS: readonly Precision[] = ['fp32', 'fp16', 'q8', 'q4'];
export type Dim = number | string;

export interface TensorIO {
  readonly name: string;
  readonly dims: readonly Dim[];
}

/**
 * A constant input the host feeds for one input group (it depends only on the input size: the ViT position table,
 * the decoder's key positions, grid shapes). It is always fed as float32 or int64; `type` says how it is stored:
 * - `float32`: float32 values in the weights file at `offset` (`length` = 4 bytes a value, 4-byte aligned);
 * - `float16`: IEEE half values in the weights file (`length` = 2 bytes a value, 2-byte aligned) that the host
 *   converts to float32 on load (q8/q4 packages: the 512 position table alone is 3 MB as float32);
 * - `int64`: small values inline in `values`.
 */
export interface ConstFeed {
  readonly name: string;
  readonly type: ConstFeedType;
  readonly dims: readonly number[];
  readonly offset?: number;
  readonly length?: number;
  readonly values?: readonly number[];
}

/** How a constant feed is stored (see ConstFeed); `float16` is fed as float32. */
export type ConstFeedType = 'float32' | 'float16' | 'int64';
/** Bytes per stored value of a feed kept in the weights file. */
export const FEED_BYTES: Readonly<Record<'float32' | 'float16', number>> = { float32: 4, float16: 2 };

/** The constant feeds of a graph for one input group it serves. */
export interface GroupFeeds {
  readonly group: InputGroup;
  readonly feeds: readonly ConstFeed[];
}

export interface EncoderGraph {
  readonly file: string;
  /** `image` [N, 3, H, H], normalised as NORMALISATION[group] says. */
  readonly input: TensorIO;
  /** `feat_<block>` [N, S², C] tokens (row-major grid) for every block some task reads. */
  readonly outputs: readonly TensorIO[];
  /** Input groups served, with their constant feeds (the position table `pos`). */
  readonly groups: readonly GroupFeeds[];
}

/**
 * A head graph. Faceptor packages have one `decoder` graph: its `queries` input picks rows of the query table
 * (task k's queries are rows queryOffset..queryOffset+queries−1), `self_mask` blocks self-attention across tasks
 * and `map_select` picks the query rows copied to the `maps` output; every output indexed by query carries the
 * batch's queries in feed order. Naive packages have one graph per task type, outputs named `<task>.<output>`.
 */
export interface HeadGraph {
  readonly name: string;
  readonly file: string;
  readonly kind: 'decoder' | 'heads';
  /** Encoder outputs it reads. */
  readonly inputs: readonly string[];
  readonly outputs: readonly TensorIO[];
  readonly groups: readonly GroupFeeds[];
}

export interface TaskGraph {
  readonly name: TaskName;
  readonly type: TaskType;
  readonly group: InputGroup;
  /** Raw outputs: queries / classes / points, or the embedding width for recognition. */
  readonly queries: number;
  /** The head graph computing it (HeadGraph.name). */
  readonly graph: string;
  /** Decoder tasks: first row of its queries in the graph's query table; null otherwise. */
  readonly queryOffset: number | null;
  /** Logical outputs (`logits`, `landmark`, `heatmap`, …) and the graph output each one is taken from. */
  readonly outputs: readonly (TensorIO & { readonly from: string })[];
}

export interface PackageFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

/**
 * `provenance.sourceSha256` while it is not recorded yet: the page stores a package as soon as conversion ends and
 * hashes the 1–2 GB checkpoint afterwards (workers/browser-export/export-job.ts), then rewrites the manifest with
 * the digest. A package whose page closed (or whose hash was cancelled) first keeps "" for good: it is complete and
 * runs, but has no provenance digest and no identity key (see `modelIdentityKey`).
 */
export const SHA256_NOT_RECORDED = '';

/** The source checkpoint's sha256 as the identity key of a model's embeddings; null while it is not recorded. */
export function modelIdentityKey(sourceSha256: string | undefined): string | null {
  return sourceSha256 && sourceSha256 !== SHA256_NOT_RECORDED ? sourceSha256 : null;
}

export interface Provenance {
  readonly sourceFile: string;
  readonly sourceSize: number;
  /** 64 lower-case hex digits, or SHA256_NOT_RECORDED (""): not recorded (yet). */
  readonly sourceSha256: string;
  /** Training step stored in the checkpoint, when present. */
  readonly step: number | null;
  readonly exporter: string;
  readonly exporterVersion: string;
  readonly exportedAt: string;
  /** Random or otherwise untrained weights (test fixtures): outputs are meaningless. */
  readonly untrained: boolean;
}

export interface ModelDims {
  readonly vitWidth: number;
  readonly vitLayers: number;
  readonly vitHeads: number;
  readonly patch: number;
  readonly decoderWidth?: number;
  readonly decoderHeads?: number;
  readonly decoderLayers?: number;
  readonly decoderLevels?: number;
  readonly recogEmbedding: number;
}

export interface FaceptorManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly formatVersion: number;
  readonly label: string;
  readonly variant: Variant;
  readonly precision: Precision;
  readonly provenance: Provenance;
  readonly dims: ModelDims;
  /** Parameter count stored in the weights file (folded constants included). */
  readonly parameters: number;
  /** The single external-data file every graph refers to. */
  readonly weights: string;
  readonly encoder: EncoderGraph;
  readonly heads: readonly HeadGraph[];
  readonly tasks: readonly TaskGraph[];
  /** What the exporter fused or folded, in words (e.g. "BatchNorm folded into Linear"). */
  readonly fused: readonly string[];
  readonly files: readonly PackageFile[];
}

export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

const VARIANTS: readonly Variant[] = ['naive', 'base', 'full', 'layer_attention'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function field<T>(o: Obj, key: string, where: string, check: (v: unknown) => v is T, what: string): T {
  const v = o[key];
  if (v === undefined) throw new ManifestError(`${where}: missing field '${key}'`);
  if (!check(v)) throw new ManifestError(`${where}: field '${key}' must be ${what}`);
  return v;
}
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isSourceSha = (v: unknown): v is string =>
  typeof v === 'string' && (v === SHA256_NOT_RECORDED || /^[0-9a-f]{64}$/.test(v));
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isArr = (v: unknown): v is unknown[] => Array.isArray(v);

/** Sizes, counts and dimensions: whole numbers from `min` up to 2^53 (a fraction, negative or huge one is nonsense). */
const isCount =
  (min: number) =>
  (v: unknown): v is number =>
    isNum(v) && Number.isSafeInteger(v) && v >= min;
const isNonNegInt = isCount(0);
const isPosInt = isCount(1);

function parseIO(v: unknown, where: string): TensorIO {
  if (!isObj(v)) throw new ManifestError(`${where}: must be an object`);
  const name = field(v, 'name', where, isStr, 'a string');
  const dims = field(v, 'dims', where, isArr, 'an array');
  if (!dims.every((d) => isNonNegInt(d) || (isStr(d) && d !== ''))) {
    throw new ManifestError(`${where}: dims must be whole numbers ≥ 0 or names`);
  }
  return { name, dims: dims as Dim[] };
}

/** Longest package path accepted (exported names are short: `encoder_112.onnx`, `weights.bin`). */
const MAX_PATH_LENGTH = 255;
/** One path segment: letters, digits, `_`, `-`, `.`, not starting with a dot (no `.`, `..` or hidden names). */
const PLAIN_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * Why a manifest path is not a plain relative name inside the package, or undefined when it is. Manifest paths come
 * from an untrusted file and are resolved against a folder OR a URL: `https:evil.example/x` is an absolute URL to
 * `new URL(path, base)`, `%2e%2e/x` is `../x` to a web server, `C:x`, `/x` and `a\b` escape a folder. So the path is
 * URL-decoded first, and both forms must be '/'-separated plain segments (letters, digits, `_ - .`; no leading dot).
 * Shared by the package loader (src/pipeline/faceptor/package.ts) and every source that turns a path into a URL or a
 * file name (workers/model-package-source.ts, tools/node-host/model-package.ts).
 */
export function packagePathProblem(path: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return 'it holds a malformed %-escape';
  }
  for (const p of decoded === path ? [path] : [decoded, path]) {
    if (p === '' || p.length > MAX_PATH_LENGTH)
      return p === '' ? 'it is empty' : `it is longer than ${MAX_PATH_LENGTH} characters`;
    if (p.startsWith('/') || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(p)) return 'it is absolute or names a scheme or drive';
    if (p.includes('\\')) return 'it holds a backslash';
    if (p.split('/').some((seg) => seg === '..' || seg === '.')) return "it has a '.' or '..' segment";
    if (!p.split('/').every((seg) => PLAIN_SEGMENT.test(seg)))
      return 'only letters, digits, _ - . and / are allowed (no URL, %-escape, empty or hidden segment)';
  }
  return undefined;
}

/** Structural checks on `dims` beyond types: counts ≥ 1, heads dividing widths, a patch that tiles 112 and 512. */
function checkDims(d: ModelDims, variant: Variant): void {
  const LIMIT = 1 << 16; // far above any ViT/decoder size; keeps arithmetic on dims exact and allocations sane
  for (const [k, v] of Object.entries(d) as [string, number | undefined][]) {
    if (v !== undefined && !(isPosInt(v) && v <= LIMIT))
      throw new ManifestError(`dims: ${k} must be a whole number from 1 to ${LIMIT}, got ${v}`);
  }
  if (d.vitWidth % d.vitHeads !== 0)
    throw new ManifestError(`dims: vitWidth ${d.vitWidth} is not divisible by vitHeads ${d.vitHeads}`);
  if (112 % d.patch !== 0 || 512 % d.patch !== 0)
    throw new ManifestError(`dims: patch ${d.patch} does not tile the 112 and 512 inputs`);
  if (variant !== 'naive') {
    for (const k of ['decoderWidth', 'decoderHeads', 'decoderLayers', 'decoderLevels'] as const) {
      if (d[k] === undefined)
        throw new ManifestError(`dims: the ${variant} variant has a task decoder, but ${k} is missing`);
    }
    if (d.decoderWidth! % d.decoderHeads! !== 0)
      throw new ManifestError(
        `dims: decoderWidth ${d.decoderWidth} is not divisible by decoderHeads ${d.decoderHeads}`,
      );
  }
}

/**
 * Validates a parsed `faceptor.json`. Throws ManifestError saying what is wrong: not a Faceptor manifest, a newer
 * format version than this reader knows, or the first missing/ill-typed field.
 */
export function parseManifest(json: unknown): FaceptorManifest {
  if (!isObj(json) || json.format !== MANIFEST_FORMAT) {
    throw new ManifestError(`not a Faceptor model manifest (expected format '${MANIFEST_FORMAT}')`);
  }
  const version = field(json, 'formatVersion', 'manifest', isNum, 'a number');
  if (version > MANIFEST_VERSION) {
    throw new ManifestError(
      `manifest format version ${version} is newer than this app supports (${MANIFEST_VERSION}): update the app`,
    );
  }
  if (!isPosInt(version))
    throw new ManifestError(
      `manifest: formatVersion must be a whole number from 1 to ${MANIFEST_VERSION}, got ${version}`,
    );
  if (version < MANIFEST_MIN_VERSION) {
    throw new ManifestError(
      `manifest format version ${version} is older than this app loads (${MANIFEST_MIN_VERSION}): re-export the package with \`npm run export\``,
    );
  }
  const variant = field(json, 'variant', 'manifest', isStr, 'a string');
  if (!(VARIANTS as readonly string[]).includes(variant))
    throw new ManifestError(`manifest: unknown variant '${variant}'`);
  const precision = field(json, 'precision', 'manifest', isStr, 'a string');
  if (!(PRECISIONS as readonly string[]).includes(precision))
    throw new ManifestError(`manifest: precision must be one of ${PRECISIONS.join(', ')}, got '${precision}'`);

  const p = field(json, 'provenance', 'manifest', isObj, 'an object');
  const provenance: Provenance = {
    sourceFile: field(p, 'sourceFile', 'provenance', isStr, 'a string'),
    sourceSize: field(p, 'sourceSize', 'provenance', isNum, 'a number'),
    sourceSha256: field(p, 'sourceSha256', 'provenance', isSourceSha, '64 lower-case hex digits or "" (not recorded)'),
    step: p.step === null ? null : field(p, 'step', 'provenance', isNum, 'a number or null'),
    exporter: field(p, 'exporter', 'provenance', isStr, 'a string'),
    exporterVersion: field(p, 'exporterVersion', 'provenance', isStr, 'a string'),
    exportedAt: field(p, 'exportedAt', 'provenance', isStr, 'a string'),
    // A label that says the weights are random/fixture/untrained counts too: a hand-edited or third-party
    // manifest must not make such weights pass for predictions by leaving the flag false.
    untrained:
      field(p, 'untrained', 'provenance', isBool, 'a boolean') ||
      labelSaysUntrained(field(json, 'label', 'manifest', isStr, 'a string')),
  };
  const d = field(json, 'dims', 'manifest', isObj, 'an object');
  const optNum = (k: string) => (d[k] === undefined ? undefined : field(d, k, 'dims', isNum, 'a number'));
  const dims: ModelDims = {
    vitWidth: field(d, 'vitWidth', 'dims', isNum, 'a number'),
    vitLayers: field(d, 'vitLayers', 'dims', isNum, 'a number'),
    vitHeads: field(d, 'vitHeads', 'dims', isNum, 'a number'),
    patch: field(d, 'patch', 'dims', isNum, 'a number'),
    decoderWidth: optNum('decoderWidth'),
    decoderHeads: optNum('decoderHeads'),
    decoderLayers: optNum('decoderLayers'),
    decoderLevels: optNum('decoderLevels'),
    recogEmbedding: field(d, 'recogEmbedding', 'dims', isNum, 'a number'),
  };
  checkDims(dims, variant as Variant);

  const encoder = parseEncoder(field(json, 'encoder', 'manifest', isObj, 'an object'));
  const heads = field(json, 'heads', 'manifest', isArr, 'an array').map((h, i): HeadGraph => {
    const w = `heads[${i}]`;
    if (!isObj(h)) throw new ManifestError(`${w}: must be an object`);
    const kind = field(h, 'kind', w, isStr, 'a string');
    if (kind !== 'decoder' && kind !== 'heads') throw new ManifestError(`${w}: kind must be 'decoder' or 'heads'`);
    const inputs = field(h, 'inputs', w, isArr, 'an array');
    if (!inputs.every(isStr)) throw new ManifestError(`${w}: inputs must be names`);
    return {
      name: field(h, 'name', w, isStr, 'a string'),
      file: field(h, 'file', w, isStr, 'a string'),
      kind,
      inputs: inputs as string[],
      outputs: field(h, 'outputs', w, isArr, 'an array').map((o, j) => parseIO(o, `${w}.outputs[${j}]`)),
      groups: parseGroups(h, w),
    };
  });
  const tasks = field(json, 'tasks', 'manifest', isArr, 'an array').map((t, i): TaskGraph => {
    const w = `tasks[${i}]`;
    if (!isObj(t)) throw new ManifestError(`${w}: must be an object`);
    const name = field(t, 'name', w, isStr, 'a string');
    if (!isTaskName(name)) throw new ManifestError(`${w}: unknown task '${name}'`);
    if (!VARIANT_TASKS[variant as Variant].includes(name))
      throw new ManifestError(`${w}: the ${variant} variant has no task '${name}' (wrong variant?)`);
    const group = field(t, 'group', w, isNum, 'a number');
    if (group !== TASKS[name].group)
      throw new ManifestError(`${w}: ${name} belongs to group ${TASKS[name].group}, not ${group}`);
    const queryOffset =
      t.queryOffset === null ? null : field(t, 'queryOffset', w, isNonNegInt, 'a whole number or null');
    return {
      name,
      type: TASKS[name].type,
      group,
      queries: field(t, 'queries', w, isPosInt, 'a whole number ≥ 1'),
      graph: field(t, 'graph', w, isStr, 'a string'),
      queryOffset,
      outputs: field(t, 'outputs', w, isArr, 'an array').map((o, j) => {
        const io = parseIO(o, `${w}.outputs[${j}]`);
        return { ...io, from: field(o as Obj, 'from', `${w}.outputs[${j}]`, isStr, 'a string') };
      }),
    };
  });
  for (const h of heads) {
    const missing = h.inputs.filter((n) => !encoder.outputs.some((o) => o.name === n));
    if (missing.length)
      throw new ManifestError(
        `head graph ${h.name} needs ${missing.join(', ')} from the encoder, which does not output it`,
      );
  }
  for (const t of tasks) {
    const h = heads.find((x) => x.name === t.graph);
    if (!h) throw new ManifestError(`task ${t.name} is computed by graph '${t.graph}', which the package lacks`);
    if (!h.groups.some((g) => g.group === t.group))
      throw new ManifestError(`task ${t.name}: graph ${h.name} does not serve group ${t.group}`);
    if (!encoder.groups.some((g) => g.group === t.group))
      throw new ManifestError(`task ${t.name} needs the ${t.group} input, which the encoder does not serve`);
    if (h.kind === 'decoder' && t.type !== 'recog' && t.queryOffset === null)
      throw new ManifestError(`task ${t.name}: a decoder task needs a queryOffset`);
    const unknown = t.outputs.filter((o) => !h.outputs.some((x) => x.name === o.from));
    if (unknown.length)
      throw new ManifestError(
        `task ${t.name} reads ${unknown.map((o) => o.from).join(', ')}, which graph ${h.name} does not output`,
      );
  }
  const files = field(json, 'files', 'manifest', isArr, 'an array').map((f, i): PackageFile => {
    const w = `files[${i}]`;
    if (!isObj(f)) throw new ManifestError(`${w}: must be an object`);
    const sha256 = field(f, 'sha256', w, isStr, 'a string');
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new ManifestError(`${w}: sha256 must be 64 lowercase hex digits`);
    return {
      path: field(f, 'path', w, isStr, 'a string'),
      size: field(f, 'size', w, isNonNegInt, 'a whole number ≥ 0'),
      sha256,
    };
  });
  // Listed twice = read and hashed twice (2000 × weights.bin ≈ 35 min at real size) and ambiguous: refuse up front.
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path)) throw new ManifestError(`manifest: file '${f.path}' is listed more than once in files`);
    seen.add(f.path);
  }
  const weights = field(json, 'weights', 'manifest', isStr, 'a string');
  const listed = seen;
  for (const need of [weights, encoder.file, ...heads.map((h) => h.file)]) {
    if (!listed.has(need)) throw new ManifestError(`manifest: file '${need}' is used but not listed in files`);
  }
  const weightsSize = files.find((f) => f.path === weights)!.size;
  for (const [where, g] of [
    ['encoder', encoder.groups],
    ...heads.map((h) => [`head graph ${h.name}`, h.groups] as const),
  ] as const) {
    for (const f of g.flatMap((x) => x.feeds)) {
      if (f.type !== 'int64' && f.offset! + f.length! > weightsSize)
        throw new ManifestError(`${where}: feed ${f.name} lies beyond the end of ${weights}`);
    }
  }
  const fused = field(json, 'fused', 'manifest', isArr, 'an array');
  if (!fused.every(isStr)) throw new ManifestError('manifest: fused must be a list of strings');

  return {
    format: MANIFEST_FORMAT,
    formatVersion: version,
    label: field(json, 'label', 'manifest', isStr, 'a string'),
    variant: variant as Variant,
    precision: precision as Precision,
    provenance,
    dims,
    parameters: field(json, 'parameters', 'manifest', isNonNegInt, 'a whole number ≥ 0'),
    weights,
    encoder,
    heads,
    tasks,
    fused: fused as string[],
    files,
  };
}

function parseEncoder(e: Obj): EncoderGraph {
  const w = 'encoder';
  return {
    file: field(e, 'file', w, isStr, 'a string'),
    input: parseIO(e.input, `${w}.input`),
    outputs: field(e, 'outputs', w, isArr, 'an array').map((o, j) => parseIO(o, `${w}.outputs[${j}]`)),
    groups: parseGroups(e, w),
  };
}

function parseGroups(o: Obj, where: string): GroupFeeds[] {
  return field(o, 'groups', where, isArr, 'an array').map((g, i): GroupFeeds => {
    const w = `${where}.groups[${i}]`;
    if (!isObj(g)) throw new ManifestError(`${w}: must be an object`);
    const group = field(g, 'group', w, isNum, 'a number');
    if (group !== 112 && group !== 512) throw new ManifestError(`${w}: group must be 112 or 512`);
    return { group, feeds: field(g, 'feeds', w, isArr, 'an array').map((f, j) => parseFeed(f, `${w}.feeds[${j}]`)) };
  });
}

/** A constant feed: float32 or half in the weights file (offset/length checked against dims) or int64 values inline. */
function parseFeed(f: unknown, w: string): ConstFeed {
  if (!isObj(f)) throw new ManifestError(`${w}: must be an object`);
  const name = field(f, 'name', w, isStr, 'a string');
  const type = field(f, 'type', w, isStr, 'a string');
  const dims = field(f, 'dims', w, isArr, 'an array');
  if (!dims.every(isNonNegInt)) throw new ManifestError(`${w}: dims must be whole numbers`);
  const numel = (dims as number[]).reduce((a, b) => a * b, 1);
  if (type === 'int64') {
    const values = field(f, 'values', w, isArr, 'an array');
    if (!values.every((v) => isNum(v) && Number.isInteger(v)) || values.length !== numel)
      throw new ManifestError(`${w}: values must be ${numel} integers`);
    return { name, type, dims: dims as number[], values: values as number[] };
  }
  if (type !== 'float32' && type !== 'float16')
    throw new ManifestError(
      `${w}: type '${type}' is not a known feed type (float32, float16 or int64): a newer exporter may have written it`,
    );
  const size = FEED_BYTES[type];
  const offset = field(f, 'offset', w, isNonNegInt, 'a whole number');
  const length = field(f, 'length', w, isNonNegInt, 'a whole number');
  if (offset % size !== 0 || length !== numel * size)
    throw new ManifestError(`${w}: offset/length must be ${size}-byte aligned and ${numel * size} bytes (${type})`);
  return { name, type, dims: dims as number[], offset, length };
}

/** True when a package label says its weights are random, a fixture or untrained. */
export function labelSaysUntrained(label: string): boolean {
  return /\b(random|fixture|untrained|dummy)\b/i.test(label);
}

/** `public/models/index.json`: the installed packages the app can offer. */
export interface ModelIndexEntry {
  /** Folder name under public/models/. */
  readonly name: string;
  readonly label: string;
  readonly variant: Variant;
  readonly precision: Precision;
  readonly untrained: boolean;
  /** Manifest path relative to index.json. */
  readonly manifest: string;
  /** Bytes of the package's weights file (its download size; absent in indexes written before it was recorded). */
  readonly weightsBytes?: number;
  /** sha256 of the source checkpoint: packages of one checkpoint at several precisions share it (picker groups). */
  readonly sourceSha256?: string;
}
export interface ModelIndex {
  readonly format: 'faceptor-web-model-index';
  readonly packages: readonly ModelIndexEntry[];
}
