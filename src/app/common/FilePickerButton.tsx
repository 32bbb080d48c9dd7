/**
 * A real button that opens the file (or folder) dialog. A <label> around a hidden <input type="file"> looks like a
 * button but cannot be reached with Tab or pressed with Enter/Space; a button can, and clicks the hidden input.
 */
import { useRef, type ReactNode } from 'react';

export interface FilePickerButtonProps {
  readonly children: ReactNode;
  readonly onFiles: (files: FileList) => void;
  readonly accept?: string;
  readonly multiple?: boolean;
  /** Pick a folder (webkitdirectory): every file inside it, with relative paths. */
  readonly directory?: boolean;
  readonly disabled?: boolean;
  /** On the input, so tests can set files on it. */
  readonly testId?: string;
  readonly className?: string;
  readonly title?: string;
}

export function FilePickerButton({
  children,
  onFiles,
  accept,
  multiple,
  directory,
  disabled,
  testId,
  className,
  title,
}: FilePickerButtonProps) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button
        type="button"
        className={className}
        disabled={disabled}
        title={title}
        onClick={() => input.current?.click()}
      >
        {children}
      </button>
      <input
        ref={(el) => {
          input.current = el;
          if (el && directory) el.setAttribute('webkitdirectory', '');
        }}
        type="file"
        hidden
        tabIndex={-1}
        aria-hidden="true"
        accept={accept}
        multiple={multiple}
        disabled={disabled}
        data-testid={testId}
        onChange={(e) => {
          if (e.target.files?.length) onFiles(e.target.files);
          e.target.value = '';
        }}
      />
    </>
  );
}
