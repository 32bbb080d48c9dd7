/**
 * The Node side of the parity checks: the same detector pipeline the CLI uses (onnxruntime-node host), in-process.
 */
import { createFaceDetector, type DetectOptions } from '../../src/pipeline/detector.ts';
import { createNodeBackend, loadBlazeFaceModels, loadImageFile } from '../../tools/node-host/index.ts';
import type { Detection } from '../../src/core/types.ts';

export async function detectInNode(file: string, options: DetectOptions): Promise<{ width: number; height: number; faces: Detection[] }> {
  const image = await loadImageFile(file);
  const detector = await createFaceDetector(createNodeBackend(), await loadBlazeFaceModels());
  try {
    const { faces } = await detector.detect(image, options);
    return { width: image.width, height: image.height, faces };
  } finally {
    await detector.release();
  }
}

type Box = Detection['box'];

/** Largest coordinate disagreement as a fraction of the reference box's size (x/width vs width, y/height vs height). */
export function boxDisagreement(actual: Box, reference: Box): number {
  return Math.max(
    Math.abs(actual.x - reference.x) / reference.width,
    Math.abs(actual.width - reference.width) / reference.width,
    Math.abs(actual.y - reference.y) / reference.height,
    Math.abs(actual.height - reference.height) / reference.height,
  );
}
