import { concatChannels } from '../tensor/concat-channels.js';
import { createTensor, type Tensor } from '../tensor/tensor.js';
import type { EncodedPrompt } from './prompt-encoder.js';
import { checkArray, checkFiniteNumber, checkInteger, checkObject, checkOptionalObject, checkTensor } from '../errors/argument-checks.js';
import { invalidArgument } from '../errors/error-constructors.js';

/**
 * What a task adds to the UNet's inputs beyond sample, timestep and prompt context, without
 * touching the denoising loop. Batched tensors must already hold one row per CFG batch item.
 */
export interface UnetConditioning {
  /**
   * Latent channels appended to every step's sample, `[1, C, h, w]` (inpainting: the mask and the
   * masked image's latent, spec §2.5, making the 9-channel input).
   * @default undefined
   */
  extraChannels?: Tensor<'float32'>;
  /**
   * Inputs fed unchanged on every step (IP-Adapter `image_embeds` and `ip_scale`, spec §2.7; a
   * ControlNet `hint`, spec §2.8).
   * @default {}
   */
  inputs?: Readonly<Record<string, Tensor>>;
  /**
   * Inputs computed for each step from its sample, e.g. ControlNet residuals.
   * @default undefined
   */
  perStep?: (sample: Tensor<'float32'>, timestep: number, index: number) => Promise<Record<string, Tensor>>;
}

/**
 * The UNet feeds of one generation call (spec §3.8: the prompt contexts stacked into one CFG
 * batch, built once per call), plus the task's {@link UnetConditioning}. The feeds of a step are
 * valid until the next step's are made.
 */
export class UnetFeeds {
  readonly #count: number;
  readonly #context: Tensor<'float32'>;
  readonly #mask: Tensor<'int64'>;
  readonly #conditioning: UnetConditioning;
  #sample: Tensor<'float32'> | undefined;

  /**
   * @param contexts The batch items in order, e.g. `[cond, uncond]` (each `[1, L, D]`).
   * @param conditioning What the task adds (see {@link UnetConditioning}).
   */
  constructor(contexts: readonly EncodedPrompt[], conditioning: UnetConditioning = {}) {
    checkArray('contexts', contexts, 'a non-empty array of encoded prompts { context, mask }', 'Pass e.g. [conditional, unconditional].');
    if (contexts.length === 0) throw invalidArgument('contexts', contexts, 'a non-empty array of encoded prompts', 'Pass at least the conditional prompt.');
    contexts.forEach((item, i) => {
      checkObject(`contexts[${i}]`, item, 'an encoded prompt { context, mask }', 'Pass the output of encodePrompt.');
      checkTensor(`contexts[${i}].context`, item.context);
      checkTensor(`contexts[${i}].mask`, item.mask);
    });
    checkOptionalObject('conditioning', conditioning);
    const count = contexts.length;
    const [, length, width] = contexts[0]!.context.dims as [number, number, number];
    this.#count = count;
    this.#context = createTensor('float32', [count, length, width]);
    this.#mask = createTensor('int64', [count, length]);
    contexts.forEach((item, i) => {
      this.#context.data.set(item.context.data, i * length * width);
      this.#mask.data.set(item.mask.data, i * length);
    });
    this.#conditioning = conditioning;
  }

  /** The feeds of one step: `sample` (`[1, …]`, with the extra channels) once per batch item. */
  async at(sample: Tensor<'float32'>, timestep: number, index: number): Promise<Record<string, Tensor>> {
    checkTensor('sample', sample);
    checkFiniteNumber('timestep', timestep, 'Pass the scheduler timestep of this step.');
    checkInteger('index', index, 0, 'Pass the step index.');
    const { extraChannels, inputs, perStep } = this.#conditioning;
    const item = extraChannels ? concatChannels([sample, extraChannels]) : sample;
    // One buffer per call, rewritten each step: the previous step's run has resolved by now, and
    // backends neither keep nor change their feeds (DESIGN.md §3).
    let batched = this.#sample;
    if (batched === undefined || batched.data.length !== this.#count * item.data.length) {
      batched = this.#sample = createTensor('float32', [this.#count, ...item.dims.slice(1)]);
    }
    for (let i = 0; i < this.#count; i++) batched.data.set(item.data, i * item.data.length);
    return {
      ...inputs,
      ...(perStep ? await perStep(sample, timestep, index) : {}),
      sample: batched,
      timestep: createTensor('float32', [this.#count], new Float32Array(this.#count).fill(timestep)),
      encoder_hidden_states: this.#context,
      encoder_attention_mask: this.#mask,
    };
  }
}
