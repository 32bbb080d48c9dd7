/**
 * Which execution providers to try, in order, and why. Pure so that the policy is unit-tested without a browser.
 *
 * Policy (docs/environment.md §4.2): ORT-web's `['webgpu', 'wasm']` falls back *silently*, so we try `['webgpu']` alone
 * first — then we know which EP we got — and only then `['wasm']`, recording the reason for the fallback.
 */
export type ProviderPreference = 'auto' | 'webgpu' | 'wasm';
export type ProviderName = 'webgpu' | 'wasm';

export interface ProviderPlan {
  /** Providers to try in order; the first that creates a session wins. */
  readonly attempts: readonly ProviderName[];
  /** Why WebGPU is not attempted at all (null when it is attempted). */
  readonly skippedWebGpuReason: string | null;
}

/**
 * What `navigator.gpu.requestAdapter()` gave: a real GPU, a software one (`adapter.info.isFallbackAdapter`, e.g.
 * SwiftShader: 35–100× slower than WASM for our models), none, or not asked (unknown).
 */
export type WebGpuAdapterKind = 'hardware' | 'fallback' | 'none' | 'unknown';

export function planProviders(
  preference: ProviderPreference,
  hasWebGpuApi: boolean,
  adapter: WebGpuAdapterKind = 'unknown',
): ProviderPlan {
  if (preference === 'wasm')
    return { attempts: ['wasm'], skippedWebGpuReason: 'it was chosen in the settings (or ?ep=wasm)' };
  // "auto" means the fastest EP: a software WebGPU adapter starts in ~15 s and takes ~1 s per frame where WASM
  // takes milliseconds, and without an adapter WebGPU cannot start at all. A forced WebGPU is still tried.
  if (preference === 'auto' && hasWebGpuApi && adapter === 'fallback') {
    return {
      attempts: ['wasm'],
      skippedWebGpuReason:
        'the only WebGPU adapter here is a software fallback (no GPU), which is much slower than WASM',
    };
  }
  if (preference === 'auto' && hasWebGpuApi && adapter === 'none') {
    return {
      attempts: ['wasm'],
      skippedWebGpuReason: 'this browser has no WebGPU adapter (navigator.gpu.requestAdapter() found none)',
    };
  }
  if (!hasWebGpuApi) {
    const reason = 'this browser has no WebGPU (navigator.gpu is missing)';
    // A forced WebGPU that cannot exist still falls back: a working app beats an honoured but useless setting.
    return {
      attempts: ['wasm'],
      skippedWebGpuReason: preference === 'webgpu' ? `WebGPU was requested but ${reason}` : reason,
    };
  }
  // When WebGPU is forced we still keep WASM as a last resort, but the UI shows that the forced EP failed.
  return { attempts: ['webgpu', 'wasm'], skippedWebGpuReason: null };
}
