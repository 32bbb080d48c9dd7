/**
 * `npm run golden -- <golden-variant-dir> [--precision fp32|fp16]`: export the folder's checkpoint, run every
 * task with onnxruntime-node and compare every golden tensor. One line per tensor, the worst ratio last;
 * exit code 1 when any tensor is outside tolerance, 2 on a usage or export error.
 */
import { runGolden } from '../export/package/golden.ts';
import { escapeForTerminal as safe } from './terminal-text.ts';

function usage(msg?: string): never {
  if (msg) console.error(`golden: ${safe(msg)}`);
  console.error('usage: npm run golden -- <golden-variant-dir> [--precision fp32|fp16]');
  process.exit(2);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let dir: string | undefined;
  let precision: 'fp32' | 'fp16' = 'fp32';
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--precision') {
      const v = args[++i];
      if (v === 'q8' || v === 'q4')
        usage(
          `golden bounds exist for fp32 and fp16; measure ${v} with \`npx tsx tools/export/precision-check.ts --precision ${v} --photos\``,
        );
      if (v !== 'fp32' && v !== 'fp16') usage(`--precision must be fp32 or fp16, got '${v ?? ''}'`);
      precision = v;
    } else if (a === '--help' || a === '-h') usage();
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else if (dir) usage('one golden folder at a time');
    else dir = a;
  }
  if (!dir) usage('missing golden folder');
  const report = await runGolden(dir, { precision });
  const w = Math.max(...report.comparisons.map((c) => c.name.length));
  for (const c of report.comparisons) {
    const what = c.kind === 'labels' ? 'mismatch' : 'max|diff|';
    console.log(
      `${c.ok ? 'ok  ' : 'FAIL'} ${safe(c.name).padEnd(w)}  ${what} ${c.diff.toExponential(3)}  allowed ${c.allowed.toExponential(3)}  (${(c.ratio * 100).toFixed(1)}%)`,
    );
  }
  if (report.skipped.length)
    console.log(`not exposed by the graphs (not compared): ${safe(report.skipped.join(', '))}`);
  console.log(
    `${report.ok ? 'PASS' : 'FAIL'} ${report.variant} ${report.precision}: ${report.comparisons.length} tensors, worst ${safe(report.worst.name)} at ${(report.worst.ratio * 100).toFixed(1)}% of its tolerance`,
  );
  process.exit(report.ok ? 0 : 1);
}

main().catch((e: unknown) => {
  // names and messages come from the golden folder's files: escapes shown, not sent (see terminal-text.ts)
  console.error(`golden: ${safe(e instanceof Error ? e.message : String(e))}`);
  process.exit(2);
});
