/** Drop images anywhere on this zone, or pick them with the file dialog. Non-images are reported per file. */
import { useState, type DragEvent } from 'react';
import { useImageAnalysis } from './useImageAnalysis.ts';
import { FilePickerButton } from '../common/FilePickerButton.tsx';

export function DropZone() {
  const analyse = useImageAnalysis().add;
  const [over, setOver] = useState(false);
  const stop = (e: DragEvent) => {
    e.preventDefault();
    e.stopPropagation();
  };

  return (
    <div
      className={`dropzone${over ? ' over' : ''}`}
      data-testid="dropzone"
      onDragEnter={(e) => {
        stop(e);
        setOver(true);
      }}
      onDragOver={(e) => {
        stop(e);
        e.dataTransfer.dropEffect = 'copy';
      }}
      onDragLeave={(e) => {
        stop(e);
        setOver(false);
      }}
      onDrop={(e) => {
        stop(e);
        setOver(false);
        analyse(Array.from(e.dataTransfer.files));
      }}
    >
      <p>Drop face photos here, or</p>
      <FilePickerButton accept="image/*" multiple testId="file-input" onFiles={(files) => analyse(Array.from(files))}>
        choose files…
      </FilePickerButton>
      <p className="hint">Photos are analysed on this device; nothing is uploaded.</p>
    </div>
  );
}
