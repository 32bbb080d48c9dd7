/** Turns getUserMedia failures into messages a user can act on. Pure (DOMException-like input), unit-tested. */
export function cameraErrorMessage(err: unknown): string {
  const name = typeof err === 'object' && err && 'name' in err ? String((err as { name: unknown }).name) : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'Camera permission was denied. Allow camera access for this page in the browser (address bar → site settings) and press Start again. Dropped images still work.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera was found. Connect a camera (or pick another one) and press Start again. Dropped images still work.';
    case 'NotReadableError':
    case 'AbortError':
      return 'The camera could not be opened: another application may be using it. Close it and press Start again.';
    case 'NoMediaDevices':
      return 'This page cannot use cameras here: camera access needs a secure context (https or localhost).';
    default: {
      const message = err instanceof Error ? err.message : String(err);
      return `The camera could not be started (${name || 'error'}: ${message}).`;
    }
  }
}
