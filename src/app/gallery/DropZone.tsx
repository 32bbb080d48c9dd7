/** Drop images anywhere on this zone, or pick them with the file dialog. Non-images are reported per file. */
import { useState, type DragEvent } from 'react';
import { useImageAnalysis } from './useImageAnalysis.ts';

export function DropZone() {
  const analyse = useImageAnalysis();
  const [over, setOver] = useState(false);
  const stop = (e: DragEvent) => { e.preventDefault(); e.stopPropagation(); };

  return (
    <div
      className={`dropzone${over ? ' over' : ''}`}
      data-testid="dropzone"
      onDragEnter={(e) => { stop(e); setOver(true); }}
      onDragOver={(e) => { stop(e); e.dataTransfer.dropEffect = 'copy'; }}
      onDragLeave={(e) => { stop(e); setOver(false); }}
      onDrop={(e) => { stop(e); setOver(false); analyse(Array.from(e.dataTransfer.files)); }}
    >
      <p>Drop face photos here, or</p>
      <label className="button">
        choose files…
        <input
          type="file" accept="image/*" multiple hidden data-testid="file-input"
          onChange={(e) => { analyse(Array.from(e.target.files ?? [])); e.target.value = ''; }}
        />
      </label>
      <p className="hint">Photos are analysed on this device; nothing is uploaded.</p>
    </div>
  );
}
