/**
 * MatMulNBits probe (issue 11): one `com.microsoft.MatMulNBits` node (Y = X·W, X [M, K], W [K, N] block-quantized by
 * the exporter's own quant.ts) run in Debian Chromium on onnxruntime-web's WebGPU EP (SwiftShader here) and/or WASM,
 * compared with a float64 product of the dequantized weights; prints the worst difference, three run times and any
 * node ORT placed on the CPU EP; each line starts PASS or FAIL (browser tolerance), exit code 1 on a FAIL. It shows which bits/block sizes WebGPU runs, and how fast, without a whole package:
 *
 *   npx tsx tools/export/testing/nbits-probe.ts [M,K,N (default 256,768,768)] [webgpu,wasm]
 *   PROBE_CASES='[[8,32],[8,64],[4,32]]' npx tsx tools/export/testing/nbits-probe.ts 64,768,768 webgpu
 */
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, extname } from 'node:path';
import { launch } from '../../../e2e/support/browser.ts';
import { Graph } from '../onnx/graph.ts';
import { quantizeBlockwise } from '../onnx/quant.ts';
import { BROWSER_TOLERANCE } from './browser-check.ts';

const [M, K, N] = (process.argv[2] ?? '256,768,768').split(',').map(Number);
let failed = false;
const ORT = join(import.meta.dirname, '../../../node_modules/onnxruntime-web/dist');
let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
const W = Float32Array.from({ length: K * N }, () => rnd() * 0.05);
const X = Float32Array.from({ length: M * K }, () => rnd());
const cases: Record<string, { model: Uint8Array; weights: Uint8Array; ref: Float64Array }> = {};
for (const [bits, block] of (process.env.PROBE_CASES
  ? JSON.parse(process.env.PROBE_CASES)
  : [
      [8, 64],
      [4, 32],
    ]) as [8 | 4, number][]) {
  const q = quantizeBlockwise(W, K, N, bits, block);
  const weights = new Uint8Array(q.packed.byteLength + q.scales.byteLength);
  weights.set(q.packed, 0);
  weights.set(new Uint8Array(q.scales.buffer), q.packed.byteLength);
  const g = new Graph('probe');
  const x = g.input('x', [M, K]);
  const w = g.weight('w', {
    location: 'w.bin',
    offset: 0,
    length: q.packed.byteLength,
    dims: [N, q.blocks, q.blob],
    dtype: 'uint8',
    quant: { bits, block, K, N, scales: { offset: q.packed.byteLength, length: q.scales.byteLength } },
  });
  g.output(g.matmul(x, w), 'y', [M, N]);
  // reference: dequantized weights, float64 sums
  const deq = new Float64Array(K * N);
  const zero = 1 << (bits - 1);
  for (let n = 0; n < N; n++)
    for (let b = 0; b < q.blocks; b++)
      for (let j = 0; j < block; j++) {
        const base = (n * q.blocks + b) * q.blob;
        const code = bits === 8 ? q.packed[base + j] : (q.packed[base + (j >> 1)] >> (j & 1 ? 4 : 0)) & 15;
        deq[(b * block + j) * N + n] = (code - zero) * q.scales[n * q.blocks + b];
      }
  const ref = new Float64Array(M * N);
  for (let m = 0; m < M; m++)
    for (let k = 0; k < K; k++) {
      const a = X[m * K + k];
      if (!a) continue;
      for (let n = 0; n < N; n++) ref[m * N + n] += a * deq[k * N + n];
    }
  cases[`q${bits}b${block}`] = { model: g.toBytes({ name: 'probe', version: '0' }), weights, ref };
}
const server = createServer(async (req, res) => {
  const p = new URL(req.url ?? '/', 'http://x').pathname;
  if (p === '/') {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>p</title>');
    return;
  }
  try {
    const b = await readFile(join(ORT, p.replace('/ort/', '')));
    res.writeHead(200, { 'content-type': extname(p) === '.wasm' ? 'application/wasm' : 'text/javascript' });
    res.end(b);
  } catch {
    res.writeHead(404);
    res.end();
  }
});
await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
const browser = await launch({ webgpu: true });
try {
  for (const ep of (process.argv[3] ?? 'webgpu,wasm').split(',')) {
    // One page per EP: ORT's 27 MB wasm is compiled once, each case gets its own session.
    const page = await browser.newPage();
    const cpu: string[] = [];
    page.on('console', (m) => {
      if (/placed on \[CPUExecutionProvider\]/.test(m.text())) cpu.push(m.text().slice(0, 200));
    });
    await page.goto(url);
    for (const [name, c] of Object.entries(cases)) {
      cpu.length = 0;
      const r = await page.evaluate(
        async ({ model, weights, x, ep, M, K, bundle }) => {
          const ort = await import(bundle); // the native WebGPU EP bundle (it also serves WASM), as the app uses
          ort.env.wasm.wasmPaths = '/ort/';
          ort.env.wasm.numThreads = 1;
          const s = await ort.InferenceSession.create(new Uint8Array(model), {
            executionProviders: [ep],
            externalData: [{ path: 'w.bin', data: new Uint8Array(weights) }],
            logSeverityLevel: ep === 'webgpu' ? 0 : 3,
          });
          const feeds = { x: new ort.Tensor('float32', Float32Array.from(x), [M, K]) };
          const times: number[] = [];
          let y: Float32Array | null = null;
          for (let i = 0; i < 3; i++) {
            const t0 = performance.now();
            const o = await s.run(feeds);
            times.push(performance.now() - t0);
            y = o.y.data as Float32Array;
          }
          return { y: Array.from(y!), times };
        },
        {
          bundle: '/ort/ort.webgpu.min.mjs',
          model: Array.from(c.model),
          weights: Array.from(c.weights),
          x: Array.from(X),
          ep,
          M,
          K,
        },
      );
      let worst = 0,
        amax = 0;
      for (let i = 0; i < c.ref.length; i++) {
        worst = Math.max(worst, Math.abs(r.y[i] - c.ref[i]));
        amax = Math.max(amax, Math.abs(c.ref[i]));
      }
      // The documented browser tolerance (browser-check.ts); a wrong dequantization is off by O(|ref|), not 1e-3.
      const ok =
        worst <= BROWSER_TOLERANCE.abs + BROWSER_TOLERANCE.rel * amax && cpu.length === 0 && r.y.length === M * N;
      if (!ok) failed = true;
      console.log(
        `${ok ? 'PASS' : 'FAIL'} ${ep} ${name} M${M} K${K} N${N}: max|y-ref| ${worst.toExponential(2)} (|ref| max ${amax.toFixed(2)}), runs ms ${r.times.map((t) => t.toFixed(0)).join('/')}, CPU placements ${cpu.length} ${JSON.stringify(cpu)}`,
      );
    }
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
}
if (failed) process.exitCode = 1;
