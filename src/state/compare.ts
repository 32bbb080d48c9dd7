/**
 * The two faces picked for a 1:1 comparison. A pick fills the first empty side; with both sides full it replaces
 * side B (A stays the reference being compared against). Sides are copies: removing the card or the person
 * afterwards does not change a comparison on screen.
 */
import { create } from 'zustand';
import type { SideEmbedding } from '../core/identity/compare.ts';

export interface CompareSide {
  /** Identifies what was picked (card id + face index, or person id), so picking it again is a no-op. */
  readonly key: string;
  readonly label: string;
  readonly embeddings: readonly SideEmbedding[];
  /** The 112×112 aligned crop the identity head saw, as a data URL (null for people: no image is stored). */
  readonly crop: string | null;
  /** Made by a model with random weights: the similarity means nothing (shown as such). */
  readonly untrained: boolean;
}

interface CompareStore {
  readonly sides: readonly [CompareSide | null, CompareSide | null];
  pick(side: CompareSide): void;
  clear(index?: 0 | 1): void;
  swap(): void;
}

export function pickInto(
  sides: readonly [CompareSide | null, CompareSide | null],
  side: CompareSide,
): [CompareSide | null, CompareSide | null] {
  const [a, b] = sides;
  if (a?.key === side.key || b?.key === side.key) return [a, b];
  if (!a) return [side, b];
  return [a, side];
}

export const useCompare = create<CompareStore>()((set, get) => ({
  sides: [null, null],
  pick: (side) => set({ sides: pickInto(get().sides, side) }),
  clear: (index) =>
    set({ sides: index === undefined ? [null, null] : index === 0 ? [null, get().sides[1]] : [get().sides[0], null] }),
  swap: () => set({ sides: [get().sides[1], get().sides[0]] }),
}));
