import { kandinskyError } from '../errors/error-constructors.js';
import { describeValue } from '../errors/kandinsky-error.js';
import type { Scheduler } from '../schedulers/scheduler.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Guidance } from './denoise.js';
import type { GenerationCall } from './generation-call.js';
import { resolveGuidanceScale } from './generation-options.js';
import { encodeK3dPrompt, type K3dPromptVariant } from './k3d-prompt-encoder.js';
import { Kandinsky3Components, type Kandinsky3ComponentsOptions } from './kandinsky3-components.js';
import type { EncodedPrompt } from './prompt-encoder.js';

/** What a convention-C (K3D) folder of one task must hold. */
export interface K3dFolderRequirement {
  /** The task, for messages ("IP-Adapter", "ControlNet"). */
  readonly task: string;
  /**
   * Each accepted `unet/config.json` `variant` (docs/model-format.md §3.5, §3.6) with the roles the
   * task then loads besides the text stack and the MoVQ decoder.
   */
  readonly variants: Readonly<Record<string, readonly string[]>>;
  /** The folder the user probably meant (for the hint). */
  readonly example: string;
}

/**
 * The shared components of a convention-C folder, after checking that it is the right variant
 * for the task (an IP-Adapter call on the base folder fails here with INVALID_MODEL_MANIFEST,
 * before any model loads, instead of inside ONNX Runtime).
 */
export async function createK3dComponents(
  options: Kandinsky3ComponentsOptions,
  requirement: K3dFolderRequirement,
): Promise<Kandinsky3Components> {
  const components = await Kandinsky3Components.create({ ...options, conventions: ['C'] });
  const { folder } = components;
  const name = JSON.stringify(folder.index.variant.name);
  const variant = folder.has('unet') ? (await folder.config('unet')).variant : undefined;
  const roles = typeof variant === 'string' && Object.hasOwn(requirement.variants, variant) ? requirement.variants[variant]! : undefined;
  const missing = ['tokenizer', 'text_encoder', 'text_projection', 'unet', 'movq_decoder', 'scheduler', ...(roles ?? [])].filter(
    (role) => !folder.has(role),
  );
  if (roles === undefined || missing.length > 0) {
    const expected = Object.entries(requirement.variants)
      .map(([name, extra]) => `a unet of variant ${JSON.stringify(name)}${extra.length > 0 ? ` with ${extra.join(', ')}` : ''}`)
      .join(', or ');
    throw kandinskyError(
      'INVALID_MODEL_MANIFEST',
      `The model ${name} is not a ${requirement.task} folder: ` +
        (roles === undefined ? `its unet is the ${describeValue(variant)} variant` : `it has no ${missing.join(', ')} component`) +
        ` (a ${requirement.task} folder has ${expected}).`,
      `Open a ${requirement.task} folder, e.g. ${requirement.example}.`,
      { missing, variant, expectedVariants: Object.keys(requirement.variants) },
    );
  }
  return components;
}

/** Steps, guidance and prompt of a K3D call, resolved. */
export interface K3dDenoising {
  /** The folder's diffusers scheduler (spec §3.3) with its timesteps set. */
  readonly scheduler: Scheduler;
  readonly guidanceScale: number;
  /** Undefined when w ≤ 1: the K3D pipelines skip CFG then (spec §3.8). */
  readonly guidance: Guidance | undefined;
  /** The CFG batch `[uncond, cond]` (or `[cond]` without guidance). */
  readonly contexts: readonly EncodedPrompt[];
  readonly negativePrompt: string | undefined;
}

/**
 * The scheduler and prompt contexts of a K3D call (spec §4.1 C, §3.3, §3.8): batch order
 * `[uncond, cond]` like diffusers, CFG only for w > 1.
 */
export async function prepareK3dDenoising(
  components: Kandinsky3Components,
  call: GenerationCall,
  options: {
    readonly variant: K3dPromptVariant;
    readonly prompt: string;
    readonly negativePrompt: string | undefined;
    readonly steps: number;
    readonly guidanceScale: number;
  },
): Promise<K3dDenoising> {
  const guidanceScale = resolveGuidanceScale(options.guidanceScale);
  const guided = guidanceScale > 1;
  const scheduler = await components.scheduler('scheduler', options.steps);
  const encoder = await components.session(call, 'text_encoder');
  const projection = await components.session(call, 'text_projection');
  const run = { signal: call.signal };
  const contexts = await call.stage('encode-prompt', 'text_encoder', () =>
    encodeK3dPrompt(
      {
        tokenizer: components.tokenizer,
        encode: async (ids, mask) =>
          (await encoder.run({ input_ids: ids, attention_mask: mask }, run)).last_hidden_state as Tensor<'float32'>,
        project: async (hidden) => (await projection.run({ hidden }, run)).context as Tensor<'float32'>,
      },
      {
        variant: options.variant,
        prompt: options.prompt,
        negativePrompt: options.negativePrompt ?? '',
        withUnconditional: guided,
        warn: (code, message) => call.warn(code, message),
      },
    ),
  );
  await components.releaseAfterStage(['text_encoder', 'text_projection']);
  return {
    scheduler,
    guidanceScale,
    guidance: guided ? { guidanceScale, order: 'uncond-first' } : undefined,
    contexts: guided ? [contexts.unconditional!, contexts.conditional] : [contexts.conditional],
    negativePrompt: guided ? (options.negativePrompt ?? '') : undefined,
  };
}
