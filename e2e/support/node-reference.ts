/**
 * The Node side of the parity checks: the real `analyze` CLI (onnxruntime-node, the same pipeline code as the
 * worker), spawned as a user would run it, reading its JSON output.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Detection } from '../../src/core/types.ts';
import { tempDir } from './fixtures.ts';
import { REPO_ROOT } from './paths.ts';

export interface CliImage {
  width: number;
  height: number;
  faces: (Detection & Record<string, unknown>)[];
}

/** Runs the CLI on one image; `extraArgs` e.g. ['--model', dir, '--tasks', 'all'] adds the Faceptor task fields. */
export async function analyzeWithCli(
  file: string,
  detector: 'auto' | 'front' | 'back',
  extraArgs: readonly string[] = [],
): Promise<CliImage> {
  const tmp = tempDir('faceptor-cli-');
  try {
    const out = join(tmp.dir, 'out.json');
    await promisify(execFile)(
      process.execPath,
      [
        join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'),
        join(REPO_ROOT, 'tools/cli/analyze.ts'),
        file,
        '--json',
        out,
        '--detector',
        detector,
        ...extraArgs,
      ],
      { cwd: REPO_ROOT, timeout: 120_000 },
    );
    const json = JSON.parse(readFileSync(out, 'utf8')) as { images: (CliImage & { error?: string })[] };
    const [image] = json.images;
    if (!image || image.error) throw new Error(`the CLI could not analyse ${file}: ${image?.error ?? 'no output'}`);
    return image;
  } finally {
    tmp.remove();
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
