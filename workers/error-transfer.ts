/**
 * Errors cross the worker boundary with their code: comlink's own "throw" handler sends only name, message and
 * stack, and rebuilds the error on the UI side with `Object.assign(new Error(message), sent)`. This wraps it so the
 * sent object also carries the stable fields of src/core/errors.ts (code, file, task); the UI side needs no handler
 * of its own, and reads them with `errorInfo`.
 */
import * as Comlink from 'comlink';
import { errorInfo } from '../src/core/errors.ts';

type Wire = { isError: boolean; value: unknown };

export function sendErrorCodes(handlers: typeof Comlink.transferHandlers = Comlink.transferHandlers): void {
  const base = handlers.get('throw');
  if (!base) return;
  handlers.set('throw', {
    canHandle: base.canHandle,
    serialize(thrown: unknown) {
      const [wire, transfer] = base.serialize(thrown) as [Wire, Transferable[]];
      const value = (thrown as { value?: unknown }).value;
      if (wire.isError && value instanceof Error) {
        const { code, file, task } = errorInfo(value);
        wire.value = {
          ...(wire.value as object),
          code,
          ...(file !== undefined ? { file } : {}),
          ...(task !== undefined ? { task } : {}),
        };
      }
      return [wire, transfer];
    },
    deserialize: base.deserialize,
  });
}
