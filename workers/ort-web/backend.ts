/**
 * InferenceBackend over onnxruntime-web, for the perception worker.
 *
 * Bundle choice (see README "Why these onnxruntime-web imports"): we never import the package root (JSEP build,
 * 28 MB wasm). When WebGPU is worth trying we load `onnxruntime-web/webgpu` (native WebGPU EP, 27 MB asyncify wasm,
 * which also carries the CPU/wasm EP for the fallback); when only WASM can run we load `onnxruntime-web/wasm`
 * (14 MB). Both are dynamic imports, so a browser downloads exactly one of them.
 */
import type { InferenceBackend, InferenceSession, SessionOptions, TensorData } from '../../src/pipeline/backend.ts';
import { RunQueue } from './run-queue.ts';
import { planProviders, type ProviderName, type ProviderPreference, type WebGpuAdapterKind } from './provider-plan.ts';
import { wasmThreadCount } from './threads.ts';

type Ort = typeof import('onnxruntime-web');

export interface OrtWebBackend extends InferenceBackend {
  readonly provider: ProviderName;
  /** Why the backend is not on WebGPU (null when it is). */
  readonly fallbackReason: string | null;
  /** Threads of ORT's wasm runtime (the WASM EP and the CPU part of WebGPU graphs), as ORT really set them up. */
  readonly wasmThreads: number;
  /**
   * Whether the WebGPU device ORT opened has `shader-f16` (null off WebGPU). Reported only: every package computes
   * in float32 today (fp16/q8/q4 are storage precisions), so the status bar says "fp32 maths" either way.
   */
  readonly shaderF16: boolean | null;
  /** Called once if the WebGPU device is lost (driver reset, tab in background on some GPUs…). */
  onDeviceLost(listener: (reason: string) => void): void;
}

export interface CreateOrtWebBackendOptions {
  readonly preference: ProviderPreference;
  /** A small model used to find out which EP really works (its session is kept and reused). */
  readonly probeModel: Uint8Array;
  /** Injected for tests and for hosts without `navigator.gpu`. */
  readonly hasWebGpuApi?: boolean;
  /** Cap on wasm threads (`?threads=N`); the default is min(hardwareConcurrency, 4) when cross-origin isolated. */
  readonly wasmThreads?: number | null;
}

/** The runtime loaded so far; the WebGPU bundle also serves WASM, so a fallback never downloads a second runtime. */
let loadedRuntime: { readonly withWebGpu: boolean; readonly ort: Promise<Ort> } | null = null;

function loadOrt(withWebGpu: boolean, threads: number): Promise<Ort> {
  if (loadedRuntime && (loadedRuntime.withWebGpu || !withWebGpu)) return loadedRuntime.ort;
  const ort = importOrt(withWebGpu, threads);
  loadedRuntime = { withWebGpu, ort };
  ort.catch(() => {
    if (loadedRuntime?.ort === ort) loadedRuntime = null;
  });
  return ort;
}

async function importOrt(withWebGpu: boolean, threads: number): Promise<Ort> {
  const ort: Ort = withWebGpu ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm');
  // Read once, when ORT initialises its wasm on the first session. More than one thread needs cross-origin
  // isolation (threads.ts); ORT then starts its pthread workers from its own bundle (the chunk Vite emitted).
  // No proxy: this worker is already off the main thread, so ORT's proxy worker would only add a copy.
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  return ort;
}

function toOrtTensor(ort: Ort, t: TensorData): import('onnxruntime-web').Tensor {
  // A tensor an earlier session left on the GPU goes back in as it is: no round trip through JS.
  if (t.device) return t.device as import('onnxruntime-web').Tensor;
  return new ort.Tensor(t.type, t.data as never, t.dims as number[]);
}

/** CPU outputs are copied out and their ORT tensor disposed; GPU-buffer outputs stay on the device (caller disposes). */
function fromOrtTensor(t: import('onnxruntime-web').Tensor): TensorData {
  if (t.location === 'gpu-buffer') {
    return {
      type: t.type as TensorData['type'],
      dims: [...t.dims],
      data: new Float32Array(0),
      device: t,
      dispose: () => t.dispose(),
    };
  }
  const out: TensorData = { type: t.type as TensorData['type'], dims: [...t.dims], data: t.data as TensorData['data'] };
  t.dispose?.();
  return out;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

class OrtWebSession implements InferenceSession {
  private readonly queue = new RunQueue();
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];

  constructor(
    private readonly ort: Ort,
    private readonly session: import('onnxruntime-web').InferenceSession,
  ) {
    this.inputNames = session.inputNames;
    this.outputNames = session.outputNames;
  }

  run(feeds: Readonly<Record<string, TensorData>>, fetches?: readonly string[]): Promise<Record<string, TensorData>> {
    return this.queue.push(async () => {
      const ortFeeds: Record<string, import('onnxruntime-web').Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(this.ort, t);
      const out = fetches ? await this.session.run(ortFeeds, [...fetches]) : await this.session.run(ortFeeds);
      const result: Record<string, TensorData> = {};
      for (const [name, t] of Object.entries(out)) result[name] = fromOrtTensor(t);
      return result;
    });
  }

  release(): Promise<void> {
    return this.queue.push(() => this.session.release());
  }
}

/**
 * Finds a working EP (WebGPU alone first, then WASM) by creating a session for `probeModel`, and returns a backend
 * locked to that EP. Throws only when no EP can load the probe model (then the model bytes are the likely culprit,
 * and the error says so).
 */
