/**
 * The worker engine's policies, run in Node on the real BlazeFace model through onnxruntime-node (standing in for
 * onnxruntime-web): idempotent init, WebGPU failing mid-run → WASM with a notice and the frame still analysed,
 * init failures reported to later analyses, and results in source pixels.
 */
import { pngHeader } from '../tools/node-host/testing/png-builder.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { InferenceBackend } from '../src/pipeline/backend.ts';
import { createFaceDetector } from '../src/pipeline/detector.ts';
import { createNodeBackend, loadBlazeFaceModels, loadImageFile } from '../tools/node-host/index.ts';
import type { OrtWebBackend } from './ort-web/backend.ts';
import { ModelFileError } from './model-files.ts';
import { PerceptionEngine, type EngineDeps } from './perception-engine.ts';

const PUBLIC = join(import.meta.dirname, '..', 'public');
const FACES = join(import.meta.dirname, '..', '..', 'shared', 'faces');
const INIT = { preference: 'auto', baseUrl: 'http://app.test/' } as const;

/** A backend that claims an EP; `failRuns` makes every session.run throw (a lost GPU device). */
function fakeBackend(provider: 'webgpu' | 'wasm', failRuns = false, wasmThreads = 1): OrtWebBackend {
  const node: InferenceBackend = createNodeBackend();
  return {
    provider,
    fallbackReason: provider === 'wasm' ? 'WASM was chosen in the settings' : null,
    wasmThreads,
    shaderF16: null,
    onDeviceLost: () => undefined,
    async createSession(model, options) {
      const session = await node.createSession(model, options);
      if (!failRuns) return session;
      return {
        ...session,
        run: async () => {
          throw new Error('GPUDevice was lost');
        },
      };
    },
  };
}

function deps(overrides: Partial<EngineDeps> = {}): EngineDeps & { createBackend: ReturnType<typeof vi.fn> } {
  return {
    fetchModel: async (_base, file) => new Uint8Array(readFileSync(join(PUBLIC, file))),
    createBackend: vi.fn(async ({ preference }) => fakeBackend(preference === 'wasm' ? 'wasm' : 'webgpu')),
    ...overrides,
  } as EngineDeps & { createBackend: ReturnType<typeof vi.fn> };
}

