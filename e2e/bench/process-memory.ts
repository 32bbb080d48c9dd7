/**
 * Resident memory of the Chromium that a benchmark launched, by process kind (renderer, GPU process, browser,
 * other), from `ps` over its process tree. Shared pages count in each process, so sums over-count a little:
 * compare runs of the same harness only.
 */
import { execFileSync } from 'node:child_process';

export type Kind = 'renderer' | 'gpu' | 'browser' | 'other';

/** RSS in MiB by process kind, summed over the process tree below `root`. */
export function sample(root: number): Record<Kind, number> {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,rss=,args='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => {
      const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(l)!;
      return { pid: Number(m[1]), ppid: Number(m[2]), rssKiB: Number(m[3]), args: m[4] };
    });
  const inTree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const r of rows)
      if (!inTree.has(r.pid) && inTree.has(r.ppid)) {
        inTree.add(r.pid);
        grew = true;
      }
  }
  const out: Record<Kind, number> = { renderer: 0, gpu: 0, browser: 0, other: 0 };
  for (const r of rows) {
    if (!inTree.has(r.pid)) continue;
    const kind: Kind = r.args.includes('--type=renderer')
      ? 'renderer'
      : r.args.includes('--type=gpu-process')
        ? 'gpu'
        : r.pid === root
          ? 'browser'
          : 'other';
    out[kind] += r.rssKiB / 1024;
  }
  return out;
}

/** The browser process playwright started: the newest chromium with a remote-debugging pipe whose parent is us. */
export function browserPid(): number {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' });
  const mine = out
    .trim()
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l)!)
    .filter((m) => m[3].includes('--remote-debugging-pipe') && Number(m[2]) === process.pid);
  if (mine.length !== 1) throw new Error(`expected one browser process of ours, found ${mine.length}`);
  return Number(mine[0][1]);
}
