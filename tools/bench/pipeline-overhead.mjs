#!/usr/bin/env node
// SDK overhead per denoising step (issue "Text → image … in Node", Benchmark):
//   overhead/step = (pipeline wall time − time inside session.run) / steps
// measured for (1) a synthetic 1024² run (latent 4×128×128) on core's MockBackend, whose UNet
// returns a preallocated tensor, and (2) the bundled tiny model on onnxruntime-node's CPU EP.
// Goals: ≤ 1 ms per step at 1024², and ≤ 1 % of the tiny model's step time.
//
//   node tools/bench/pipeline-overhead.mjs [--json] [--repetitions N]
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const json = args.includes('--json');
const repetitionsIndex = args.indexOf('--repetitions');
const repetitions = repetitionsIndex >= 0 ? Number(args[repetitionsIndex + 1]) : 3;
const load = async (path) => import(pathToFileURL(resolve(root, path)).href);
for (const path of ['packages/core/dist/index.js', 'packages/node/dist/index.js']) {
  if (!existsSync(resolve(root, path))) {
    console.error(`No build at ${path}: run \`npx turbo run build\` first.`);
    process.exit(1);
  }
}
const core = await load('packages/core/dist/index.js');
const node = await load('packages/node/dist/index.js');

/** Wraps a backend so that every session.run is timed; `stats.runMs` sums them. */
function instrument(backend) {
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
        async run(feeds, runOptions) {
          const started = performance.now();
          try {
            return await session.run(feeds, runOptions);
          } finally {
            stats.runMs += performance.now() - started;
            stats.runs += 1;
          }
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
    compute: ({ input_ids }) => ({ last_hidden_state: core.createTensor(f, [input_ids.dims[0], input_ids.dims[1], WIDTH]) }),
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
  backend.register('movq_decoder/model.onnx', {
    inputs: [{ name: 'latent', dtype: f, dims: ['B', 4, 'h', 'w'] }],
    outputs: [{ name: 'image', dtype: f, dims: ['B', 3, 'H', 'W'] }],
    compute: ({ latent }) => ({ image: core.createTensor(f, [1, 3, latent.dims[2] * 8, latent.dims[3] * 8]) }),
  });
  return backend;
}

async function measure(name, makePipeline, options) {
  const samples = [];
  for (let round = 0; round < repetitions + 1; round++) {
    const { pipeline, stats } = await makePipeline();
    await pipeline.textToImage({ ...options, steps: 2 }); // warm-up: loads sessions, JIT
    stats.runMs = 0;
    stats.runs = 0;
    const started = performance.now();
    await pipeline.textToImage(options);
    const wallMs = performance.now() - started;
    await pipeline.dispose();
    if (round > 0) samples.push({ wallMs, runMs: stats.runMs, runs: stats.runs });
  }
  const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
  const wallMs = median(samples.map((s) => s.wallMs));
  const runMs = median(samples.map((s) => s.runMs));
  const overheadPerStep = median(samples.map((s) => (s.wallMs - s.runMs) / options.steps));
  const stepMs = median(samples.map((s) => s.wallMs / options.steps));
  return { name, steps: options.steps, wallMs, runMs, overheadPerStepMs: overheadPerStep, stepMs, overheadShare: overheadPerStep / stepMs };
}

const results = [];
results.push(
  await measure(
    'synthetic 1024² (MockBackend, original sampler with thresholding + CFG)',
    async () => {
      const { backend, stats } = instrument(syntheticBackend());
      const folder = await core.ModelFolder.open(syntheticFiles());
      const tokenizer = { encode: (text) => text.split(/\s+/).filter(Boolean).map((_, i) => 3 + i) };
      return { pipeline: await core.Kandinsky3Pipeline.create({ backend, folder, tokenizer }), stats };
    },
    { prompt: 'a red circle on a white background', width: 1024, height: 1024, steps: 20, seed: 1 },
  ),
);
const tiny = resolve(root, 'models/tiny/kandinsky3-tiny');
if (existsSync(resolve(tiny, 'model_index.json'))) {
  const cpu = await node.createNodeBackend({ device: 'cpu' });
  results.push(
    await measure(
      'tiny model 64² (onnxruntime-node CPU)',
      async () => {
        const { backend, stats } = instrument(cpu);
        return { pipeline: await node.loadKandinsky3(tiny, { backend }), stats };
      },
      { prompt: 'a red circle on a white background', steps: 50, seed: 1 },
    ),
  );
} else {
  results.push({ name: 'tiny model', skipped: `no model at ${tiny}` });
}

if (json) {
  console.log(JSON.stringify({ node: process.version, results }, null, 2));
} else {
  console.log('| run | steps | wall (ms) | in session.run (ms) | SDK overhead / step (ms) | step (ms) | overhead share |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    if (r.skipped) console.log(`| ${r.name} | skipped: ${r.skipped} |||||`);
    else console.log(`| ${r.name} | ${r.steps} | ${r.wallMs.toFixed(1)} | ${r.runMs.toFixed(1)} | ${r.overheadPerStepMs.toFixed(3)} | ${r.stepMs.toFixed(3)} | ${(100 * r.overheadShare).toFixed(2)} % |`);
  }
}
