import { WarningCodes } from '../events/warning-codes.js';
import type { ModelSession } from '../backend/model-session.js';
import { invalidArgument } from '../errors/error-constructors.js';
import type { Scheduler } from '../schedulers/scheduler.js';
import { resolveSchedulerChoice } from '../schedulers/scheduler-choice.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Guidance } from './denoise.js';
import type { GenerationCall } from './generation-call.js';
import { resolveGuidanceScale } from './generation-options.js';
import type { TextToImageOptions } from './generation-types.js';
import { BASE_VARIANT, type Kandinsky3Components, type SamplerTask, type UnetVariant } from './kandinsky3-components.js';
import { UnetFeeds, type UnetConditioning } from './unet-feeds.js';

/** What the guided tasks (text → image, image → image) set up before their denoising loops. */
export interface GuidedDenoising {
  readonly scheduler: Scheduler;
  readonly guidanceScale: number;
  /** Undefined where CFG is skipped (convention B with w ≤ 1, spec §3.8). */
  readonly guidance: Guidance | undefined;
  /** The negative prompt as used (undefined without guidance). */
  readonly negativePrompt: string | undefined;
  /**
   * Loads the UNet and returns the model call of one step (on the CFG batch with guidance);
   * `conditioning` adds the task's own UNet inputs.
   */
  readonly loadPrediction: (
    conditioning?: UnetConditioning,
  ) => Promise<(input: Tensor<'float32'>, timestep: number, index: number) => Promise<Tensor<'float32'>>>;
}

/** Which UNet and sampler section a guided task uses (inpainting: its own, spec §4.5). */
export interface GuidedTask {
  /** @default BASE_VARIANT */
  readonly variant?: UnetVariant;
  /** @default 'text_to_image' */
  readonly samplerTask?: SamplerTask;
}

/**
 * Resolves the sampler, steps and guidance of a guided call and encodes its prompt (spec §4.1).
 * The UNet loads when the task asks for its prediction, after its own stages (low-memory mode
 * keeps one stage's weights resident).
 */
export async function prepareGuidedDenoising(
  components: Kandinsky3Components,
  call: GenerationCall,
  options: TextToImageOptions,
  task: GuidedTask = {},
): Promise<GuidedDenoising> {
  const variant = task.variant ?? BASE_VARIANT;
  const choice = options.scheduler === undefined ? undefined : resolveSchedulerChoice(options.scheduler);
  const kind = choice?.kind ?? options.sampler ?? (components.convention === 'A' ? 'original' : 'scheduler');
  if (kind !== 'original' && kind !== 'scheduler') {
    throw invalidArgument(
      'sampler',
      kind,
      '"original" or "scheduler"',
      'Use "original" (Kandinsky 3.1 sampler) or "scheduler" (the folder\'s diffusers scheduler).',
    );
  }
  const guidanceScale = resolveGuidanceScale(options.guidanceScale);
  const overrides = options.schedulerConfig;
  if (overrides !== undefined && (kind === 'original' || typeof overrides !== 'object' || overrides === null || Array.isArray(overrides))) {
    throw invalidArgument(
      'schedulerConfig',
      overrides,
      kind === 'original' ? 'no schedulerConfig with the original sampler' : 'a plain object of scheduler config values',
      'Pass e.g. { timestep_spacing: "leading" } with a diffusers scheduler, or leave it out.',
    );
  }
  const steps = options.steps ?? (kind === 'original' ? 50 : 25);
  const scheduler = await components.scheduler(kind, steps, {
    ...(task.samplerTask ? { task: task.samplerTask } : {}),
    ...(choice?.kind === 'scheduler' ? { choice } : {}),
    ...(overrides ? { overrides } : {}),
  });
  if (scheduler.numInferenceSteps !== steps) {
    call.warn(
      WarningCodes.STEPS_ADJUSTED,
      `${scheduler.name} runs ${scheduler.numInferenceSteps} steps, not the ${steps} asked for: its timestep grid cannot hold ${steps}.`,
    );
  }
  // diffusers/K3D skip CFG for w ≤ 1 (spec §3.8); the original code always applies it.
  const guided = components.convention === 'A' || guidanceScale > 1;
  const order = components.convention === 'A' ? 'cond-first' : 'uncond-first';
  const contexts = await components.encodePrompt(call, variant, {
    prompt: options.prompt,
    negativePrompt: options.negativePrompt,
    withUnconditional: guided,
  });
  const batch = !guided
    ? [contexts.conditional]
    : order === 'cond-first'
      ? [contexts.conditional, contexts.unconditional!]
      : [contexts.unconditional!, contexts.conditional];
  return {
    scheduler,
    guidanceScale,
    guidance: guided ? { guidanceScale, order } : undefined,
    negativePrompt: guided ? options.negativePrompt : undefined,
    loadPrediction: async (conditioning = {}) =>
      unetPrediction(await components.session(call, variant.unet), new UnetFeeds(batch, conditioning), call),
  };
}

/** A denoising loop's model call on `unet`: feeds for the step, the `noise_pred` output. */
export function unetPrediction(
  unet: ModelSession,
  feeds: UnetFeeds,
  call: GenerationCall,
): (input: Tensor<'float32'>, timestep: number, index: number) => Promise<Tensor<'float32'>> {
  const run = { signal: call.signal };
  return async (input, timestep, index) => (await unet.run(await feeds.at(input, timestep, index), run)).noise_pred as Tensor<'float32'>;
}
