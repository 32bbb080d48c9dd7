/**
 * How many threads the WASM EP gets. Multi-thread wasm needs SharedArrayBuffer, which browsers only give to
 * cross-origin isolated pages (COOP same-origin + COEP require-corp, see README "Hosting"); without isolation ORT
 * would warn and fall back to one thread itself, so we say 1 up front and the status bar tells the truth.
 * More than 4 threads gains little for these graphs and takes cores from the page, the detector and the camera.
 */
export const MAX_WASM_THREADS = 4;

export interface ThreadEnvironment {
  readonly crossOriginIsolated: boolean;
  /** navigator.hardwareConcurrency (may be undefined or 0 in odd hosts). */
  readonly hardwareConcurrency: number | undefined;
  /** An explicit cap from `?threads=N` (tests compare 1 vs N threads; users can rule threads out). */
  readonly requested?: number | null;
}

export function wasmThreadCount(env: ThreadEnvironment): number {
  if (!env.crossOriginIsolated) return 1;
  const cores =
    Number.isFinite(env.hardwareConcurrency) && (env.hardwareConcurrency ?? 0) >= 1
      ? Math.floor(env.hardwareConcurrency!)
      : 1;
  const cap =
    env.requested != null && Number.isFinite(env.requested) && env.requested >= 1
      ? Math.floor(env.requested)
      : MAX_WASM_THREADS;
  return Math.max(1, Math.min(cores, MAX_WASM_THREADS, cap));
}
