#!/usr/bin/env node
// A denoising step of the original sampler on a small latent, timed with the CPU caches flushed
// before each step, as a model run flushes them in a real pipeline (the tiny UNet's weights are
// 4.2 MB). Warm loops hide what such a step costs there: its code and data come back from memory.
//
//   node tools/bench/cold-step.mjs [--flush-mb 4] [--side 64] [--repetitions 50] [--compare DIR]
//
// --compare DIR times another checkout's built core side by side, interleaved in this process
// (e.g. an older commit unpacked with `git archive` and built), and prints the ratio.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : fallback;
};
const flushMb = Number(option('--flush-mb', '4'));
const side = Number(option('--side', '64'));
const repetitions = Number(option('--repetitions', '50'));
const compare = option('--compare', undefined);
if (!(flushMb >= 0) || !Number.isInteger(side) || side % 64 !== 0 || !Number.isInteger(repetitions) || repetitions < 1) {
  console.error('--flush-mb must be ≥ 0, --side a multiple of 64, --repetitions an integer ≥ 1');
  process.exit(1);
}
const repository = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const builds = { this: repository, ...(compare ? { compared: resolve(compare) } : {}) };
const cores = {};
for (const [name, root] of Object.entries(builds)) {
  const path = resolve(root, 'packages/core/dist/index.js');
  if (!existsSync(path)) {
    console.error(`No build at ${path}: run \`npx turbo run build\` there first.`);
    process.exit(1);
  }
  cores[name] = await import(pathToFileURL(path).href);
}

// Reading every cache line of a buffer larger than the caches evicts the step's code and data.
const flush = new Float64Array(Math.round(flushMb * 131072));
let sink = 0;
const evict = () => {
  for (let i = 0; i < flush.length; i += 8) sink += flush[i];
};

const steps = 50;
const dims = [1, 4, side / 8, side / 8];
const size = dims.reduce((a, b) => a * b, 1);
const setups = Object.fromEntries(
  Object.entries(cores).map(([name, core]) => {
    const sampler = new core.Kandinsky3Sampler({ percentile: 0.99, eta: 1 });
    sampler.setTimesteps(steps);
    const noise = core.createTensor('float32', dims, Float32Array.from({ length: size }, (_, i) => Math.cos(i)));
    // A UNet output of the CFG batch, with magnitudes that make x0 exceed 1 (thresholding works).
    const batch = core.createTensor('float32', [2, ...dims.slice(1)], Float32Array.from({ length: 2 * size }, (_, i) => Math.sin(i) * 1.3));
    const outputs = [core.createTensor('float32', dims), core.createTensor('float32', dims)];
    const stepOptions = outputs.map((out) => ({ noise, out, returnPredOriginalSample: false }));
    return [name, { sampler, batch, stepOptions, start: Float32Array.from({ length: size }, (_, i) => Math.sin(i * 3)) }];
  }),
);

const times = Object.fromEntries(Object.keys(cores).map((name) => [name, []]));
const guidance = { guidanceScale: 3, order: 'cond-first' };
for (let round = 0; round < repetitions + 5; round++) {
  for (const [name, core] of Object.entries(cores)) {
    const { sampler, batch, stepOptions, start } = setups[name];
    let x = core.createTensor('float32', dims, start.slice());
    const state = sampler.createState();
    let total = 0;
    for (let index = 0; index < steps; index++) {
      evict();
      const started = performance.now();
      x = sampler.stepGuided(batch, guidance, sampler.timesteps[index], x, state, stepOptions[index & 1]).prevSample;
      total += performance.now() - started;
    }
    if (round >= 5) times[name].push((1000 * total) / steps);
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
console.log(`Kandinsky3Sampler.stepGuided, ${side}² latent ${JSON.stringify(dims)}, percentile 0.99, ${flushMb} MB read before each step; medians of ${repetitions} runs of ${steps} steps`);
for (const name of Object.keys(cores)) console.log(`  ${name === 'this' ? repository : builds[name]}: ${median(times[name]).toFixed(2)} µs per step`);
if (compare) {
  const ratios = times.this.map((value, i) => value / times.compared[i]);
  console.log(`  this / compared: ${median(ratios).toFixed(2)} (median of per-run ratios)`);
}
if (sink === 42) console.log(''); // keeps the flush loop from being optimised away
