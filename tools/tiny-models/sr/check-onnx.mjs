// Loads the exported tiny SR UNet in onnxruntime-node, prints its input/output names, and replays
// reference/: the single calls, then the whole 5-step DPM-Solver++ run (spec §3.6) with the stored
// noise and lowres_up, comparing every intermediate with PyTorch.
// Usage: node tools/tiny-models/sr/check-onnx.mjs [modelDir]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
const modelDir = process.argv[2] ?? resolve(here, '../../../models/tiny/kandisuperres-x4');
const require = createRequire(resolve(here, '../../../package.json'));
const ort = require('onnxruntime-node');

const referenceDir = resolve(modelDir, 'reference');
const load = (ref) => {
  const bytes = readFileSync(resolve(referenceDir, ref.file));
  const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return new ort.Tensor('float32', Float32Array.from(data), ref.dims);
};
const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

const index = JSON.parse(readFileSync(resolve(modelDir, 'model_index.json'), 'utf8'));
const session = await ort.InferenceSession.create(resolve(modelDir, index.components.sr_unet, 'model.onnx'), { intraOpNumThreads: 1 });
console.log('inputs ', session.inputNames.join(' '));
console.log('outputs', session.outputNames.join(' '));

let worst = 0;
for (let i = 0; i < 3; i++) {
  const ref = JSON.parse(readFileSync(resolve(referenceDir, `sr-unet-call-${i}.json`), 'utf8'));
  const out = await session.run({ sample: load(ref.inputs.sample), timestep: load(ref.inputs.timestep), lowres: load(ref.inputs.lowres) });
  const diff = maxDiff(out.x0.data, load(ref.outputs.x0).data);
  worst = Math.max(worst, diff);
  console.log(`call ${i} dims ${out.x0.dims.join('x')} max abs diff ${diff.toExponential(2)}`);
}

const run = JSON.parse(readFileSync(resolve(referenceDir, 'sr-run-5-steps.json'), 'utf8'));
const lowres = load(run.inputs.lowres_up);
let x = load(run.inputs.noise).data;
let previous = null;
let runWorst = 0;
for (let step = 0; step < run.timesteps.length; step++) {
  const sample = new ort.Tensor('float32', x, lowres.dims);
  runWorst = Math.max(runWorst, maxDiff(x, load(run.outputs[`step${step}_sample`]).data));
  const out = await session.run({ sample, timestep: new ort.Tensor('float32', Float32Array.of(run.timesteps[step]), [1]), lowres });
  const m = out.x0.data;
  runWorst = Math.max(runWorst, maxDiff(m, load(run.outputs[`step${step}_x0`]).data));
  const [a, b, c] = run.solver_coefficients[step];
  const next = new Float32Array(m.length);
  for (let j = 0; j < m.length; j++) next[j] = a * x[j] + b * m[j] + (previous && c !== 0 ? c * previous[j] : 0);
  previous = m;
  x = next;
}
runWorst = Math.max(runWorst, maxDiff(x, load(run.outputs.image).data));
console.log(`5-step run: max abs diff over every intermediate ${runWorst.toExponential(2)}`);

// Fully convolutional: a 32x48 -> 128x192 canvas runs with the same graph.
const big = new ort.Tensor('float32', new Float32Array(3 * 128 * 192), [1, 3, 128, 192]);
const bigOut = await session.run({ sample: big, timestep: new ort.Tensor('float32', Float32Array.of(999), [1]), lowres: big });
console.log(`128x192 canvas -> x0 dims ${bigOut.x0.dims.join('x')}`);
process.exit(worst < 1e-4 && runWorst < 1e-3 ? 0 : 1);
