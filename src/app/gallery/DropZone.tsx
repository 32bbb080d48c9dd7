/** Drop images anywhere on this zone, or pick them with the file dialog. Non-images are reported per file. */
import { useImageAnalysis } from './useImageAnalysis.ts';
import { FilePickerButton } from '../common/FilePickerButton.tsx';
import { DropTarget } from '../common/DropTarget.tsx';

export function DropZone() {
  const analyse = useImageAnalysis().add;
  return (
    <DropTarget testId="dropzone" onDrop={(data) => analyse(Array.from(data.files))}>
      <p>Drop face photos here, or</p>
      <FilePickerButton accept="image/*" multiple testId="file-input" onFiles={(files) => analyse(Array.from(files))}>
        choose files…
      </FilePickerButton>
      <p className="hint">Photos are analysed on this device; nothing is uploaded.</p>
    </DropTarget>
  );
}
