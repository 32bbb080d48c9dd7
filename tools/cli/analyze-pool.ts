/**
 * Where images are analysed: in this thread (`--workers 1`) or in N worker threads (`--workers N`), behind one
 * interface so the CLI's loop, output and resume logic are the same for both.
 *
 * Worker threads, not processes: the decoded images and results are small messages, the model package's weights are
 * mapped from the same file by every session (tools/node-host/backend.ts), and one process keeps Ctrl-C, the output
 * file and the exit code in one place. Each worker has its own ORT sessions with one intra-op thread, so N workers
 * use N cores without ORT's own thread pools competing for them.
 */
import { Worker } from 'node:worker_threads';
import { analyzeFile, openSession, SessionOpenError, type SessionSettings } from './analyze-session.ts';
import type { FromWorker, ToWorker } from './analyze-worker.ts';
import type { ModelJson } from '../../src/pipeline/analysis-json.ts';
import { writeEntry, type OutputFormat, type WrittenEntry } from './written-entry.ts';

export interface Analyzer {
  readonly model?: ModelJson;
  /** How many images it analyses at once. */
  readonly concurrency: number;
  /**
   * The image's entry, already as `format`'s text (written-entry.ts: made in the worker thread that analysed it).
   * Never rejects for a bad image (that is an entry with `error`).
   */
  analyze(file: string): Promise<WrittenEntry>;
  close(): Promise<void>;
}

export async function createInProcessAnalyzer(settings: SessionSettings, format: OutputFormat): Promise<Analyzer> {
  const { faceptor, model } = await openSession(settings);
  return {
    model,
    concurrency: 1,
    analyze: async (file) => writeEntry(await analyzeFile(faceptor, file, settings), format),
    close: () => faceptor.dispose(),
  };
}

interface Slot {
  readonly worker: Worker;
  job?: { readonly id: number; readonly file: string; readonly resolve: (e: WrittenEntry) => void };
  dead: boolean;
}

/**
 * `format`: the output's, in which workers return each entry's text. `workerUrl`: the worker script (default:
 * analyze-worker-boot.mjs, a plain .mjs entry that registers the TypeScript loader in the thread); tests pass a
 * stand-in speaking the same messages to exercise a dying worker.
 */
export async function createWorkerPool(
  settings: SessionSettings,
  count: number,
  format: OutputFormat,
  workerUrl = new URL('./analyze-worker-boot.mjs', import.meta.url),
): Promise<Analyzer> {
  const url = workerUrl;
  const slots: Slot[] = [];
  const waiting: { file: string; resolve: (e: WrittenEntry) => void; reject: (e: Error) => void }[] = [];
  let nextId = 0;
  let closing = false;

  const dispatch = () => {
    for (const slot of slots) {
      if (slot.dead || slot.job || waiting.length === 0) continue;
      const w = waiting.shift()!;
      slot.job = { id: nextId++, file: w.file, resolve: w.resolve };
      slot.worker.postMessage({ type: 'analyze', id: slot.job.id, file: w.file, format } satisfies ToWorker);
    }
    if (slots.every((s) => s.dead))
      for (const w of waiting.splice(0)) w.reject(new Error('every analyze worker thread stopped'));
  };

  const opened = await Promise.allSettled(
    Array.from(
      { length: count },
      () =>
        new Promise<{ slot: Slot; model?: ModelJson }>((resolve, reject) => {
          const worker = new Worker(url, { workerData: settings, execArgv: [] });
          const slot: Slot = { worker, dead: false };
          let ready = false;
          worker.on('message', (m: FromWorker) => {
            if (m.type === 'ready') {
              ready = true;
              resolve({ slot, model: m.model });
            } else if (m.type === 'open-failed') reject(new SessionOpenError(m.message, m.exitCode));
            else if (m.type === 'result' && slot.job?.id === m.id) {
              const { resolve: done } = slot.job;
              slot.job = undefined;
              done(m.result);
              dispatch();
            }
          });
          // A worker that dies (a native crash on one hostile file, out of memory) fails only the image it held: that image
          // gets an error entry, the other workers go on.
          const died = (why: string) => {
            if (slot.dead) return;
            slot.dead = true;
            if (!ready) reject(new SessionOpenError(`an analyze worker thread stopped while opening: ${why}`, 1));
            if (slot.job) {
              const { file, resolve: done } = slot.job;
              slot.job = undefined;
              done(writeEntry({ file, error: `${file}: the worker thread analysing it stopped (${why})` }, format));
            }
            if (ready && !closing) dispatch();
          };
          worker.on('error', (e) => died(e.message));
          worker.on('exit', (code) => died(`exit code ${code}`));
        }),
    ),
  );
  const failed = opened.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) {
    closing = true;
    await Promise.all(opened.map((o) => (o.status === 'fulfilled' ? o.value.slot.worker.terminate() : undefined)));
    throw failed.reason;
  }
  for (const o of opened) if (o.status === 'fulfilled') slots.push(o.value.slot);
  return {
    model: (opened[0] as PromiseFulfilledResult<{ model?: ModelJson }>).value.model,
    concurrency: count,
    analyze: (file) =>
      new Promise<WrittenEntry>((resolve, reject) => {
        waiting.push({ file, resolve, reject });
        dispatch();
      }),
    async close() {
      closing = true;
      await Promise.all(
        slots.map((s) => {
          if (s.dead) return undefined;
          const exited = new Promise<void>((res) => s.worker.once('exit', () => res()));
          s.worker.postMessage({ type: 'close' } satisfies ToWorker);
          // a worker busy with an image finishes it first (its result is dropped: the CLI stopped waiting for it)
          return exited;
        }),
      );
    },
  };
}

export async function createAnalyzer(
  settings: SessionSettings,
  workers: number,
  format: OutputFormat,
): Promise<Analyzer> {
  return workers > 1 ? createWorkerPool(settings, workers, format) : createInProcessAnalyzer(settings, format);
}