describe('PerceptionEngine', () => {
  it('initialises once for repeated init calls with the same preference (React StrictMode)', async () => {
    const d = deps();
    const engine = new PerceptionEngine(d);
    const [a, b] = await Promise.all([engine.init(INIT), engine.init(INIT)]);
    expect(a).toEqual(b);
    expect(a.provider).toBe('webgpu');
    expect(a.detectorModels).toEqual(['front', 'back']);
    expect(d.createBackend).toHaveBeenCalledTimes(1);
  });

  it('passes the ?threads= cap to the backend, keeps it on a fallback, and reports the threads the backend runs', async () => {
    const d = deps({
      createBackend: vi.fn(async ({ preference, wasmThreads }) =>
        preference === 'wasm' ? fakeBackend('wasm', false, wasmThreads ?? 2) : fakeBackend('webgpu', true, 3),
      ),
    });
    const engine = new PerceptionEngine(d);
    const listener = vi.fn();
    const status = await engine.init({ ...INIT, wasmThreads: 1 }, listener);
    expect(d.createBackend).toHaveBeenCalledWith(expect.objectContaining({ wasmThreads: 1 }));
    expect(status.wasmThreads).toBe(3);
    const result = await engine.analyzePixels(await loadImageFile(join(FACES, 'grace_hopper.jpg')));
    expect(result.provider).toBe('wasm');
    const [fallback] = listener.mock.calls.at(-1)!;
    expect(fallback.provider).toBe('wasm');
    expect(fallback.wasmThreads).toBe(1);
    expect(d.createBackend).toHaveBeenLastCalledWith(expect.objectContaining({ preference: 'wasm', wasmThreads: 1 }));
  });

  it('falls back to WASM when a WebGPU run fails, tells the listener why, and still analyses the image', async () => {
    const d = deps({
      createBackend: vi.fn(async ({ preference }) =>
        preference === 'wasm' ? fakeBackend('wasm') : fakeBackend('webgpu', true),
      ),
    });
    const engine = new PerceptionEngine(d);
    const listener = vi.fn();
    await engine.init(INIT, listener);
    const image = await loadImageFile(join(FACES, 'grace_hopper.jpg'));
    const result = await engine.analyzePixels(image);

    expect(result.provider).toBe('wasm');
    expect(result.faces).toHaveLength(1);
    expect(listener).toHaveBeenCalledTimes(1);
    const [status, notice] = listener.mock.calls[0];
    expect(status.provider).toBe('wasm');
    expect(status.fallbackReason).toMatch(/WebGPU failed while running \(GPUDevice was lost\)/);
    expect(notice).toMatch(/now running on WASM/);
    // The fallback result is exactly what the detector gives on a healthy backend.
    const direct = await createFaceDetector(createNodeBackend(), await loadBlazeFaceModels());
    const expected = await direct.detect(image, { detector: 'auto' });
    expect(result.faces[0].box.x).toBeCloseTo(expected.faces[0].box.x, 3);
    expect(result.faces[0].box.y).toBeCloseTo(expected.faces[0].box.y, 3);
    expect(result.faces[0].box.width).toBeCloseTo(expected.faces[0].box.width, 3);
    expect(result.faces[0].score).toBeCloseTo(expected.faces[0].score, 5);
    await direct.release();
  });

  it('reports the init failure (naming the model file) to analyses asked for afterwards', async () => {
    const d = deps({
      fetchModel: async (_base, file) => {
        throw new ModelFileError(file, 'is missing (HTTP 404)');
      },
    });
    const engine = new PerceptionEngine(d);
    await expect(engine.init(INIT)).rejects.toThrow(
      /face_detection_front_128\.onnx is missing \(HTTP 404\).*setup:models/,
    );
    const image = { width: 8, height: 8, data: new Uint8Array(8 * 8 * 4) };
    await expect(engine.analyzePixels(image)).rejects.toThrow(/face_detection_front_128\.onnx is missing/);
  });

  it('keeps running on the 128 model, with a warning, when the 256 model is missing', async () => {
    const d = deps({
      fetchModel: async (_base, file) => {
        if (file.includes('back_256')) throw new ModelFileError(file, 'is missing (HTTP 404)');
        return new Uint8Array(readFileSync(join(PUBLIC, file)));
      },
    });
    const status = await new PerceptionEngine(d).init(INIT);
    expect(status.detectorModels).toEqual(['front']);
    expect(status.warnings.join(' ')).toMatch(/face_detection_back_256\.onnx is missing/);
  });

  it('switches EP when the setting changes and releases the replaced detector', async () => {
    let released = 0;
    const d = deps({
      createBackend: vi.fn(async ({ preference }) => {
        const backend = fakeBackend(preference === 'wasm' ? 'wasm' : 'webgpu');
        return {
          ...backend,
          async createSession(model: Uint8Array) {
            const session = await backend.createSession(model);
            return {
              ...session,
              run: session.run.bind(session),
              release: async () => {
                released++;
                await session.release();
              },
            };
          },
        };
      }),
    });
    const engine = new PerceptionEngine(d);
    expect((await engine.init(INIT)).provider).toBe('webgpu');
    expect(released).toBe(0);
    expect((await engine.init({ ...INIT, preference: 'wasm' })).provider).toBe('wasm');
    await vi.waitFor(() => expect(released).toBe(2)); // the old front and back sessions
    const image = await loadImageFile(join(FACES, 'astronaut.png'));
    expect((await engine.analyzePixels(image)).provider).toBe('wasm');
  });
  it('a WebGPU device lost because the user chose WASM is no failure; a device lost while in use falls back', async () => {
    const lost: ((reason: string) => void)[] = [];
    const d = deps({
      createBackend: vi.fn(async ({ preference }) => ({
        ...fakeBackend(preference === 'wasm' ? 'wasm' : 'webgpu'),
        onDeviceLost: (l: (reason: string) => void) => {
          lost.push(l);
        },
      })),
    });
    const engine = new PerceptionEngine(d);
    const listener = vi.fn();
    expect((await engine.init(INIT, listener)).provider).toBe('webgpu');
    expect((await engine.init({ ...INIT, preference: 'wasm' })).provider).toBe('wasm');
    // ORT destroys the retired WebGPU device: its loss must not be reported or trigger another load
    lost[0]('Device was destroyed.');
    await new Promise((r) => setTimeout(r, 20));
    expect(listener).not.toHaveBeenCalled();
    expect(d.createBackend).toHaveBeenCalledTimes(2);
    // back on WebGPU, a loss of the device in use is a real failure: WASM with the reason
    expect((await engine.init(INIT)).provider).toBe('webgpu');
    lost[1]('GPU hung');
    await vi.waitFor(() => expect(listener).toHaveBeenCalledTimes(1));
    expect(listener.mock.calls[0][1]).toMatch(/WebGPU device was lost \(GPU hung\); now running on WASM/);
  });
});

