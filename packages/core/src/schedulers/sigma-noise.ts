import { kandinskyError } from '../errors/error-constructors.js';
import { describeValue } from '../errors/kandinsky-error.js';
import { assertDims, assertDtype, createTensor, type Tensor } from '../tensor/tensor.js';

/**
 * `x0 + σ·z`: the forward diffusion of the σ-space schedulers (Euler, Euler a, Heun), diffusers'
 * `add_noise` for them (img2img, spec §4.4).
 */
export function addSigmaNoise(original: Tensor<'float32'>, noise: Tensor<'float32'>, sigma: number): Tensor<'float32'> {
  assertDtype('original', original, 'float32');
  assertDtype('noise', noise, 'float32');
  assertDims('noise', noise, original.dims);
  const result = createTensor('float32', original.dims);
  const x = original.data;
  const z = noise.data;
  const y = result.data;
  for (let i = 0; i < y.length; i++) y[i] = x[i]! + z[i]! * sigma;
  return result;
}

/** The first position of `timestep` in a σ-space schedule; INVALID_ARGUMENT when it is not there. */
export function timestepIndex(name: string, timesteps: readonly number[], timestep: number): number {
  const index = timesteps.indexOf(timestep);
  if (index < 0) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `Timestep ${describeValue(timestep)} is not in the current ${name} schedule.`,
      'Pass one of scheduler.timesteps (these timesteps are fractional).',
      { timestep },
    );
  }
  return index;
}
