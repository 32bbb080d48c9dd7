/**
 * The batch folder queue: photos of a dropped folder analysed one after another, with pause/resume/cancel. The
 * store keeps per photo its path, state, summary and JSON entry (batch-results.ts); the File handles (references
 * to the files on disk, not their pixels) sit beside the store so that re-renders never copy them.
 */
import { create } from 'zustand';
import type { ModelJson } from '../pipeline/analysis-json.ts';
import type { BatchItem, Sort } from './batch-results.ts';

export type QueueState = 'idle' | 'running' | 'paused';

interface BatchStore {
  readonly items: readonly BatchItem[];
  readonly queue: QueueState;
  readonly sort: Sort;
  /** The model of the first photo a Faceptor model ran on (the JSON document's `model`). */
  readonly model: ModelJson | undefined;
  /** Row whose card is open (rendered only for that row). */
  readonly selected: number | null;
  /** Files of the folder that were left out (not photos). */
  readonly skipped: number;
  set(patch: Partial<Omit<BatchStore, 'set' | 'update'>>): void;
  update(id: number, patch: Partial<BatchItem>): void;
}

/** id → File, for queued photos and for opening a row's card. */
export const batchFiles = new Map<number, File>();

export const useBatch = create<BatchStore>()((set, get) => ({
  items: [],
  queue: 'idle',
  sort: { key: 'file', descending: false },
  model: undefined,
  selected: null,
  skipped: 0,
  set: (patch) => set(patch),
  update: (id, patch) => set({ items: get().items.map((it) => (it.id === id ? { ...it, ...patch } : it)) }),
}));