/** Issue 9, items 10 and 18: the worker's decode path applies the CLI's header-first size rule and alpha rule. */
describe('PerceptionEngine.analyzeImage: size from the header, alpha on black', () => {
  /** A canvas stand-in that records the 2D calls and reads back `pixels` (RGBA as the file stored them). */
  function stubCanvas(pixels: Uint8Array, calls: string[]) {
    vi.stubGlobal(
      'OffscreenCanvas',
      class {
        constructor(
          public width: number,
          public height: number,
        ) {}
        getContext() {
          const ctx = {
            fillStyle: '',
            fillRect: () => {
              calls.push(`fillRect ${ctx.fillStyle}`);
            },
            drawImage: () => {
              calls.push('drawImage');
            },
            getImageData: () => ({ data: new Uint8ClampedArray(pixels) }),
          };
          return ctx;
        }
      },
    );
  }

  it('a PNG declaring 20000×20000 is refused from its header, with the CLI’s message, before any decode', async () => {
    const decode = vi.fn();
    vi.stubGlobal('createImageBitmap', decode);
    try {
      const engine = new PerceptionEngine(deps());
      await engine.init(INIT);
      const file = new File([pngHeader(20000, 20000)], 'bomb.png', { type: 'image/png' });
      await expect(engine.analyzeImage(file)).rejects.toThrow(
        '"bomb.png": image is 20000×20000 (400 megapixels), larger than the 200 megapixels',
      );
      await expect(engine.analyzeImage(new File([pngHeader(0, 100)], 'w0.png'))).rejects.toThrow(
        '"w0.png": the image declares no pixels (0×100)',
      );
      expect(decode).not.toHaveBeenCalled();
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('a fully transparent image has no face, like the CLI: drawn on black, then the shared alpha rule', async () => {
    const photo = await loadImageFile(join(FACES, 'astronaut.png'));
    const transparent = Uint8Array.from(photo.data, (v, i) => (i % 4 === 3 ? 0 : v));
    vi.stubGlobal('createImageBitmap', async () => ({
      width: photo.width,
      height: photo.height,
      close: () => undefined,
    }));
    try {
      const engine = new PerceptionEngine(deps());
      await engine.init(INIT);
      const calls: string[] = [];
      stubCanvas(photo.data as Uint8Array, calls);
      expect((await engine.analyzeImage(new Blob([new Uint8Array(8)]))).faces).toHaveLength(1);
      expect(calls).toEqual(['fillRect #000', 'drawImage']);
      stubCanvas(transparent, calls);
      const fresh = new PerceptionEngine(deps()); // (the engine keeps its canvas)
      await fresh.init(INIT);
      expect((await fresh.analyzeImage(new Blob([new Uint8Array(8)]))).faces).toHaveLength(0);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
