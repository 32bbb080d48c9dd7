import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_OVERLAY, initialOverlay, samePart, useOverlay } from './overlay.ts';

describe('initialOverlay', () => {
  it('defaults: everything shown, masks at half opacity', () => {
    expect(initialOverlay({})).toEqual({
      showBoxes: true,
      showKeypoints: true,
      showPoints: true,
      showContours: true,
      maskOpacity: 0.5,
    });
  });
  it('keeps valid stored values and drops bad ones one by one', () => {
    expect(initialOverlay({ showBoxes: false, showPoints: 'no', maskOpacity: 0.2 })).toEqual({
      ...DEFAULT_OVERLAY,
      showBoxes: false,
      maskOpacity: 0.2,
    });
    expect(initialOverlay({ maskOpacity: 3 }).maskOpacity).toBe(0.5);
    expect(initialOverlay(null)).toEqual(DEFAULT_OVERLAY);
    expect(initialOverlay('garbage')).toEqual(DEFAULT_OVERLAY);
  });
});

describe('useOverlay', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });
  it('persists options (readable back by initialOverlay) but not the hovered part', () => {
    const store = new Map<string, string>();
    const setItem = vi.fn((k: string, v: string) => {
      store.set(k, v);
    });
    vi.stubGlobal('localStorage', { getItem: (k: string) => store.get(k) ?? null, setItem });
    useOverlay.getState().set({ hoveredPart: { head: 'celebam', label: 3 } });
    expect(setItem).not.toHaveBeenCalled();
    expect(useOverlay.getState().hoveredPart).toEqual({ head: 'celebam', label: 3 });
    useOverlay.getState().set({ showContours: false, maskOpacity: 0.8 });
    expect(setItem).toHaveBeenCalledTimes(1);
    const [, json] = setItem.mock.calls[0];
    expect(initialOverlay(JSON.parse(json))).toEqual({ ...DEFAULT_OVERLAY, showContours: false, maskOpacity: 0.8 });
    expect(json).not.toContain('hoveredPart');
  });
});

describe('samePart', () => {
  it('compares by head and label', () => {
    expect(samePart(null, null)).toBe(true);
    expect(samePart({ head: 'lapa', label: 2 }, { head: 'lapa', label: 2 })).toBe(true);
    expect(samePart({ head: 'lapa', label: 2 }, { head: 'celebam', label: 2 })).toBe(false);
    expect(samePart({ head: 'lapa', label: 2 }, null)).toBe(false);
  });
});
