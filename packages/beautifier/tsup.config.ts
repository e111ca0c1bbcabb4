import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  // Runs on onnxruntime-node and onnxruntime-web alike: no Node built-ins.
  target: 'es2022',
  external: ['@kandinsky/core', '@huggingface/tokenizers'],
});
