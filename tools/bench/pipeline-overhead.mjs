#!/usr/bin/env node
// SDK overhead per denoising step (issue "Text → image … in Node", Benchmark):
//   overhead/step = (pipeline wall time − time inside session.run) / steps
// measured for (1) a synthetic 1024² run (latent 4×128×128) on core's MockBackend, whose UNet
// returns a preallocated tensor, and (2) the bundled tiny model on onnxruntime-node's CPU EP.
// Goals: ≤ 1 ms per step at 1024², and ≤ 1 % of the tiny model's step time.
//
//   node tools/bench/pipeline-overhead.mjs [--json] [--repetitions N] [--warmups N] [--only synthetic|tiny]
//                                          [--synthetic-steps N] [--root DIR]
//
// Each repetition: a fresh pipeline, a 2-step call and `--warmups` full calls (default 2) to warm
// the sessions and the JIT, then one timed call; medians over the repetitions (default 5). Every
// row also times a 1-step call to split the overhead into a part per call (prompt, decode
// conversion, stage bookkeeping) and a part per step. The synthetic run takes 20 steps unless
// --synthetic-steps says otherwise (convention A's default call takes 50).
//
// --root measures another checkout's build (e.g. an older commit unpacked with `git archive`),
// so before/after figures come from the same script on the same machine.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const repository = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const rootIndex = args.indexOf('--root');
const root = rootIndex >= 0 ? resolve(args[rootIndex + 1]) : repository;
const json = args.includes('--json');
const repetitionsIndex = args.indexOf('--repetitions');
const repetitions = repetitionsIndex >= 0 ? Number(args[repetitionsIndex + 1]) : 5;
const warmupsIndex = args.indexOf('--warmups');
const warmups = warmupsIndex >= 0 ? Number(args[warmupsIndex + 1]) : 2;
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;
const syntheticStepsIndex = args.indexOf('--synthetic-steps');
const syntheticSteps = syntheticStepsIndex >= 0 ? Number(args[syntheticStepsIndex + 1]) : 20;
if (!Number.isInteger(syntheticSteps) || syntheticSteps < 2) {
  console.error(`--synthetic-steps must be an integer ≥ 2, got ${args[syntheticStepsIndex + 1]}`);
  process.exit(1);
}
const load = async (path) => import(pathToFileURL(resolve(root, path)).href);
for (const path of ['packages/core/dist/index.js', 'packages/node/dist/index.js']) {
  if (!existsSync(resolve(root, path))) {
    console.error(`No build at ${path}: run \`npx turbo run build\` first.`);
    process.exit(1);
  }
}
const core = await load('packages/core/dist/index.js');
const node = await load('packages/node/dist/index.js');

/**
 * Times onnxruntime's own `InferenceSession.run` (the runtime's JS entry: its argument checks, the
 * native call and its output tensors), so that everything of ours — including the node backend's
 * feed checks and tensor wrapping around it — counts as SDK. Patched once on the instance of
 * onnxruntime-node that the node package resolves; `runtimeStats` is reset by each measurement.
 *
 * onnxruntime-node computes synchronously on this thread, inside a `setImmediate` its run
 * schedules. Whatever the pipeline does between calling run and that callback (it draws the next
 * step's noise there, for runtimes that really compute in the background) delays the runtime
 * instead of overlapping it, so the clock is split: onnxruntime's synchronous JS before it
 * returns, then from the native run's start (the binding's session is wrapped to see it) until
 * the promise settles. The event-loop turn in between is charged to the SDK too.
 */
