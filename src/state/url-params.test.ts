import { describe, expect, it } from 'vitest';
import { providerFromUrl, threadsFromUrl } from './url-params.ts';

describe('providerFromUrl', () => {
  it('reads ?ep=', () => {
    expect(providerFromUrl('?ep=wasm')).toBe('wasm');
    expect(providerFromUrl('?x=1&ep=webgpu')).toBe('webgpu');
  });
  it('ignores unknown or missing values', () => {
    expect(providerFromUrl('?ep=cuda')).toBeNull();
    expect(providerFromUrl('')).toBeNull();
  });
});

describe('threadsFromUrl', () => {
  it('reads a positive integer and ignores anything else', () => {
    expect(threadsFromUrl('?threads=1')).toBe(1);
    expect(threadsFromUrl('?ep=wasm&threads=2')).toBe(2);
    for (const bad of [
      '',
      '?threads=',
      '?threads=0',
      '?threads=-1',
      '?threads=1.5',
      '?threads=abc',
      '?threads=99999',
    ]) {
      expect(threadsFromUrl(bad), bad).toBeNull();
    }
  });
});
