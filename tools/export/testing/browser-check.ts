/**
 * Browser proof for an exported package: exports a golden variant, serves it with onnxruntime-web, runs every
 * graph in headless Chromium on the WebGPU EP (SwiftShader here) and on WASM, and compares every golden tensor
 * with the browser tolerance below. On WebGPU it also fails if ORT's node-placement report puts any node on the CPU
 * EP (checked first on a probe graph with a CPU-only op, so the check cannot be blind).
 *
 *   npx tsx tools/export/testing/browser-check.ts <golden-variant-dir> [--ep webgpu|wasm] [--bundle webgpu|jsep] [--precision fp32|fp16|q8|q4]
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { launch } from '../../../e2e/support/browser.ts';
import { compareWithGolden, type Comparison, type Tensor, type Tolerance } from '../package/golden.ts';
import { exportPackage } from '../package/export.ts';
import { headOptionsFromManifest } from '../plan/index.ts';
import { Graph } from '../onnx/graph.ts';
import { runPackage, type RunGraph } from '../package/run-package.ts';
import type { Precision } from '../package/weights.ts';
import { compareResults, runOnGoldenInputs } from '../precision-check.ts';

/**
 * Browser tolerance (fp32 weights): GPU back-ends reorder float sums (tiled MatMul, parallel reductions), so the
 * fp32 CPU bound is loosened 10×: `1e-3 + 1e-3·abs_max`, landmarks 1e-4, labels 1e-3.
 */
export const BROWSER_TOLERANCE: Tolerance = { abs: 1e-3, rel: 1e-3, landmark: 1e-4, labels: 1e-3 };

const ROOT = resolve(import.meta.dirname, '../../..');
const TYPES: Record<string, string> = {
  '.mjs': 'text/javascript',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.html': 'text/html',
  '.json': 'application/json',
};

