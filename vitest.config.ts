import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Tests import sibling packages from source, so `vitest` works without a prior build. Subpaths
// come first: an alias also matches the paths below it, and the first match wins.
const alias = {
  '@kandinsky/core/testing': source('./packages/core/src/testing.ts'),
  '@kandinsky/core': source('./packages/core/src/index.ts'),
  '@kandinsky/beautifier': source('./packages/beautifier/src/index.ts'),
  '@kandinsky/superres': source('./packages/superres/src/index.ts'),
  // superres's tests run the tiny model on onnxruntime-node through @kandinsky/node's source; the
  // package itself never depends on node (node depends on it).
  '@kandinsky/node': source('./packages/node/src/index.ts'),
};

// Browser tests drive Debian's chromium through playwright-core (ENVIRONMENT.md): never
// `npx playwright install`. A missing executable makes the browser project fail, not skip;
// `.ci/run` installs chromium with apt when it is absent. KANDINSKY_CHROMIUM overrides the path.
const chromiumPath = process.env.KANDINSKY_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(chromiumPath)) {
  // Said first, in words: otherwise the only sign is Playwright's launch stack trace at the end.
  console.error(
    `\n[kandinsky] No Chromium at ${chromiumPath}: the core-browser tests will fail to launch. ` +
      'Install it (apt-get install -y chromium; .ci/run does) or set KANDINSKY_CHROMIUM=/path/to/chromium.\n',
  );
}
const chromiumArgs = [
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--no-sandbox',
];

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
      {
        resolve: { alias },
        test: {
          name: 'node',
          environment: 'node',
          include: ['packages/node/src/**/*.test.ts', 'packages/cli/src/**/*.test.ts'],
          exclude: ['**/*.browser.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'beautifier',
          environment: 'node',
          include: ['packages/beautifier/src/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'superres',
          environment: 'node',
          include: ['packages/superres/src/**/*.test.ts'],
          testTimeout: 120_000,
        },
      },
      {
        resolve: { alias },
        test: {
          // The playground in Debian's chromium, driven by playwright-core from Node: Vite serves
          // the app, the test process compares with onnxruntime-node. One file, in one fork.
          name: 'web',
          environment: 'node',
          include: ['apps/playground/e2e/**/*.test.ts', 'packages/web/src/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 60_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'core-browser',
          include: ['packages/core/src/**/*.browser.test.ts'],
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({
              launchOptions: { executablePath: chromiumPath, args: chromiumArgs },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
