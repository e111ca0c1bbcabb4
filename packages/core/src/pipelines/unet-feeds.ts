import { createTensor, type Tensor } from '../tensor/tensor.js';
import type { EncodedPrompt } from './prompt-encoder.js';

/**
 * The UNet feeds of one generation call (spec §3.8: the prompt contexts stacked into one CFG
 * batch). The stacked context and mask are built once per call instead of on every step; the
 * batched sample is one buffer rewritten each step, which is safe because a step's run has
 * resolved, and the runtime is done with its inputs, before the next step writes. Each timestep
 * value has its own tensor, never written after it is made, so a recorded feed keeps its value;
 * they come from a {@link TimestepTensors} that a pipeline keeps across calls, so that a backend
 * which wraps each fed tensor once (the node backend) wraps them once per pipeline.
 */
export class UnetFeeds {
  readonly #count: number;
  readonly #context: Tensor<'float32'>;
  readonly #mask: Tensor<'int64'>;
  readonly #timesteps: Map<number, Tensor<'float32'>>;
  #sample: Tensor<'float32'> | undefined;

  /**
   * @param contexts The batch items in order, e.g. `[cond, uncond]` (each `[1, L, D]`).
   * @param timesteps Where the timestep tensors are kept (a fresh one: none are shared).
   */
  constructor(contexts: readonly EncodedPrompt[], timesteps: TimestepTensors = new TimestepTensors()) {
    const count = contexts.length;
    this.#timesteps = timesteps.ofBatch(count);
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
    let timestepTensor = this.#timesteps.get(timestep);
    if (timestepTensor === undefined) {
      timestepTensor = createTensor('float32', [count], new Float32Array(count).fill(timestep));
      this.#timesteps.set(timestep, timestepTensor);
    }
    return {
      sample: batched,
      timestep: timestepTensor,
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

/**
 * The `[B]` timestep tensors of a pipeline, by batch size and value: at most one per training
 * timestep (1,000) and batch size, each a few bytes. Read-only once made.
 */
export class TimestepTensors {
  readonly #byBatch = new Map<number, Map<number, Tensor<'float32'>>>();

  /** The tensors of batch size `count`, by timestep value. */
  ofBatch(count: number): Map<number, Tensor<'float32'>> {
    let tensors = this.#byBatch.get(count);
    if (tensors === undefined) {
      tensors = new Map();
      this.#byBatch.set(count, tensors);
    }
    return tensors;
  }
}
