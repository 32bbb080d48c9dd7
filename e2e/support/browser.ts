/**
 * Debian Chromium through playwright-core (never `playwright install`). Flags from docs/environment.md §3: keep the
 * browser off the (closed) network; `--enable-unsafe-webgpu` gives a SwiftShader WebGPU adapter in headless mode.
 * playwright gives every launch a fresh temporary profile (user data dir).
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM } from './paths.ts';

const BASE_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

export interface LaunchOptions {
  readonly webgpu?: boolean;
  /** Absolute path of a y4m file: Chromium's fake camera plays it (and permission is granted). */
  readonly fakeCameraY4m?: string;
}

export async function launch(options: LaunchOptions = {}): Promise<Browser> {
  const args = [...BASE_ARGS];
  if (options.webgpu) args.push('--enable-unsafe-webgpu');
  if (options.fakeCameraY4m) {
    args.push(
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${options.fakeCameraY4m}`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

/** A page whose console errors and crashes are collected, so a test can assert "the page still works". */
export async function openPage(context: BrowserContext, url: string): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('crash', () => problems.push('crash'));
  await page.goto(url);
  return { page, problems };
}

export interface HookState {
  engine: {
    phase: string;
    status: { provider: string; fallbackReason: string | null; warnings: string[] } | null;
    error: string | null;
    notice: string | null;
  };
  live: { camera: string; error: string | null; latest: Analysis | null; fps: number; framesAnalysed: number };
  gallery: { name: string; state: string; analysis: Analysis | null; error: string | null }[];
}
export interface Analysis {
  width: number;
  height: number;
  scale: number;
  provider: string;
  detector: string;
  faces: {
    box: { x: number; y: number; width: number; height: number };
    score: number;
    keypoints: [number, number][];
  }[];
}

/** Reads the documented test hook (src/app/test-hook.ts). */
export function hookState(page: Page): Promise<HookState> {
  return page.evaluate(() => (window as unknown as { __faceptor: { state(): HookState } }).__faceptor.state());
}

/** Waits until the engine is ready or failed; returns its state. */
export async function waitForEngine(page: Page, timeoutMs = 120_000): Promise<HookState['engine']> {
  await page.waitForSelector(
    '[data-testid="engine-state"][data-phase="ready"], [data-testid="engine-state"][data-phase="error"]',
    { timeout: timeoutMs },
  );
  return (await hookState(page)).engine;
}

/** Drops files on the drop zone the way a user's drag-and-drop does (a DataTransfer built in the page). */
export async function dropFiles(page: Page, files: { name: string; type: string; base64: string }[]): Promise<void> {
  const dataTransfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) {
      const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], f.name, { type: f.type }));
    }
    return dt;
  }, files);
  for (const type of ['dragenter', 'dragover', 'drop']) {
    await page.dispatchEvent('[data-testid="dropzone"]', type, { dataTransfer });
  }
}
