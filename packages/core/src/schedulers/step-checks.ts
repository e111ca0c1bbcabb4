import { describeValue } from '../errors/kandinsky-error.js';
import { invalidArgument, kandinskyError } from '../errors/error-constructors.js';
import { assertDims, assertDtype, createTensor, type Tensor } from '../tensor/tensor.js';
import type { SchedulerState, SchedulerStepOptions } from './scheduler.js';

/**
 * Trajectory state of the single-step schedulers (DDPM, DDIM, EulerDiscrete): the step index
 * and the schedule it belongs to.
 */
export interface SingleStepSchedulerState extends SchedulerState {
  /** Identifies the schedule the state was created for (a new `setTimesteps` invalidates it). */
  scheduleId: number;
}

let nextScheduleId = 1;

/** A process-wide unique id for a freshly built schedule. */
export function newScheduleId(): number {
  return nextScheduleId++;
}

/** Throws SCHEDULER_STATE when no schedule has been built yet. */
export function assertScheduleReady(name: string, timesteps: readonly number[], action: string): void {
  if (timesteps.length === 0) {
    throw kandinskyError(
      'SCHEDULER_STATE',
      `${name}.${action}() was called before setTimesteps().`,
      'Call scheduler.setTimesteps(steps) first, then createState().',
    );
  }
}

/** A validated begin index for `createState` (img2img starts part-way, spec §4.4). */
export function checkBeginIndex(beginIndex: unknown, stepCount: number): number {
  if (typeof beginIndex !== 'number' || !Number.isInteger(beginIndex) || beginIndex < 0 || beginIndex > stepCount) {
    throw invalidArgument(
      'beginIndex',
      beginIndex,
      `an integer in [0, ${stepCount}]`,
      'Pass the startIndex returned by strengthTimesteps(), or 0 for a full run.',
      { stepCount },
    );
  }
  return beginIndex;
}

/**
 * Checks that `state` belongs to the current schedule, is not past the end, and that `timestep`
 * is the one it expects. Returns the step index.
 */
export function checkStepPosition(
  name: string,
  timesteps: readonly number[],
  scheduleId: number,
  state: SingleStepSchedulerState,
  timestep: number,
): number {
  assertScheduleReady(name, timesteps, 'step');
  if (state.scheduleId !== scheduleId) {
    throw kandinskyError(
      'SCHEDULER_STATE',
      `This ${name} state was created before the last setTimesteps call.`,
      'Create a new state with createState() after every setTimesteps().',
    );
  }
  const index = state.stepIndex;
  if (!Number.isInteger(index) || index < 0 || index >= timesteps.length) {
    throw kandinskyError(
      'SCHEDULER_STATE',
      `Step index ${describeValue(index)} is past the end of the ${timesteps.length}-step schedule.`,
      'Run exactly numInferenceSteps steps per state, or call setTimesteps/createState again.',
      { stepIndex: index, numInferenceSteps: timesteps.length },
    );
  }
  if (timestep !== timesteps[index]) {
    throw kandinskyError(
      'SCHEDULER_STATE',
      `step() got timestep ${describeValue(timestep)} but the state expects ${timesteps[index]} (step ${index}).`,
      'Iterate over scheduler.timesteps in order and pass each one once per state.',
      { timestep, expected: timesteps[index], stepIndex: index },
    );
  }
  return index;
}

/** Checks dtypes and shapes of a step's tensors; returns the output tensor (given or new). */
export function prepareStepTensors(
  modelOutput: Tensor<'float32'>,
  sample: Tensor<'float32'>,
  expectedModelDims: readonly number[],
  options: SchedulerStepOptions,
): Tensor<'float32'> {
  assertDtype('sample', sample, 'float32');
  assertDtype('modelOutput', modelOutput, 'float32');
  assertDims('modelOutput', modelOutput, expectedModelDims);
  const out = options.out ?? createTensor('float32', sample.dims);
  assertDtype('options.out', out, 'float32');
  assertDims('options.out', out, sample.dims);
  return out;
}

/**
 * The noise of a stochastic step: `options.noise` when given, else one `options.generator.randn`
 * draw of the sample's dims (the call diffusers makes at this point, so a PyTorch-compatible
 * generator yields PyTorch's numbers). Throws INVALID_ARGUMENT when neither is given.
 */
export function drawStepNoise(
  name: string,
  timestep: number,
  dims: readonly number[],
  options: SchedulerStepOptions,
): Float32Array {
  if (options.noise !== undefined) {
    assertDtype('options.noise', options.noise, 'float32');
    assertDims('options.noise', options.noise, dims);
    return options.noise.data;
  }
  if (options.generator === undefined) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `${name} adds noise at timestep ${timestep} but neither options.generator nor options.noise was given.`,
      'Pass a seeded generator (e.g. a TorchGenerator) in the step options.',
      { timestep },
    );
  }
  const noise = options.generator.randn(dims);
  assertDtype('generator noise', noise, 'float32');
  assertDims('generator noise', noise, dims);
  return noise.data;
}

/** Throws INVALID_ARGUMENT unless `timestep` is an integer in [0, count). */
export function checkTrainingTimestep(timestep: unknown, count: number): number {
  if (typeof timestep !== 'number' || !Number.isInteger(timestep) || timestep < 0 || timestep >= count) {
    throw invalidArgument('timestep', timestep, `an integer in [0, ${count - 1}]`, 'Pass one of scheduler.timesteps.');
  }
  return timestep;
}

/** `√ᾱ_t·x0 + √(1−ᾱ_t)·z` over float32 tensors (forward diffusion, spec §3.3 / §4.4). */
export function forwardDiffuse(
  original: Tensor<'float32'>,
  noise: Tensor<'float32'>,
  alphaCumprod: number,
): Tensor<'float32'> {
  assertDtype('original', original, 'float32');
  assertDtype('noise', noise, 'float32');
  assertDims('noise', noise, original.dims);
  // Float32 scalars, as diffusers' `alphas_cumprod[t] ** 0.5` tensors.
  const signal = Math.fround(Math.sqrt(alphaCumprod));
  const noiseScale = Math.fround(Math.sqrt(Math.fround(1 - alphaCumprod)));
  const result = createTensor('float32', original.dims);
  const x = original.data;
  const z = noise.data;
  const y = result.data;
  for (let i = 0; i < y.length; i++) y[i] = signal * x[i] + noiseScale * z[i];
  return result;
}

/** INVALID_ARGUMENT unless `state` looks like a scheduler state (an object with a numeric stepIndex). */
export function checkSchedulerState(state: unknown): asserts state is SchedulerState {
  if (typeof state !== 'object' || state === null || typeof (state as { stepIndex?: unknown }).stepIndex !== 'number') {
    throw invalidArgument('state', state, 'a scheduler state { stepIndex, … }', 'Pass a state from this scheduler’s createState().');
  }
}
