#!/usr/bin/env node
// The consumer test (issue 20): packs every publishable package, installs the tarballs into a fresh
// project outside the repo (no workspace links), configured only as the READMEs tell a consumer,
// and uses them from there: an ESM script, a CommonJS script, `tsc --noEmit` under `node16` and
// `bundler`, and `npx kandinsky generate`; for @kandinsky/web, `tsc` of a page and of a worker (DOM
// and webworker types), an esbuild bundle of the README's page and worker, and that page run in
// headless Chromium (web-run.mjs: WASM, the worker pair, onnxruntime-web's wasm and the tiny model
// served by the app), its image compared with the CLI's. Then publint and @arethetypeswrong/cli
// check each tarball. Not checked here for web: WebGPU (the playground's e2e test runs it).
// Run after `npm run build` (the CI runs it after `npm test`): `node tools/consumer-test/run.mjs`.
// Needs the registry (or npm's cache) for third-party dependencies; takes about a minute.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWebPage } from './web-run.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
/** Every package a consumer installs; `npm pack` of each must work on its own. */
const PUBLISHABLE = ['packages/core', 'packages/beautifier', 'packages/superres', 'packages/node', 'packages/cli', 'packages/web', 'models/tiny'];
/** Packages that ship CommonJS as well as ESM; the CLI and web are ESM-only (docs/packaging.md). */
const ESM_ONLY = new Set(['packages/cli', 'packages/web']);
const keep = process.argv.includes('--keep');

function run(command, args, cwd, env = {}) {
  console.log(`$ ${command} ${args.join(' ')}`);
  execFileSync(command, args, { cwd, stdio: 'inherit', env: { ...process.env, ...env } });
}

/**
 * Bundles web-page.mjs and web-worker.mjs for the browser with the repository's esbuild (the
 * bundler under Vite), run in the consumer project so that every import resolves from its
 * node_modules: the metafile must list the installed tarballs' files and nothing from the repository.
 */
function bundleWebPage(app) {
  const esbuild = join(repo, 'node_modules', '.bin', 'esbuild');
  const args = ['web-page.mjs', 'web-worker.mjs', '--bundle', '--format=esm', '--platform=browser', '--outdir=out', '--metafile=out/web-page.meta.json', '--log-level=warning'];
  run(esbuild, args, app);
  const inputs = Object.keys(JSON.parse(readFileSync(join(app, 'out', 'web-page.meta.json'), 'utf8')).inputs);
  const expected = ['node_modules/@kandinsky/web/dist/index.js', 'node_modules/@kandinsky/core/dist/index.js'];
  const missing = expected.filter((path) => !inputs.includes(path));
  const foreign = inputs.filter((path) => !path.startsWith('node_modules/') && path !== 'web-page.mjs' && path !== 'web-worker.mjs');
  if (missing.length > 0 || foreign.length > 0 || !inputs.some((path) => path.startsWith('node_modules/onnxruntime-web/'))) {
    throw new Error(`web bundle: missing ${JSON.stringify(missing)}, from outside the project ${JSON.stringify(foreign)}`);
  }
  const size = (name) => (statSync(join(app, 'out', name)).size / 1e6).toFixed(2);
  console.log(`  web bundle: ${inputs.length} inputs, page ${size('web-page.js')} MB, worker ${size('web-worker.js')} MB`);
}

const work = mkdtempSync(join(tmpdir(), 'kandinsky-consumer-'));
try {
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  const packed = {};
  for (const dir of PUBLISHABLE) {
    const before = new Set(readdirSync(tarballs));
    run('npm', ['pack', '--silent', '--pack-destination', tarballs], join(repo, dir));
    const [file] = readdirSync(tarballs).filter((name) => !before.has(name));
    packed[dir] = join(tarballs, file);
    console.log(`  ${file}: ${(statSync(packed[dir]).size / 1e6).toFixed(1)} MB`);
  }

  // The consumer project: copied fixtures (scripts, tsconfigs) and the README's .npmrc line.
  const app = join(work, 'app');
  cpSync(fixtures, app, { recursive: true });
  writeFileSync(join(app, '.npmrc'), 'onnxruntime-node-install=skip\n');
  // npm resolves the internal dependencies (exact versions) to the tarballs given on one command line.
  // TypeScript and Node's types as a TypeScript consumer would have them (the repo's versions).
  run('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', ...Object.values(packed), 'typescript@~5.9.3', '@types/node@^20.19.0'], app);
  if (existsSync(join(app, 'node_modules', '@kandinsky', 'core', 'src'))) throw new Error('core was linked, not installed');

  run('node', ['esm.mjs'], app);
  run('node', ['cjs.cjs'], app);
  run('npx', ['--no-install', 'tsc', '-p', 'tsconfig.node16.json'], app);
  run('npx', ['--no-install', 'tsc', '-p', 'tsconfig.bundler.json'], app);
  // @kandinsky/web as a browser app sees it: a page (DOM) and a worker (webworker), then a bundle.
  run('npx', ['--no-install', 'tsc', '-p', 'tsconfig.web.json'], app);
  run('npx', ['--no-install', 'tsc', '-p', 'tsconfig.web-worker.json'], app);
  bundleWebPage(app);
  run('npx', ['--no-install', 'kandinsky', 'generate', 'a red circle on a white background', '--seed', '42', '--steps', '4', '--out', 'out/cli.png', '--quiet'], app);
  if (!existsSync(join(app, 'out', 'cli.png'))) throw new Error('kandinsky generate wrote no out/cli.png');
  // The bundled page in a browser, on the same prompt, seed and steps as the CLI's image.
  await runWebPage(app, repo);

  // Lints of the tarballs, pinned so that a new rule cannot break CI without a change here.
  for (const dir of PUBLISHABLE) {
    run('npx', ['--yes', 'publint@0.3.25', '--strict', packed[dir]], app);
    // TypeScript's legacy `moduleResolution: node10` cannot see subpath exports (core/testing); the
    // supported resolutions are node16/nodenext and bundler (docs/packaging.md).
    const profile = ['--profile', ESM_ONLY.has(dir) ? 'esm-only' : 'node16'];
    run('npx', ['--yes', '@arethetypeswrong/cli@0.18.5', ...profile, packed[dir]], app);
  }
  console.log(`consumer test passed (${work})`);
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true });
}
