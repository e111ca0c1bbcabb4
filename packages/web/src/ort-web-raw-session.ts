import { sameDims, type RawSession, type RunOptions, type Tensor, type TensorMap, type TensorSpec } from '@kandinsky/core';
import type * as ort from 'onnxruntime-web';
import { fromOrtTensor, toOrtTensor } from './ort-web-tensor.js';

function specsOf(metadata: readonly ort.InferenceSession.ValueMetadata[]): TensorSpec[] {
  return metadata.map((value) =>
    value.isTensor
      ? { name: value.name, dtype: value.type, dims: [...value.shape] }
      : { name: value.name, dtype: 'non-tensor', dims: undefined },
  );
}

/**
 * An onnxruntime-web `InferenceSession` as a core {@link RawSession}: core tensors in and out
 * without copying their buffers. Feed checks, aborts, waiting for runs in flight and error
 * normalisation come from core's `createModelSession`.
 */
export class OrtWebRawSession implements RawSession {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly #session: ort.InferenceSession;
  /**
   * The runtime tensor made for each fed core tensor. A pipeline feeds the same tensors on every
   * step (context, mask, the batched sample buffer): they are wrapped once. An entry is used only
   * while the core tensor still holds the same buffer and dims.
   */
  readonly #wrapped = new WeakMap<Tensor, ort.Tensor>();

  constructor(session: ort.InferenceSession) {
    this.#session = session;
    this.inputs = specsOf(session.inputMetadata);
    this.outputs = specsOf(session.outputMetadata);
  }

  // The kernels cannot be interrupted, so the signal is left to core's abort race.
  async run(feeds: TensorMap, _options: RunOptions): Promise<Record<string, Tensor>> {
    // The feeds have passed checkFeeds: exactly one tensor per input.
    const inputs = this.inputs;
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (let i = 0; i < inputs.length; i++) {
      const name = inputs[i]!.name;
      ortFeeds[name] = this.#toRuntime(name, feeds[name]!);
    }
    // No fetches are named, so the runtime returns every output of the model.
    const results = await this.#session.run(ortFeeds);
    const specs = this.outputs;
    const outputs: Record<string, Tensor> = {};
    for (let i = 0; i < specs.length; i++) {
      const name = specs[i]!.name;
      const value = results[name];
      if (value !== undefined) outputs[name] = fromOrtTensor(name, value as ort.Tensor);
    }
    return outputs;
  }

  release(): Promise<void> {
    return this.#session.release();
  }

  /** The runtime tensor of `tensor`, reused while it wraps the same buffer with the same dims. */
  #toRuntime(name: string, tensor: Tensor): ort.Tensor {
    const cached = this.#wrapped.get(tensor);
    if (cached !== undefined && cached.data === tensor.data && sameDims(cached.dims, tensor.dims)) return cached;
    const wrapped = toOrtTensor(name, tensor);
    this.#wrapped.set(tensor, wrapped);
    return wrapped;
  }
}
