/**
 * Documentation citations (docs/testing.md §6): every `.md` file a comment or a markdown file cites exists in the
 * repository, and every cited section is a numbered heading of that file. The checker is first shown to catch each
 * kind of broken citation in a small generated tree, then run on this repository.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkDocLinks, codeComments, headingSections, repositoryFiles } from './docs-links.ts';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Writes `files` (path → text) into a fresh folder and checks exactly those files. */
function check(files: Record<string, string>): string[] {
  const root = mkdtempSync(join(tmpdir(), 'faceptor-docs-links-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return checkDocLinks(root, { files: Object.keys(files) }).map((p) => `${p.file}:${p.line}: ${p.message}`);
}

const SPEC = '# Spec\n\n## 1. One\n\n### 1.2 One two\n\n## 2. Two\n\n```\n## 9. not a heading (code)\n```\n';

describe('headingSections', () => {
  it('reads numbered headings, with or without a trailing dot, outside code fences', () => {
    expect([...headingSections(SPEC)].sort()).toEqual(['1', '1.2', '2']);
  });
});

describe('codeComments', () => {
  it('finds line, block and JSX comments but not strings, template literals or regexes', () => {
    const src = [
      "const a = '// not a comment: a.md';",
      'const b = `/* nor this: b.md */`;',
      'const r = /c\\.md\\/\\//; // real: d.md',
      '/** real: e.md */',
      'export const el = <div>{/* real: f.md */}</div>;',
    ].join('\n');
    const text = codeComments(src, 'x.tsx')
      .map((c) => c.text)
      .join(' | ');
    expect(text).toBe('// real: d.md | /** real: e.md */ | /* real: f.md */');
  });
});

describe('checkDocLinks on generated trees', () => {
  it('accepts citations of files and sections that exist', () => {
    expect(
      check({
        'docs/spec.md': SPEC + '\nSee §1.2 above.\n',
        'src/a.ts': '/** Uses docs/spec.md §1, §1.2 and §2; (`docs/spec.md` §2); docs/spec.md §1–§2. */\nexport {};\n',
        'src/README.md': 'Spec: [`docs/spec.md`](../docs/spec.md) §1.2; sibling: README.md, [up](../README.md).\n',
        'README.md': 'See [the spec](docs/spec.md) and https://example.com/missing.md.\n',
      }),
    ).toEqual([]);
  });

  it('reports a cited file that is not in the repository, in a comment and in markdown', () => {
    expect(
      check({
        'src/a.ts': 'export const x = 1; // from faceptor-model.md §3\n',
        'README.md': 'Facts: ../shared/ENVIRONMENT.md.\n',
      }),
    ).toEqual([
      'src/a.ts:1: cites faceptor-model.md, which is not a file of the repository',
      'README.md:1: cites ../shared/ENVIRONMENT.md, which is not a file of the repository',
    ]);
  });

  it('reports a cited section the file has no heading for, each section of a list on its own', () => {
    expect(
      check({
        'docs/spec.md': SPEC,
        'src/a.ts': '/**\n * Uses docs/spec.md §1.2, §3 and §9.1.\n */\nexport {};\n',
      }),
    ).toEqual([
      'src/a.ts:2: cites docs/spec.md §3, but docs/spec.md has no heading numbered 3',
      'src/a.ts:2: cites docs/spec.md §9.1, but docs/spec.md has no heading numbered 9.1',
    ]);
  });

  it('checks both ends of a section range', () => {
    expect(check({ 'docs/spec.md': SPEC, 'src/a.ts': '// docs/spec.md §1–§4\n' })).toEqual([
      'src/a.ts:1: cites docs/spec.md §4, but docs/spec.md has no heading numbered 4',
    ]);
  });

  it('resolves a markdown link against the linking file only (a root-level file of that name does not count)', () => {
    expect(
      check({
        'docs/spec.md': SPEC,
        'README.md': '# x\n',
        'tools/README.md': 'See [spec](docs/spec.md).\n',
      }),
    ).toEqual(['tools/README.md:1: links to docs/spec.md, which is not a file of the repository']);
  });

  it('reports a section number that names no file outside docs/, and a self-reference to a missing heading', () => {
    expect(
      check({
        'docs/spec.md': SPEC + '\nAs §2 says; see §7.\n',
        'src/a.ts': '/** The crop of §3.2. */\nexport {};\n',
        'src/README.md': 'Exactly §3.2 otherwise.\n',
      }),
    ).toEqual([
      'docs/spec.md:13: refers to its own §7, but docs/spec.md has no heading numbered 7',
      'src/a.ts:1: §3.2 names no file: write "docs/<file>.md §3.2"',
      'src/README.md:1: §3.2 names no file: write "docs/<file>.md §3.2"',
    ]);
  });

  it('ignores .md names in strings and code, and § placeholders followed by a letter', () => {
    expect(
      check({
        'src/a.test.ts':
          "const f = 'my-notes.md';\nconst g = `${f}/gone.md`;\n// as docs/<file>.md §N\nexport { g };\n",
      }),
    ).toEqual([]);
  });
});

describe('repositoryFiles', () => {
  it('lists the files of a folder that is not a git checkout, without dependencies or hidden folders', () => {
    const root = mkdtempSync(join(tmpdir(), 'faceptor-docs-files-'));
    for (const p of ['README.md', 'src/a.ts', 'node_modules/x/README.md', '.cache/notes.md', 'dist/index.js']) {
      mkdirSync(dirname(join(root, p)), { recursive: true });
      writeFileSync(join(root, p), '');
    }
    expect(repositoryFiles(root).sort()).toEqual(['README.md', 'src/a.ts']);
  });
});

describe('this repository', () => {
  it('cites only .md files and sections that exist', () => {
    expect(checkDocLinks(REPO).map((p) => `${p.file}:${p.line}: ${p.message}`)).toEqual([]);
  });
});
