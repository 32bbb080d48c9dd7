/**
 * Refused model packages: each defect gets its own ModelPackageError code and a message naming the problem and the
 * file. A refused package never reaches the runtime (no session is created), so a host keeps its previous model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, mkdtemp, readFile, rm, symlink, truncate, unlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InferenceBackend } from '../../src/pipeline/backend.ts';
import { ModelPackageError } from '../../src/pipeline/faceptor/errors.ts';
import { folderPackageSource, loadFaceptorFolder } from './model-package.ts';
import { loadFaceptorPackage } from '../../src/pipeline/faceptor/package.ts';
import type { Detection, RgbaImage } from '../../src/core/types.ts';
import { createNodeBackend } from './backend.ts';
import { exportGoldenFixture, type ExportedFixture } from './testing/golden-package.ts';

let fixture: ExportedFixture;
let work: string;
beforeAll(async () => {
  fixture = await exportGoldenFixture('faceptor_full');
  work = await mkdtemp(join(tmpdir(), 'faceptor-bad-'));
}, 60_000);
afterAll(async () => {
  await fixture?.cleanup();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Counts session creations so we can prove a refused package never reached the runtime. */
function countingBackend(): InferenceBackend & { created: number } {
  const inner = createNodeBackend();
  const b = {
    provider: inner.provider,
    created: 0,
    createSession: (m: Uint8Array, o?: Parameters<InferenceBackend['createSession']>[1]) => {
      b.created++;
      return inner.createSession(m, o);
    },
  };
  return b;
}

let n = 0;
async function copyPackage(): Promise<string> {
  const dir = join(work, `pkg-${n++}`);
  await cp(fixture.dir, dir, { recursive: true });
  return dir;
}

async function expectRefused(dir: string, code: string, message: RegExp): Promise<void> {
  const backend = countingBackend();
  const err = await loadFaceptorFolder(dir, backend).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelPackageError);
  expect((err as ModelPackageError).code).toBe(code);
  expect((err as Error).message).toMatch(message);
  expect(backend.created).toBe(0);
}

const editManifest = async (dir: string, edit: (m: Record<string, unknown>) => unknown) => {
  const path = join(dir, 'faceptor.json');
  await writeFile(path, JSON.stringify(edit(JSON.parse(await readFile(path, 'utf8')))));
};

/** A textured 96×96 image and one face on it (keypoints in BlazeFace order), for the runs below. */
const image: RgbaImage = {
  width: 96,
  height: 96,
  data: Uint8Array.from({ length: 96 * 96 * 4 }, (_, i) => (i * 37) % 251),
};
const face: Detection = {
  box: { x: 20, y: 20, width: 50, height: 50 },
  score: 0.9,
  keypoints: [
    [35, 40],
    [60, 40],
    [48, 52],
    [48, 62],
    [25, 45],
    [70, 45],
  ],
};

