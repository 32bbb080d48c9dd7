/**
 * Issue 13: the exporter in the browser. A checkpoint given to the page (file picker and drag-and-drop) is exported
 * by the same code as `npm run export`, in a worker, into the origin-private file system:
 * - the stored manifests list the same files with the same sizes and sha256s as the CLI's export of the same
 *   checkpoint and options (all four golden fixtures, four precisions), and the same checkpoint sha256;
 * - after a reload the packages are still listed and the last one loads with no package request on the network, and
 *   analyses a photo as the analyze CLI does with its own export of the same checkpoint;
 * - a malicious pickle and a text file are refused with the CLI's message; nothing is stored; the model keeps running;
 * - the package is stored (and loaded) as soon as conversion ends; the checkpoint's sha256 is recorded into its
 *   manifest after, hashed beside the conversion only with a spare core (sequentially on a 2-core machine);
 * - a cancelled export stores nothing; a cancel while hashing keeps the package, without its sha256;
 * - *Delete* removes one stored package (and only that one).
 * One browser and one page for the whole file (CI time).
 */
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportPackage } from '../tools/export/package/export.ts';
import { headOptionsFromManifest } from '../tools/export/plan/index.ts';
import { PickleWriter } from '../tools/export/checkpoint/testing/pickle-writer.ts';
import { writeZip, type ZipInput } from '../tools/export/checkpoint/testing/zip-writer.ts';
import { CountingReader, entryDataOffset, readZipDirectory } from '../tools/export/checkpoint/zip.ts';
import type { FaceptorManifest, Precision } from '../src/core/faceptor/manifest.ts';
import { GOLDEN_DIR } from '../tools/node-host/testing/golden-package.ts';
import { dropFiles, hookState, launch, openPage, waitForEngine } from './support/browser.ts';
import { analyzeWithCli } from './support/node-reference.ts';
import { compareFaces } from './support/parity.ts';
import { FACES } from './support/paths.ts';
import { tempDir } from './support/fixtures.ts';
import { startPreview, type PreviewServer } from './support/preview.ts';

/** Browser vs the Node CLI on the same package (the tolerances of e2e/faceptor.spec.ts, docs/testing.md §3). */
const TOLERANCE = { landmarks: 0.01, parsing: 0.02, ageYears: 0.5, expression: 0.02, attributes: 0.02, identity: 1e-3 };

const CASES: { variant: string; precision: Precision; via: 'pick' | 'drop' }[] = [
  { variant: 'faceptor_base', precision: 'fp32', via: 'pick' },
  { variant: 'naive_faceptor', precision: 'fp16', via: 'pick' },
  { variant: 'faceptor_layer_attention', precision: 'q8', via: 'pick' },
  { variant: 'faceptor_full', precision: 'q4', via: 'drop' },
];

let server: PreviewServer;
let tmp: ReturnType<typeof tempDir>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const packageRequests: string[] = [];

interface Opfs {
  names: string[];
  manifests: Record<string, FaceptorManifest>;
}

/** What the page's origin-private file system holds under faceptor-packages/ (every folder, partial ones too). */
function readOpfs(p: Page): Promise<Opfs> {
  return p.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    let dir: FileSystemDirectoryHandle;
    try {
      dir = await root.getDirectoryHandle('faceptor-packages');
    } catch {
      return { names: [], manifests: {} };
    }
    const names: string[] = [];
    for await (const n of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(n);
    const manifests: Record<string, unknown> = {};
    for (const n of names) {
      if (n.startsWith('.')) continue;
      const d = await dir.getDirectoryHandle(n);
      manifests[n] = JSON.parse(await (await (await d.getFileHandle('faceptor.json')).getFile()).text());
    }
    return { names: names.sort(), manifests };
  }) as Promise<Opfs>;
}

/** The CLI's refusal message for `file`, with its path cut to the file name (the page only knows the name). */
async function cliMessage(file: string, name: string): Promise<string> {
  const err = await exportPackage(file, join(tmp.dir, `out-${name}`)).then(
    () => null,
    (e: Error) => e,
  );
  expect(err, `the CLI must refuse ${name}`).not.toBeNull();
  return err!.message.split(file).join(name);
}

async function setOptions(
  p: Page,
  o: { precision: Precision; vitHeads?: number; decoderHeads?: number },
): Promise<void> {
  await p.evaluate(() =>
    document.querySelectorAll('details').forEach((d) => {
      d.open = true;
    }),
  );
  await p.selectOption('[data-testid="ckpt-precision"]', o.precision);
  await p.fill('[data-testid="ckpt-vit-heads"]', o.vitHeads ? String(o.vitHeads) : '');
  await p.fill('[data-testid="ckpt-decoder-heads"]', o.decoderHeads ? String(o.decoderHeads) : '');
  const untrained = p.locator('[data-testid="ckpt-untrained"]');
  if (!(await untrained.isChecked())) await untrained.check();
}

