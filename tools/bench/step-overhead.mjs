#!/usr/bin/env node
// SDK work per denoising step at 1024² (issue 14's goal: ≤ 2 ms, about 1 % of a real step):
//   per step = (wall time of a text → image call − time inside ModelSession.run) / steps
// on core's MockBackend, whose UNet returns a precomputed [2, 4, 128, 128] prediction at once, so
// what is left is the SDK: feeds, classifier-free guidance, the original sampler's step with
// thresholding, the seeded noise. A 1-step call splits that into a part per step and a part per
// call (prompt, decode conversion, stages).
//
//   node tools/bench/step-overhead.mjs [--baseline DIR] [--steps N] [--repetitions N] [--json]
//
// --baseline times another checkout's build in the same process, interleaved round by round with
// this one (e.g. the commit before a change: `git worktree add /tmp/base REV`, `npm ci`,
// `npx turbo run build --filter=@kandinsky/core`). Either build's API works: `Kandinsky3` or the
// older `Kandinsky3Pipeline`, `MockBackend` from `@kandinsky/core/testing` or the main entry.
import { existsSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repository = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index >= 0 && index + 1 < args.length ? args[index + 1] : fallback;
};
const json = args.includes('--json');
const steps = Number(option('--steps', '20'));
const repetitions = Number(option('--repetitions', '7'));
const baseline = option('--baseline', undefined);
for (const [name, value, min] of [['--steps', steps, 2], ['--repetitions', repetitions, 1]]) {
  if (!Number.isInteger(value) || value < min) {
    console.error(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(option(name))}`);
    process.exit(2);
  }
}

/** The pieces of one build of core this bench needs, whichever API generation it has. */
async function loadBuild(root, label) {
  const main = resolve(root, 'packages/core/dist/index.js');
  if (!existsSync(main)) {
    console.error(`No build at ${main}: run \`npx turbo run build --filter=@kandinsky/core\` there first.`);
    process.exit(1);
  }
  const core = await import(pathToFileURL(main).href);
  const testingPath = resolve(root, 'packages/core/dist/testing.js');
  const testing = existsSync(testingPath) ? await import(pathToFileURL(testingPath).href) : {};
  const MockBackend = testing.MockBackend ?? core.MockBackend;
  const create = core.Kandinsky3 ? (o) => core.Kandinsky3.create(o) : (o) => core.Kandinsky3Pipeline.create(o);
  return { label, core, MockBackend, create };
}

const WIDTH = 4096;

/** In-memory model folder: real file formats, no weights (convention A, 1024² default). */
function syntheticFiles(core) {
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

/** MockBackend with the four models of a convention-A text → image call; runs are timed. */
function syntheticBackend(build, stats) {
  const { core, MockBackend } = build;
  const backend = new MockBackend({ symbolicDimensions: false });
  const f = 'float32';
  backend.register('text_encoder/model.onnx', {
    inputs: [{ name: 'input_ids', dtype: 'int64', dims: ['B', 'S'] }, { name: 'attention_mask', dtype: 'int64', dims: ['B', 'S'] }],
    outputs: [{ name: 'last_hidden_state', dtype: f, dims: ['B', 'S', WIDTH] }],
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
  // A fresh copy per run, written inside the run as a real runtime writes its outputs.
  const eps = Float32Array.from({ length: 2 * 65536 }, (_, i) => Math.sin(i) * 0.5);
  backend.register('unet/model.onnx', {
    inputs: [
      { name: 'sample', dtype: f, dims: ['B', 4, 'h', 'w'] },
      { name: 'timestep', dtype: f, dims: ['B'] },
      { name: 'encoder_hidden_states', dtype: f, dims: ['B', 'L', WIDTH] },
      { name: 'encoder_attention_mask', dtype: 'int64', dims: ['B', 'L'] },
    ],
    outputs: [{ name: 'noise_pred', dtype: f, dims: ['B', 4, 'h', 'w'] }],
    compute: () => ({ noise_pred: core.createTensor(f, [2, 4, 128, 128], eps.slice()) }),
  });
  const image = Float32Array.from({ length: 3 * 1024 * 1024 }, (_, i) => 1.05 * Math.sin(i / 5000) * Math.cos(i / 77));
  backend.register('movq_decoder/model.onnx', {
    inputs: [{ name: 'latent', dtype: f, dims: ['B', 4, 'h', 'w'] }],
    outputs: [{ name: 'image', dtype: f, dims: ['B', 3, 'H', 'W'] }],
    compute: () => ({ image: core.createTensor(f, [1, 3, 1024, 1024], image.slice()) }),
  });
  return {
    name: backend.name,
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
          const started = performance.now();
          const running = session.run(feeds, runOptions);
          const settled = () => {
            stats.runMs += performance.now() - started;
          };
          running.then(settled, settled);
          return running;
        },
        dispose: () => session.dispose(),
      };
    },
  };
}

/** One repetition on `build`: warm-up calls, then a timed N-step and a timed 1-step call. */
async function repetition(build) {
  const stats = { runMs: 0 };
  const backend = syntheticBackend(build, stats);
  const folder = await build.core.ModelFolder.open(syntheticFiles(build.core));
  const tokenizer = { encode: (text) => text.split(/\s+/).filter(Boolean).map((_, i) => 3 + i) };
  const pipeline = await build.create({ backend, folder, tokenizer });
  const options = { prompt: 'a red circle on a white background', width: 1024, height: 1024, steps, seed: 1 };
  await pipeline.textToImage({ ...options, steps: 2 });
  await pipeline.textToImage(options);
  const timed = async (callOptions) => {
    stats.runMs = 0;
    const started = performance.now();
    await pipeline.textToImage(callOptions);
    return performance.now() - started - stats.runMs;
  };
  const many = await timed(options);
  const one = await timed({ ...options, steps: 1 });
  await pipeline.dispose();
  return { asDefined: many / steps, perStep: (many - one) / (steps - 1), perCall: one - (many - one) / (steps - 1) };
}

const builds = [await loadBuild(repository, 'this build')];
if (baseline !== undefined) builds.push(await loadBuild(resolve(baseline), `baseline (${baseline})`));
const samples = builds.map(() => []);
for (let round = 0; round < repetitions + 1; round++) {
  // Alternate the order so neither build always runs on a warmer machine.
  const order = round % 2 === 0 ? builds.map((_, i) => i) : builds.map((_, i) => builds.length - 1 - i);
  for (const index of order) {
    const result = await repetition(builds[index]);
    if (round > 0) samples[index].push(result);
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const rows = builds.map((build, i) => ({
  build: build.label,
  sdkMsPerStep: median(samples[i].map((s) => s.asDefined)),
  perStepMs: median(samples[i].map((s) => s.perStep)),
  perCallMs: median(samples[i].map((s) => s.perCall)),
}));
if (json) {
  console.log(JSON.stringify({ node: process.version, cpu: os.cpus()[0]?.model, steps, repetitions, rows }, null, 2));
} else {
  console.log(`SDK work per step, synthetic 1024² text → image on MockBackend (${steps} steps, median of ${repetitions}; ${process.version}, ${os.cpus()[0]?.model})`);
  console.log('| build | (wall − run) / steps | per step | per call | goal ≤ 2 ms |');
  console.log('|---|---:|---:|---:|:-:|');
  for (const row of rows) {
    console.log(`| ${row.build} | ${row.sdkMsPerStep.toFixed(3)} ms | ${row.perStepMs.toFixed(3)} ms | ${row.perCallMs.toFixed(1)} ms | ${row.sdkMsPerStep <= 2 ? 'yes' : 'no'} |`);
  }
}
