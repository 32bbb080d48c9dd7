/**
 * A coded error thrown behind comlink (a real MessageChannel, as between the worker and the page) arrives with its
 * code, file and task; without the bridge it arrives as a bare Error, which is what the UI had before.
 */
import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import { CodedError, errorInfo } from '../src/core/errors.ts';
import { ModelPackageError } from '../src/pipeline/faceptor/errors.ts';
import { sendErrorCodes } from './error-transfer.ts';

function remote() {
  const { port1, port2 } = new MessageChannel();
  Comlink.expose(
    {
      load: () => {
        throw new ModelPackageError('hash-mismatch', 'weights.bin', 'weights.bin is corrupt');
      },
      analyse: () => {
        throw new CodedError('task-output', 'NaN in the age head', { task: 'age_morph2' });
      },
      crash: () => {
        throw new TypeError('x is undefined');
      },
    },
    port1,
  );
  const api = Comlink.wrap<{ load(): void; analyse(): void; crash(): void }>(port2);
  return {
    api,
    close: () => {
      port1.close();
      port2.close();
    },
  };
}

const caught = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('did not throw');
    },
    (e: unknown) => e,
  );

describe('errors across the comlink boundary', () => {
  it('carry their code, file and task with the bridge installed (and only the message without it)', async () => {
    const before = remote();
    expect(errorInfo(await caught(before.api.load()))).toEqual({ code: 'internal', message: 'weights.bin is corrupt' });
    before.close();

    sendErrorCodes();
    const { api, close } = remote();
    expect(errorInfo(await caught(api.load()))).toEqual({
      code: 'hash-mismatch',
      message: 'weights.bin is corrupt',
      file: 'weights.bin',
    });
    expect(errorInfo(await caught(api.analyse()))).toEqual({
      code: 'task-output',
      message: 'NaN in the age head',
      task: 'age_morph2',
    });
    const crash = await caught(api.crash());
    expect(errorInfo(crash)).toEqual({ code: 'internal', message: 'x is undefined' });
    expect((crash as Error).name).toBe('TypeError');
    close();
  });
});
