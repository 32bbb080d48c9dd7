/**
 * The library as another project gets it: `npm pack` this checkout (prepack emits dist-lib/ with tsc), install the
 * tarball into a fresh temp project beside onnxruntime-node and sharp (the Node entry's optional peers), then
 * - run the Node entry: detection + Faceptor tasks on a shared photo give what the analyze CLI of this checkout gives;
 * - import the browser entry (the `browser` export condition): it carries the onnxruntime-web backend and the
 *   browser package sources, not the Node host;
 * - type-check a consumer file against the shipped declarations (a misuse must fail: the types are not `any`).
 * Not a browser test, but an end-to-end one (npm, a tarball, a second project): it lives with the e2e specs.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './support/fixtures.ts';
import { exportGoldenFixture, type ExportedFixture } from './support/model-fixture.ts';
import { analyzeWithCli, boxDisagreement } from './support/node-reference.ts';
import { FACES, REPO_ROOT } from './support/paths.ts';

const run = promisify(execFile);
// onnxruntime-node's install script would download CUDA files; its CPU binaries are in the package.
const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_audit: 'false', npm_config_fund: 'false' };
const version = (pkg: string) =>
  (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string })
    .version;

let tmp: ReturnType<typeof tempDir>;
let project: string;
let tarballFiles: string[];
let fixture: ExportedFixture;

beforeAll(async () => {
  tmp = tempDir('faceptor-pack-');
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tmp.dir], {
    cwd: REPO_ROOT,
    env,
    maxBuffer: 1 << 26,
  });
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  tarballFiles = packed.files.map((f) => f.path);
  project = join(tmp.dir, 'consumer');
  await run('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await run(
    'npm',
    [
      'install',
      join(tmp.dir, packed.filename),
      `onnxruntime-node@${version('onnxruntime-node')}`,
      `sharp@${version('sharp')}`,
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
    ],
    { cwd: project, env, maxBuffer: 1 << 26 },
  );
  fixture = await exportGoldenFixture('faceptor_full');
}, 600_000);

afterAll(async () => {
  await fixture?.cleanup();
  tmp?.remove();
});

describe('the packed npm package', () => {
  it('ships the compiled library, its declarations and the detector, and nothing of the app or the tests', () => {
    for (const f of [
      'dist-lib/src/lib/node.js',
      'dist-lib/src/lib/node.d.ts',
      'dist-lib/src/lib/browser.js',
      'dist-lib/src/lib/browser.d.ts',
      'public/models/blazeface/face_detection_front_128.onnx',
      'public/models/blazeface/face_detection_back_256.onnx',
      'public/models/blazeface/LICENSE',
    ]) {
      expect(tarballFiles).toContain(f);
    }
    // the one script: postinstall, which finds the detector already there and does nothing
    expect(tarballFiles.filter((f) => /\.test\.|\.spec\.|\/app\/|^src\/|^tools\/|^e2e\//.test(f))).toEqual([
      'tools/setup/install-models.mjs',
    ]);
  });

  it('Node entry: another project analyses a photo with a model package, as the CLI does', async () => {
    const photo = join(FACES, 'grace_hopper.jpg');
    writeFileSync(
      join(project, 'analyse.mjs'),
      `
      import { createFaceptor, createNodeBackend, faceTaskResultsToJson, folderPackageSource, loadBlazeFaceModels, loadImageFile } from 'faceptor-web';
      const faceptor = await createFaceptor({ backend: createNodeBackend(), detectorModels: await loadBlazeFaceModels(), model: folderPackageSource(process.argv[3]) });
      const r = await faceptor.analyze(await loadImageFile(process.argv[2]), { detector: 'front', tasks: ['age', 'landmarks'] });
      console.log(JSON.stringify(r.faces.map((f) => ({ box: f.box, ...faceTaskResultsToJson(f) }))));
      await faceptor.dispose();
    `,
    );
    const { stdout } = await run(process.execPath, ['analyse.mjs', photo, fixture.dir], { cwd: project, env });
    const faces = JSON.parse(stdout) as {
      box: { x: number; y: number; width: number; height: number };
      age: Record<string, { years: number }>;
      landmarks: Record<string, { points: [number, number][] }>;
    }[];
    const reference = await analyzeWithCli(photo, 'front', ['--model', fixture.dir, '--tasks', 'age,landmarks']);
    expect(faces).toHaveLength(reference.faces.length);
    expect(faces.length).toBeGreaterThan(0);
    const ref = reference.faces[0] as unknown as (typeof faces)[0];
    expect(boxDisagreement(faces[0].box, ref.box)).toBeLessThan(1e-4); // the CLI's JSON rounds coordinates
    // the same JSON form as the CLI's (rounded alike): equal, field by field
    expect(Object.keys(faces[0].landmarks)).toEqual(['300w']);
    expect(faces[0].age).toEqual(ref.age);
    expect(faces[0].landmarks).toEqual(ref.landmarks);
  });

  it('browser entry: the `browser` condition gives the onnxruntime-web backend and browser sources, not the Node host', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--conditions=browser',
        '--input-type=module',
        '-e',
        "const m = await import('faceptor-web'); console.log(JSON.stringify([typeof m.createFaceptor, typeof m.createOrtWebBackend, typeof m.urlPackageSource, typeof m.createNodeBackend]));",
      ],
      { cwd: project, env },
    );
    expect(JSON.parse(stdout)).toEqual(['function', 'function', 'function', 'undefined']);
  });

  it('declarations: a consumer type-checks against them, and a misuse is a type error', async () => {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        // a Node project has @types/node; this one borrows the checkout's instead of installing it
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [join(REPO_ROOT, 'node_modules', '@types')],
          lib: ['es2023', 'dom'],
        },
        files: ['use.ts', 'misuse.ts'],
      }),
    );
    const use = (task: string) => `
      import { createFaceptor, createNodeBackend, loadBlazeFaceModels, type ImageAnalysis, type TaskName } from 'faceptor-web';
      const task: TaskName = '${task}';
      export async function main(): Promise<number> {
        const f = await createFaceptor({ backend: createNodeBackend(), detectorModels: await loadBlazeFaceModels() });
        const r: ImageAnalysis = await f.analyze({ width: 1, height: 1, data: new Uint8Array(4) }, { tasks: [task] });
        return r.faces.length ? r.faces[0].box.width : 0;
      }
    `;
    writeFileSync(join(project, 'use.ts'), use('age_morph2'));
    writeFileSync(join(project, 'misuse.ts'), use('age_of_empires'));
    // one compiler run (the library's declarations are checked too: skipLibCheck is off): errors only in misuse.ts
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const out = await run(process.execPath, [tsc, '-p', '.'], { cwd: project, env }).then(
      () => '',
      (e: { stdout: string }) => e.stdout,
    );
    const errors = out.split('\n').filter((l) => /error TS\d+/.test(l));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^misuse\.ts\(3,13\): error TS2322: Type '"age_of_empires"' is not assignable to type '"recog_ms1mv3" \|/,
    );
  });
});
