import type { AbortSignalLike } from '../abort/abort-signal-like.js';
import { throwIfAborted } from '../abort/throw-if-aborted.js';
import { classifierFreeGuidanceBatched, type GuidanceBatchOrder } from '../guidance/classifier-free-guidance.js';
import type {
  NoiseSource,
  Scheduler,
  SchedulerState,
  SchedulerStepOptions,
  SchedulerStepResult,
} from '../schedulers/scheduler.js';
import { createTensor, type Tensor } from '../tensor/tensor.js';
import { checkFunction, checkObject } from '../errors/argument-checks.js';
import { invalidArgument } from '../errors/error-constructors.js';

/** Classifier-free guidance of a denoising loop (spec §3.8). */
export interface Guidance {
  /** Kandinsky's w in `(w + 1)·cond − w·uncond`. */
  readonly guidanceScale: number;
  /** Which half of the model's batch is conditional: `'cond-first'` in the original code. */
  readonly order: GuidanceBatchOrder;
}

/** One finished step, as {@link DenoiseOptions.onStep} receives it. */
export interface DenoiseStep {
  /** 0-based index among the steps this loop runs. */
  readonly index: number;
  /** How many steps this loop runs. */
  readonly total: number;
  readonly timestep: number;
  /** The scheduler's x0 estimate, when it computes one. */
  readonly predOriginalSample: Tensor<'float32'> | undefined;
}

/** Options of {@link denoise}. */
export interface DenoiseOptions {
  /** The scheduler, with its timesteps set. Shared: the loop keeps its trajectory in its own state. */
  scheduler: Scheduler;
  /** The sample at the first timestep run (not modified). */
  latent: Tensor<'float32'>;
  /**
   * Index into `scheduler.timesteps` of the first step (image → image starts part-way, spec §4.4).
   * @default 0
   */
  startIndex?: number;
  /**
   * The noise of stochastic steps; the same generator that drew the start latent, so the stream
   * continues as in the PyTorch references.
   * @default undefined (deterministic schedulers only)
   */
  generator?: NoiseSource;
  /**
   * When set, `predict` returns the CFG batch `[2B, …]` and the loop forms the guided prediction.
   * @default undefined (`predict` returns the prediction itself)
   */
  guidance?: Guidance;
  /** The model call of one step: the scaled input at `timestep`, returning the model's output. */
  predict: (input: Tensor<'float32'>, timestep: number, index: number) => Promise<Tensor<'float32'>>;
  /** Called after every step (progress, previews). @default undefined */
  onStep?: (step: DenoiseStep) => void | Promise<void>;
  /** Checked before every step (throws ABORTED). @default undefined */
  signal?: AbortSignalLike;
}

/**
 * The denoising loop every latent task shares: per timestep, scale the sample, run the model,
 * then {@link guidedStep}. Returns the final sample.
 */
export async function denoise(options: DenoiseOptions): Promise<Tensor<'float32'>> {
  checkObject('options', options, 'an options object { scheduler, latent, generator, predict }', 'See DenoiseOptions.');
  checkScheduler(options.scheduler);
  checkFunction('options.predict', options.predict, 'a function (sample, timestep, index) => model output', 'See DenoiseOptions.');
  const { scheduler, generator, guidance, predict, onStep, signal } = options;
  const startIndex = options.startIndex ?? 0;
  const timesteps = scheduler.timesteps.slice(startIndex);
  const state = scheduler.createState();
  state.stepIndex = startIndex;
  // Steps write into two buffers in turn, never into the sample they read: a 1024² latent is
  // 256 KiB, and fresh ones each step kept the garbage collector busy.
  const buffers = [createTensor('float32', options.latent.dims), createTensor('float32', options.latent.dims)];
  const stepOptions: SchedulerStepOptions[] = buffers.map((out) => ({
    ...(generator ? { generator } : {}),
    out,
    returnPredOriginalSample: onStep !== undefined,
  }));
  let x = options.latent;
  for (let index = 0; index < timesteps.length; index++) {
    throwIfAborted(signal, 'Denoising');
    const timestep = timesteps[index]!;
    const output = await predict(scheduler.scaleModelInput(x, timestep, state), timestep, index);
    const step = guidedStep(scheduler, output, guidance, timestep, x, state, stepOptions[index % 2]!);
    x = step.prevSample;
    if (onStep) await onStep({ index, total: timesteps.length, timestep, predOriginalSample: step.predOriginalSample });
  }
  return x;
}

/**
 * One scheduler step from a model output: with `guidance`, the output is the CFG batch and the
 * guided prediction `(w + 1)·cond − w·uncond` (float32, written over the conditional half) is
 * what the scheduler steps on. The entry point for every scheduler.
 */
export function guidedStep(
  scheduler: Scheduler,
  modelOutput: Tensor<'float32'>,
  guidance: Guidance | undefined,
  timestep: number,
  sample: Tensor<'float32'>,
  state: SchedulerState,
  options: SchedulerStepOptions,
): SchedulerStepResult {
  checkScheduler(scheduler);
  if (guidance !== undefined) checkObject('guidance', guidance, 'a Guidance { order, guidanceScale } or undefined', 'Leave it out without guidance.');
  const prediction = guidance ? classifierFreeGuidanceBatched(modelOutput, guidance) : modelOutput;
  return scheduler.step(prediction, timestep, sample, state, options);
}

function checkScheduler(scheduler: unknown): asserts scheduler is Scheduler {
  const hint = 'Pass a scheduler (createScheduler, Kandinsky3Sampler, FlashSampler) after setTimesteps.';
  checkObject('scheduler', scheduler, 'a Scheduler', hint);
  for (const key of ['step', 'createState'] as const) checkFunction(`scheduler.${key}`, (scheduler as Record<string, unknown>)[key], 'a function', hint);
  if (!Array.isArray((scheduler as { timesteps?: unknown }).timesteps)) throw invalidArgument('scheduler.timesteps', (scheduler as { timesteps?: unknown }).timesteps, 'an array', hint);
}
