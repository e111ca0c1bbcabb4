/**
 * Drives the TS schedulers through the runs of tools/reference/schedulers_ancestral_heun_lcm_unipc.py
 * (fixtures/ancestral-heun-lcm-unipc.json): diffusers' own unit-test loops and one config option at
 * a time, with seeded torch noise reproduced by TorchGenerator.
 */
import fixture from '../fixtures/ancestral-heun-lcm-unipc.json';
import { TorchGenerator } from '../../noise/torch-generator.js';
import { createTensor, type Tensor } from '../../tensor/tensor.js';
import type { Scheduler } from '../scheduler.js';
import { decodeFloat32, initialSample, modelOutput, stepErrors } from './ddpm-ddim-euler-fixture.js';

export { decodeFloat32 };

const f32 = Math.fround;

/** One of diffusers' unit-test loops, rerun by the reference. */
export interface DiffusersTestRun {
  name: string;
  scheduler: string;
  config: Record<string, unknown>;
  /** `sigma`: the Euler/Heun tests (the *scaled* sample is stepped); `plain`: LCM/UniPC tests. */
  loop: 'sigma' | 'plain';
  steps: number;
  noiseStart: number | null;
  /** What diffusers' test asserts (`abs(sum − expected) < 1e-2`); null where it asserts only the mean. */
  expectedSum: number | null;
  /** What diffusers' test asserts (`abs(mean − expected) < 1e-3`). */
  expectedMean: number;
  source: string;
  sum: number;
  mean: number;
  sample: string;
}

/** One per-option reference run: the sample after every step. */
export interface OptionRun {
  scheduler: string;
  config: Record<string, unknown>;
  steps: number;
  startIndex: number;
  shape: number[];
  seed: number;
  timesteps: number[];
  sigmas: number[] | null;
  initNoiseSigma: number;
  samples: string[];
  originals: string[];
}

export const diffusersTests = fixture.diffusersTests as unknown as DiffusersTestRun[];
export const optionRuns = fixture.runs as unknown as OptionRun[];

const DUMMY_DIMS = [4, 3, 8, 8];

/** diffusers' `dummy_sample_deter` (or `dummy_noise_deter` with `flipped`): arange / 768, permuted. */
export function dummySample(flipped = false): Float32Array {
  const out = new Float32Array(768);
  for (let b = 0; b < 4; b++) {
    for (let c = 0; c < 3; c++) {
      for (let h = 0; h < 8; h++) {
        for (let w = 0; w < 8; w++) {
          const k = ((c * 8 + h) * 8 + w) * 4 + b;
          out[((b * 3 + c) * 8 + h) * 8 + w] = (flipped ? 767 - k : k) / 768;
        }
      }
    }
  }
  return out;
}

/** diffusers' `dummy_model`: `sample · t / (t + 1)` in float32. */
function dummyModel(sample: Float32Array, t: number): Tensor<'float32'> {
  const time = f32(t);
  const divisor = f32(time + 1);
  return createTensor('float32', DUMMY_DIMS, sample.map((v) => f32(v * time) / divisor));
}

/** Reruns one of diffusers' test loops on `scheduler`; returns the final sample. */
export function rerunDiffusersTest(scheduler: Scheduler & { order?: number }, run: DiffusersTestRun): Float32Array {
  scheduler.setTimesteps(run.steps);
  const generator = new TorchGenerator(0);
  const state = scheduler.createState();
  let sample = dummySample();
  let timesteps = scheduler.timesteps;
  if (run.loop === 'sigma') sample = sample.map((v) => f32(v * scheduler.initNoiseSigma));
  if (run.noiseStart !== null) {
    const start = run.noiseStart * (scheduler.order ?? 1);
    timesteps = timesteps.slice(start);
    const noisy = scheduler.addNoise(createTensor('float32', DUMMY_DIMS, sample), createTensor('float32', DUMMY_DIMS, dummySample(true)), timesteps[0]!);
    sample = noisy.data;
    state.stepIndex = start;
  }
  for (const t of timesteps) {
    let x = createTensor('float32', DUMMY_DIMS, sample);
    if (run.loop === 'sigma') x = scheduler.scaleModelInput(x, t, state);
    sample = scheduler.step(dummyModel(x.data, t), t, x, state, { generator }).prevSample.data;
  }
  return sample;
}

/** Sum and mean of |x| in float64. */
export function absoluteSumAndMean(values: Float32Array): { sum: number; mean: number } {
  let sum = 0;
  for (const v of values) sum += Math.abs(v);
  return { sum, mean: sum / values.length };
}

/** Max |a − b| / max(1, max|b|). */
export function scaledError(actual: Float32Array, expected: Float32Array): number {
  return stepErrors(actual, expected, expected).scaled;
}

/**
 * Replays an option run like the pipelines do (initial sample × initNoiseSigma, or the img2img
 * start through addNoise); returns per step the scaled error of the sample and of the x0 estimate.
 */
export function replayOptionRun(
  scheduler: Scheduler,
  run: OptionRun,
): { sampleErrors: number[]; originalErrors: number[]; draws: number } {
  const dims = run.shape;
  scheduler.setTimesteps(run.steps);
  const generator = new TorchGenerator(run.seed);
  let draws = 0;
  const counting = {
    randn: (d: readonly number[]) => {
      draws++;
      return generator.randn(d);
    },
  };
  const state = scheduler.createState();
  let x = initialSample(dims);
  const timesteps = scheduler.timesteps.slice(run.startIndex);
  if (run.startIndex > 0) {
    const noise = createTensor('float32', dims, initialSample(dims).map((v) => v * 0.5));
    x = scheduler.addNoise(createTensor('float32', dims, x), noise, timesteps[0]!).data;
    state.stepIndex = run.startIndex;
  } else if (scheduler.initNoiseSigma !== 1) {
    const sigma = scheduler.initNoiseSigma;
    x = x.map((v) => f32(v * sigma));
  }
  const sampleErrors: number[] = [];
  const originalErrors: number[] = [];
  timesteps.forEach((t, k) => {
    const sample = createTensor('float32', dims, x);
    const input = scheduler.scaleModelInput(sample, t, state);
    const output = modelOutput(input.data, dims, t);
    const result = scheduler.step(output, t, sample, state, { generator: counting, returnPredOriginalSample: true });
    sampleErrors.push(stepErrors(result.prevSample.data, decodeFloat32(run.samples[k]!), x).scaled);
    const original = result.predOriginalSample;
    originalErrors.push(original ? scaledError(original.data, decodeFloat32(run.originals[k]!)) : Number.NaN);
    x = result.prevSample.data;
  });
  return { sampleErrors, originalErrors, draws };
}

/** A short label for a run: its config minus the class name. */
export function optionLabel(run: OptionRun): string {
  const config = Object.entries(run.config)
    .filter(([key]) => !key.startsWith('_') && key !== 'trained_betas')
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join(' ');
  const trained = 'trained_betas' in run.config ? ' trained_betas=[…]' : '';
  return `N=${run.steps}${run.startIndex ? ` from ${run.startIndex}` : ''} ${config}${trained}`;
}
