import { describe, expect, it } from 'vitest';
import { fromFiles, packageName, walkEntries, type EntryLike } from './dropped-files.ts';
import { formatBytes, shortHash } from './format.ts';

/** A fake dropped tree; directories hand out their children in batches of `batch`, like Chrome's readEntries. */
function fileEntry(fullPath: string, body = 'x'): EntryLike {
  const name = fullPath.slice(fullPath.lastIndexOf('/') + 1);
  return {
    isFile: true,
    isDirectory: false,
    name,
    fullPath,
    file: (ok: (f: File) => void) => ok(new File([body], name)),
  } as EntryLike;
}
function dirEntry(fullPath: string, children: EntryLike[], batch = 2): EntryLike {
  return {
    isFile: false,
    isDirectory: true,
    name: fullPath.slice(fullPath.lastIndexOf('/') + 1),
    fullPath,
    createReader() {
      let at = 0;
      return {
        readEntries(ok: (e: EntryLike[]) => void) {
          const out = children.slice(at, at + batch);
          at += out.length;
          ok(out);
        },
      };
    },
  } as EntryLike;
}

describe('dropped model folders', () => {
  it('walks every file of a nested folder, past readEntries batches, keeping relative paths', async () => {
    const tree = dirEntry('/full', [
      fileEntry('/full/faceptor.json', '{}'),
      fileEntry('/full/encoder.onnx'),
      fileEntry('/full/decoder.onnx'),
      dirEntry('/full/heads', [
        fileEntry('/full/heads/age.onnx'),
        fileEntry('/full/heads/align.onnx'),
        fileEntry('/full/heads/recog.onnx'),
      ]),
    ]);
    const { files, paths } = await walkEntries([tree]);
    expect(paths).toEqual([
      'full/faceptor.json',
      'full/encoder.onnx',
      'full/decoder.onnx',
      'full/heads/age.onnx',
      'full/heads/align.onnx',
      'full/heads/recog.onnx',
    ]);
    expect(files.map((f) => f.name)).toEqual([
      'faceptor.json',
      'encoder.onnx',
      'decoder.onnx',
      'age.onnx',
      'align.onnx',
      'recog.onnx',
    ]);
    expect(await files[0].text()).toBe('{}');
    expect(packageName(paths)).toBe('full');
  });

  it('names loose files and mixed folders "files"', async () => {
    const { paths } = await walkEntries([fileEntry('/faceptor.json'), fileEntry('/encoder.onnx')]);
    expect(paths).toEqual(['faceptor.json', 'encoder.onnx']);
    expect(packageName(paths)).toBe('files');
    expect(packageName(['a/faceptor.json', 'b/x.onnx'])).toBe('files');
    expect(packageName([])).toBe('files');
  });

  it('takes picked files with their webkitRelativePath, or their name', () => {
    const picked = new File(['{}'], 'faceptor.json');
    Object.defineProperty(picked, 'webkitRelativePath', { value: 'base-fp16/faceptor.json' });
    const other = new File(['x'], 'encoder.onnx');
    Object.defineProperty(other, 'webkitRelativePath', { value: 'base-fp16/encoder.onnx' });
    expect(fromFiles([picked, other])).toMatchObject({
      paths: ['base-fp16/faceptor.json', 'base-fp16/encoder.onnx'],
      name: 'base-fp16',
    });
    expect(fromFiles([new File(['x'], 'faceptor.json')])).toMatchObject({ paths: ['faceptor.json'], name: 'files' });
  });
});

describe('display formats', () => {
  it('writes byte counts in 1024 steps', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(350 * 1024 * 1024)).toBe('350.0 MB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GB');
  });

  it('shortens hashes to 12 hex digits', () => {
    expect(shortHash('0123456789abcdef'.repeat(4))).toBe('0123456789ab');
  });
});
