/**
 * A worker thread of `analyze --workers N` (analyze-pool.ts): opens its own session (own ORT sessions, one
 * intra-op thread) from `workerData`, then answers one `analyze` message at a time with the image's entry, already
 * as the output's text (written-entry.ts: the formatting runs here, in parallel, not on the main thread).
 *
 * Messages in: { type: 'analyze', id, file, format } | { type: 'close' }.
 * Messages out: { type: 'ready', model? } | { type: 'open-failed', message, exitCode } | { type: 'result', id, result }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { analyzeFile, openSession, SessionOpenError, type SessionSettings } from './analyze-session.ts';
import type { ModelJson } from '../../src/pipeline/analysis-json.ts';
import { writeEntry, type OutputFormat, type WrittenEntry } from './written-entry.ts';

export type ToWorker =
  | { readonly type: 'analyze'; readonly id: number; readonly file: string; readonly format: OutputFormat }
  | { readonly type: 'close' };
export type FromWorker =
  | { readonly type: 'ready'; readonly model?: ModelJson }
  | { readonly type: 'open-failed'; readonly message: string; readonly exitCode: 1 | 2 }
  | { readonly type: 'result'; readonly id: number; readonly result: WrittenEntry };

const port = parentPort;
if (port) {
  const settings = workerData as SessionSettings;
  const post = (m: FromWorker) => port.postMessage(m);
  openSession(settings).then(
    (session) => {
      // one image at a time: the pool sends the next only after this one's result
      let queue: Promise<void> = Promise.resolve();
      port.on('message', (m: ToWorker) => {
        if (m.type === 'close') {
          queue = queue.then(() => session.faceptor.dispose()).finally(() => port.close());
          return;
        }
        queue = queue.then(async () =>
          post({
            type: 'result',
            id: m.id,
            result: writeEntry(await analyzeFile(session.faceptor, m.file, settings), m.format),
          }),
        );
      });
      post({ type: 'ready', model: session.model });
    },
    (e: unknown) => {
      post({
        type: 'open-failed',
        message: (e as Error).message,
        exitCode: e instanceof SessionOpenError ? e.exitCode : 1,
      });
      port.close();
    },
  );
}
