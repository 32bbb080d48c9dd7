import { describe, expect, it } from 'vitest';
import { initialSettings } from './settings.ts';

describe('initialSettings', () => {
  it('lets ?ep= override the stored provider and says so', () => {
    expect(initialSettings('?ep=wasm', { provider: 'webgpu' })).toMatchObject({
      provider: 'wasm',
      providerFromUrl: true,
    });
  });
  it('uses the stored provider without a URL parameter', () => {
    expect(initialSettings('', { provider: 'webgpu' })).toMatchObject({ provider: 'webgpu', providerFromUrl: false });
  });
  it('falls back to defaults on garbage in storage', () => {
    expect(
      initialSettings('', { provider: 'cuda' as never, detector: 'huge' as never, minScore: 7, maxFaces: -2 }),
    ).toEqual({ provider: 'auto', detector: 'auto', minScore: 0.5, maxFaces: 0, providerFromUrl: false });
  });
  it('keeps a stored face limit', () => {
    expect(initialSettings('', { maxFaces: 3, minScore: 0.7 })).toMatchObject({ maxFaces: 3, minScore: 0.7 });
  });
});