function serve(routes: Record<string, string>): Promise<{ server: Server; url: string }> {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>check</title>');
      return;
    }
    const prefix = Object.keys(routes).find((p) => path.startsWith(p));
    if (!prefix || path.includes('..')) {
      res.writeHead(404);
      res.end();
      return;
    }
    try {
      const body = await readFile(join(routes[prefix], path.slice(prefix.length)));
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((ok) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      ok({ server, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}` });
    }),
  );
}

export interface BrowserRun {
  ep: string;
  comparisons: Comparison[];
  skipped: string[];
  ok: boolean;
  placementWarnings: string[];
  seconds: number;
}

/**
 * `precision` q8/q4 (or fp16): the package is exported at that precision and the browser's results are compared
 * with onnxruntime-node's on the same package (the golden data hold fp32 results), with the same browser tolerance:
 * this proves the contrib ops (MatMulNBits) run, and run the same, on each EP.
 */
export async function browserCheck(
  goldenDir: string,
  eps: readonly ('webgpu' | 'wasm')[],
  bundle: 'webgpu' | 'jsep' = 'webgpu',
  precision: Precision = 'fp32',
): Promise<BrowserRun[]> {
  const gm = JSON.parse(await readFile(join(goldenDir, 'manifest.json'), 'utf8'));
  const work = await mkdtemp(join(tmpdir(), 'faceptor-browser-'));
  const { server, url } = await serve({
    '/ort/': join(ROOT, 'node_modules/onnxruntime-web/dist'),
    '/pkg/': join(work, 'pkg'),
    '/golden/': dirname(resolve(goldenDir)),
  });
  const browser = await launch({ webgpu: true });
  try {
    const { manifest } = await exportPackage(join(goldenDir, 'checkpoint.pth.tar'), join(work, 'pkg'), {
      ...headOptionsFromManifest(gm),
      precision,
      label: 'browser check',
      untrained: true,
    });
    const nodeReference = precision === 'fp32' ? null : await runOnGoldenInputs(join(work, 'pkg'), manifest, goldenDir);
    const inputs = (gm.tensors as { name: string; file: string; role: string; shape: number[] }[]).filter(
      (t) => t.role === 'input',
    );
    const runs: BrowserRun[] = [];
    for (const ep of eps) {
      const page = await browser.newPage();
      const warnings: string[] = [];
      // ORT's verbose "Node placements" report: any node on the CPU EP in a WebGPU session is a fallback.
      page.on('console', (m) => {
        const t = m.text();
        if (/placed on \[CPUExecutionProvider\]/.test(t))
          warnings.push(t.replace(/^.*VerifyEachNodeIsAssignedToAnEp\]\s*/, ''));
      });
      // tsx/esbuild wraps named functions in `__name(...)`; the page has no such helper.
      await page.addInitScript({ content: 'globalThis.__name = (f) => f;' });
      await page.goto(url);
      if (ep === 'webgpu') {
        // The placement check must be able to fail: a graph with an op the WebGPU EP lacks (Det) has to warn.
        const probe = new Graph('probe');
        probe.output(probe.node('Det', [probe.input('x', [2, 2])]), 'y', []);
        const bytes = Array.from(probe.toBytes({ name: 'probe', version: '0' }));
        await page.evaluate(
          async ({ bytes, bundle }) => {
            const ort = await import(bundle === 'webgpu' ? '/ort/ort.webgpu.min.mjs' : '/ort/ort.min.mjs');
            ort.env.wasm.wasmPaths = '/ort/';
            ort.env.wasm.numThreads = 1;
            const s = await ort.InferenceSession.create(new Uint8Array(bytes), {
              executionProviders: ['webgpu'],
              logSeverityLevel: 0,
            });
            await s.release();
          },
          { bytes, bundle },
        );
        if (!warnings.length)
          throw new Error('placement check is blind: ORT reported no CPU placement for a CPU-only op (Det)');
        warnings.length = 0;
      }
      const t0 = performance.now();
      // The same run plan as `npm run golden` (run-package.ts), each session.run done in the page.
      await page.evaluate(
        async ({ weightsFile, ep, bundle }) => {
          const ort = await import(bundle === 'webgpu' ? '/ort/ort.webgpu.min.mjs' : '/ort/ort.min.mjs');
          ort.env.wasm.wasmPaths = '/ort/';
          ort.env.wasm.numThreads = 1;
          const weights = new Uint8Array(await (await fetch(`/pkg/${weightsFile}`)).arrayBuffer());
          const sessions = new Map<string, unknown>();
          (globalThis as Record<string, unknown>).__run = async (
            file: string,
            feeds: Record<string, { type: string; dims: number[]; data: number[] }>,
            fetches: string[],
          ) => {
            let s = sessions.get(file) as
              | { run: (f: unknown, o: string[]) => Promise<Record<string, { data: Float32Array; dims: number[] }>> }
              | undefined;
            if (!s) {
              s = await ort.InferenceSession.create(new Uint8Array(await (await fetch(`/pkg/${file}`)).arrayBuffer()), {
                executionProviders: [ep],
                externalData: [{ path: weightsFile, data: weights }],
                logSeverityLevel: ep === 'webgpu' ? 0 : 3,
              });
              sessions.set(file, s);
            }
            const f: Record<string, unknown> = {};
            for (const [k, v] of Object.entries(feeds)) {
              f[k] = new ort.Tensor(
                v.type,
                v.type === 'int64' ? BigInt64Array.from(v.data, (x) => BigInt(x)) : Float32Array.from(v.data),
                v.dims,
              );
            }
            const r = await s!.run(f, fetches);
            return Object.fromEntries(fetches.map((k) => [k, { data: Array.from(r[k].data), dims: [...r[k].dims] }]));
          };
        },
        { weightsFile: manifest.weights, ep, bundle },
      );
      const half = (h: number) => {
        const sg = h & 0x8000 ? -1 : 1,
          e = (h >> 10) & 31,
          f = h & 1023;
        return e === 0 ? sg * f * 2 ** -24 : sg * (1 + f / 1024) * 2 ** (e - 15);
      };
      const inputTensors = new Map<number, Tensor>();
      for (const t of inputs) {
        const b = await readFile(join(resolve(goldenDir), t.file));
        inputTensors.set(t.shape[2], {
          data: Float32Array.from(new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2), half),
          dims: t.shape,
        });
      }
      const run: RunGraph = async (file, feeds, fetches) => {
        const plain = Object.fromEntries(
          Object.entries(feeds).map(([k, v]) => [
            k,
            { type: v.type, dims: [...v.dims], data: Array.from(v.data as ArrayLike<number | bigint>, Number) },
          ]),
        );
        const out = await page.evaluate(
          ({ file, plain, fetches }) =>
            (
              (globalThis as Record<string, unknown>).__run as (
                ...a: unknown[]
              ) => Promise<Record<string, { data: number[]; dims: number[] }>>
            )(file, plain, fetches),
          { file, plain, fetches },
        );
        return Object.fromEntries(
          Object.entries(out).map(([k, v]) => [k, { data: Float32Array.from(v.data), dims: v.dims }]),
        );
      };
      const weights = new Uint8Array(await readFile(join(work, 'pkg', manifest.weights)));
      const { results } = await runPackage(manifest, weights, inputTensors, run);
      const { comparisons, skipped } = nodeReference
        ? {
            comparisons: compareResults(nodeReference, results, BROWSER_TOLERANCE).map((r): Comparison => ({
              ...r,
              ok: r.ratio <= 1,
              kind: r.name.endsWith('/landmark') ? 'landmark' : r.name.includes('labels') ? 'labels' : 'float',
            })),
            skipped: [],
          }
        : await compareWithGolden(goldenDir, results, manifest, BROWSER_TOLERANCE);
      runs.push({
        ep,
        comparisons,
        skipped,
        ok: comparisons.every((c) => c.ok) && warnings.length === 0,
        placementWarnings: warnings,
        seconds: (performance.now() - t0) / 1000,
      });
      await page.close();
    }
    return runs;
  } finally {
    await browser.close();
    server.close();
    await rm(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const dir = args.find((a) => !a.startsWith('--'));
  if (!dir) {
    console.error('usage: browser-check.ts <golden-variant-dir> [--ep webgpu|wasm] [--bundle webgpu|jsep]');
    process.exit(2);
  }
  const epArg = args.includes('--ep') ? args[args.indexOf('--ep') + 1] : undefined;
  const bundle = (args.includes('--bundle') ? args[args.indexOf('--bundle') + 1] : 'webgpu') as 'webgpu' | 'jsep';
  const precision = (args.includes('--precision') ? args[args.indexOf('--precision') + 1] : 'fp32') as Precision;
  const eps = epArg ? [epArg as 'webgpu' | 'wasm'] : (['webgpu', 'wasm'] as const);
  let ok = true;
  for (const r of await browserCheck(dir, eps, bundle, precision)) {
    const worst = r.comparisons.reduce((a, b) => (b.ratio > a.ratio ? b : a));
    for (const c of r.comparisons)
      if (!c.ok) console.log(`FAIL ${r.ep} ${c.name} ${c.diff.toExponential(3)} > ${c.allowed.toExponential(3)}`);
    for (const w of r.placementWarnings) console.log(`PLACEMENT ${r.ep}: ${w}`);
    console.log(
      `${r.ok ? 'PASS' : 'FAIL'} ${r.ep} (${bundle} bundle, ${precision}${precision === 'fp32' ? ' vs golden' : ' vs onnxruntime-node'}): ${r.comparisons.length} tensors in ${r.seconds.toFixed(1)} s, worst ${worst.name} ${worst.diff.toExponential(2)} = ${(worst.ratio * 100).toFixed(1)}% of the browser tolerance`,
    );
    ok &&= r.ok;
  }
  process.exit(ok ? 0 : 1);
}

if (import.meta.filename === process.argv[1] || process.argv[1]?.endsWith('browser-check.ts')) {
  main().catch((e: unknown) => {
    console.error(`browser-check: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(2);
  });
}
