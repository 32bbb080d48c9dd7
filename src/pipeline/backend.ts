/**
 * The runtime seam. The pipeline only ever talks to these interfaces; onnxruntime-web (browser worker) and
 * onnxruntime-node (CLI, golden checks, benchmarks) each implement them. Nothing here imports onnxruntime.
 */
import type { ExecutionProvider } from '../result.ts';

export type TensorType = 'float32' | 'float16' | 'int64' | 'int32' | 'uint8' | 'bool';

export interface TensorData {
  readonly type: TensorType;
  readonly dims: readonly number[];
  readonly data: Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;
  /**
   * Set when the runtime kept this output on its device (a WebGPU buffer, see SessionOptions.outputsOnDevice):
   * `data` is then empty and must not be read. Feed the tensor to another session of the same backend as it is,
   * and call `dispose()` when done with it.
   */
  readonly device?: unknown;
  dispose?(): void;
}

export interface SessionInfo {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
}

export interface InferenceSession extends SessionInfo {
  /** Runs the graph. Implementations serialise calls per session (overlapping runs fail in ORT-web). */
  run(feeds: Readonly<Record<string, TensorData>>, fetches?: readonly string[]): Promise<Record<string, TensorData>>;
  release(): Promise<void>;
}

/** Bytes of an ONNX graph's external-data file, by the `location` name the graph refers to. */
export interface ExternalData {
  readonly path: string;
  readonly data: Uint8Array;
}

export interface SessionOptions {
  readonly externalData?: readonly ExternalData[];
  /**
   * Keep this session's outputs on the device when the backend has one (WebGPU): they come back with `device` set
   * and no bytes read back, for feeding the next graph. Backends without a device ignore it (CPU data as usual).
   */
  readonly outputsOnDevice?: boolean;
}

export interface InferenceBackend {
  /** Execution provider actually in use, e.g. 'webgpu', 'wasm', 'cpu'. */
  readonly provider: ExecutionProvider;
  createSession(model: Uint8Array, options?: SessionOptions): Promise<InferenceSession>;
  /**
   * Optional (onnxruntime-node): opens a graph from a file on disk; the runtime reads its external data (weights.bin
   * beside it) itself, so the host need not hold the weights in memory (`options.externalData` is ignored).
   */
  createSessionFromFile?(path: string, options?: SessionOptions): Promise<InferenceSession>;
}
