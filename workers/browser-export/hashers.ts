/**
 * SHA-256 for the browser's exporter: hash-wasm's WebAssembly SHA-256 (streaming; several times faster than plain
 * JavaScript — the whole 1.7 GB checkpoint is hashed for the provenance, as the CLI does with Node's native hash),
 * or the pure TypeScript one (tools/export/package/sha256.ts) where WebAssembly cannot be instantiated.
 */
import { createSHA256 } from 'hash-wasm';
import { Sha256 } from '../../tools/export/package/sha256.ts';
import type { Hasher } from '../../tools/export/package/sink.ts';

export async function fastSha256(): Promise<Hasher> {
  try {
    const h = await createSHA256();
    h.init();
    return { update: (d: Uint8Array) => h.update(d), digest: () => h.digest('hex') };
  } catch {
    return new Sha256();
  }
}
