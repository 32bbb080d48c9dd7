/**
 * What the real-size app benchmarks share: their command-line options, a package linked into the built app's
 * dist/models/ (as a user installs one), and the page opened with it loaded by `?model=`.
 */
import { rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { openPage, waitForEngine } from '../support/browser.ts';
import { REPO_ROOT } from '../support/paths.ts';

/** `--name value` from the command line, else `fallback`. */
export function benchArg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

/**
 * Links `modelDir` as dist/models/<name>/; call BEFORE the preview server starts (it lists dist/ once). Returns
 * the removal of the link (never of the package).
 */
export function linkPackage(modelDir: string, name: string): () => void {
  const served = join(REPO_ROOT, 'dist', 'models', name);
  rmSync(served, { force: true, recursive: true });
  symlinkSync(resolve(modelDir), served, 'dir');
  return () => rmSync(served, { force: true });
}

export interface OpenedApp {
  readonly page: Page;
  readonly problems: string[];
  readonly status: { provider: string; wasmThreads?: number } | null;
  /** Seconds from opening the page to the model loaded. */
  readonly loadedS: number;
}

/** Opens the app on `ep` (and `threads`) with the linked package `name` loaded; throws if the engine fails. */
export async function openWithPackage(
  browser: Browser,
  serverUrl: string,
  name: string,
  options: { ep: string; threads: string },
): Promise<OpenedApp> {
  const context = await browser.newContext();
  const t0 = performance.now();
  const query = `?ep=${options.ep}${options.threads ? `&threads=${options.threads}` : ''}&model=${encodeURIComponent(`${serverUrl}models/${name}/`)}`;
  const { page, problems } = await openPage(context, `${serverUrl}${query}`);
  const engine = await waitForEngine(page);
  if (engine.error) throw new Error(engine.error);
  await page.waitForSelector('[data-testid="model-notice"][data-state="loaded"]', { timeout: 600_000 });
  const status = engine.status as { provider: string; wasmThreads?: number } | null;
  return { page, problems, status, loadedS: (performance.now() - t0) / 1000 };
}
