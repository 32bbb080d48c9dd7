/**
 * `npx tsx tools/export/checkpoint/inspect.ts <checkpoint.pth.tar> [--vit-heads N] [--decoder-heads N] [--keys]`
 * Prints what the exporter would see: step, tensor count, variant, dimensions, dropped keys and how many bytes
 * were read to find out (the directory and data.pkl only).
 */
import { planExport, ExportPlanError } from '../plan/index.ts';
import { openCheckpoint, CheckpointError } from './index.ts';

async function main(argv: string[]): Promise<number> {
  const file = argv.find((a) => !a.startsWith('--') && !/^\d+$/.test(a));
  if (!file) {
    console.error('usage: inspect.ts <checkpoint.pth.tar> [--vit-heads N] [--decoder-heads N] [--keys]');
    return 2;
  }
  const num = (flag: string): number | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? Number(argv[i + 1]) : undefined;
  };
  const ckpt = await openCheckpoint(file);
  try {
    console.log(`file      ${ckpt.path} (${ckpt.size} bytes)`);
    console.log(
      `top level ${ckpt.topLevelKeys.join(', ')}; step ${ckpt.step ?? '—'}; ${ckpt.tensors.size} state_dict tensors`,
    );
    const plan = planExport(ckpt.tensors, { vitHeads: num('--vit-heads'), decoderHeads: num('--decoder-heads') });
    console.log(`variant   ${plan.variant}: ${plan.tasks.join(', ')}`);
    console.log(`dims      ${JSON.stringify({ ...plan.dims, outputs: undefined })}`);
    const values = [...plan.keep.values()].reduce((s, sh) => s + sh.reduce((a, b) => a * b, 1), 0);
    console.log(`keep      ${plan.keep.size} tensors, ${values} values`);
    for (const d of plan.dropped) console.log(`drop      ${d.key}: ${d.why}`);
    if (argv.includes('--keys')) for (const [k, s] of plan.keep) console.log(`key       ${k} [${s.join(', ')}]`);
    console.log(`read      ${ckpt.readStats().bytesRead} bytes in ${ckpt.readStats().reads} reads`);
    return 0;
  } finally {
    await ckpt.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof CheckpointError || e instanceof ExportPlanError) {
      console.error(`error (${e.code}): ${e.message}`);
      process.exit(1);
    }
    throw e;
  },
);
