import { defineConfig } from 'tsup';

export default defineConfig({
  // The testing entry (MockBackend) is separate so that applications do not ship it.
  entry: ['src/index.ts', 'src/testing.ts'],
  format: ['esm', 'cjs'],
  // Both entries share one copy of core's modules (one KandinskyError class, one abort helper)
  // in both formats; esbuild splits only ESM unless asked.
  splitting: true,
  // Members marked @internal (used across core's files, not for users) stay out of the types.
  dts: { compilerOptions: { stripInternal: true } },
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
