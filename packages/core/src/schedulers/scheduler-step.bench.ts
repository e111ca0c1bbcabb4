import { bench, describe } from 'vitest';
import { createTensor } from '../tensor/tensor.js';
import { DDIMScheduler } from './ddim-scheduler.js';
import { DDPMScheduler } from './ddpm-scheduler.js';
import { EulerDiscreteScheduler } from './euler-discrete-scheduler.js';

// One step on a 4×128×128 latent (1024² images) against plain copies of the same size: the goal is
// a step within 3× of a copy (one fused pass, output written into options.out). `set` is a memcpy
// of a cache-resident buffer (~2 µs), out of reach of any per-element JS loop; the element loop
// is the fair baseline for a fused pass.
const dims = [1, 4, 128, 128];
const size = 4 * 128 * 128;
const sample = createTensor('float32', dims, new Float32Array(size).map((_, i) => Math.sin(i)));
const output = createTensor('float32', dims, new Float32Array(size).map((_, i) => Math.cos(i)));
const noise = createTensor('float32', dims, new Float32Array(size).map((_, i) => Math.sin(3 * i)));
const out = createTensor('float32', dims);

const ddpm = new DDPMScheduler({ beta_schedule: 'squaredcos_cap_v2', clip_sample: true, steps_offset: 1 });
ddpm.setTimesteps(25);
const ddim = new DDIMScheduler({ beta_schedule: 'squaredcos_cap_v2' }, { eta: 0 });
ddim.setTimesteps(25);
const euler = new EulerDiscreteScheduler({ beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 });
euler.setTimesteps(25);

describe('scheduler step, 4×128×128', () => {
  bench('Float32Array.set copy (memcpy)', () => {
    out.data.set(sample.data);
  });
  bench('Float32Array element-loop copy (baseline)', () => {
    const source = sample.data;
    const target = out.data;
    for (let i = 0; i < source.length; i++) target[i] = source[i];
  });
  bench('DDPM step (noise, clip)', () => {
    ddpm.step(output, 961, sample, ddpm.createState(), { noise, out });
  });
  bench('DDIM step (eta 0, clip)', () => {
    ddim.step(output, ddim.timesteps[0], sample, ddim.createState(), { out });
  });
  bench('Euler step', () => {
    euler.step(output, euler.timesteps[0], sample, euler.createState(), { out });
  });
  bench('DDPM step, general path (returnPredOriginalSample)', () => {
    ddpm.step(output, 961, sample, ddpm.createState(), { noise, out, returnPredOriginalSample: true });
  });
});
