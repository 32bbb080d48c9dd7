/**
 * Adds files to the gallery and analyses them one after another (a photo burst must not decode 50 images at once
 * in the worker). Each file fails alone: its card shows the error, every other card is untouched. Cards can be
 * analysed again (after the tasks, heads or model changed): the file is kept on the item.
 */
import { useCallback, useMemo, useRef } from 'react';
import { useGallery } from '../../state/gallery.ts';
import { useSettings } from '../../state/settings.ts';
import { currentFaceptorOptions, currentRequestKey } from '../../state/analysis-options.ts';
import { useEngineClient } from '../engine/EngineProvider.tsx';
import { errorInfo } from '../../core/errors.ts';
import { isVideoFile, useVideo } from '../../state/video.ts';

let nextId = 0;

export interface ImageAnalysisActions {
  add(files: Iterable<File>): void;
  /** Analyses these cards again with the current tasks, model and detector settings. */
  reanalyse(ids: Iterable<string>): void;
}

export function useImageAnalysis(): ImageAnalysisActions {
  const client = useEngineClient();
  const chain = useRef<Promise<void>>(Promise.resolve());

  const run = useCallback(
    (id: string, file: Blob) => {
      chain.current = chain.current.then(async () => {
        if (!useGallery.getState().items.some((it) => it.id === id)) return; // removed while queued
        const { detector, minScore, maxFaces } = useSettings.getState();
        const request = currentRequestKey();
        try {
          const analysis = await client.api.analyzeImage(file, {
            detector,
            minScore,
            ...(maxFaces > 0 && { maxFaces }),
            ...currentFaceptorOptions(),
          });
          useGallery.getState().update(id, { state: 'done', analysis, request, error: null, errorCode: null });
        } catch (err) {
          const { message, code } = errorInfo(err);
          useGallery.getState().update(id, { state: 'error', error: message, errorCode: code, request });
        }
      });
    },
    [client],
  );

  const add = useCallback(
    (files: Iterable<File>) => {
      for (const file of files) {
        // a video dropped on the page or the photo zone opens in the video view instead of failing as a photo
        if (isVideoFile(file)) {
          useVideo.getState().open(file);
          continue;
        }
        const id = `img-${++nextId}`;
        useGallery.getState().add({
          id,
          name: file.name || 'unnamed',
          size: file.size,
          file,
          url: URL.createObjectURL(file),
          state: 'analysing',
          analysis: null,
          error: null,
        });
        run(id, file);
      }
    },
    [run],
  );

  const reanalyse = useCallback(
    (ids: Iterable<string>) => {
      for (const id of ids) {
        const item = useGallery.getState().items.find((it) => it.id === id);
        if (!item?.file || item.state === 'analysing') continue;
        useGallery.getState().update(id, { state: 'analysing' }); // the old results stay shown until the new ones come
        run(id, item.file);
      }
    },
    [run],
  );

  return useMemo(() => ({ add, reanalyse }), [add, reanalyse]);
}
