import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Tests import sibling packages from source, so `vitest` works without a prior build.
const alias = {
  '@kandinsky/core': source('./packages/core/src/index.ts'),
};

export default defineConfig({
  resolve: { alias },
  test: {
    // onnxruntime-node typed arrays break under vmThreads (ENVIRONMENT.md): use forks.
    pool: 'forks',
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'core',
          environment: 'node',
          include: ['packages/core/src/**/*.test.ts'],
          exclude: ['**/*.browser.test.ts'],
        },
      },
    ],
  },
});
