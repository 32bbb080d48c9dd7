/**
 * Dropped/picked images and their analyses. Each item fails or succeeds on its own: one bad file never touches
 * the others. Per-face Faceptor results live on `analysis.faces` (the worker's ImageAnalysis).
 */
import { create } from 'zustand';
import type { ImageAnalysis } from '../result.ts';
import type { ErrorCode } from '../core/errors.ts';

export type GalleryItemState = 'analysing' | 'done' | 'error';

export interface GalleryItem {
  readonly id: string;
  readonly name: string;
  readonly size: number;
  /** Object URL for display; null for files the browser cannot show. */
  readonly url: string | null;
  readonly state: GalleryItemState;
  readonly analysis: ImageAnalysis | null;
  readonly error: string | null;
  /** Stable code of the error (src/core/errors.ts), for code that branches on it; null without an error. */
  readonly errorCode?: ErrorCode | null;
  /** The file, kept to analyse it again when the tasks, heads or model change. */
  readonly file?: Blob;
  /** What the analysis was asked for (requestKey): differs from the current one → the results are out of date. */
  readonly request?: string;
}

interface GalleryStore {
  readonly items: readonly GalleryItem[];
  add(item: GalleryItem): void;
  update(id: string, patch: Partial<GalleryItem>): void;
  remove(id: string): void;
  clear(): void;
}

export const useGallery = create<GalleryStore>()((set, get) => ({
  items: [],
  add: (item) => set({ items: [item, ...get().items] }),
  update: (id, patch) => set({ items: get().items.map((it) => (it.id === id ? { ...it, ...patch } : it)) }),
  remove: (id) => {
    const item = get().items.find((it) => it.id === id);
    if (item?.url) URL.revokeObjectURL(item.url);
    set({ items: get().items.filter((it) => it.id !== id) });
  },
  clear: () => {
    for (const it of get().items) if (it.url) URL.revokeObjectURL(it.url);
    set({ items: [] });
  },
}));
