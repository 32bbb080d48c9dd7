/**
 * Runs the batch queue: one photo at a time through the worker (as the photo gallery does), the next one only
 * while the queue is 'running'. Pause lets the photo in progress finish; cancel drops the photos still queued.
 */
import { useCallback, useEffect, useRef } from 'react';
import { useEngineClient } from '../engine/EngineProvider.tsx';
import { errorMessage } from '../engine/client.ts';
import { batchFiles, useBatch } from '../../state/batch.ts';
import { isImagePath, summarise, type BatchItem } from '../../state/batch-results.ts';
import { useSettings } from '../../state/settings.ts';
import { currentFaceptorOptions } from '../../state/analysis-options.ts';
import { useEngine } from '../../state/engine.ts';

let nextId = 0;

export function useBatchQueue() {
  const client = useEngineClient();
  const queue = useBatch((s) => s.queue);
  const engineReady = useEngine((s) => s.phase === 'ready');
  const busy = useRef(false);

  const step = useCallback(async () => {
    if (busy.current) return;
    busy.current = true;
    try {
      while (useBatch.getState().queue === 'running') {
        const item = useBatch.getState().items.find((it) => it.state === 'queued');
        const file = item && batchFiles.get(item.id);
        if (!item || !file) {
          useBatch.getState().set({ queue: 'idle' });
          break;
        }
        const store = useBatch.getState();
        store.update(item.id, { state: 'analysing' });
        const { detector, minScore, maxFaces } = useSettings.getState();
        try {
          const analysis = await client.api.analyzeImage(file, {
            detector,
            minScore,
            ...(maxFaces > 0 && { maxFaces }),
            ...currentFaceptorOptions(),
          });
          const { faces, entry } = summarise(item.path, analysis);
          // only the summary and the JSON entry stay; the decoded image lived in the worker for this call only
          useBatch.getState().update(item.id, { state: 'done', faces, entry, error: null });
          if (!useBatch.getState().model && analysis.model) {
            useBatch
              .getState()
              .set({ model: { ...analysis.model, tasks: analysis.tasks ?? [], provider: analysis.provider } });
          }
        } catch (err) {
          useBatch.getState().update(item.id, { state: 'error', error: errorMessage(err) });
        }
      }
    } finally {
      busy.current = false;
    }
  }, [client]);

  useEffect(() => {
    if (queue === 'running' && engineReady) void step();
  }, [queue, engineReady, step]);

  const addFolder = useCallback((files: readonly File[], paths: readonly string[]) => {
    const added: BatchItem[] = [];
    let skipped = 0;
    files.forEach((file, i) => {
      if (!isImagePath(file)) {
        skipped++;
        return;
      }
      const id = ++nextId;
      batchFiles.set(id, file);
      added.push({
        id,
        path: paths[i] ?? file.name,
        size: file.size,
        state: 'queued',
        faces: [],
        entry: null,
        error: null,
      });
    });
    const s = useBatch.getState();
    s.set({ items: [...s.items, ...added], skipped: s.skipped + skipped, queue: added.length ? 'running' : s.queue });
  }, []);

  const pause = useCallback(() => useBatch.getState().set({ queue: 'paused' }), []);
  const resume = useCallback(() => useBatch.getState().set({ queue: 'running' }), []);
  const cancel = useCallback(() => {
    const s = useBatch.getState();
    for (const it of s.items) if (it.state === 'queued') batchFiles.delete(it.id);
    s.set({ queue: 'idle', items: s.items.filter((it) => it.state !== 'queued') });
  }, []);
  const clear = useCallback(() => {
    batchFiles.clear();
    useBatch.getState().set({ items: [], queue: 'idle', model: undefined, selected: null, skipped: 0 });
  }, []);
  return { addFolder, pause, resume, cancel, clear };
}
