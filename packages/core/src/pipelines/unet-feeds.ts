import { createTensor, type Tensor } from '../tensor/tensor.js';
import type { EncodedPrompt } from './prompt-encoder.js';

/**
 * The UNet feeds of one generation call (spec §3.8: the prompt contexts stacked into one CFG
 * batch). The stacked context and mask are built once per call instead of on every step; the
 * batched sample is one buffer rewritten each step, which is safe because a step's run has
 * resolved, and the runtime is done with its inputs, before the next step writes. The timestep
 * gets a fresh (tiny) tensor per step, so a recorded feed keeps its own value.
 */
export class UnetFeeds {
  readonly #count: number;
  readonly #context: Tensor<'float32'>;
  readonly #mask: Tensor<'int64'>;
  #sample: Tensor<'float32'> | undefined;

  /** @param contexts The batch items in order, e.g. `[cond, uncond]` (each `[1, L, D]`). */
  constructor(contexts: readonly EncodedPrompt[]) {
    const count = contexts.length;
    const [, length, width] = contexts[0]!.context.dims as [number, number, number];
    this.#count = count;
    this.#context = createTensor('float32', [count, length, width]);
    this.#mask = createTensor('int64', [count, length]);
    contexts.forEach((item, i) => {
      this.#context.data.set(item.context.data, i * length * width);
      this.#mask.data.set(item.mask.data, i * length);
    });
  }

  /** The feeds for one step: `sample` (`[1, …]`) repeated for every batch item, and `timestep`. */
  at(sample: Tensor<'float32'>, timestep: number): Record<string, Tensor> {
    const count = this.#count;
    let batched = this.#sample;
    if (batched === undefined || !sameItemDims(batched.dims, sample.dims, count)) {
      batched = this.#sample = createTensor('float32', [count, ...sample.dims.slice(1)]);
    }
    const itemSize = sample.data.length;
    for (let i = 0; i < count; i++) batched.data.set(sample.data, i * itemSize);
    return {
      sample: batched,
      timestep: { dtype: 'float32', dims: [count], data: new Float32Array(count).fill(timestep) },
      encoder_hidden_states: this.#context,
      encoder_attention_mask: this.#mask,
    };
  }
}

/** Whether `batched` is `[count, …item[1:]]` (without building that array on every step). */
function sameItemDims(batched: readonly number[], item: readonly number[], count: number): boolean {
  if (batched.length !== item.length || batched[0] !== count) return false;
  for (let i = 1; i < item.length; i++) if (batched[i] !== item[i]) return false;
  return true;
}
