/**
 * `npm run export -- <checkpoint.pth.tar> [--out public/models/<name>] [--replace] [--precision fp32|fp16|q8|q4] [--name "<label>"]`
 * Converts an official Faceptor checkpoint into a browser model package. Progress on stderr, a summary on
 * stdout; any error exits non-zero with a one-line reason and leaves no partial package. Without --out the
 * folder is named from variant/precision/label under public/models and never replaces an existing one.
 */
import { join, relative } from 'node:path';
import { TASKS, VARIANT_TITLES } from '../../src/core/faceptor/tasks.ts';
import { exportPackage } from './package/export.ts';
import { escapeForTerminal } from '../cli/terminal-text.ts';

const USAGE = `usage: npm run export -- <checkpoint.pth.tar> [--out public/models/<name>] [--replace] [--precision fp32|fp16|q8|q4] [--name "<label>"]
  options: --vit-heads <n> --decoder-heads <n> (head counts are not in the tensor shapes; defaults: width/64 and 8)
           --untrained (mark the package as random/untrained weights)
           --replace (--force) overwrite the package at --out; only a package this exporter wrote is ever replaced
  without --out: public/models/<label or variant-precision>, with -2, -3, … when that name is taken`;

function fail(msg: string, code = 2): never {
  // Messages quote names read from the checkpoint (tensor keys, record names): never send their control characters raw.
  console.error(`export: ${escapeForTerminal(msg)}`);
  if (code === 2) console.error(USAGE);
  process.exit(code);
}

const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

function progressBar(done: number, total: number, what: string): void {
  const width = 28;
  const filled = Math.round((done / total) * width);
  const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${what}`;
  if (process.stderr.isTTY)
    process.stderr.write(
      `\r${line.padEnd(process.stderr.columns ? process.stderr.columns - 1 : 79)}${done === total ? '\n' : ''}`,
    );
  else process.stderr.write(`${line}\n`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let ckpt: string | undefined;
  let out: string | undefined;
  let precision: 'fp32' | 'fp16' | 'q8' | 'q4' = 'fp32';
  let label: string | undefined;
  let vitHeads: number | undefined;
  let decoderHeads: number | undefined;
  let untrained = false;
  let replace = false;
  const value = (i: number, flag: string) => {
    const v = args[i];
    if (v === undefined || v.startsWith('--')) fail(`${flag} needs a value`);
    return v;
  };
  const int = (v: string, flag: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) fail(`${flag} must be a positive integer, got '${v}'`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    switch (a) {
      case '--out':
        out = value(++i, a);
        break;
      case '--precision': {
        const v = value(++i, a);
        if (v !== 'fp32' && v !== 'fp16' && v !== 'q8' && v !== 'q4')
          fail(`--precision must be fp32, fp16, q8 or q4, got '${v}'`);
        precision = v;
        break;
      }
      case '--name':
        label = value(++i, a);
        break;
      case '--vit-heads':
        vitHeads = int(value(++i, a), a);
        break;
      case '--decoder-heads':
        decoderHeads = int(value(++i, a), a);
        break;
      case '--untrained':
        untrained = true;
        break;
      case '--replace':
      case '--force':
        replace = true;
        break;
      case '--help':
      case '-h':
        console.log(USAGE);
        return;
      default:
        if (a.startsWith('--')) fail(`unknown option ${a}`);
        if (ckpt) fail('one checkpoint at a time');
        ckpt = a;
    }
  }
  if (!ckpt) fail('missing checkpoint file');
  if (replace && out === undefined) fail('--replace needs --out (without --out a new folder is always made)');
  const outDir = out ?? { modelsDir: join('public', 'models') };
  const warn = (m: string) => console.error(`export: warning: ${escapeForTerminal(m)}`);

  const t0 = performance.now();
  let result;
  try {
    result = await exportPackage(ckpt, outDir, {
      precision,
      label,
      untrained,
      vitHeads,
      decoderHeads,
      replace,
      onProgress: progressBar,
      onWarning: warn,
    });
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e), 1);
  }
  const { manifest, plan } = result;
  const d = manifest.dims;
  console.log(`variant     ${VARIANT_TITLES[manifest.variant]} (${manifest.variant})`);
  console.log(`ViT         width ${d.vitWidth}, ${d.vitLayers} blocks, ${d.vitHeads} heads, patch ${d.patch}`);
  if (d.decoderWidth)
    console.log(
      `decoder     width ${d.decoderWidth}, ${d.decoderLayers} layers, ${d.decoderHeads} heads, ${d.decoderLevels} memory level(s)`,
    );
  console.log(`tasks       ${manifest.tasks.map((t) => `${t.name}(${t.queries})`).join(' ')}`);
  console.log(
    `groups      ${manifest.encoder.groups.map((e) => `${e.group}: ${manifest.tasks.filter((t) => TASKS[t.name].group === e.group).length} task(s)`).join('; ')}; encoder features ${manifest.encoder.outputs.map((o) => o.name).join(',')}`,
  );
  console.log(
    `graphs      ${[manifest.encoder.file, ...manifest.heads.map((h) => h.file)].join(' ')} (each weight in one graph)`,
  );
  console.log(
    `parameters  ${manifest.parameters.toLocaleString('en')} stored (${plan.keep.size} checkpoint tensors kept, ${plan.dropped.length} dropped)`,
  );
  console.log(`precision   ${manifest.precision}`);
  const total = manifest.files.reduce((s, f) => s + f.size, 0);
  console.log(
    `files       ${manifest.files.length}, ${mb(total)} in all; ${manifest.weights} ${mb(manifest.files.find((f) => f.path === manifest.weights)!.size)}`,
  );
  console.log(
    `written     ${relative(process.cwd(), result.outDir) || '.'} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e), 1));
