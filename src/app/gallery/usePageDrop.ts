/**
 * Files dropped anywhere on the page are analysed like those dropped on the drop zone. Without this, a file that
 * misses the zone makes the browser open it in place of the app (losing every result). A drop that a zone already
 * took (the image drop zone, the model folder area) arrives here with defaultPrevented set and is left alone.
 */
import { useEffect } from 'react';

export function usePageDrop(analyse: (files: File[]) => void): void {
  useEffect(() => {
    const carriesFiles = (e: DragEvent) => !!e.dataTransfer && [...e.dataTransfer.types].includes('Files');
    const onDragOver = (e: DragEvent) => {
      if (!carriesFiles(e)) return;
      e.preventDefault(); // the page accepts the drop: the browser will not navigate to the file
      e.dataTransfer!.dropEffect = 'copy';
    };
    const onDrop = (e: DragEvent) => {
      if (!carriesFiles(e) || e.defaultPrevented) return;
      e.preventDefault();
      const files = Array.from(e.dataTransfer!.files);
      if (files.length > 0) analyse(files);
    };
    document.addEventListener('dragover', onDragOver);
    document.addEventListener('drop', onDrop);
    return () => {
      document.removeEventListener('dragover', onDragOver);
      document.removeEventListener('drop', onDrop);
    };
  }, [analyse]);
}
