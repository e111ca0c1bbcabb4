/**
 * Replays the synthetic "model" and noise of tools/reference/schedulers_dpm_kandinsky.py so the
 * TypeScript schedulers can be driven through exactly the trajectories the PyTorch references
 * recorded in fixtures/dpm-kandinsky.json.
 */
import fixture from '../fixtures/dpm-kandinsky.json';
import { createTensor, type Tensor } from '../../tensor/tensor.js';
import type { NoiseSource } from '../scheduler.js';

export { fixture };

const f32 = Math.fround;

/** Float32 values from base64 little-endian bytes. */
export function decodeFloat32(base64: string): Float32Array {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

/** The stored N(0, 1) inputs of one shape key ("small" = [2,4,8,8], "wide" = [1,3,16,16]). */
export function inputsFor(shape: string): {
  dims: number[];
  init: Float32Array;
  pattern: Float32Array;
  noise: Float32Array;
} {
  const entry = (fixture.inputs as Record<string, { shape: number[]; init: string; pattern: string; noise: string }>)[
    shape
  ];
  return {
    dims: entry.shape,
    init: decodeFloat32(entry.init),
    pattern: decodeFloat32(entry.pattern),
    noise: decodeFloat32(entry.noise),
  };
}

/** `m = a·x + (b + k·slope)·pattern` in float32, the reference's synthetic model at step k. */
export function syntheticModel(
  kind: 'epsilon' | 'sample' | 'v_prediction',
  step: number,
  x: Float32Array,
  pattern: Float32Array,
  dims: readonly number[],
): Tensor<'float32'> {
  const [a, b, slope] = (fixture.model as Record<string, number[]>)[kind];
  const scale = f32(b + step * slope);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = f32(f32(a * x[i]) + f32(scale * pattern[i]));
  return createTensor('float32', dims, out);
}

/** The reference's per-step noise: a fixed permutation of the stored noise vector. */
export function stepNoise(base: Float32Array, draw: number, dims: readonly number[]): Tensor<'float32'> {
  const n = base.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = base[(i * 7 + draw * 13) % n];
  return createTensor('float32', dims, out);
}

/** A NoiseSource that returns {@link stepNoise} for draw 0, 1, 2, … and counts its draws. */
export class ReplayNoise implements NoiseSource {
  draws = 0;
  constructor(private readonly base: Float32Array) {}
  randn(dims: readonly number[]): Tensor<'float32'> {
    return stepNoise(this.base, this.draws++, dims);
  }
}

/** Every `stride`-th element, as the fixture stores intermediate samples. */
export function strided(values: Float32Array, stride: number): Float32Array {
  const out = new Float32Array(Math.ceil(values.length / stride));
  for (let i = 0; i < out.length; i++) out[i] = values[i * stride];
  return out;
}

/** Max |a − b| and the max |b| (for relative figures). */
export function compare(actual: Float32Array, expected: Float32Array): { maxAbs: number; scale: number } {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  let maxAbs = 0;
  let scale = 0;
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (!(diff <= maxAbs)) maxAbs = Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff;
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return { maxAbs, scale };
}
