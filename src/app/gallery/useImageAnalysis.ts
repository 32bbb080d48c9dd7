/**
 * Adds files to the gallery and analyses them one after another (a photo burst must not decode 50 images at once
 * in the worker). Each file fails alone: its card shows the error, every other card is untouched.
 */
import { useCallback, useRef } from 'react';
import { useGallery } from '../../state/gallery.ts';
import { useSettings } from '../../state/settings.ts';
import { currentFaceptorOptions } from '../../state/analysis-options.ts';
import { useEngineClient } from '../engine/EngineProvider.tsx';
import { errorMessage } from '../engine/client.ts';

let nextId = 0;

export function useImageAnalysis() {
  const client = useEngineClient();
  const chain = useRef<Promise<void>>(Promise.resolve());

  return useCallback((files: Iterable<File>) => {
    for (const file of files) {
      const id = `img-${++nextId}`;
      useGallery.getState().add({
        id, name: file.name || 'unnamed', size: file.size,
        url: URL.createObjectURL(file), state: 'analysing', analysis: null, error: null,
      });
      chain.current = chain.current.then(async () => {
        const { imageDetector, minScore, maxFaces } = useSettings.getState();
        try {
          const analysis = await client.api.analyzeImage(file, {
            model: imageDetector, minScore, ...(maxFaces > 0 && { maxFaces }), ...currentFaceptorOptions(),
          });
          useGallery.getState().update(id, { state: 'done', analysis });
        } catch (err) {
          useGallery.getState().update(id, { state: 'error', error: errorMessage(err) });
        }
      });
    }
  }, [client]);
}
