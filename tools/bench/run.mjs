#!/usr/bin/env node
// Micro-benchmarks of @kandinsky/core's hot loops, each timed side by side with a plain typed-array
// copy of a comparable number of bytes (`dst.set(src)`, i.e. memcpy), interleaved in one run.
//
//   npm run bench                      (builds, then runs this file)
//   node tools/bench/run.mjs [--json] [--repetitions N] [--only NAME[,NAME…]] [--core PATH]
//
// Each entry: warm-up, then N rounds; in every round the operation and its copy baseline run
// back to back (order alternating), each repeated enough times to take ≥ ~20 ms. Reported: the
// medians and their ratio. Goal per entry (issue "Foundation" / Benchmarks): ratio ≤ 3.
// Entries whose API is not in the built core are skipped with a note, not failed.
import { existsSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index >= 0 && index + 1 < args.length ? args[index + 1] : fallback;
};
const json = args.includes('--json');
const repetitions = Number(option('--repetitions', '5'));
const only = option('--only', undefined);
const corePath = resolve(root, option('--core', 'packages/core/dist/index.js'));
const GOAL = 3;
const MIN_SAMPLE_MS = 10;

if (!Number.isInteger(repetitions) || repetitions < 1) {
  console.error(`--repetitions must be an integer ≥ 1, got ${JSON.stringify(option('--repetitions'))}`);
  process.exit(2);
}
if (!existsSync(corePath)) {
  console.error(`No built core at ${corePath}. Run \`npx turbo run build --filter=@kandinsky/core\` first.`);
  process.exit(1);
}
const core = await import(pathToFileURL(corePath).href);

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

function filled(length, seed) {
  const data = new Float32Array(length);
  let state = seed >>> 0;
  for (let index = 0; index < length; index++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    data[index] = state / 2147483648 - 1;
  }
  return data;
}

/**
 * Copy baselines of `bytes` bytes (rounded to float32 elements): `set` is memcpy; `loop` is an
 * element-by-element JS loop, the floor for any scalar JS kernel over the same data.
 */
function copyBaselines(bytes) {
  const source = new Float32Array(Math.ceil(bytes / 4)).fill(0.5);
  const target = new Float32Array(source.length);
  target.set(source); // fault the pages in before timing
  return {
    set: () => target.set(source),
    loop: () => {
      for (let index = 0; index < source.length; index++) target[index] = source[index];
    },
  };
}

/** Milliseconds per call of `run`, timing `count` calls. */
function time(run, count) {
  const start = performance.now();
  for (let index = 0; index < count; index++) run();
  return (performance.now() - start) / count;
}

/** Calls per sample so that one sample takes ≥ MIN_SAMPLE_MS. */
function calibrate(run) {
  const once = Math.max(time(run, 1), 1e-3);
  return Math.max(1, Math.ceil(MIN_SAMPLE_MS / once));
}

// --- entries -------------------------------------------------------------------------------------
// Each returns { shape, bytes, bytesNote, run } or { skip: reason }.

function schedulerStep(className, config, steps) {
  return () => {
    const Scheduler = core[className];
    if (typeof Scheduler !== 'function') return { skip: `${className} is not exported by the built core yet` };
    const dims = [1, 4, 128, 128];
    const length = 4 * 128 * 128;
    const scheduler = new Scheduler(config);
    scheduler.setTimesteps(steps);
    const sample = core.createTensor('float32', dims, filled(length, 1));
    const modelOutput = core.createTensor('float32', dims, filled(length, 2));
    const noise = core.createTensor('float32', dims, filled(length, 3));
    const out = core.createTensor('float32', dims);
    let state = scheduler.createState();
    const timesteps = scheduler.timesteps;
    return {
      shape: '[1,4,128,128]',
      bytes: length * 4,
      bytesNote: 'sample',
      run: () => {
        if (state.stepIndex >= timesteps.length) state = scheduler.createState();
        // Explicit noise: measures the step arithmetic, not the random number generator.
        scheduler.step(modelOutput, timesteps[state.stepIndex], sample, state, { out, noise });
      },
    };
  };
}

function classifierFreeGuidance() {
  if (typeof core.classifierFreeGuidanceBatched !== 'function') return { skip: 'classifierFreeGuidanceBatched is not exported by the built core yet' };
  const length = 4 * 128 * 128;
  const batch = core.createTensor('float32', [2, 4, 128, 128], filled(2 * length, 4));
  const out = core.createTensor('float32', [1, 4, 128, 128]);
  return {
    shape: '[2,4,128,128] → [1,4,128,128]',
    bytes: length * 4,
    bytesNote: 'output',
    run: () => core.classifierFreeGuidanceBatched(batch, { order: 'uncond-first', guidanceScale: 3, out }),
  };
}

function classifierFreeGuidanceRescaled() {
  const entry = classifierFreeGuidance();
  if (entry.skip) return entry;
  const batch = core.createTensor('float32', [2, 4, 128, 128], filled(2 * 4 * 128 * 128, 5));
  const out = core.createTensor('float32', [1, 4, 128, 128]);
  return {
    ...entry,
    run: () => core.classifierFreeGuidanceBatched(batch, { order: 'uncond-first', guidanceScale: 7, guidanceRescale: 0.7, out }),
  };
}

