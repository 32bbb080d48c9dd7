/**
 * Fetching and sanity-checking the detector's model files, with errors a user can act on.
 * Every failure names the file and says how to restore it (`npm run setup:models`).
 */
import type { ErrorCode } from '../src/core/errors.ts';

export const DETECTOR_FILES = {
  front: 'models/blazeface/face_detection_front_128.onnx',
  back: 'models/blazeface/face_detection_back_256.onnx',
} as const;

export const RESTORE_HINT = 'Restore it with `npm run setup:models` (then reload the page).';

export class ModelFileError extends Error {
  readonly code = 'detector-model' satisfies ErrorCode;
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`Detector model file ${file} ${problem}. ${RESTORE_HINT}`);
    this.name = 'ModelFileError';
  }
}

/**
 * Cheap check that the bytes can be an ONNX ModelProto before handing them to ORT, whose own errors are cryptic.
 * A ModelProto starts with field 1 (ir_version, varint) → tag byte 0x08. Dev servers answer a missing file with the
 * SPA's index.html (HTTP 200), which this catches too.
 */
export function checkOnnxBytes(file: string, bytes: Uint8Array): void {
  if (bytes.byteLength < 1024) throw new ModelFileError(file, `is too small (${bytes.byteLength} bytes) to be a model`);
  if (bytes[0] !== 0x08) {
    const looksLikeHtml = bytes[0] === 0x3c; // '<'
    throw new ModelFileError(
      file,
      looksLikeHtml ? 'is missing (the server answered with a web page)' : 'is not an ONNX model (corrupt)',
    );
  }
}

export async function fetchModelFile(
  baseUrl: string,
  file: string,
  fetchImpl: typeof fetch = fetch,
): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetchImpl(new URL(file, baseUrl).href);
  } catch (err) {
    throw new ModelFileError(file, `could not be fetched (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!response.ok) throw new ModelFileError(file, `is missing (HTTP ${response.status})`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  checkOnnxBytes(file, bytes);
  return bytes;
}
