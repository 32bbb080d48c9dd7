/**
 * Issue 3's browser proof: the golden Faceptor-Full fixture, exported by our exporter, runs in Debian Chromium on
 * the WebGPU EP (SwiftShader) and on WASM, and every golden tensor matches within the documented browser tolerance
 * (tools/export/testing/browser-check.ts: 1e-3 + 1e-3·abs_max, landmarks 1e-4, labels 1e-3). On WebGPU the check
 * also fails if ORT places any node on the CPU EP. q8/q4 packages (com.microsoft.MatMulNBits) are held to the same
 * tolerance against onnxruntime-node running the same package.
 *
 * The check runs as its own tsx process: vitest would rewrite the dynamic `import()` inside the page function.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, SHARED } from './support/paths.ts';

const FULL = join(SHARED, 'golden', 'faceptor_full');

describe('golden Full fixture in the browser', () => {
  // fp32 against golden; q8/q4 (MatMulNBits) against onnxruntime-node on the same package: the contrib op must run,
  // and run the same, on both EPs (q4 on WebGPU and q8 on WASM keep the suite short; the CLI checks all four pairs).
  const cases = [
    { ep: 'webgpu', precision: 'fp32' },
    { ep: 'wasm', precision: 'fp32' },
    { ep: 'webgpu', precision: 'q4' },
    { ep: 'wasm', precision: 'q8' },
  ] as const;
  for (const { ep, precision } of cases) {
    it(`${precision === 'fp32' ? 'matches golden' : `runs the ${precision} package like onnxruntime-node`} on ${ep}`, () => {
      const run = spawnSync(
        process.execPath,
        [
          'node_modules/tsx/dist/cli.mjs',
          'tools/export/testing/browser-check.ts',
          FULL,
          '--ep',
          ep,
          '--precision',
          precision,
        ],
        { cwd: REPO_ROOT, encoding: 'utf8', timeout: 850_000 },
      );
      const out = `${run.stdout}\n${run.stderr}`;
      expect(out).not.toMatch(/^(FAIL|PLACEMENT)/m);
      expect(out).toMatch(new RegExp(`^PASS ${ep} \\(\\w+ bundle, ${precision}.* (\\d+) tensors`, 'm'));
      expect(run.status, out).toBe(0);
    }, 900_000);
  }

  // A whole q8 package on SwiftShader takes minutes, so the suite checks the op itself: one MatMulNBits node at 8 and
  // 4 bits in blocks of 32 (what the exporter writes) on WebGPU against a float64 product (nbits-probe.ts).
  it('runs MatMulNBits at 8 and 4 bits, blocks of 32, on webgpu (one node vs float64)', () => {
    const run = spawnSync(
      process.execPath,
      ['node_modules/tsx/dist/cli.mjs', 'tools/export/testing/nbits-probe.ts', '16,256,256', 'webgpu'],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 110_000,
        env: { ...process.env, PROBE_CASES: '[[8,32],[4,32]]' },
      },
    );
    const out = `${run.stdout}\n${run.stderr}`;
    expect(out.match(/^PASS webgpu q(8|4)b32 /gm), out).toHaveLength(2);
    expect(run.status, out).toBe(0);
  }, 120_000);
});
