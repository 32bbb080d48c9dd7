/**
 * Test setup: the golden Full fixture with ONE broken head — the identity interpreter's last bias is NaN, so the
 * recognition embedding is NaN for every face while the encoder and every other task are untouched (that bias is
 * used by the identity head alone). Built as users would meet it: a checkpoint with bad weights, exported by the
 * real exporter (nothing binary is committed; ~3 s).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCheckpoint } from '../../export/checkpoint/index.ts';
import { exportPackage } from '../../export/package/export.ts';
import { headOptionsFromManifest } from '../../export/plan/index.ts';
import { writeTorchCheckpoint, type TensorSpec } from '../../export/testing/torch-writer.ts';
import { GOLDEN_DIR, type ExportedFixture } from './golden-package.ts';

/** The state_dict key (without `module.`) that is set to NaN. */
export const BROKEN_IDENTITY_KEY = 'heads_module.interpreters.feature_v2.head.3.bias';

export async function exportBrokenIdentityFixture(): Promise<ExportedFixture> {
  const src = join(GOLDEN_DIR, 'faceptor_full');
  const gm = JSON.parse(await readFile(join(src, 'manifest.json'), 'utf8'));
  const work = await mkdtemp(join(tmpdir(), 'faceptor-broken-'));
  const checkpoint = await openCheckpoint(join(src, 'checkpoint.pth.tar'));
  const tensors: TensorSpec[] = [];
  const firstOfStorage = new Map<string, string>();
  try {
    for (const [key, t] of checkpoint.tensors) {
      const name = `module.${key}`;
      const alias = firstOfStorage.get(t.storageKey);
      if (alias) {
        tensors.push({ key: name, shape: t.shape, aliasOf: alias });
        continue;
      }
      firstOfStorage.set(t.storageKey, name);
      if (t.dtype === 'int64') {
        tensors.push({ key: name, shape: t.shape, dtype: 'int64' });
        continue;
      }
      const data = await t.read();
      if (key === BROKEN_IDENTITY_KEY) data.fill(Number.NaN);
      tensors.push({ key: name, shape: t.shape, data });
    }
  } finally {
    await checkpoint.close();
  }
  if (
    !firstOfStorage.has(`module.${BROKEN_IDENTITY_KEY}`) &&
    !tensors.some((t) => t.key === `module.${BROKEN_IDENTITY_KEY}`)
  ) {
    throw new Error(`the golden checkpoint has no ${BROKEN_IDENTITY_KEY}`);
  }
  const path = join(work, 'broken-identity.pth.tar');
  writeTorchCheckpoint(path, {
    tensors,
    step: checkpoint.step ?? 50000,
    optimizer: 'empty',
    folder: 'broken-identity.pth',
  });
  const dir = join(work, 'broken_identity');
  await exportPackage(path, dir, {
    ...headOptionsFromManifest(gm),
    label: 'golden fixture — identity head broken (NaN weights)',
    untrained: true,
  });
  return { dir, cleanup: () => rm(work, { recursive: true, force: true }) };
}
