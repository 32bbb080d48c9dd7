/**
 * Fuzz-test worker: opens one checkpoint and reads every floating-point tensor, in a worker thread so the test can
 * bound each case's time (terminate on timeout: a hang cannot block the test) and heap (resourceLimits).
 * Replies with the outcome: the tensors read, or the error's class, code and message.
 */
import { parentPort } from 'node:worker_threads';
import { CheckpointError, openCheckpoint } from '../index.ts';
import { PickleError, unpickle } from '../pickle.ts';

export interface FuzzTensor {
  key: string;
  dtype: string;
  shape: number[];
  storageKey: string;
  storageOffset: number;
  /** Values, or the CheckpointError code the read ended in. */
  values: Float32Array | null;
  readError: string | null;
}
export type FuzzReply =
  | { ok: true; tensors: FuzzTensor[] }
  | { ok: false; checkpointError: boolean; name: string; code: string | null; message: string };
/** For a bare data.pkl: whether unpickle returned, or threw a PickleError, or something else (a failure). */
export type PickleReply = { ok: true } | { ok: false; pickleError: boolean; name: string; message: string };

const FLOAT = new Set(['float32', 'float16', 'float64', 'bfloat16']);

async function run(path: string): Promise<FuzzReply> {
  try {
    const c = await openCheckpoint(path);
    try {
      const tensors: FuzzTensor[] = [];
      for (const t of c.tensors.values()) {
        const base = {
          key: t.key,
          dtype: t.dtype,
          shape: t.shape,
          storageKey: t.storageKey,
          storageOffset: t.storageOffset,
        };
        if (!FLOAT.has(t.dtype)) {
          tensors.push({ ...base, values: null, readError: 'not float' });
          continue;
        }
        try {
          tensors.push({ ...base, values: await t.read(), readError: null });
        } catch (e) {
          if (!(e instanceof CheckpointError)) throw e;
          tensors.push({ ...base, values: null, readError: e.code });
        }
      }
      return { ok: true, tensors };
    } finally {
      await c.close();
    }
  } catch (e) {
    const err = e as Error;
    return {
      ok: false,
      checkpointError: e instanceof CheckpointError,
      name: err?.name ?? typeof e,
      code: e instanceof CheckpointError ? e.code : null,
      message: String(err?.message ?? e),
    };
  }
}

function runPickle(data: Uint8Array): PickleReply {
  try {
    unpickle(data);
    return { ok: true };
  } catch (e) {
    const err = e as Error;
    return {
      ok: false,
      pickleError: e instanceof PickleError,
      name: err?.name ?? typeof e,
      message: String(err?.message ?? e),
    };
  }
}

parentPort!.on('message', (job: string | Uint8Array) => {
  if (typeof job === 'string') void run(job).then((reply) => parentPort!.postMessage(reply));
  else parentPort!.postMessage(runPickle(job));
});
