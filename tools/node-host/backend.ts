/**
 * InferenceBackend over onnxruntime-node (CPU execution provider) for the CLI, benchmarks and Node tests.
 * Runs are serialised per session so callers can fire concurrent detect() calls safely, as in the browser worker.
 */
import * as ort from 'onnxruntime-node';
import type { InferenceBackend, InferenceSession, SessionOptions, TensorData } from '../../src/pipeline/backend.ts';

function toOrt(t: TensorData): ort.Tensor {
  return new ort.Tensor(t.type, t.data as ort.Tensor['data'] & Float32Array, t.dims as number[]);
}

function fromOrt(t: ort.Tensor): TensorData {
  return { type: t.type as TensorData['type'], dims: [...t.dims], data: t.data as TensorData['data'] };
}

export interface NodeBackendOptions {
  /** Intra-op threads per session. Default 1: the CLI and tests share few cores, and BlazeFace is tiny. */
  readonly threads?: number;
  /** Called with the duration of each bare `session.run` (no tensor wrapping), for benchmarks. */
  readonly onRun?: (ms: number) => void;
}

export function createNodeBackend(options: NodeBackendOptions = {}): InferenceBackend {
  const threads = options.threads ?? 1;
  return {
    provider: 'cpu',
    createSession: (model: Uint8Array, sessionOptions?: SessionOptions) => open(model, sessionOptions),
    // From a file, ORT reads the external data (weights.bin beside the graph) itself: the host keeps no copy. Without
    // prepacking ORT maps weights.bin and uses it in place (measured at real size: the encoder session adds ~0 MiB
    // instead of ~330 MiB of packed copies, and opens ~0.7 s sooner); MatMul then packs B per call, which costs
    // O(K·N) against the GEMM's O(M·K·N): ≤ 2 % for the 50-token 112 pass, ~0.1 % at 512.
    createSessionFromFile: (path: string) => open(path, undefined, true),
  };

  async function open(
    model: Uint8Array | string,
    sessionOptions?: SessionOptions,
    inPlace = false,
  ): Promise<InferenceSession> {
    // a path (string) or the graph's bytes: both overloads exist; one call site keeps the options in one place
    const session = await ort.InferenceSession.create(model as Uint8Array, {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      logSeverityLevel: 3, // the BlazeFace exports carry unused initialisers; ORT warns about each one
      ...(inPlace ? { extra: { session: { disable_prepacking: '1' } } } : {}),
      ...(sessionOptions?.externalData
        ? { externalData: sessionOptions.externalData.map((e) => ({ path: e.path, data: e.data })) }
        : {}),
    });
    let queue: Promise<unknown> = Promise.resolve();
    return {
      inputNames: session.inputNames,
      outputNames: session.outputNames,
      run(feeds, fetches) {
        const run = queue.then(async () => {
          const ortFeeds: Record<string, ort.Tensor> = {};
          for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrt(t);
          const t0 = performance.now();
          const out = fetches ? await session.run(ortFeeds, [...fetches]) : await session.run(ortFeeds);
          options.onRun?.(performance.now() - t0);
          const result: Record<string, TensorData> = {};
          for (const [name, t] of Object.entries(out)) result[name] = fromOrt(t);
          return result;
        });
        queue = run.catch(() => undefined);
        return run;
      },
      async release() {
        await queue;
        await session.release();
      },
    };
  }
}
