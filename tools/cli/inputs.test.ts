/**
 * analyze's inputs (issue 15 item 5): folders walked, globs expanded, and `--shard i/n` partitioning the collection
 * exactly and stably. Shards are checked on a generated tree of 500 names (union = all, pairwise disjoint, stable
 * when files are added, the same wherever the tree is mounted) and against an independent implementation of the
 * documented rule (first 4 bytes of SHA-256 of the relative path, big-endian, mod n) through `sha256sum`.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { expandInputs, InputError, parseShard, selectShard, shardOfKey } from './inputs.ts';

function tree(root: string, files: readonly string[]): void {
  for (const f of files) {
    mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, f), f);
  }
}

const names = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `album-${(from + i) % 7}/day-${(from + i) % 3}/img_${from + i}.jpg`);

describe('folders and globs', () => {
  it('a folder is walked recursively in code-point order; hidden entries, other extensions and linked folders are skipped', async () => {
    const root = mkdtempSync(join(tmpdir(), 'faceptor-inputs-'));
    tree(root, [
      'b.png',
      'a/z.JPG',
      'a/B.jpeg',
      'a/c/d.jpg',
      'notes.txt',
      '.hidden.jpg',
      '.cache/x.jpg',
      'Ä.png',
      'a.png',
    ]);
    symlinkSync(join(root, 'a'), join(root, 'link-to-a')); // followed it would list a/ twice (or loop forever)
    const files = await expandInputs([root]);
    expect(files.map((f) => f.key)).toEqual(['a/B.jpeg', 'a/c/d.jpg', 'a/z.JPG', 'a.png', 'b.png', 'Ä.png']);
    expect(files.map((f) => f.path)).toEqual(files.map((f) => join(root, f.key)));
  });

  it('globs expand sorted (relative stays relative), keys relative to the glob base; a file reached twice is listed once', async () => {
    const root = mkdtempSync(join(tmpdir(), 'faceptor-inputs-'));
    tree(root, ['2024/jan/a.jpg', '2024/feb/b.jpg', '2024/feb/c.png', '2023/x.jpg']);
    const rel = relative(process.cwd(), root);
    const files = await expandInputs([`${rel}/2024/**/*.jpg`, join(root, '2024', 'feb'), join(root, '2023', 'x.jpg')]);
    expect(files).toEqual([
      { path: `${rel}/2024/feb/b.jpg`, key: 'feb/b.jpg' },
      { path: `${rel}/2024/jan/a.jpg`, key: 'jan/a.jpg' },
      { path: join(root, '2024', 'feb', 'c.png'), key: 'c.png' }, // b.jpg came already from the glob
      { path: join(root, '2023', 'x.jpg'), key: join(root, '2023', 'x.jpg') },
    ]);
    await expect(expandInputs([`${rel}/2025/*.jpg`])).rejects.toThrow(InputError);
    await expect(expandInputs([`${rel}/2025/*.jpg`])).rejects.toThrow(/no file matches/);
    // a name that is neither a file, a folder nor a pattern is kept: analysing it reports that it is missing
    expect(await expandInputs(['missing.jpg'])).toEqual([{ path: 'missing.jpg', key: 'missing.jpg' }]);
    // a file named outright is analysed as often as it is named (the user's list); a walk does not add it again
    const x = join(root, '2023', 'x.jpg');
    expect((await expandInputs([x, x, join(root, '2023')])).map((f) => f.path)).toEqual([x, x]);
  });
});

describe('--shard i/n', () => {
  it('parses i/n with 0 ≤ i < n only', () => {
    expect(parseShard('3/8')).toEqual({ index: 3, count: 8 });
    for (const bad of ['8/8', '-1/4', '1/0', '1', 'a/b', '1.5/4', '0/4/2', ''])
      expect(() => parseShard(bad)).toThrow(/--shard must be i\/n/);
  });

  it('the documented rule: first 4 bytes of SHA-256(path) as a big-endian integer, mod n (checked with sha256sum)', () => {
    for (const key of ['img_0.jpg', 'album-3/day-1/img_10.jpg', 'Ünïcödé/фото.png']) {
      const hex = execFileSync('sha256sum', { input: Buffer.from(key, 'utf8') })
        .toString()
        .slice(0, 8);
      for (const n of [1, 2, 3, 7, 64]) expect(shardOfKey(key, n)).toBe(parseInt(hex, 16) % n);
    }
  });

  it('shards partition the collection exactly, evenly, stably when files are added, wherever it is mounted', async () => {
    const a = mkdtempSync(join(tmpdir(), 'faceptor-shards-'));
    tree(a, names(500));
    const all = await expandInputs([a]);
    expect(all).toHaveLength(500);
    for (const n of [1, 2, 3, 8]) {
      const shards = Array.from({ length: n }, (_, i) => selectShard(all, { index: i, count: n }));
      const seen = shards.flat().map((f) => f.path);
      expect(new Set(seen).size).toBe(seen.length); // pairwise disjoint
      expect([...seen].sort()).toEqual(all.map((f) => f.path).sort()); // union = all
      for (const s of shards) expect(s.length).toBeGreaterThan((500 / n) * 0.75); // a hash, not a pile-up in one shard
    }
    // 100 more photos, some in new folders: every file keeps its shard
    const before = new Map(all.map((f) => [f.path, shardOfKey(f.key, 8)]));
    tree(
      a,
      names(100, 500).map((f) => f.replace('album-', 'new-album-')),
    );
    const grown = await expandInputs([a]);
    expect(grown).toHaveLength(600);
    for (const f of grown) if (before.has(f.path)) expect(shardOfKey(f.key, 8)).toBe(before.get(f.path));
    // the same tree under another mount point gives the same split
    const b = mkdtempSync(join(tmpdir(), 'faceptor-shards-other-mount-'));
    tree(b, names(500));
    const other = selectShard(await expandInputs([b]), { index: 5, count: 8 }).map((f) => f.key);
    expect(other).toEqual(selectShard(all, { index: 5, count: 8 }).map((f) => f.key));
  });
});
