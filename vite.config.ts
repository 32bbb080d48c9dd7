import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * Cross-origin isolation (README "Hosting"): with these two headers `crossOriginIsolated` is true, so the worker may
 * use SharedArrayBuffer and run ORT's wasm on several threads. require-corp (not credentialless): every resource the
 * app loads is same-origin, and require-corp works in every browser that has SharedArrayBuffer.
 */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react()],
  // onnxruntime-web ships its own wasm loader; pre-bundling it makes the dev server reload the page on first visit.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 1024 },
  // `npm run dev`, and `vite preview` (`npm start`, the e2e tests).
  server: { headers: isolation },
  preview: { headers: isolation },
});
