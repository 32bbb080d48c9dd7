import { describe, expect, it } from 'vitest';
import { planProviders } from './provider-plan.ts';

describe('planProviders', () => {
  it('tries WebGPU alone before WASM when the browser has WebGPU', () => {
    expect(planProviders('auto', true)).toEqual({ attempts: ['webgpu', 'wasm'], skippedWebGpuReason: null });
  });
  it('goes straight to WASM, with a reason, when navigator.gpu is missing', () => {
    const plan = planProviders('auto', false);
    expect(plan.attempts).toEqual(['wasm']);
    expect(plan.skippedWebGpuReason).toMatch(/no WebGPU/);
  });
  it('honours a forced WASM setting even when WebGPU exists', () => {
    const plan = planProviders('wasm', true);
    expect(plan.attempts).toEqual(['wasm']);
    expect(plan.skippedWebGpuReason).toMatch(/chosen/);
  });
  it('auto prefers WASM over a software (fallback) WebGPU adapter, and says why', () => {
    const plan = planProviders('auto', true, 'fallback');
    expect(plan.attempts).toEqual(['wasm']);
    expect(plan.skippedWebGpuReason).toMatch(/software fallback.*slower than WASM/);
    expect(planProviders('auto', true, 'none').skippedWebGpuReason).toMatch(/no WebGPU adapter/);
    expect(planProviders('auto', true, 'hardware').attempts).toEqual(['webgpu', 'wasm']);
    // a forced WebGPU is honoured even on a software adapter (useful to test the WebGPU path)
    expect(planProviders('webgpu', true, 'fallback').attempts).toEqual(['webgpu', 'wasm']);
  });
  it('says that a forced WebGPU could not be honoured', () => {
    expect(planProviders('webgpu', false).skippedWebGpuReason).toMatch(/requested/);
  });
});
