/**
 * Issue 12 item 12, in the real browser: two exports of checkpoints with the same file name (`checkpoint.pth.tar`)
 * used to land in one folder (the second replacing the first) and showed as two identical picker entries. The
 * exporter now names each folder from variant/precision/label, never replaces one, and keeps the index free of
 * duplicates. Here the exporter writes a `public/models` (its own `index.json` included, served as written) and
 * the page's picker must list every package once, each with a label of its own, and load the one chosen.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportPackage } from '../tools/export/package/export.ts';
import { headOptionsFromManifest } from '../tools/export/plan/index.ts';
import { launch, openPage, waitForEngine } from './support/browser.ts';
import { tempDir } from './support/fixtures.ts';
import { GOLDEN_DIR } from '../tools/node-host/testing/golden-package.ts';
import { startPreview, type PreviewServer } from './support/preview.ts';

let server: PreviewServer;
let tmp: ReturnType<typeof tempDir>;
let models: string;
let browser: Browser;

async function exportAuto(variant: string): Promise<string> {
  const gm = JSON.parse(readFileSync(join(GOLDEN_DIR, variant, 'manifest.json'), 'utf8'));
  const r = await exportPackage(
    join(GOLDEN_DIR, variant, 'checkpoint.pth.tar'),
    { modelsDir: models },
    { ...headOptionsFromManifest(gm), untrained: true },
  );
  return r.outDir;
}

beforeAll(async () => {
  tmp = tempDir('faceptor-e2e-names-');
  models = join(tmp.dir, 'public', 'models');
  // Two fixtures whose checkpoints are both called checkpoint.pth.tar, one of them exported twice.
  await exportAuto('faceptor_base');
  await exportAuto('faceptor_base');
  await exportAuto('faceptor_full');
  server = await startPreview();
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  tmp?.remove();
});

describe('exported packages in the picker', () => {
  it('every package once, each with its own label, and the chosen one loads', async () => {
    const index = JSON.parse(readFileSync(join(models, 'index.json'), 'utf8')) as {
      packages: { name: string; label: string }[];
    };
    expect(index.packages.map((p) => p.name)).toEqual(['base-fp32', 'base-fp32-2', 'full-fp32']);

    const context = await browser.newContext();
    // Serve the folder exactly as the exporter left it (index.json included), as `npm start` would.
    await context.route('**/models/**', (route) => {
      const path = decodeURIComponent(new URL(route.request().url()).pathname);
      const rel = path.slice(path.indexOf('/models/') + '/models/'.length);
      const file = join(models, rel);
      if (rel.includes('..') || !existsSync(file) || !statSync(file).isFile()) return route.fallback();
      return route.fulfill({
        status: 200,
        contentType: rel.endsWith('.json') ? 'application/json' : 'application/octet-stream',
        body: readFileSync(file),
      });
    });
    const { page } = await openPage(context, `${server.url}?ep=wasm`);
    expect((await waitForEngine(page)).error).toBeNull();
    await page.waitForSelector('[data-testid="model-notice"][data-state="loaded"]', { timeout: 120_000 });

    const options = await page.$$eval('[data-testid="model-select"] option', (os) =>
      os.map((o) => ({ value: (o as HTMLOptionElement).value, text: o.textContent ?? '' })),
    );
    expect(options.length).toBe(3);
    expect(new Set(options.map((o) => o.text)).size).toBe(3); // a person can tell them apart
    for (const p of index.packages) expect(options.some((o) => o.text.startsWith(p.label))).toBe(true);

    // Choose the second export of the same checkpoint: its own package (label with its folder name) loads.
    const second = options.find((o) => o.text.startsWith(index.packages[1]!.label))!;
    await page.selectOption('[data-testid="model-select"]', second.value);
    await page.waitForFunction(
      (label) => document.querySelector('[data-testid="model-provenance"]')?.getAttribute('data-label') === label,
      index.packages[1]!.label,
      { timeout: 120_000 },
    );
    expect(index.packages[1]!.label).toMatch(/\[base-fp32-2\]$/);
    await context.close();
  });
});