// gapMs: the time between onnxruntime's run returning and its native call starting, summed. It
// splits at the moment the pipeline yields (a microtask queued as run returns: it runs once the
// pipeline's synchronous work after calling run is over, e.g. drawing the next step's noise):
// ownWindowMs before it is the pipeline's, turnMs after it is onnxruntime-node's own event-loop
// turn (its run calls the native session inside a setImmediate; a plain loop over
// `await session.run(feeds)` pays it as well). runMs charges the turn to the SDK; turnMs lets a
// row charge it to the runtime instead (both are reported).
const runtimeStats = { runMs: 0, runs: 0, gapMs: 0, ownWindowMs: 0, turnMs: 0, problems: [] };
const ort = createRequire(resolve(root, 'packages/node/dist/index.js'))('onnxruntime-node');
{
  const require = createRequire(resolve(root, 'packages/node/dist/index.js'));
  const bindingModule = require(resolve(dirname(require.resolve('onnxruntime-node')), 'binding.js'));
  const NativeSession = bindingModule.binding.InferenceSession;
  let nativeStarted = Number.NaN;
  bindingModule.binding.InferenceSession = function InferenceSession(...args) {
    const session = new NativeSession(...args);
    const nativeRun = session.run;
    // The prototype's run is read-only: shadow it with an own property.
    Object.defineProperty(session, 'run', {
      value: function run(...runArgs) {
        nativeStarted = performance.now();
        return nativeRun.apply(this, runArgs);
      },
    });
    return session;
  };
  const original = ort.InferenceSession.prototype.run;
  ort.InferenceSession.prototype.run = function run(...args) {
    const called = performance.now();
    nativeStarted = Number.NaN;
    const running = original.apply(this, args);
    const returned = performance.now();
    const synchronousMs = returned - called;
    let yielded = Number.NaN;
    queueMicrotask(() => {
      yielded = performance.now();
    });
    // Observed from the side: the caller gets onnxruntime's own promise, so the measurement adds
    // no step to its chain. This reaction, registered first, runs first when the run settles.
    const settled = () => {
      const started = nativeStarted;
      if (Number.isNaN(started)) runtimeStats.problems.push('the native run was not seen: the binding patch missed it');
      else if (!(yielded <= started)) runtimeStats.problems.push('the native run started before the pipeline yielded');
      runtimeStats.runMs += synchronousMs + (performance.now() - started);
      runtimeStats.gapMs += started - returned;
      runtimeStats.ownWindowMs += yielded - returned;
      runtimeStats.turnMs += started - yielded;
      runtimeStats.runs += 1;
    };
    running.then(settled, settled);
    return running;
  };
}

/**
 * Wraps a backend so that every session.run is timed; `stats.runMs` sums them.
 *
 * `strict`: both runtimes here start computing only on a later turn of the event loop
 * (onnxruntime-node's run executes synchronously inside `setImmediate`, the MockBackend in a
 * microtask), so whatever the pipeline does synchronously right after calling run — drawing the
 * next step's noise (PrefetchingNoiseSource) — falls inside the timed window although it delays
 * the runtime rather than overlapping it. Strict timing starts only when the runtime is about to
 * start (after a `setImmediate`), which charges that work to the SDK.
 */
function instrument(backend, { strict = false } = {}) {
  const stats = { runMs: 0, runs: 0 };
  const wrapped = {
    name: `${backend.name} (instrumented)`,
    device: backend.device,
    capabilities: backend.capabilities,
    async loadModel(source, options) {
      const session = await backend.loadModel(source, options);
      return {
        inputs: session.inputs,
        outputs: session.outputs,
        get disposed() {
          return session.disposed;
        },
        run(feeds, runOptions) {
          const timed = () => {
            const started = performance.now();
            const running = session.run(feeds, runOptions);
            // Observed from the side, so the wrapper adds no step to the caller's chain.
            const settled = () => {
              stats.runMs += performance.now() - started;
              stats.runs += 1;
            };
            running.then(settled, settled);
            return running;
          };
          if (!strict) return timed();
          return new Promise((resolve) => setImmediate(resolve)).then(timed);
        },
        dispose: () => session.dispose(),
      };
    },
  };
  return { backend: wrapped, stats };
}

const WIDTH = 4096;
/** In-memory model folder for the synthetic run: real file formats, no weights. */
function syntheticFiles() {
  const nullEmbedding = new Float32Array(WIDTH).fill(0.01);
  const files = {
    'model_index.json': JSON.stringify({
      format: 'kandinsky-ts', format_version: 1, convention: 'A', variant: { name: 'synthetic-1024' },
      components: { tokenizer: 'tokenizer', text_encoder: 'text_encoder', text_projection: 'text_projection', unet: 'unet', movq_decoder: 'movq_decoder', scheduler: 'scheduler' },
    }),
    'unet/config.json': JSON.stringify({ kind: 'unet', default_image_size: 1024 }),
    'text_projection/config.json': JSON.stringify({ kind: 'text_projection', null_embedding: 'null_embedding.bin' }),
    'text_projection/null_embedding.bin': new Uint8Array(nullEmbedding.buffer),
  };
  const read = async (path) => {
    if (!(path in files)) throw new core.KandinskyError({ code: 'MODEL_NOT_FOUND', message: `no ${path}`, hint: 'synthetic' });
    return files[path];
  };
  return {
    location: 'synthetic',
    readText: async (path) => { const f = await read(path); return typeof f === 'string' ? f : new TextDecoder().decode(f); },
    readBytes: async (path) => { const f = await read(path); return typeof f === 'string' ? new TextEncoder().encode(f) : f; },
    modelSource: async (path) => path,
  };
}

