/**
 * An OrtWebBackend for Node tests: onnxruntime-node doing the work while claiming a browser EP. `lost()` = the
 * WebGPU device is gone (every later run throws, as ORT-web does). Sessions opened and released are counted.
 */
import type { InferenceBackend } from '../../src/pipeline/backend.ts';
import { createNodeBackend } from '../../tools/node-host/index.ts';
import type { OrtWebBackend } from '../ort-web/backend.ts';

export interface FakeBackend extends OrtWebBackend {
  readonly opened: number;
  readonly released: number;
  /** From now on every run fails like a lost GPU device. */
  lose(): void;
}

export function fakeBackend(provider: 'webgpu' | 'wasm', failRuns = false): FakeBackend {
  const node: InferenceBackend = createNodeBackend();
  let lost = failRuns;
  const backend = {
    provider,
    fallbackReason: provider === 'wasm' ? 'WASM was chosen in the settings' : null,
    wasmThreads: 1,
    shaderF16: null,
    opened: 0,
    released: 0,
    lose() {
      lost = true;
    },
    onDeviceLost: () => undefined,
    async createSession(model: Uint8Array, options?: Parameters<InferenceBackend['createSession']>[1]) {
      const session = await node.createSession(model, options);
      backend.opened++;
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        run: async (feeds: Parameters<typeof session.run>[0], fetches?: Parameters<typeof session.run>[1]) => {
          if (lost) throw new Error('GPUDevice was lost');
          return session.run(feeds, fetches);
        },
        release: async () => {
          backend.released++;
          await session.release();
        },
      };
    },
  };
  return backend;
}
