/**
 * The library's browser entry (the `browser` condition of `faceptor-web`): the shared API plus the onnxruntime-web
 * backend (WebGPU, falling back to WASM) and the package sources the app uses (a URL with the Cache API, or files
 * the user dropped). Run it in a Web Worker, as the app does: inference blocks the thread it runs on.
 */
export * from './index.ts';
export {
  createOrtWebBackend,
  type CreateOrtWebBackendOptions,
  type OrtWebBackend,
} from '../../workers/ort-web/backend.ts';
export {
  urlPackageSource,
  filesPackageSource,
  type BrowserPackageSource,
  type FileLike,
  type UrlSourceOptions,
} from '../../workers/model-package-source.ts';
