/** The CLI's IO for tests: what `main` writes to stdout and stderr, kept as lists; `tty` plays a terminal's stderr. */
import type { CliIo } from './analyze.ts';

export function captureIo(tty = false): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [],
    stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (t) => {
      stdout.push(t);
    },
    err: (t) => {
      stderr.push(t);
    },
    errIsTTY: tty,
    errColumns: 100,
  };
}
