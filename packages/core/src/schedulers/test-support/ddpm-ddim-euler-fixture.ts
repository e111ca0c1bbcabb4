/**
 * Rebuilds the synthetic inputs of tools/reference/schedulers_ddpm_ddim_euler.py (closed-form
 * float32 tensors, so the fixture stores outputs only) and drives a TS scheduler through the same
 * trajectory as the PyTorch reference in fixtures/ddpm-ddim-euler.json.
 */
import fixture from '../fixtures/ddpm-ddim-euler.json';
import { createTensor, type Tensor } from '../../tensor/tensor.js';
import type { NoiseSource, Scheduler, SchedulerState, SchedulerStepOptions } from '../scheduler.js';

export { fixture };

const f32 = Math.fround;

/** One recorded reference run. */
export interface ReferenceRun {
  scheduler: string;
  config: Record<string, unknown>;
  steps: number | null;
  customTimesteps?: number[] | null;
  shape: number[];
  eta?: number;
  useClippedModelOutput?: boolean;
  churn?: number;
  timesteps: number[];
  sigmas?: number[];
  initNoiseSigma?: number;
  noiseDraws?: number;
  samples: string[];
}

export const runs = fixture.runs as unknown as ReferenceRun[];

/** Float32 values from base64 little-endian bytes. */
export function decodeFloat32(base64: string): Float32Array {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

/** Uint32 values from base64 little-endian bytes. */
export function decodeUint32(base64: string): Uint32Array {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return new Uint32Array(bytes.buffer);
}

/** `((i·mul + add) mod m − centre) / div` as float32, the reference's `synthetic`. */
function synthetic(count: number, mul: number, add: number, mod: number, centre: number, div: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (((i * mul + add) % mod) - centre) / div;
  return out;
}

const product = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

export const initialSample = (dims: readonly number[]) => synthetic(product(dims), 53, 7, 97, 48, 24);
const modelBase = (dims: readonly number[]) => synthetic(product(dims), 37, 11, 101, 50, 50);
const learnedRangeHalf = (dims: readonly number[]) => synthetic(product(dims), 29, 3, 89, 44, 44);
function learnedHalf(dims: readonly number[]): Float32Array {
  const out = new Float32Array(product(dims));
  for (let i = 0; i < out.length; i++) out[i] = (((i * 29 + 3) % 89) + 1) / 4096;
  return out;
}

/** The k-th "randn" draw of the reference's NoiseSequence. */
export function noiseDraw(k: number, dims: readonly number[]): Float32Array {
  const out = new Float32Array(product(dims));
  for (let i = 0; i < out.length; i++) out[i] = (((i * 71 + k * 131 + 5) % 199) - 99) / 50;
  return out;
}

/** A NoiseSource replaying the reference's draws, recording each requested shape. */
export class ReplayNoise implements NoiseSource {
  count = 0;
  readonly shapes: number[][] = [];
  randn(dims: readonly number[]): Tensor<'float32'> {
    this.shapes.push([...dims]);
    return createTensor('float32', dims, noiseDraw(this.count++, dims));
  }
}

/** `0.875·x + (t/1024)·base` in float32 (+ the variance half for learned variance types). */
export function modelOutput(x: Float32Array, dims: readonly number[], t: number, extra?: 'learned' | 'learned_range'): Tensor<'float32'> {
  const base = modelBase(dims);
  const scale = t / 1024;
  const size = x.length;
  if (extra === undefined) {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = f32(f32(x[i] * 0.875) + f32(scale * base[i]));
    return createTensor('float32', dims, out);
  }
  // [B, 2C, ...]: torch.cat along dim 1 (batch is 1 in the fixture)
  const half = extra === 'learned' ? learnedHalf(dims) : learnedRangeHalf(dims);
  const out = new Float32Array(size * 2);
  for (let i = 0; i < size; i++) out[i] = f32(f32(x[i] * 0.875) + f32(scale * base[i]));
  out.set(half, size);
  const outDims = [...dims];
  outDims[1] *= 2;
  return createTensor('float32', outDims, out);
}

const maxAbs = (values: Float32Array) => values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/**
 * Max |actual − expected|, and the same divided by the step's magnitude scale
 * max(1, max|expected|, max|input sample|): float32 results carry rounding proportional to the
 * largest value involved (σ-space samples reach 2·10⁴ with the cosine schedule).
 */
export function stepErrors(
  actual: Float32Array,
  expected: Float32Array,
  input: Float32Array,
): { absolute: number; scaled: number } {
  let absolute = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= absolute)) absolute = d; // NaN propagates
  }
  if (actual.length !== expected.length) absolute = Number.NaN;
  return { absolute, scaled: absolute / Math.max(1, maxAbs(expected), maxAbs(input)) };
}

/**
 * Runs `scheduler` through `run` and returns, per step, the error against the reference sample.
 * The model is fed `scaleModelInput(x)`; the initial sample is scaled by `initNoiseSigma`.
 */
export function replay(
  scheduler: Scheduler,
  run: ReferenceRun,
  stepOptions: Partial<SchedulerStepOptions> & Record<string, unknown> = {},
): { errors: { absolute: number; scaled: number }[]; noise: ReplayNoise } {
  const dims = run.shape;
  const extra =
    run.config.variance_type === 'learned' || run.config.variance_type === 'learned_range'
      ? (run.config.variance_type as 'learned' | 'learned_range')
      : undefined;
  let x = initialSample(dims);
  if (scheduler.initNoiseSigma !== 1) {
    const sigma = scheduler.initNoiseSigma;
    x = x.map((v) => f32(v * sigma));
  }
  const state: SchedulerState = scheduler.createState();
  const noise = new ReplayNoise();
  const errors: { absolute: number; scaled: number }[] = [];
  scheduler.timesteps.forEach((t, k) => {
    const sample = createTensor('float32', dims, x);
    const input = scheduler.scaleModelInput(sample, t, state);
    const output = modelOutput(input.data, dims, t, extra);
    const next = scheduler.step(output, t, sample, state, { generator: noise, ...stepOptions }).prevSample;
    errors.push(stepErrors(next.data, decodeFloat32(run.samples[k]), x));
    x = next.data;
  });
  return { errors, noise };
}

/** Float32 precision bound on the scaled per-step error (see {@link stepErrors}). */
export const SCALED_TOLERANCE = 2e-6;

/** A short label for a run: its config minus the defaults shared by the family. */
export function runLabel(run: ReferenceRun): string {
  const config = Object.entries(run.config)
    .filter(([key]) => !key.startsWith('_'))
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join(' ');
  const extras =
    (run.eta !== undefined ? ` eta=${run.eta}${run.useClippedModelOutput ? ' clipped-eps' : ''}` : '') +
    (run.churn ? ` churn=${run.churn}` : '');
  return `N=${run.steps ?? `custom ${JSON.stringify(run.customTimesteps)}`}${extras} ${config}`;
}
