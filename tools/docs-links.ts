/**
 * Checks that documentation citations point at something that exists: every `.md` file a code comment or a markdown
 * file names must be in the repository, and every section it cites (`docs/model.md §5.4`) must be a numbered heading
 * of that file. Truth is the file system and the cited file's own headings, never a list kept here.
 *
 * Rules (docs/testing.md §6):
 * - In code (`.ts`, `.tsx`, `.js`, `.mjs`) only comments are read — TypeScript's scanner finds them, so strings,
 *   template literals and regular expressions that merely contain `.md` or `//` are left alone.
 * - A markdown link target `[text](<file>.md)` resolves against the linking file's folder (as a renderer does).
 *   Any other mention resolves against the citing file's folder, then the repository root.
 * - A section is `§N` or `§N.M` right after the file name (backticks, quotes, brackets and spaces may sit between);
 *   more follow with `,`, `and`, `&` or a dash, each with its own `§` (`§N, §M`, `§N–§M`).
 * - A `§` followed by a number that follows no file name is only allowed in a markdown file under `docs/`, where it
 *   means that file. A `§` before a letter (`§N`) is a placeholder in prose like this, not a reference.
 * - Web addresses (`https://…/README.md`) are not files of this repository and are skipped.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize, relative, sep } from 'node:path';
import ts from 'typescript';

export interface LinkProblem {
  /** Repository-relative path of the citing file, with `/` separators. */
  readonly file: string;
  /** 1-based line of the citation. */
  readonly line: number;
  readonly message: string;
}

const CODE_EXTENSIONS: Readonly<Record<string, ts.ScriptKind>> = {
  '.ts': ts.ScriptKind.TS,
  '.tsx': ts.ScriptKind.TSX,
  '.mts': ts.ScriptKind.TS,
  '.js': ts.ScriptKind.JS,
  '.mjs': ts.ScriptKind.JS,
};

/** A `.md` path: optional `./`/`../` steps, folders, a file name. Not preceded by a path or word character. */
const MD_FILE = /(?<![\w./@-])((?:\.{1,2}\/)*(?:[\w@][\w.@-]*\/)*[\w][\w.-]*\.md)(?![\w/-])/g;
/** What may sit between a file name and its first `§`. */
const BEFORE_SECTION = /^[`'")\]*\s]*§\s*(\d+(?:\.\d+)*)/;
/** A further section of the same citation. */
const MORE_SECTION = /^\s*(?:,|and|&|–|—|-)\s*§\s*(\d+(?:\.\d+)*)/;
const LINK_TARGET = /\]\(\s*([^)\s#]+\.md)(?:#[^)\s]*)?\s*\)/g;
const SECTION_REFERENCE = /§\s*(\d+(?:\.\d+)*)/g;

/** Section numbers of a markdown file: headings such as `## 5.` or `### 5.4 Title`, outside code fences. */
export function headingSections(markdown: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const m = /^#{1,6}\s+(\d+(?:\.\d+)*)\.?(?:\s|$)/.exec(line);
    if (m) out.add(m[1]);
  }
  return out;
}

/** One span of text to read, with the offset of its first character in the file (for line numbers). */
interface Span {
  readonly text: string;
  readonly offset: number;
}

/** Every comment of a code file, found by TypeScript's own scanner (so strings and regexes are never mistaken). */
export function codeComments(source: string, fileName: string): Span[] {
  const kind = CODE_EXTENSIONS[extname(fileName)] ?? ts.ScriptKind.TS;
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false, kind);
  const seen = new Set<number>();
  const spans: Span[] = [];
  const take = (ranges: readonly ts.CommentRange[] | undefined): void => {
    for (const r of ranges ?? []) {
      if (seen.has(r.pos)) continue;
      seen.add(r.pos);
      spans.push({ text: source.slice(r.pos, r.end), offset: r.pos });
    }
  };
  const visit = (node: ts.Node): void => {
    take(ts.getLeadingCommentRanges(source, node.pos));
    take(ts.getTrailingCommentRanges(source, node.end));
    // getChildren includes tokens (braces, the end-of-file token), whose trivia holds the remaining comments.
    for (const child of node.getChildren(sf)) visit(child);
  };
  visit(sf);
  return spans.sort((a, b) => a.offset - b.offset);
}

function lineOf(source: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (source.charCodeAt(i) === 10) line++;
  return line;
}