describe('model package checks', () => {
  it('the intact package loads, verifies and opens sessions only on use', async () => {
    const backend = countingBackend();
    const model = await loadFaceptorFolder(fixture.dir, backend);
    expect(backend.created).toBe(0);
    expect(model.info).toMatchObject({ variant: 'full', untrained: true });
    await model.release();
  });

  it('on disk with a file-opening backend (Node): files verified by streaming, never read into memory; same results as from bytes', async () => {
    const src = folderPackageSource(fixture.dir);
    const noBytes = {
      ...src,
      readBytes: async (path: string): Promise<Uint8Array> => {
        throw new Error(`readBytes(${path}) called`);
      },
    };
    const onDisk = await loadFaceptorPackage(noBytes, createNodeBackend());
    const inMemory = await loadFaceptorFolder(fixture.dir, countingBackend()); // no createSessionFromFile: bytes
    const tasks = ['age_morph2', 'align_300w', 'recog_ms1mv3'] as const;
    const a = await onDisk.analyzeFaces(image, [face], { tasks: [...tasks] });
    const b = await inMemory.analyzeFaces(image, [face], { tasks: [...tasks] });
    // the same maths; the on-disk sessions skip MatMul prepacking, which only reorders float sums
    const [fa, fb] = [a.faces[0], b.faces[0]];
    fa.identity!.embedding.forEach((v, i) => expect(v).toBeCloseTo(fb.identity!.embedding[i], 5));
    expect(fa.age!.morph2!.years).toBeCloseTo(fb.age!.morph2!.years, 4);
    fa.landmarks!['300w']!.points.forEach(([x, y], i) => {
      expect(x).toBeCloseTo(fb.landmarks!['300w']!.points[i][0], 3);
      expect(y).toBeCloseTo(fb.landmarks!['300w']!.points[i][1], 3);
    });
    expect(a.timings.runs).toEqual({ 'encoder.onnx': 2, 'decoder.onnx': 2 });
    await onDisk.release();
    await inMemory.release();
    // a corrupt weights.bin is still caught (by the streaming hash)
    const dir = await copyPackage();
    const bytes = await readFile(join(dir, 'weights.bin'));
    bytes[7] ^= 0xff;
    await writeFile(join(dir, 'weights.bin'), bytes);
    const err = await loadFaceptorPackage(
      { ...folderPackageSource(dir), readBytes: noBytes.readBytes },
      createNodeBackend(),
    ).catch((e: unknown) => e);
    expect((err as ModelPackageError).code).toBe('hash-mismatch');
  });

  it("from bytes (the browser's way): weights.bin is dropped once both sessions exist, and read again — checked — only for a new backend", async () => {
    const dir = await copyPackage();
    const model = await loadFaceptorFolder(dir, countingBackend());
    const tasks = ['age_morph2', 'align_300w'];
    expect(model.holdsWeightsBytes).toBe(true);
    const a = await model.analyzeFaces(image, [face], { tasks });
    await new Promise((r) => setTimeout(r, 10));
    expect(model.holdsWeightsBytes).toBe(false);
    const b = await model.analyzeFaces(image, [face], { tasks }); // both groups' constants were kept
    expect(b.faces[0]).toEqual(a.faces[0]);
    // an EP switch re-reads the file through the package checks: a file changed since the load is refused
    const bytes = await readFile(join(dir, 'weights.bin'));
    bytes[9] ^= 0xff;
    await writeFile(join(dir, 'weights.bin'), bytes);
    const err = await model
      .rebind(countingBackend())
      .analyzeFaces(image, [face], { tasks })
      .catch((e: unknown) => e);
    expect((err as ModelPackageError).code).toBe('hash-mismatch');
    expect((err as Error).message).toMatch(/weights\.bin is corrupt/);
    bytes[9] ^= 0xff;
    await writeFile(join(dir, 'weights.bin'), bytes);
    const moved = model.rebind(countingBackend());
    expect((await moved.analyzeFaces(image, [face], { tasks })).faces[0]).toEqual(a.faces[0]);
    await model.release();
    await moved.release();
  });

  it('corrupt file (one byte of weights.bin flipped) → hash-mismatch naming the file', async () => {
    const dir = await copyPackage();
    const bytes = await readFile(join(dir, 'weights.bin'));
    bytes[bytes.length >> 1] ^= 0xff;
    await writeFile(join(dir, 'weights.bin'), bytes);
    await expectRefused(dir, 'hash-mismatch', /weights\.bin is corrupt \(sha256/);
  });

  it('a host that verified a file before can skip re-hashing it (sizes still checked); others are hashed and reported', async () => {
    const dir = await copyPackage();
    const bytes = await readFile(join(dir, 'weights.bin'));
    bytes[0] ^= 0xff; // corrupt, but the host vouches for it: accepted (the host's cache is the authority)
    await writeFile(join(dir, 'weights.bin'), bytes);
    const hashed: string[] = [];
    const model = await loadFaceptorFolder(dir, createNodeBackend(), {
      alreadyVerified: (f) => f.path === 'weights.bin',
      onVerified: (f) => hashed.push(f.path),
    });
    expect(hashed).not.toContain('weights.bin');
    expect(hashed).toContain('encoder.onnx');
    await model.release();
    await truncate(join(dir, 'weights.bin'), 10);
    const err = await loadFaceptorFolder(dir, createNodeBackend(), { alreadyVerified: () => true }).catch(
      (e: unknown) => e,
    );
    expect((err as ModelPackageError).code).toBe('size-mismatch');
  });

  it('missing graph file → missing-file naming it', async () => {
    const dir = await copyPackage();
    await unlink(join(dir, 'decoder.onnx'));
    await expectRefused(dir, 'missing-file', /incomplete model package, decoder\.onnx is missing/);
  });

  it('truncated file (interrupted copy) → size-mismatch', async () => {
    const dir = await copyPackage();
    await truncate(join(dir, 'encoder.onnx'), 1000);
    await expectRefused(dir, 'size-mismatch', /encoder\.onnx has 1000 bytes, the manifest says \d+/);
  });

  it('no faceptor.json (not a package) → missing-file', async () => {
    const dir = await copyPackage();
    await unlink(join(dir, 'faceptor.json'));
    await expectRefused(dir, 'missing-file', /not a model package: faceptor\.json is missing/);
  });

  it('foreign manifest (some other JSON) → foreign-manifest', async () => {
    const dir = await copyPackage();
    await writeFile(join(dir, 'faceptor.json'), JSON.stringify({ name: 'some-npm-package', version: '1.0.0' }));
    await expectRefused(dir, 'foreign-manifest', /not a Faceptor model manifest/);
  });

  it('not JSON at all → manifest-unreadable', async () => {
    const dir = await copyPackage();
    await writeFile(join(dir, 'faceptor.json'), '<html>404</html>');
    await expectRefused(dir, 'manifest-unreadable', /faceptor\.json is not valid JSON/);
  });

  it('newer format version → newer-format', async () => {
    const dir = await copyPackage();
    await editManifest(dir, (m) => ({ ...m, formatVersion: 3 }));
    await expectRefused(dir, 'newer-format', /format version 3 is newer than this version understands \(2\)/);
  });

  it('a version-1 package (one graph per task) → old-format, with re-export advice', async () => {
    const dir = await copyPackage();
    await editManifest(dir, (m) => ({ ...m, formatVersion: 1 }));
    await expectRefused(
      dir,
      'old-format',
      /format version 1 is older than this version loads \(2[^)]*\); re-export it .*`npm run export`/,
    );
  });

  it('a Faceptor manifest with a missing field → invalid-manifest', async () => {
    const dir = await copyPackage();
    await editManifest(dir, (m) => ({ ...m, weights: undefined }));
    await expectRefused(dir, 'invalid-manifest', /missing field 'weights'/);
  });

  it('a file path leaving the package → unsafe-path', async () => {
    const dir = await copyPackage();
    await editManifest(dir, (m) => ({
      ...m,
      files: [...(m.files as object[]), { path: '../../etc/passwd', size: 1, sha256: '0'.repeat(64) }],
    }));
    await expectRefused(dir, 'unsafe-path', /'\.\.\/\.\.\/etc\/passwd'/);
  });
});

