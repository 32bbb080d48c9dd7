/**
 * An area that takes dropped files: highlighted while something is dragged over it, never letting the browser open
 * the file itself, and handing the drop's DataTransfer (files, or folder entries) to `onDrop`.
 */
import { useState, type DragEvent, type ReactNode } from 'react';

export function DropTarget(props: {
  readonly testId: string;
  /** Extra class names beside `dropzone`. */
  readonly className?: string;
  readonly onDrop: (data: DataTransfer) => void;
  readonly children: ReactNode;
}) {
  const [over, setOver] = useState(false);
  const stop = (e: DragEvent) => {
    e.preventDefault();
    e.stopPropagation();
  };
  return (
    <div
      className={['dropzone', props.className, over && 'over'].filter(Boolean).join(' ')}
      data-testid={props.testId}
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
        props.onDrop(e.dataTransfer);
      }}
    >
      {props.children}
    </div>
  );
}
