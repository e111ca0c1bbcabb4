#!/usr/bin/env node
// KandiSuperRes 1024² → 4096² with the tiny ×4 model (issue 16): window 1024 / stride 800, i.e.
// 5 × 5 = 25 views × 5 steps = 125 UNet calls at 1024² on onnxruntime-node (CPU). Reports
//   - wall time of the upscale call (model already loaded),
//   - the share spent outside ModelSession.run (goal ≤ 5 %): the SDK's own work,
//   - peak RSS next to the package README's formula (goal: within 15 %):
//       predicted peak = RSS with the model loaded + 40·C + 12·v·(V + 1) + B·v·(36 + g·A)
//     where A, the runtime's working bytes per view pixel, is calibrated first on a job of one
//     1024² view and one step (its peak RSS minus the loaded RSS minus its own formula terms), and
//     g = 2 for B > 1 (onnxruntime's CPU arena, CPU_ARENA_GROWTH), 1 at B = 1.
//   The default view batch on CPU is 1; pass --view-batch N to measure batches.
//
//   node tools/bench/superres.mjs [--size 1024] [--window 1024] [--stride 800] [--view-batch N] [--steps 5] [--json]
//
// Run it alone: peak RSS is per process, and other processes on the machine skew the wall time.
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index >= 0 && index + 1 < args.length ? Number(args[index + 1]) : fallback;
};
const json = args.includes('--json');
const size = option('--size', 1024);
const window = option('--window', 1024);
const stride = option('--stride', 800);
const steps = option('--steps', 5);
const viewBatchOption = option('--view-batch', undefined);

const importBuilt = (path) => import(pathToFileURL(resolve(root, path)).href);
const core = await importBuilt('packages/core/dist/index.js');
const node = await importBuilt('packages/node/dist/index.js');
const superres = await importBuilt('packages/superres/dist/index.js');
const { tinyModelPath } = await importBuilt('models/tiny/index.js');

const MiB = 2 ** 20;
const rss = () => process.memoryUsage().rss;
const peakRss = () => process.resourceUsage().maxRSS * 1024;

/** A NodeBackend whose sessions add the time spent in `run` to `timing.inRun`. */
async function timedBackend(timing) {
  const inner = await node.createNodeBackend({ device: 'cpu' });
  return {
    name: inner.name,
    device: inner.device,
    capabilities: inner.capabilities,
    async loadModel(source, options) {
      const session = await inner.loadModel(source, options);
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
            timing.inRun += performance.now() - started;
            timing.calls++;
          }
        },
        dispose: () => session.dispose(),
      };
    },
  };
}

/** A `side²` input of flat coloured shapes: the held-out world images, tiled. */
async function worldImage(side) {
  const sheet = await node.readImage(resolve(root, 'packages/superres/src/fixtures/held-out-64-hr.png'));
  const image = core.createRgbImage(side, side);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const from = ((y % sheet.height) * sheet.width + (x % sheet.width)) * 3;
      image.data.set(sheet.data.subarray(from, from + 3), (y * side + x) * 3);
    }
  }
  return image;
}

const timing = { inRun: 0, calls: 0 };
const backend = await timedBackend(timing);
const folder = await node.openModelFolder(tinyModelPath('kandisuperres-x4'));
const sr = await superres.KandiSuperRes.create({ backend, folder });

// Load the model with a minimal job (one 64² view), then take the loaded RSS.
await sr.upscale({ image: core.createRgbImage(16, 16), steps: 1 });
globalThis.gc?.();
const loadedRss = rss();

// Calibrate A on one window-sized view, one step.
const calibrationInput = await worldImage(window / 4);
const viewPixels = window * window;
const calibrationRss = peakRss();
await sr.upscale({ image: calibrationInput, steps: 1, window, stride, viewBatchSize: 1 });
const calibrationPeak = Math.max(peakRss(), calibrationRss);
const calibrationTerms = superres.estimateUpscaleMemory({ canvasPixels: viewPixels, viewPixels, views: 1, viewBatchSize: 1 });
const activationBytesPerPixel = Math.max(0, (calibrationPeak - loadedRss - calibrationTerms.total) / viewPixels);

// The measured job.
const input = await worldImage(size);
timing.inRun = 0;
timing.calls = 0;
let views = 0;
const started = performance.now();
const { image, parameters } = await sr.upscale({
  image: input,
  steps,
  window,
  stride,
  ...(viewBatchOption === undefined ? {} : { viewBatchSize: viewBatchOption }),
  onProgress: (event) => {
    if (event.type === 'tile' && event.step === 0) views++;
  },
});
const wallMs = performance.now() - started;
const peak = peakRss();
await sr.dispose();

const canvasPixels = image.width * image.height;
const estimate = superres.estimateUpscaleMemory({
  canvasPixels,
  viewPixels,
  views: parameters.views,
  viewBatchSize: parameters.viewBatchSize,
  activationBytesPerPixel,
  cpuArena: true,
});
const predicted = loadedRss + estimate.total;
const outsideShare = (wallMs - timing.inRun) / wallMs;
const result = {
  bench: 'superres',
  machine: `${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
  input: `${size}²`,
  output: `${image.width}×${image.height}`,
  window,
  stride,
  steps,
  views: parameters.views,
  viewBatchSize: parameters.viewBatchSize,
  unetCalls: timing.calls,
  wallSeconds: wallMs / 1000,
  inRunSeconds: timing.inRun / 1000,
  outsideRunShare: outsideShare,
  loadedRssMiB: loadedRss / MiB,
  peakRssMiB: peak / MiB,
  formulaMiB: {
    canvas: estimate.canvas / MiB,
    history: estimate.history / MiB,
    batch: estimate.batch / MiB,
    activations: estimate.activations / MiB,
    activationBytesPerPixel,
    arenaGrowth: parameters.viewBatchSize > 1 ? superres.CPU_ARENA_GROWTH : 1,
    predictedPeak: predicted / MiB,
  },
  peakOverPredicted: peak / predicted,
};
if (json) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const f = (value, digits = 0) => value.toFixed(digits);
  console.log(`superres ${result.input} → ${result.output}, window ${window} / stride ${stride}: ${result.views} views × ${steps} steps, batch ${result.viewBatchSize} (${result.unetCalls} UNet calls)`);
  console.log(`  wall ${f(result.wallSeconds, 1)} s, in ModelSession.run ${f(result.inRunSeconds, 1)} s, outside ${f(outsideShare * 100, 2)} % (goal ≤ 5 %)`);
  console.log(
    `  peak RSS ${f(result.peakRssMiB)} MiB; formula: loaded ${f(result.loadedRssMiB)} + canvas ${f(result.formulaMiB.canvas)} + history ${f(result.formulaMiB.history)} + batch ${f(result.formulaMiB.batch)} + runtime ${f(result.formulaMiB.activations)} (A = ${f(activationBytesPerPixel)} B/px, g = ${result.formulaMiB.arenaGrowth}) = ${f(result.formulaMiB.predictedPeak)} MiB; ratio ${f(result.peakOverPredicted, 3)} (goal within 15 %)`,
  );
  console.log(`  ${result.machine}`);
}