/** Issue 9, items 4, 6 and 13: non-regular files, URL-ish / encoded paths, duplicate paths. */
describe('hostile package files and paths (issue 9)', () => {
  const weightsOf = async (dir: string) =>
    (JSON.parse(await readFile(join(dir, 'faceptor.json'), 'utf8')) as { weights: string }).weights;

  it('weights symlinked to /dev/zero → refused at once without reading it (was: memory grew without limit)', async () => {
    const dir = await copyPackage();
    const weights = await weightsOf(dir);
    await unlink(join(dir, weights));
    await symlink('/dev/zero', join(dir, weights));
    const t0 = performance.now();
    await expectRefused(dir, 'missing-file', new RegExp(`${weights} is a device, not a regular file: refused`));
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('weights as a FIFO → refused, no hang', async () => {
    const dir = await copyPackage();
    const weights = await weightsOf(dir);
    await unlink(join(dir, weights));
    execFileSync('mkfifo', [join(dir, weights)]);
    await expectRefused(dir, 'missing-file', /is a FIFO \(named pipe\), not a regular file/);
  });

  it('a file longer than the manifest says: at most size + 1 bytes are read, then size-mismatch', async () => {
    const dir = await copyPackage();
    const manifest = JSON.parse(await readFile(join(dir, 'faceptor.json'), 'utf8')) as {
      files: { path: string; size: number }[];
    };
    const small = manifest.files.reduce((a, b) => (a.size <= b.size ? a : b));
    await writeFile(join(dir, small.path), Buffer.alloc(small.size + 10_000_000, 7));
    const source = folderPackageSource(dir);
    await source.readJson('faceptor.json');
    expect((await source.readBytes(small.path)).byteLength).toBe(small.size + 1);
    await expectRefused(
      dir,
      'size-mismatch',
      new RegExp(`${small.path.replace('.', '\\.')} is larger than the ${small.size} bytes the manifest says`),
    );
  });

  it('paths that a URL resolver or a server would take outside the package → unsafe-path', async () => {
    for (const bad of [
      'https:evil.example/weights.bin',
      '%2e%2e/full/weights.bin',
      '/etc/passwd',
      'a\\b.onnx',
      'C:x.onnx',
      'sub//x.onnx',
      '.hidden',
      '%2fetc%2fpasswd',
      '%zz',
    ]) {
      const dir = await copyPackage();
      const weights = await weightsOf(dir);
      await editManifest(dir, (m) => ({
        ...m,
        weights: bad,
        files: (m.files as { path: string }[]).map((f) => (f.path === weights ? { ...f, path: bad } : f)),
      }));
      await expectRefused(dir, 'unsafe-path', /not a plain path inside the package/);
    }
  });

  it('the same path listed twice → invalid-manifest before any file is read or hashed', async () => {
    const dir = await copyPackage();
    await editManifest(dir, (m) => ({ ...m, files: [...(m.files as object[]), ...(m.files as object[])] }));
    const source = folderPackageSource(dir);
    let reads = 0;
    const counted = {
      ...source,
      readBytes: (p: string) => {
        reads++;
        return source.readBytes(p);
      },
    };
    const err = await loadFaceptorPackage(counted, countingBackend()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as ModelPackageError).code).toBe('invalid-manifest');
    expect((err as Error).message).toMatch(/is listed more than once in files/);
    expect(reads).toBe(0);
  });
});
