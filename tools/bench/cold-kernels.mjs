#!/usr/bin/env node
// The loops of a generation call that core runs on WebAssembly SIMD where it can, timed with the
// CPU caches flushed before each call, as a model run flushes them in a real pipeline (see
// cold-step.mjs): the seeded noise a denoising loop draws inline (a 64² trajectory's 51 draws,
// which PrecomputedNoiseSource makes at its first draw; one 1024² draw of 65,536 values into a
// reused buffer, as PrefetchingNoiseSource draws them), and the decoded image's conversion to
// bytes (tensorToImages, 64² and 1024²).
//
//   node tools/bench/cold-kernels.mjs [--flush-mb 4] [--repetitions 200] [--compare DIR]
//
// --compare DIR times another checkout's built core side by side, interleaved in this process
// (e.g. an older commit unpacked with `git archive` and built), and prints the ratio.
import { evictor, keep, loadCores, option, reportBuilds } from './cold-compare.mjs';

const flushMb = Number(option('--flush-mb', '4'));
const repetitions = Number(option('--repetitions', '200'));
if (!(flushMb >= 0) || !Number.isInteger(repetitions) || repetitions < 1) {
  console.error('--flush-mb must be ≥ 0 and --repetitions an integer ≥ 1');
  process.exit(1);
}
const cores = await loadCores();
const evict = evictor(flushMb);

const large = new Float32Array(4 * 128 * 128);
const cases = [
  {
    name: '64² trajectory, 51 draws of [1,4,8,8] (inlineNoiseSources: created, then its first draw)',
    draw: (core, seed) => {
      const source = core.inlineNoiseSources.create(seed, [1, 4, 8, 8], { draws: 51 });
      keep(source.randn([1, 4, 8, 8]).data[0]);
      source.release();
    },
  },
  {
    // Into one buffer, as PrefetchingNoiseSource draws a large latent's step noise.
    name: '1024² draw, 65,536 values (TorchGenerator.fillNormal into a reused buffer)',
    draw: (core, seed) => {
      new core.TorchGenerator(seed).fillNormal(large);
      keep(large[0]);
    },
  },
  ...[64, 1024].map((side) => {
    const image = Float32Array.from({ length: 3 * side * side }, (_, i) => Math.sin(i * 0.37) * 1.1);
    return {
      name: `tensorToImages ${side}², truncate (as the original pipelines decode)`,
      every: side === 64 ? 1 : 10,
      draw: (core) => keep(core.tensorToImages(core.createTensor('float32', [1, 3, side, side], image), { rounding: 'truncate' })[0].data[0]),
    };
  }),
];
console.log(`${flushMb} MB read before each call; medians of ${repetitions} calls (a tenth of them for 1024² images), builds interleaved`);
for (const { name, draw, every = 1 } of cases) {
  const times = Object.fromEntries(Object.keys(cores).map((build) => [build, []]));
  for (let round = 0; round < Math.ceil(repetitions / every) + 10; round++) {
    // Alternate which build goes first.
    const order = round % 2 === 0 ? Object.keys(cores) : Object.keys(cores).reverse();
    for (const build of order) {
      evict();
      const started = performance.now();
      draw(cores[build], round);
      if (round >= 10) times[build].push(1000 * (performance.now() - started));
    }
  }
  console.log(`  ${name}`);
  reportBuilds(times, (value) => `${value.toFixed(1)} µs`, '    ', 'call');
}