async function giveCheckpoint(p: Page, path: string, name: string, via: 'pick' | 'drop'): Promise<void> {
  if (via === 'pick') {
    await p.setInputFiles('[data-testid="ckpt-pick"]', path);
    return;
  }
  const base64 = (await readFile(path)).toString('base64');
  const dt = await p.evaluateHandle(
    ([b64, n]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], n));
      return dt;
    },
    [base64, name] as const,
  );
  for (const type of ['dragenter', 'dragover', 'drop'])
    await p.dispatchEvent('[data-testid="ckpt-drop"]', type, { dataTransfer: dt });
}

/** Waits for the export to end; returns 'done' | 'error' | 'cancelled' with the shown text. */
async function exportOutcome(p: Page): Promise<{ state: string; text: string }> {
  // 'attached': with a model loaded the export area sits in the folded model details.
  const el = await p.waitForSelector(
    '[data-testid="ckpt-done"], [data-testid="ckpt-error"], [data-testid="ckpt-cancelled"]',
    { state: 'attached', timeout: 120_000 },
  );
  return { state: (await el.getAttribute('data-testid'))!.slice(5), text: (await el.textContent()) ?? '' };
}

/**
 * Clicks `button` from inside the page the moment `when` appears (a MutationObserver: no round trip to the test,
 * which could come after a short phase has ended). One shot.
 */
async function clickWhen(p: Page, when: string, button: string): Promise<void> {
  await p.evaluate(
    ([w, b]) => {
      const check = () => {
        const el = document.querySelector(w) && document.querySelector<HTMLButtonElement>(b);
        if (!el) return false;
        el.click();
        return true;
      };
      if (check()) return;
      const obs = new MutationObserver(() => {
        if (check()) obs.disconnect();
      });
      obs.observe(document.body, { subtree: true, childList: true, attributes: true });
    },
    [when, button] as const,
  );
}

/** A golden checkpoint with an extra 384 MB record nobody reads (a sparse hole): long enough to cancel in. */
async function bigCheckpoint(to: string): Promise<void> {
  const src = join(GOLDEN_DIR, 'faceptor_full', 'checkpoint.pth.tar');
  const fh = await open(src, 'r');
  const inputs: ZipInput[] = [];
  try {
    const reader = new CountingReader(fh, src, (await fh.stat()).size);
    for (const e of (await readZipDirectory(reader)).values())
      inputs.push({ name: e.name, data: await reader.readAt(await entryDataOffset(reader, e), e.size) });
  } finally {
    await fh.close();
  }
  const folder = inputs[0]!.name.split('/')[0];
  await writeZip(to, [...inputs, { name: `${folder}/data/padding`, holeSize: 384 << 20 }]);
}

beforeAll(async () => {
  tmp = tempDir('faceptor-e2e-browser-export-');
  server = await startPreview();
  browser = await launch();
  context = await browser.newContext();
  context.on('request', (r) => {
    if (/\/models\/(?!blazeface\/|index\.json$)/.test(new URL(r.url()).pathname)) packageRequests.push(r.url());
  });
  ({ page } = await openPage(context, `${server.url}?ep=wasm`));
  expect((await waitForEngine(page)).error).toBeNull();
});
afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
  tmp?.remove();
});