function isInsideWebAddress(text: string, index: number): boolean {
  let start = index;
  while (start > 0 && !/[\s`'"(<[]/.test(text[start - 1])) start--;
  return text.slice(start, index).includes('://');
}

function toPosix(p: string): string {
  return p.split(sep).join('/');
}

export interface CheckOptions {
  /** Repository-relative paths of the files to read (default: every file git tracks or would track). */
  readonly files?: readonly string[];
}

/**
 * Files of the repository: tracked and untracked-but-not-ignored, as git sees them, that exist on disk. Without git
 * (an unpacked tarball) every file except dependencies, build output and hidden folders.
 */
export function repositoryFiles(root: string): string[] {
  let listed: string[];
  try {
    listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).split('\0');
  } catch {
    listed = walk(root, '');
  }
  return listed.filter((p) => p !== '' && existsSync(join(root, p)) && statSync(join(root, p)).isFile());
}

function walk(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = dir === '' ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules' || entry.name === 'dist') continue;
      out.push(...walk(root, rel));
    } else if (entry.isFile()) {
      out.push(rel);
    }
  }
  return out;
}

/** All citation problems under `root`. An empty list means every cited file and section exists. */
export function checkDocLinks(root: string, options: CheckOptions = {}): LinkProblem[] {
  const files = (options.files ?? repositoryFiles(root)).map(toPosix);
  const problems: LinkProblem[] = [];
  const sectionCache = new Map<string, Set<string>>();
  const sectionsOf = (abs: string): Set<string> => {
    let s = sectionCache.get(abs);
    if (!s) {
      s = headingSections(readFileSync(abs, 'utf8'));
      sectionCache.set(abs, s);
    }
    return s;
  };
  const inRepo = (abs: string): boolean => {
    const rel = relative(root, abs);
    return rel !== '' && !rel.startsWith('..') && existsSync(abs) && statSync(abs).isFile();
  };

  for (const file of files) {
    const ext = extname(file);
    const isMarkdown = ext === '.md';
    if (!isMarkdown && !(ext in CODE_EXTENSIONS)) continue;
    const abs = join(root, file);
    const source = readFileSync(abs, 'utf8');
    // Nothing to check (and no need to parse the file) without a file name or a section sign in it.
    if (!source.includes('.md') && !source.includes('§')) continue;
    const spans = isMarkdown ? [{ text: source, offset: 0 }] : codeComments(source, file);
    const selfSections = isMarkdown && file.startsWith('docs/') ? sectionsOf(abs) : null;
    const report = (offset: number, message: string): void => {
      problems.push({ file, line: lineOf(source, offset), message });
    };

    for (const span of spans) {
      const attached = new Set<number>(); // indices (in span.text) of every § that belongs to a file citation

      // Links resolve against the linking file's folder only, as a markdown renderer does.
      if (isMarkdown) {
        for (const m of span.text.matchAll(LINK_TARGET)) {
          if (/^[a-z][a-z0-9+.-]*:/i.test(m[1])) continue; // https:, mailto:, …
          const target = normalize(join(dirname(abs), m[1]));
          if (!inRepo(target)) {
            report(span.offset + m.index!, `links to ${m[1]}, which is not a file of the repository`);
          }
        }
      }

      for (const m of span.text.matchAll(MD_FILE)) {
        const name = m[1];
        const at = m.index!;
        if (isInsideWebAddress(span.text, at)) continue;
        const candidates = [normalize(join(dirname(abs), name)), normalize(join(root, name))];
        const target = candidates.find(inRepo);

        // Sections cited right after the name.
        const sections: { id: string; index: number }[] = [];
        let rest = at + name.length;
        let s = BEFORE_SECTION.exec(span.text.slice(rest));
        while (s) {
          sections.push({ id: s[1], index: rest + s[0].indexOf('§') });
          rest += s[0].length;
          s = MORE_SECTION.exec(span.text.slice(rest));
        }
        for (const sec of sections) attached.add(sec.index);

        if (!target) {
          report(span.offset + at, `cites ${name}, which is not a file of the repository`);
          continue;
        }
        if (sections.length === 0) continue;
        const known = sectionsOf(target);
        for (const sec of sections) {
          if (!known.has(sec.id)) {
            const cited = toPosix(relative(root, target));
            report(span.offset + sec.index, `cites ${name} §${sec.id}, but ${cited} has no heading numbered ${sec.id}`);
          }
        }
      }

      // Every other § must be a self-reference inside docs/, to a heading that exists.
      for (const m of span.text.matchAll(SECTION_REFERENCE)) {
        if (attached.has(m.index!)) continue;
        if (selfSections === null) {
          report(span.offset + m.index!, `§${m[1]} names no file: write "docs/<file>.md §${m[1]}"`);
        } else if (!selfSections.has(m[1])) {
          report(span.offset + m.index!, `refers to its own §${m[1]}, but ${file} has no heading numbered ${m[1]}`);
        }
      }
    }
  }
  return problems;
}