function syntheticBackend() {
  const backend = new core.MockBackend({ symbolicDimensions: false });
  const f = 'float32';
  backend.register('text_encoder/model.onnx', {
    inputs: [{ name: 'input_ids', dtype: 'int64', dims: ['B', 'S'] }, { name: 'attention_mask', dtype: 'int64', dims: ['B', 'S'] }],
    outputs: [{ name: 'last_hidden_state', dtype: f, dims: ['B', 'S', WIDTH] }],
    // Outputs are written inside the run, as a real runtime writes them: reading never-touched
    // memory would otherwise bill its page faults to the SDK's first pass over it.
    compute: ({ input_ids }) => {
      const dims = [input_ids.dims[0], input_ids.dims[1], WIDTH];
      return { last_hidden_state: core.createTensor(f, dims, new Float32Array(dims[0] * dims[1] * WIDTH).fill(0.01)) };
    },
  });
  backend.register('text_projection/model.onnx', {
    inputs: [{ name: 'hidden', dtype: f, dims: ['B', 'L', WIDTH] }],
    outputs: [{ name: 'context', dtype: f, dims: ['B', 'L', WIDTH] }],
    compute: ({ hidden }) => ({ context: core.createTensor(f, hidden.dims, new Float32Array(hidden.data.length).fill(0.1)) }),
  });
  // The UNet returns one preallocated tensor: the run costs (almost) nothing, so what remains is SDK.
  const eps = core.createTensor(f, [2, 4, 128, 128], Float32Array.from({ length: 2 * 65536 }, (_, i) => Math.sin(i) * 0.5));
  backend.register('unet/model.onnx', {
    inputs: [
      { name: 'sample', dtype: f, dims: ['B', 4, 'h', 'w'] },
      { name: 'timestep', dtype: f, dims: ['B'] },
      { name: 'encoder_hidden_states', dtype: f, dims: ['B', 'L', WIDTH] },
      { name: 'encoder_attention_mask', dtype: 'int64', dims: ['B', 'L'] },
    ],
    outputs: [{ name: 'noise_pred', dtype: f, dims: ['B', 4, 'h', 'w'] }],
    compute: () => ({ noise_pred: core.createTensor(f, eps.dims, eps.data.slice()) }),
  });
  // The decoder copies a precomputed image-like pattern in [−1, 1] (smooth, a few % clipped).
  const images = new Map();
  backend.register('movq_decoder/model.onnx', {
    inputs: [{ name: 'latent', dtype: f, dims: ['B', 4, 'h', 'w'] }],
    outputs: [{ name: 'image', dtype: f, dims: ['B', 3, 'H', 'W'] }],
    compute: ({ latent }) => {
      const dims = [1, 3, latent.dims[2] * 8, latent.dims[3] * 8];
      let image = images.get(dims.join());
      if (!image) {
        image = Float32Array.from({ length: 3 * dims[2] * dims[3] }, (_, i) => 1.05 * Math.sin(i / 5000) * Math.cos(i / 77));
        images.set(dims.join(), image);
      }
      return { image: core.createTensor(f, dims, image.slice()) };
    },
  });
  return backend;
}

