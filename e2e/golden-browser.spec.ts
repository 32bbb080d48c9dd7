/**
 * Issue 3's browser proof: the golden Faceptor-Full fixture, exported by our exporter, runs in Debian Chromium on
 * the WebGPU EP (SwiftShader) and on WASM, and every golden tensor matches within the documented browser tolerance
 * (tools/export/testing/browser-check.ts: 1e-3 + 1e-3·abs_max, landmarks 1e-4, labels 1e-3). On WebGPU the check
 * also fails if ORT places any node on the CPU EP.
 *
 * The check runs as its own tsx process: vitest would rewrite the dynamic `import()` inside the page function.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, SHARED } from './support/paths.ts';

const FULL = join(SHARED, 'golden', 'faceptor_full');

describe('golden Full fixture in the browser', () => {
  for (const ep of ['webgpu', 'wasm'] as const) {
    it(`matches golden on ${ep}`, () => {
      const run = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'tools/export/testing/browser-check.ts', FULL, '--ep', ep],
        { cwd: REPO_ROOT, encoding: 'utf8', timeout: 850_000 });
      const out = `${run.stdout}\n${run.stderr}`;
      expect(out).not.toMatch(/^(FAIL|PLACEMENT)/m);
      expect(out).toMatch(new RegExp(`^PASS ${ep} .* (\\d+) tensors`, 'm'));
      expect(run.status, out).toBe(0);
    }, 900_000);
  }
});
