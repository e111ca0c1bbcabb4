#!/usr/bin/env node
// A denoising step of the original sampler on a small latent, timed with the CPU caches flushed
// before each step, as a model run flushes them in a real pipeline (the tiny UNet's weights are
// 4.2 MB). Warm loops hide what such a step costs there: its code and data come back from memory.
//
//   node tools/bench/cold-step.mjs [--flush-mb 4] [--side 64] [--repetitions 50] [--compare DIR]
//
// --compare DIR times another checkout's built core side by side, interleaved in this process
// (e.g. an older commit unpacked with `git archive` and built), and prints the ratio.
import { evictor, loadCores, option, reportBuilds } from './cold-compare.mjs';

const flushMb = Number(option('--flush-mb', '4'));
const side = Number(option('--side', '64'));
const repetitions = Number(option('--repetitions', '50'));
if (!(flushMb >= 0) || !Number.isInteger(side) || side % 64 !== 0 || !Number.isInteger(repetitions) || repetitions < 1) {
  console.error('--flush-mb must be ≥ 0, --side a multiple of 64, --repetitions an integer ≥ 1');
  process.exit(1);
}
const cores = await loadCores();
const evict = evictor(flushMb);

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
console.log(`Kandinsky3Sampler.stepGuided, ${side}² latent ${JSON.stringify(dims)}, percentile 0.99, ${flushMb} MB read before each step; medians of ${repetitions} runs of ${steps} steps`);
reportBuilds(times, (value) => `${value.toFixed(2)} µs per step`, '  ', 'run');
