/**
 * The golden proof in CI: the same `runGolden` as `npm run golden`, on every variant in ../shared/golden,
 * fp32 with the golden data's tolerances (docs/testing.md §5) and fp16 with the bound stated in tools/export/README.md.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGolden, TOLERANCES } from './golden.ts';

const GOLDEN = process.env.FACEPTOR_GOLDEN ?? join(import.meta.dirname, '../../../../shared/golden');
const variants = existsSync(GOLDEN)
  ? readdirSync(GOLDEN).filter(
      (d) => existsSync(join(GOLDEN, d, 'manifest.json')) && existsSync(join(GOLDEN, d, 'checkpoint.pth.tar')),
    )
  : [];

describe('golden parity', () => {
  it('finds the four shared golden variants', () => {
    expect(variants.sort()).toEqual(['faceptor_base', 'faceptor_full', 'faceptor_layer_attention', 'naive_faceptor']);
  });

  for (const v of variants) {
    for (const precision of ['fp32', 'fp16'] as const) {
      it(`${v} ${precision}: every golden tensor within tolerance`, async () => {
        const report = await runGolden(join(GOLDEN, v), { precision });
        const bad = report.comparisons.filter((c) => !c.ok).map((c) => `${c.name}: ${c.diff} > ${c.allowed}`);
        expect(bad).toEqual([]);
        // Every task of the variant produced its outputs (nothing silently skipped but decoder internals).
        for (const s of report.skipped) expect(s).toMatch(/decoder_(output|src)$|^backbone\/layer\d+_112$/);
        expect(report.comparisons.some((c) => c.kind === 'labels')).toBe(true);
        expect(report.comparisons.some((c) => c.kind === 'landmark')).toBe(true);
        expect(report.manifest.precision).toBe(precision);
        expect(report.manifest.provenance.untrained).toBe(true);
        if (precision === 'fp32') expect(report.worst.ratio).toBeLessThan(1);
        expect(TOLERANCES[precision]).toBeDefined();
      });
    }
  }
});
