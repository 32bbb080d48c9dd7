/**
 * The runtime seam. The pipeline only ever talks to these interfaces; onnxruntime-web (browser worker) and
 * onnxruntime-node (CLI, golden checks, benchmarks) each implement them. Nothing here imports onnxruntime.
 */

export type TensorType = 'float32' | 'float16' | 'int64' | 'int32' | 'uint8' | 'bool';

export interface TensorData {
  readonly type: TensorType;
  readonly dims: readonly number[];
  readonly data: Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;
}

export interface SessionInfo { readonly inputNames: readonly string[]; readonly outputNames: readonly string[] }

export interface InferenceSession extends SessionInfo {
  /** Runs the graph. Implementations serialise calls per session (overlapping runs fail in ORT-web). */
  run(feeds: Readonly<Record<string, TensorData>>, fetches?: readonly string[]): Promise<Record<string, TensorData>>;
  release(): Promise<void>;
}

/** Bytes of an ONNX graph's external-data file, by the `location` name the graph refers to. */
export interface ExternalData { readonly path: string; readonly data: Uint8Array }

export interface SessionOptions { readonly externalData?: readonly ExternalData[] }

export interface InferenceBackend {
  /** Execution provider actually in use, e.g. 'webgpu', 'wasm', 'cpu'. */
  readonly provider: string;
  createSession(model: Uint8Array, options?: SessionOptions): Promise<InferenceSession>;
}
