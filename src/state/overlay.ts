/**
 * What the overlay shows (display only: nothing here changes what the worker runs — enabling a task type lives in
 * state/tasks.ts). The toggles and the mask opacity persist in localStorage; the hovered part is transient.
 */
import { create } from 'zustand';

const STORAGE_KEY = 'faceptor.overlay.v1';

export interface OverlayOptions {
  readonly showBoxes: boolean;
  /** The detector's six keypoints. */
  readonly showKeypoints: boolean;
  /** Landmark points of every landmark set present. */
  readonly showPoints: boolean;
  /** Contour lines of the landmark sets that define them (300W, WFLW). */
  readonly showContours: boolean;
  /** Opacity of the parsing masks, 0..1. */
  readonly maskOpacity: number;
}

/** A parsing class under the pointer (canvas or legend): head key (e.g. 'celebam') and class index. */
export interface HoveredPart {
  readonly head: string;
  readonly label: number;
}

export const DEFAULT_OVERLAY: OverlayOptions = {
  showBoxes: true,
  showKeypoints: true,
  showPoints: true,
  showContours: true,
  maskOpacity: 0.5,
};

interface OverlayStore extends OverlayOptions {
  readonly hoveredPart: HoveredPart | null;
  set(patch: Partial<OverlayOptions> & { hoveredPart?: HoveredPart | null }): void;
}

const TOGGLES = ['showBoxes', 'showKeypoints', 'showPoints', 'showContours'] as const;

/** Stored options, each checked on its own so one bad value (older version, hand edit) keeps the others. */
export function initialOverlay(stored: unknown): OverlayOptions {
  const s = (stored && typeof stored === 'object' ? stored : {}) as Record<string, unknown>;
  const out: Record<string, boolean | number> = { ...DEFAULT_OVERLAY };
  for (const key of TOGGLES) if (typeof s[key] === 'boolean') out[key] = s[key];
  const o = s.maskOpacity;
  if (typeof o === 'number' && o >= 0 && o <= 1) out.maskOpacity = o;
  return out as unknown as OverlayOptions;
}

function readStored(): unknown {
  try {
    return JSON.parse(globalThis.localStorage?.getItem(STORAGE_KEY) ?? '{}');
  } catch {
    return {};
  }
}

export const useOverlay = create<OverlayStore>()((set, get) => ({
  ...initialOverlay(readStored()),
  hoveredPart: null,
  set(patch) {
    set(patch);
    if (Object.keys(patch).every((k) => k === 'hoveredPart')) return; // hover moves often and is not a setting
    const { showBoxes, showKeypoints, showPoints, showContours, maskOpacity } = get();
    try {
      globalThis.localStorage?.setItem(
        STORAGE_KEY,
        JSON.stringify({ showBoxes, showKeypoints, showPoints, showContours, maskOpacity }),
      );
    } catch {
      // Private mode / quota: the options then last for this page only.
    }
  },
}));

/** Same part (or both none): lets hover handlers skip store updates while the pointer stays on one part. */
export function samePart(a: HoveredPart | null, b: HoveredPart | null): boolean {
  return a === b || (!!a && !!b && a.head === b.head && a.label === b.label);
}