export async function createOrtWebBackend(options: CreateOrtWebBackendOptions): Promise<OrtWebBackend> {
  const hasWebGpuApi =
    options.hasWebGpuApi ?? (typeof navigator !== 'undefined' && !!(navigator as { gpu?: unknown }).gpu);
  const adapter = options.preference === 'auto' && hasWebGpuApi ? await probeAdapter() : 'unknown';
  const plan = planProviders(options.preference, hasWebGpuApi, adapter);
  const threads = wasmThreadCount({
    crossOriginIsolated: typeof self !== 'undefined' && self.crossOriginIsolated === true,
    hardwareConcurrency: typeof navigator !== 'undefined' ? navigator.hardwareConcurrency : undefined,
    requested: options.wasmThreads,
  });
  const ort = await loadOrt(plan.attempts.includes('webgpu'), threads);
  let fallbackReason = plan.skippedWebGpuReason;
  const failures: string[] = [];

  for (const provider of plan.attempts) {
    try {
      const probe = await ort.InferenceSession.create(options.probeModel, {
        executionProviders: [provider],
        logSeverityLevel: 3,
      });
      if (provider === 'wasm' && plan.attempts.length > 1 && fallbackReason === null) {
        fallbackReason = `WebGPU failed: ${failures[0] ?? 'unknown error'}`;
      }
      const shaderF16 = provider === 'webgpu' ? await deviceHasShaderF16(ort) : null;
      return makeBackend(ort, provider, fallbackReason, shaderF16, options.probeModel, new OrtWebSession(ort, probe));
    } catch (err) {
      failures.push(`${provider}: ${describe(err)}`);
    }
  }
  throw new Error(`no execution provider could load the model (${failures.join('; ')})`);
}

function makeBackend(
  ort: Ort,
  provider: ProviderName,
  fallbackReason: string | null,
  shaderF16: boolean | null,
  probeBytes: Uint8Array,
  probeSession: OrtWebSession,
): OrtWebBackend {
  const lostListeners: ((reason: string) => void)[] = [];
  let probeHandedOut = false;
  // After the probe session ORT's wasm is initialised; it resets numThreads to 1 if threads could not start.
  const wasmThreads = Math.max(1, Number(ort.env.wasm.numThreads) || 1);
  if (provider === 'webgpu') watchDeviceLoss(ort, (reason) => lostListeners.splice(0).forEach((l) => l(reason)));

  return {
    provider,
    fallbackReason,
    wasmThreads,
    shaderF16,
    onDeviceLost(listener) {
      lostListeners.push(listener);
    },
    async createSession(model: Uint8Array, sessionOptions?: SessionOptions): Promise<InferenceSession> {
      // The probe already compiled this exact graph: hand it out once instead of building it twice.
      if (!probeHandedOut && model === probeBytes && !sessionOptions?.externalData?.length) {
        probeHandedOut = true;
        return probeSession;
      }
      const session = await ort.InferenceSession.create(model, {
        executionProviders: [provider],
        // WebGPU: outputs meant for the next graph (the encoder's features) stay in GPU memory.
        ...(provider === 'webgpu' && sessionOptions?.outputsOnDevice
          ? { preferredOutputLocation: 'gpu-buffer' as const }
          : {}),
        // The BlazeFace exports carry unused initialisers; ORT would log a warning for each one on every load.
        logSeverityLevel: 3,
        externalData: sessionOptions?.externalData?.map((d) => ({ path: d.path, data: d.data })),
      });
      return new OrtWebSession(ort, session);
    },
  };
}

/** The part of WebGPU's GPUAdapter we read (`info.isFallbackAdapter`; older builds had it on the adapter). */
interface AdapterLike {
  readonly info?: { readonly isFallbackAdapter?: boolean };
  readonly isFallbackAdapter?: boolean;
}

/** Asks for the adapter WebGPU would use, to tell a real GPU from a software one before loading ORT's WebGPU build. */
async function probeAdapter(): Promise<WebGpuAdapterKind> {
  try {
    const gpu = (navigator as { gpu?: { requestAdapter(): Promise<AdapterLike | null> } }).gpu;
    const adapter = await gpu?.requestAdapter();
    if (!adapter) return 'none';
    const fallback = adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter;
    return fallback === true ? 'fallback' : fallback === false ? 'hardware' : 'unknown';
  } catch {
    return 'unknown'; // let ORT try and report its own error
  }
}

/** The part of WebGPU's GPUDevice we use (the DOM lib of TypeScript 5.9 has no WebGPU types). */
interface LosableDevice {
  readonly lost?: Promise<{ readonly message: string; readonly reason?: string }>;
}

/** Reads `features` of the device ORT created (a value or a promise, depending on the build). */
async function deviceHasShaderF16(ort: Ort): Promise<boolean | null> {
  try {
    const device = (await Promise.resolve((ort.env.webgpu as { device?: unknown } | undefined)?.device)) as
      { features?: { has(f: string): boolean } } | undefined;
    return device?.features ? device.features.has('shader-f16') : null;
  } catch {
    return null;
  }
}

/** ORT exposes the GPUDevice it created on `env.webgpu.device` (a value or a promise, depending on the build). */
function watchDeviceLoss(ort: Ort, onLost: (reason: string) => void): void {
  try {
    const device = (ort.env.webgpu as { device?: LosableDevice | Promise<LosableDevice> } | undefined)?.device;
    if (!device) return;
    void Promise.resolve(device)
      .then((d) => d?.lost?.then((info) => onLost(info.message || info.reason || 'device lost')))
      .catch(() => undefined);
  } catch {
    // Older/newer builds may throw on access before init; device loss then surfaces as a run error instead.
  }
}