/** A worker noise-source factory whose thread has started (so no trajectory draws inline). */
async function startedWorkerNoiseSources() {
  // Every trajectory on the worker (the default draws samples below 16,384 elements inline).
  const factory = node.createWorkerNoiseSources({ minimumElements: 0 });
  for (let attempt = 0; attempt < 400; attempt++) {
    // 1024² dims: builds before the draw-ahead ring drew small latents inline and never started it.
    const source = factory.create(0, [1, 4, 128, 128]);
    const inline = source instanceof core.PrefetchingNoiseSource;
    source.release();
    if (!inline) return factory;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the noise worker did not start within 10 s');
}

/**
 * A bare loop of `await session.run(feeds)` on the tiny UNet (its 64² CFG batch, fixed feeds,
 * one intra-op thread): what any caller of onnxruntime-node pays per run outside the native call.
 * Returns the event-loop turn per run, timed as for the pipeline (runtimeStats).
 */
let bare;
async function bareLoopTurnMs(runs = 50) {
  if (bare === undefined) {
    const session = await ort.InferenceSession.create(resolve(repository, 'models/tiny/kandinsky3-tiny/unet/model.onnx'), { intraOpNumThreads: 1 });
    const width = session.inputMetadata.find((input) => input.name === 'encoder_hidden_states').shape[2];
    const length = 8;
    const feeds = {
      sample: new ort.Tensor('float32', Float32Array.from({ length: 512 }, (_, i) => Math.sin(i)), [2, 4, 8, 8]),
      timestep: new ort.Tensor('float32', new Float32Array([500, 500]), [2]),
      encoder_hidden_states: new ort.Tensor('float32', Float32Array.from({ length: 2 * length * width }, (_, i) => Math.cos(i) * 0.1), [2, length, width]),
      encoder_attention_mask: new ort.Tensor('int64', new BigInt64Array(2 * length).fill(1n), [2, length]),
    };
    bare = { session, feeds };
    for (let i = 0; i < 20; i++) await session.run(feeds);
  }
  runtimeStats.runMs = runtimeStats.runs = runtimeStats.gapMs = runtimeStats.ownWindowMs = runtimeStats.turnMs = 0;
  for (let i = 0; i < runs; i++) await bare.session.run(bare.feeds);
  return runtimeStats.turnMs / runtimeStats.runs;
}

/**
 * Medians over the repetitions. With `split`, each repetition also times a 1-step call, and the
 * overhead is split into a part per call and a part per step (from the 1-step and N-step calls).
 */
async function measure(name, makePipeline, options, { split = false } = {}) {
  const samples = [];
  for (let round = 0; round < repetitions + 1; round++) {
    const { pipeline, stats } = await makePipeline();
    // Warm-up: loads the sessions, then whole calls until the JIT has optimised the step loop
    // (one 2-step call, the earlier warm-up, left most of it in the interpreter).
    await pipeline.textToImage({ ...options, steps: 2 });
    for (let call = 0; call < warmups; call++) {
      await pipeline.textToImage(options);
      if (split) await pipeline.textToImage({ ...options, steps: 1 });
    }
    const windowed = 'gapMs' in stats;
    const reset = () => {
      stats.runMs = 0;
      stats.runs = 0;
      if (windowed) stats.gapMs = stats.ownWindowMs = stats.turnMs = 0;
    };
    reset();
    const started = performance.now();
    await pipeline.textToImage(options);
    const wallMs = performance.now() - started;
    const { runMs, gapMs, ownWindowMs, turnMs, runs } = stats;
    let oneStepOverheadMs;
    let oneStepTurnMs;
    let oneStepRuns;
    if (split) {
      reset();
      const oneStep = performance.now();
      await pipeline.textToImage({ ...options, steps: 1 });
      oneStepOverheadMs = performance.now() - oneStep - stats.runMs;
      oneStepTurnMs = stats.turnMs;
      oneStepRuns = stats.runs;
    }
    await pipeline.dispose();
    // The same turn in a bare loop of runs, right after (runtime rows only).
    const bareTurnMs = windowed ? await bareLoopTurnMs() : undefined;
    if (round > 0) samples.push({ wallMs, runMs, gapMs, ownWindowMs, turnMs, runs, oneStepOverheadMs, oneStepTurnMs, oneStepRuns, bareTurnMs });
  }
  if (runtimeStats.problems.length > 0) throw new Error(runtimeStats.problems[0]);
  const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
  const wallMs = median(samples.map((s) => s.wallMs));
  const runMs = median(samples.map((s) => s.runMs));
  const overheadPerStep = median(samples.map((s) => (s.wallMs - s.runMs) / options.steps));
  const stepMs = median(samples.map((s) => s.wallMs / options.steps));
  const result = { name, steps: options.steps, wallMs, runMs, overheadPerStepMs: overheadPerStep, stepMs, overheadShare: overheadPerStep / stepMs };
  // With `turn`, onnxruntime-node's event-loop turn counts as the runtime's, up to what the bare
  // loop of runs paid per run in the same repetition: a turn longer than that (cold caches, work
  // the pipeline queued) stays the SDK's.
  const turnOf = (s, turnMs, runs) => Math.min(turnMs, runs * s.bareTurnMs);
  /** Per step and per call from the N-step and 1-step calls. */
  const splitOf = (turn) => {
    const perStep = samples.map(
      (s) => (s.wallMs - s.runMs - (turn ? turnOf(s, s.turnMs, s.runs) : 0) - (s.oneStepOverheadMs - (turn ? turnOf(s, s.oneStepTurnMs, s.oneStepRuns) : 0))) / (options.steps - 1),
    );
    return {
      perStepMs: median(perStep),
      perCallMs: median(samples.map((s, i) => s.oneStepOverheadMs - (turn ? turnOf(s, s.oneStepTurnMs, s.oneStepRuns) : 0) - perStep[i])),
    };
  };
  if (samples[0].gapMs !== undefined) {
    result.gapPerStepMs = median(samples.map((s) => s.gapMs / options.steps));
    result.ownWindowPerStepMs = median(samples.map((s) => s.ownWindowMs / options.steps));
    result.turnPerRunMs = median(samples.map((s) => s.turnMs / s.runs));
    result.bareTurnPerRunMs = median(samples.map((s) => s.bareTurnMs));
    // The same run with onnxruntime-node's event-loop turn counted inside its run (as far as a
    // bare loop over `await session.run(feeds)` pays it too).
    const perStep = median(samples.map((s) => (s.wallMs - s.runMs - turnOf(s, s.turnMs, s.runs)) / options.steps));
    result.turnAsRuntime = { overheadPerStepMs: perStep, overheadShare: perStep / stepMs, ...(split ? { split: splitOf(true) } : {}) };
  }
  if (split) result.split = splitOf(false);
  return result;
}

const results = [];
const syntheticOptions = { prompt: 'a red circle on a white background', width: 1024, height: 1024, steps: syntheticSteps, seed: 1 };
/** A synthetic pipeline; `noiseSources` picks where the seeded noise is drawn. */
const syntheticPipeline = (noiseSources, strict = false) => async () => {
  const { backend, stats } = instrument(syntheticBackend(), { strict });
  const folder = await core.ModelFolder.open(syntheticFiles());
  const tokenizer = { encode: (text) => text.split(/\s+/).filter(Boolean).map((_, i) => 3 + i) };
  return { pipeline: await core.Kandinsky3Pipeline.create({ backend, folder, tokenizer, ...(noiseSources ? { noiseSources: noiseSources() } : {}) }), stats };
};
if (only !== 'tiny') {
  results.push(
    await measure('synthetic 1024² (MockBackend, original sampler with thresholding + CFG)', syntheticPipeline(undefined), syntheticOptions, { split: true }),
    await measure('same, strict timing (prefetched step noise charged to the SDK)', syntheticPipeline(undefined, true), syntheticOptions, { split: true }),
  );
  if (typeof node.createWorkerNoiseSources === 'function') {
    // The worker starts during the warm-up calls (the first large trajectory draws inline).
    results.push(
      await measure(
        'same, strict timing, step noise drawn on a worker thread (createWorkerNoiseSources)',
        syntheticPipeline(() => node.createWorkerNoiseSources(), true),
        syntheticOptions,
        { split: true },
      ),
    );
  } else {
    results.push({ name: 'same, strict, noise on a worker thread', skipped: 'no createWorkerNoiseSources in this build' });
  }
}
// The model always comes from this checkout, so --root compares code on the same weights.
const tiny = resolve(repository, 'models/tiny/kandinsky3-tiny');
if (only === 'synthetic') {
  // skipped on request
} else if (existsSync(resolve(tiny, 'model_index.json'))) {
  const tinyOptions = { prompt: 'a red circle on a white background', steps: 50, seed: 1 };
  for (const [name, backendOptions, timing, worker = false] of [
    // No strict rows here: its extra event-loop turn per run (~15 µs) would swamp 256 values of
    // noise (~3 µs).
    ['tiny model 64² (onnxruntime-node CPU)', { device: 'cpu' }, 'session'],
    // onnxruntime's intra-op pool spins after each run; on a small machine those threads take
    // the core the SDK's step code runs on. One thread: no pool (same step time for this model).
    ['same, intraOperatorThreads: 1', { device: 'cpu', intraOperatorThreads: 1 }, 'session'],
    // The runtime's own run timed instead of the backend's ModelSession.run: the node backend's
    // feed checks and tensor wrapping, and the noise drawn before the native run starts, count as
    // SDK too (see runtimeStats).
    ['same, timed at onnxruntime\'s own run', { device: 'cpu', intraOperatorThreads: 1 }, 'runtime'],
    // The step noise drawn ahead on a worker thread (the second core), instead of on this one.
    ['same, intraOperatorThreads: 1, noise drawn ahead on a worker thread', { device: 'cpu', intraOperatorThreads: 1 }, 'session', true],
    ['same, timed at onnxruntime\'s own run', { device: 'cpu', intraOperatorThreads: 1 }, 'runtime', true],
  ]) {
    if (worker && typeof node.createWorkerNoiseSources !== 'function') {
      results.push({ name, skipped: 'no createWorkerNoiseSources in this build' });
      continue;
    }
    const cpu = await node.createNodeBackend(backendOptions);
    results.push(
      await measure(
        name,
        async () => {
          // A fresh factory per pipeline (dispose ends its thread); wait until its worker is up,
          // or the first calls draw inline while it starts.
          const noiseSources = worker ? await startedWorkerNoiseSources() : undefined;
          const extra = noiseSources ? { noiseSources } : {};
          if (timing === 'runtime') return { pipeline: await node.loadKandinsky3(tiny, { backend: cpu, ...extra }), stats: runtimeStats };
          const { backend, stats } = instrument(cpu);
          return { pipeline: await node.loadKandinsky3(tiny, { backend, ...extra }), stats };
        },
        tinyOptions,
        { split: true },
      ),
    );
  }
} else {
  results.push({ name: 'tiny model', skipped: `no model at ${tiny}` });
}

/** Median of an idle `setImmediate` round trip: the event-loop turn onnxruntime-node takes per run. */
async function idleTurnMs(samples = 400) {
  const times = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await new Promise((resolve) => setImmediate(resolve));
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[samples >> 1];
}
const idleTurn = only === 'synthetic' ? undefined : await idleTurnMs();

const loadAverage = os.loadavg().map((value) => Number(value.toFixed(2)));
if (json) {
  console.log(JSON.stringify({ node: process.version, loadAverage, root, idleTurnMs: idleTurn, results }, null, 2));
} else {
  console.log(`node ${process.version}, ${os.cpus().length} CPUs, load average ${loadAverage.join(' / ')}, build ${root}`);
  console.log('| run | steps | wall (ms) | in session.run (ms) | SDK overhead / step (ms) | step (ms) | overhead share |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    if (r.skipped) console.log(`| ${r.name} | skipped: ${r.skipped} |||||`);
    else console.log(`| ${r.name} | ${r.steps} | ${r.wallMs.toFixed(1)} | ${r.runMs.toFixed(1)} | ${r.overheadPerStepMs.toFixed(3)} | ${r.stepMs.toFixed(3)} | ${(100 * r.overheadShare).toFixed(2)} % |`);
  }
  for (const r of results) {
    if (r.split) console.log(`${r.name}: ${(1000 * r.split.perStepMs).toFixed(1)} µs per step + ${r.split.perCallMs.toFixed(3)} ms per call (1-step vs ${r.steps}-step calls)`);
    if (r.gapPerStepMs !== undefined) {
      console.log(
        `  of which ${(1000 * r.gapPerStepMs).toFixed(1)} µs per step between onnxruntime's run returning and its native call starting: ` +
          `${(1000 * r.ownWindowPerStepMs).toFixed(1)} µs the pipeline's own work, then onnxruntime-node's event-loop turn ` +
          `(${(1000 * r.turnPerRunMs).toFixed(1)} µs per run; ${(1000 * r.bareTurnPerRunMs).toFixed(1)} µs in a bare loop of runs)`,
      );
      const t = r.turnAsRuntime;
      console.log(
        `  with that turn counted in onnxruntime's run (up to the bare loop's): ${(1000 * t.overheadPerStepMs).toFixed(1)} µs per step, ${(100 * t.overheadShare).toFixed(2)} %` +
          (t.split ? ` (${(1000 * t.split.perStepMs).toFixed(1)} µs per step + ${t.split.perCallMs.toFixed(3)} ms per call)` : ''),
      );
    }
  }
  if (idleTurn !== undefined) console.log(`idle event-loop turn (setImmediate round trip, median of 400): ${(1000 * idleTurn).toFixed(1)} µs`);
}