describe('exporting a checkpoint in the browser', () => {
  it("stores packages whose files and sha256s are the CLI's, for the four fixtures and four precisions", async () => {
    // Before any choice: the precision this device runs best (devicePrecision: fp16 on WASM), said to be so.
    await page.evaluate(() =>
      document.querySelectorAll('details').forEach((d) => {
        d.open = true;
      }),
    );
    expect(await page.inputValue('[data-testid="ckpt-precision"]')).toBe('fp16');
    expect(await page.getAttribute('[data-testid="ckpt-precision"]', 'data-default')).toBe('fp16');
    expect(await page.textContent('[data-testid="ckpt-options"] summary')).toContain('best for this device');
    for (const c of CASES) {
      const ckpt = join(GOLDEN_DIR, c.variant, 'checkpoint.pth.tar');
      const heads = headOptionsFromManifest(
        JSON.parse(await readFile(join(GOLDEN_DIR, c.variant, 'manifest.json'), 'utf8')),
      );
      const cli = await exportPackage(ckpt, join(tmp.dir, `cli-${c.variant}`), {
        ...heads,
        precision: c.precision,
        untrained: true,
      });
      const before = await readOpfs(page);
      await setOptions(page, { precision: c.precision, ...heads });
      await giveCheckpoint(page, ckpt, 'checkpoint.pth.tar', c.via);
      const outcome = await exportOutcome(page);
      expect(outcome, c.variant).toMatchObject({ state: 'done' });
      // The checkpoint's sha256 runs beside the conversion only with a spare core (>= 4), else after the commit.
      const timings = JSON.parse((await page.getAttribute('[data-testid="ckpt-done"]', 'data-timings')) ?? '{}');
      const cores = await page.evaluate(() => navigator.hardwareConcurrency);
      expect(timings.concurrentHash, `${c.variant}, ${cores} cores`).toBe(cores >= 4);
      expect(timings.storedMs).toBeGreaterThan(0);
      // The package's files were written and hashed by the writer worker (not the fallback on the export's thread).
      expect(timings.writerThread, c.variant).toBe(true);
      // The manifests are compared once the digest is recorded (then the next export may start).
      const recorded = await page.waitForSelector('[data-testid="ckpt-provenance"][data-state="recorded"]', {
        state: 'attached',
        timeout: 120_000,
      });
      expect(await recorded.getAttribute('data-sha256')).toBe(cli.manifest.provenance.sourceSha256);
      const final = JSON.parse((await recorded.getAttribute('data-timings')) ?? '{}');
      expect(final.provenanceMs).toBeGreaterThanOrEqual(final.storedMs);
      const after = await readOpfs(page);
      const added = after.names.filter((n) => !before.names.includes(n));
      expect(added, c.variant).toHaveLength(1); // one package, no partial folder left
      const stored = after.manifests[added[0]!]!;
      expect(stored.files, `${c.variant} ${c.precision}`).toEqual(cli.manifest.files);
      expect(stored.provenance.sourceSha256).toBe(cli.manifest.provenance.sourceSha256);
      expect(stored).toMatchObject({
        variant: cli.manifest.variant,
        precision: c.precision,
        label: cli.manifest.label,
      });
    }
    // The last export was loaded and runs; its provenance says where it came from.
    await page.waitForFunction(
      () =>
        /exported in this browser from checkpoint\.pth\.tar, sha256 [0-9a-f]{12}/.test(
          document.querySelector('[data-testid="model-provenance"]')?.getAttribute('data-origin') ?? '',
        ),
      null,
      { timeout: 120_000 },
    );
    expect(await page.getAttribute('[data-testid="model-provenance"]', 'data-variant')).toBe('full');
    expect(await page.getAttribute('[data-testid="stored-models"]', 'data-count')).toBe('4');
  });

  it('after a reload the packages are listed and the last one loads from storage, not the network', async () => {
    packageRequests.length = 0;
    await page.reload();
    expect((await waitForEngine(page)).error).toBeNull();
    await page.waitForSelector('[data-testid="model-notice"][data-state="loaded"]', { timeout: 120_000 });
    await page.waitForSelector('[data-testid="stored-models"][data-count="4"]', { state: 'attached', timeout: 10_000 });
    expect(await page.getAttribute('[data-testid="model-provenance"]', 'data-origin')).toMatch(
      /^exported in this browser from checkpoint\.pth\.tar/,
    );
    const options = await page.$$eval('[data-testid="model-select"] option', (os) =>
      os.map((o) => o.textContent ?? ''),
    );
    expect(options.filter((t) => t.includes('stored in this browser'))).toHaveLength(4);
    expect(packageRequests).toEqual([]);
    // The stored package analyses a photo as the CLI does with its own export of the same checkpoint (the last
    // case, Full q4), within the browser-vs-Node tolerances of docs/testing.md §3.
    const last = CASES[CASES.length - 1]!;
    const photo = join(FACES, 'astronaut.png');
    await dropFiles(page, [
      { name: 'astronaut.png', type: 'image/png', base64: (await readFile(photo)).toString('base64') },
    ]);
    await page.waitForSelector('[data-testid="gallery-item"][data-name="astronaut.png"][data-state="done"]', {
      timeout: 240_000,
    });
    const item = (await hookState(page)).gallery.find((g) => g.name === 'astronaut.png')!;
    const reference = await analyzeWithCli(photo, 'auto', [
      '--model',
      join(tmp.dir, `cli-${last.variant}`),
      '--tasks',
      'default',
    ]);
    expect(item.analysis!.faces).toHaveLength(reference.faces.length);
    const d = compareFaces(item.analysis!.faces[0] as never, reference.faces[0] as never);
    expect(d.missing).toEqual([]);
    for (const [k, limit] of Object.entries(TOLERANCE))
      expect(d[k as keyof typeof TOLERANCE], k).toBeLessThanOrEqual(limit);
  });

  it("refuses a malicious pickle and a text file with the CLI's message; nothing is stored, the model keeps running", async () => {
    const marker = join(tmp.dir, 'pwned');
    const evil = join(tmp.dir, 'evil.pth.tar');
    const pkl = new PickleWriter().global('os', 'system').mark().str(`touch ${marker}`).tuple().reduce().stop();
    await writeZip(evil, [
      { name: 'evil.pth/data.pkl', data: pkl },
      { name: 'evil.pth/version', data: new TextEncoder().encode('3\n') },
    ]);
    const text = join(tmp.dir, 'notes.txt');
    await writeFile(text, 'not a checkpoint\n'.repeat(100));
    const before = await readOpfs(page);
    for (const [file, name] of [
      [evil, 'evil.pth.tar'],
      [text, 'notes.txt'],
    ] as const) {
      const message = await cliMessage(file, name);
      await giveCheckpoint(page, file, name, 'pick');
      const outcome = await exportOutcome(page);
      expect(outcome.state, name).toBe('error');
      expect(outcome.text).toContain(message);
      expect(await readOpfs(page)).toEqual(before);
    }
    expect(await page.getAttribute('[data-testid="model-notice"]', 'data-state')).toBe('loaded');
  });

  it('a cancelled export stores nothing; a cancel while hashing keeps the package, without its sha256', async () => {
    const big = join(tmp.dir, 'big.pth.tar');
    await bigCheckpoint(big);
    const before = await readOpfs(page);
    const heads = headOptionsFromManifest(
      JSON.parse(await readFile(join(GOLDEN_DIR, 'faceptor_full', 'manifest.json'), 'utf8')),
    );
    await setOptions(page, { precision: 'fp32', ...heads });
    // Clicked by the page itself as soon as conversion starts (a fixture converts in well under a second).
    await clickWhen(page, '[data-testid="ckpt-progress"][data-phase="converting"]', '[data-testid="ckpt-cancel"]');
    await giveCheckpoint(page, big, 'big.pth.tar', 'pick');
    expect((await exportOutcome(page)).state).toBe('cancelled');
    expect(await readOpfs(page)).toEqual(before);
    expect(await page.getAttribute('[data-testid="model-notice"]', 'data-state')).toBe('loaded');

    // Again, cancelled while its 400 MB are hashed after the commit: stored, complete, listed, with sha256 "".
    await clickWhen(page, '[data-testid="ckpt-provenance"][data-state="hashing"]', '[data-testid="ckpt-hash-cancel"]');
    await giveCheckpoint(page, big, 'big.pth.tar', 'pick');
    expect((await exportOutcome(page)).state).toBe('done');
    await page.waitForSelector('[data-testid="ckpt-provenance"][data-state="failed"][data-cancelled="true"]', {
      state: 'attached',
      timeout: 60_000,
    });
    const after = await readOpfs(page);
    const added = after.names.filter((n) => !before.names.includes(n));
    expect(added).toHaveLength(1); // the package, and no partial folder
    const kept = after.manifests[added[0]!]!;
    expect(kept.provenance.sourceSha256).toBe('');
    expect(kept.files.length).toBeGreaterThan(0);
    await page.waitForSelector(
      `[data-testid="stored-model"][data-id="${added[0]}"] [data-testid="stored-sha256"][data-state="missing"]`,
      { state: 'attached', timeout: 10_000 },
    );
  });

  it('Delete removes one stored package and nothing else', async () => {
    const before = await readOpfs(page);
    const count = Number(await page.getAttribute('[data-testid="stored-models"]', 'data-count'));
    const victim = await page.getAttribute('[data-testid="stored-model"]:last-child', 'data-id');
    page.once('dialog', (d) => void d.accept());
    await page.evaluate(() =>
      document.querySelectorAll('details').forEach((d) => {
        d.open = true;
      }),
    );
    await page.click('[data-testid="stored-model"]:last-child [data-testid="stored-delete"]');
    await page.waitForSelector(`[data-testid="stored-models"][data-count="${count - 1}"]`, { state: 'attached' });
    expect((await readOpfs(page)).names).toEqual(before.names.filter((n) => n !== victim));
  });
});
