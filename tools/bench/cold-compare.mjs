// Shared by cold-step.mjs and cold-kernels.mjs: their command line, the builds they time (this
// checkout's core, and with --compare DIR another checkout's, interleaved in one process), the
// cache flush before each timed call, and the side-by-side report.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
/** The value after `name` on the command line, or `fallback`. */
export const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : fallback;
};

export const repository = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const compare = option('--compare', undefined);
/** Build name → checkout root: `this`, and `compared` with --compare. */
export const builds = { this: repository, ...(compare ? { compared: resolve(compare) } : {}) };

/** Each build's core (`packages/core/dist/index.js`), by build name; exits when one is missing. */
export async function loadCores() {
  const cores = {};
  for (const [name, root] of Object.entries(builds)) {
    const path = resolve(root, 'packages/core/dist/index.js');
    if (!existsSync(path)) {
      console.error(`No build at ${path}: run \`npx turbo run build\` there first.`);
      process.exit(1);
    }
    cores[name] = await import(pathToFileURL(path).href);
  }
  return cores;
}

let sink = 0;
/** Adds a value the optimiser must keep (see reportSink). */
export const keep = (value) => {
  sink += value;
};
/**
 * A function that reads every cache line of a buffer of `megabytes` (larger than the caches):
 * it evicts the timed code's code and data, as a model run does between two steps.
 */
export function evictor(megabytes) {
  const flush = new Float64Array(Math.round(megabytes * 131072));
  return () => {
    for (let i = 0; i < flush.length; i += 8) sink += flush[i];
  };
}

export const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];

/** One line per build (`format` turns a median into text), then the ratio with --compare. */
export function reportBuilds(times, format, indent, unit) {
  for (const name of Object.keys(builds)) console.log(`${indent}${builds[name]}: ${format(median(times[name]))}`);
  if (builds.compared) {
    const ratios = times.this.map((value, i) => value / times.compared[i]);
    console.log(`${indent}this / compared: ${median(ratios).toFixed(2)} (median of per-${unit} ratios)`);
  }
  if (sink === 42) console.log(''); // keeps the flush loops and kept values from being optimised away
}
