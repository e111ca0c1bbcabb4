import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { dropOrtWasmAsset, modelFilesPlugin } from './model-files-plugin.js';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Cross-origin isolation lets onnxruntime-web use WASM threads (SharedArrayBuffer).
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};
const port = Number(process.env.PORT ?? 5173);

export default defineConfig({
  root: source('.'),
  // The SDK packages come from source, so the playground needs no prior build of them.
  resolve: {
    alias: {
      '@kandinsky/core': source('../../packages/core/src/index.ts'),
      '@kandinsky/beautifier': source('../../packages/beautifier/src/index.ts'),
      '@kandinsky/superres': source('../../packages/superres/src/index.ts'),
      '@kandinsky/web': source('../../packages/web/src/index.ts'),
    },
  },
  // onnxruntime-web finds its wasm files under /ort/ (wasmPaths), not through the dep optimizer.
  // Pre-bundling the tokenizer up front avoids a page reload when the worker first imports it.
  optimizeDeps: { exclude: ['onnxruntime-web'], include: ['@huggingface/tokenizers'] },
  worker: { format: 'es' },
  server: { port, strictPort: process.env.PORT !== undefined, headers: isolation },
  preview: { port, headers: isolation },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true },
  plugins: [modelFilesPlugin(), dropOrtWasmAsset()],
});