// The per-step work of the original sampler at 1024² (issue 4, "SDK overhead per step").
function torchRandn() {
  if (typeof core.TorchGenerator !== 'function') return { skip: 'TorchGenerator is not exported by the built core yet' };
  const generator = new core.TorchGenerator(1);
  const out = new Float32Array(4 * 128 * 128);
  return {
    shape: '[1,4,128,128]',
    bytes: out.length * 4,
    bytesNote: 'output',
    run: () => generator.fillNormal(out),
  };
}

function kandinskySamplerStep() {
  if (typeof core.Kandinsky3Sampler !== 'function') return { skip: 'Kandinsky3Sampler is not exported by the built core yet' };
  const dims = [1, 4, 128, 128];
  const length = 4 * 128 * 128;
  const sampler = new core.Kandinsky3Sampler({ percentile: 0.99 });
  sampler.setTimesteps(20);
  const sample = core.createTensor('float32', dims, filled(length, 7));
  const modelOutput = core.createTensor('float32', dims, filled(length, 8));
  const noise = core.createTensor('float32', dims, filled(length, 9));
  const out = core.createTensor('float32', dims);
  const index = 10;
  return {
    shape: '[1,4,128,128]',
    bytes: length * 4,
    bytesNote: 'sample',
    // As the denoising loop calls it (explicit out, x0 not asked for); noise given, so this is the
    // step arithmetic (x0, percentile threshold, update) without the generator.
    run: () =>
      sampler.step(modelOutput, sampler.timesteps[index], sample, { stepIndex: index }, { out, noise, returnPredOriginalSample: false }),
  };
}

function decoderOutputToImage() {
  if (typeof core.tensorToImages !== 'function') return { skip: 'tensorToImages is not exported by the built core yet' };
  const length = 3 * 1024 * 1024;
  const image = core.createTensor('float32', [1, 3, 1024, 1024], Float32Array.from({ length }, (_, i) => 1.05 * Math.sin(i / 5000) * Math.cos(i / 77)));
  return {
    shape: '[1,3,1024,1024] → 1024² RGB',
    bytes: length,
    bytesNote: 'RGB bytes',
    run: () => core.tensorToImages(image, { rounding: 'truncate' }),
  };
}

let layoutCache;
function superResolutionLayout() {
  if (layoutCache) return layoutCache;
  const views = core.planViews({ height: 4096, width: 4096, windowHeight: 1024, windowWidth: 1024, strideHeight: 800, strideWidth: 800 });
  const viewLength = 3 * 1024 * 1024;
  // Two view batches, 15 + 10, as KandiSuperRes runs them (view_batch_size 15, spec §4.8.1).
  const outputs = filled(views.length * viewLength, 6);
  const batches = [
    [0, 15],
    [15, 25],
  ].map(([from, to]) => ({
    views: views.slice(from, to),
    tensor: core.createTensor('float32', [to - from, 3, 1024, 1024], outputs.subarray(from * viewLength, to * viewLength)),
  }));
  layoutCache = { views, viewLength, batches };
  return layoutCache;
}

function multiDiffusionAccumulate(accumulator) {
  return () => {
    if (typeof core.MultiDiffusionBlender !== 'function') return { skip: 'MultiDiffusionBlender is not exported by the built core yet' };
    const { views, viewLength, batches } = superResolutionLayout();
    const blender = new core.MultiDiffusionBlender({ dims: [1, 3, 4096, 4096], accumulator });
    return {
      shape: '25 views [3,1024,1024] → [1,3,4096,4096]',
      bytes: views.length * viewLength * 4,
      bytesNote: 'view outputs',
      run: () => {
        blender.reset();
        for (const batch of batches) blender.accumulate(batch.tensor, batch.views);
      },
    };
  };
}

function multiDiffusionResolve() {
  if (typeof core.MultiDiffusionBlender !== 'function') return { skip: 'MultiDiffusionBlender is not exported by the built core yet' };
  const { batches } = superResolutionLayout();
  const blender = new core.MultiDiffusionBlender({ dims: [1, 3, 4096, 4096] });
  blender.reset();
  for (const batch of batches) blender.accumulate(batch.tensor, batch.views);
  const canvas = core.createTensor('float32', [1, 3, 4096, 4096]);
  return {
    shape: '[1,3,4096,4096]',
    bytes: 3 * 4096 * 4096 * 4,
    bytesNote: 'canvas',
    run: () => blender.resolve(canvas),
  };
}

function extractCrops() {
  if (typeof core.extractViews !== 'function') return { skip: 'extractViews is not exported by the built core yet' };
  const views = core.planViews({ height: 4096, width: 4096, windowHeight: 1024, windowWidth: 1024, strideHeight: 800, strideWidth: 800 }).slice(0, 15);
  const canvas = core.createTensor('float32', [1, 3, 4096, 4096], new Float32Array(3 * 4096 * 4096).fill(0.25));
  const out = core.createTensor('float32', [15, 3, 1024, 1024]);
  return {
    shape: '15 views of [1,3,4096,4096] → [15,3,1024,1024]',
    bytes: 15 * 3 * 1024 * 1024 * 4,
    bytesNote: 'crops',
    run: () => core.extractViews(canvas, views, out),
  };
}

