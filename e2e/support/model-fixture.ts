/**
 * Faceptor packages for the browser specs: the golden Full fixture exported by the real exporter (random weights,
 * marked untrained), served to the page through Playwright routes as if it sat in public/models/ — nothing is
 * written into dist/ or public/. Bad packages are copies with one defect each.
 */
import { cpSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { exportGoldenFixture, type ExportedFixture } from '../../tools/node-host/testing/golden-package.ts';
import type { ModelIndex, ModelIndexEntry } from '../../src/core/faceptor/manifest.ts';

export type { ExportedFixture };
export { exportGoldenFixture };

export type PackageDefect = 'hash-mismatch' | 'missing-file' | 'foreign-manifest' | 'newer-format';

/** A copy of `dir` in `into/<defect>` with one defect, as users meet them (bit rot, partial copy, wrong folder, old app). */
export function makeBadPackage(dir: string, into: string, defect: PackageDefect): string {
  const out = join(into, defect);
  rmSync(out, { recursive: true, force: true });
  cpSync(dir, out, { recursive: true });
  const manifestPath = join(out, 'faceptor.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    format: string;
    formatVersion: number;
    heads: { file: string }[];
  };
  switch (defect) {
    case 'hash-mismatch': {
      const file = join(out, manifest.heads[0].file);
      const bytes = readFileSync(file);
      bytes[bytes.length - 5] ^= 0xff; // same size, different content
      writeFileSync(file, bytes);
      break;
    }
    case 'missing-file':
      rmSync(join(out, manifest.heads[manifest.heads.length - 1].file));
      break;
    case 'foreign-manifest':
      writeFileSync(manifestPath, JSON.stringify({ format: 'some-other-tool', version: 3, files: [] }));
      break;
    case 'newer-format':
      writeFileSync(manifestPath, JSON.stringify({ ...manifest, formatVersion: manifest.formatVersion + 1 }));
      break;
  }
  return out;
}

export interface ServedPackage {
  readonly name: string;
  readonly dir: string;
  /** Listed in models/index.json (default true); unlisted packages are still reachable by URL (`?model=`). */
  readonly listed?: boolean;
}

/**
 * Serves `models/index.json` and `models/<name>/<file>` for the given packages to every page of the context.
 * Returns a counter of package-file requests (to prove the second visit comes from the cache).
 */
export async function servePackages(
  context: BrowserContext,
  packages: readonly ServedPackage[],
): Promise<{ requests: string[] }> {
  const requests: string[] = [];
  const entries: ModelIndexEntry[] = [];
  for (const p of packages.filter((q) => q.listed !== false)) {
    const m = JSON.parse(readFileSync(join(p.dir, 'faceptor.json'), 'utf8'));
    entries.push({
      name: p.name,
      label: m.label,
      variant: m.variant,
      precision: m.precision,
      untrained: m.provenance?.untrained ?? false,
      manifest: `${p.name}/faceptor.json`,
    });
  }
  const index: ModelIndex = { format: 'faceptor-web-model-index', packages: entries };
  await context.route('**/models/index.json', (route) =>
    route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(index) }),
  );
  for (const p of packages) {
    await context.route(`**/models/${p.name}/**`, (route) => {
      const url = new URL(route.request().url());
      const rel = decodeURIComponent(
        url.pathname.slice(url.pathname.indexOf(`/models/${p.name}/`) + `/models/${p.name}/`.length),
      );
      requests.push(`${p.name}/${rel}`);
      const file = join(p.dir, rel);
      if (rel.includes('..') || !existsSync(file))
        return route.fulfill({ status: 404, contentType: 'text/plain', body: 'Not found' });
      const body = readFileSync(file);
      return route.fulfill({
        status: 200,
        contentType: rel.endsWith('.json') ? 'application/json' : 'application/octet-stream',
        body,
      });
    });
  }
  return { requests };
}