const entries = [
  { name: 'DDPMScheduler.step', make: schedulerStep('DDPMScheduler', {}, 50) },
  {
    name: 'DPMSolverMultistepScheduler.step (SR config)',
    make: schedulerStep('DPMSolverMultistepScheduler', { beta_schedule: 'linear', prediction_type: 'sample' }, 5),
  },
  { name: 'TorchGenerator.fillNormal (bit-exact torch.randn)', make: torchRandn },
  { name: 'Kandinsky3Sampler.step (percentile 0.99, noise given)', make: kandinskySamplerStep },
  { name: 'tensorToImages 1024² (truncate)', make: decoderOutputToImage },
  { name: 'CFG combine (w = 3)', make: classifierFreeGuidance },
  { name: 'CFG combine + guidance_rescale 0.7', make: classifierFreeGuidanceRescaled },
  { name: 'MultiDiffusion accumulate (float32 sums, default)', make: multiDiffusionAccumulate('float32') },
  { name: 'MultiDiffusion accumulate (float64 sums)', make: multiDiffusionAccumulate('float64') },
  { name: 'MultiDiffusion resolve (value / count)', make: multiDiffusionResolve },
  { name: 'extractViews (15-view batch)', make: extractCrops },
].filter((entry) => only === undefined || only.toLowerCase().split(',').some((part) => entry.name.toLowerCase().includes(part)));

// --- run -----------------------------------------------------------------------------------------

const results = [];
for (const entry of entries) {
  let prepared;
  try {
    prepared = entry.make();
  } catch (error) {
    prepared = { skip: `setup failed: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (prepared.skip) {
    results.push({ name: entry.name, skipped: prepared.skip });
    if (!json) console.error(`skip  ${entry.name}: ${prepared.skip}`);
    continue;
  }
  const copy = copyBaselines(prepared.bytes);
  try {
    // Warm-up: lets V8 optimise every loop, faults pages in, and sizes the samples.
    for (let index = 0; index < 2; index++) {
      prepared.run();
      copy.set();
      copy.loop();
    }
    const runs = [prepared.run, copy.set, copy.loop];
    const calls = runs.map(calibrate);
    const times = runs.map(() => []);
    for (let round = 0; round < repetitions; round++) {
      // Rotate the order every round so that drifting machine load hits all three alike.
      for (let offset = 0; offset < runs.length; offset++) {
        const which = (round + offset) % runs.length;
        times[which].push(time(runs[which], calls[which]));
      }
    }
    const [operationMs, copyMs, loopCopyMs] = times.map(median);
    results.push({
      name: entry.name,
      shape: prepared.shape,
      bytes: prepared.bytes,
      bytesNote: prepared.bytesNote,
      operationMs,
      copyMs,
      loopCopyMs,
      ratio: operationMs / copyMs,
      loopRatio: operationMs / loopCopyMs,
      withinGoal: operationMs / copyMs <= GOAL,
    });
  } catch (error) {
    results.push({ name: entry.name, skipped: `failed: ${error instanceof Error ? error.message : String(error)}` });
  }
  if (!json) console.error(`done  ${entry.name}`);
  prepared = undefined;
}

const machine = {
  node: process.version,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model ?? 'unknown',
  platform: `${os.platform()} ${os.arch()}`,
  loadAverage: os.loadavg().map((load) => Number(load.toFixed(2))),
  repetitions,
};

if (json) {
  console.log(JSON.stringify({ machine, goalRatio: GOAL, results }, null, 2));
} else {
  const megabytes = (bytes) => `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 0)} MiB`;
  const lines = [
    `Node ${machine.node}, ${machine.cpus} × ${machine.cpuModel}, ${machine.platform}; load average at the end ${machine.loadAverage.join(' / ')}; median of ${repetitions} interleaved rounds`,
    '',
    '| operation | shape | bytes copied by the baselines | op (ms) | `set` copy (ms) | op / `set` | ≤ 3× | loop copy (ms) | op / loop |',
    '|---|---|---|---:|---:|---:|:-:|---:|---:|',
  ];
  for (const result of results) {
    if (result.skipped) {
      lines.push(`| ${result.name} | — | — | — | — | — | skipped: ${result.skipped} | — | — |`);
    } else {
      lines.push(
        `| ${result.name} | ${result.shape} | ${megabytes(result.bytes)} (${result.bytesNote}) | ${result.operationMs.toFixed(3)} | ${result.copyMs.toFixed(3)} | ${result.ratio.toFixed(2)}× | ${result.withinGoal ? 'yes' : 'no'} | ${result.loopCopyMs.toFixed(3)} | ${result.loopRatio.toFixed(2)}× |`,
      );
    }
  }
  console.log(lines.join('\n'));
}
