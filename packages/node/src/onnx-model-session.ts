import {
  abortable,
  checkFeeds,
  createSessionDisposedError,
  normalizeRuntimeError,
  throwIfAborted,
  type ModelSession,
  type RunOptions,
  type Tensor,
  type TensorMap,
  type TensorSpec,
} from '@kandinsky/core';
import type * as ort from 'onnxruntime-node';
import { fromOrtTensor, toOrtTensor } from './ort-tensor.js';

function specsOf(metadata: readonly ort.InferenceSession.ValueMetadata[]): TensorSpec[] {
  return metadata.map((value) =>
    value.isTensor
      ? { name: value.name, dtype: value.type, dims: [...value.shape] }
      : { name: value.name, dtype: 'non-tensor', dims: undefined },
  );
}

/** A core {@link ModelSession} over an onnxruntime-node `InferenceSession`. */
export class OnnxModelSession implements ModelSession {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  #session: ort.InferenceSession;
  #label: string;
  #disposed = false;
  #inFlight = new Set<Promise<unknown>>();

  constructor(session: ort.InferenceSession, label: string) {
    this.#session = session;
    this.#label = label;
    this.inputs = specsOf(session.inputMetadata);
    this.outputs = specsOf(session.outputMetadata);
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  async run(feeds: TensorMap, options: RunOptions = {}): Promise<Record<string, Tensor>> {
    const operation = `Running ${this.#label}`;
    if (this.#disposed) throw createSessionDisposedError(this.#label);
    throwIfAborted(options.signal, operation);
    // Names, dtypes, ranks and fixed sizes are checked here for a readable error; symbolic
    // dimension consistency is left to the runtime (exports name their axes loosely).
    checkFeeds(this.#label, this.inputs, feeds, { symbolicDimensions: false });
    try {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [name, tensor] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(name, tensor);
      const running = this.#session.run(ortFeeds);
      this.#inFlight.add(running);
      void running.finally(() => this.#inFlight.delete(running)).catch(() => undefined);
      // The kernels cannot be interrupted; the caller is released at once and the late result
      // is dropped (the session stays usable, dispose() waits for the run to finish).
      const results = await abortable(running, options.signal, { operation });
      const outputs: Record<string, Tensor> = {};
      for (const [name, value] of Object.entries(results)) outputs[name] = fromOrtTensor(name, value);
      return outputs;
    } catch (error) {
      throw normalizeRuntimeError(error, { operation, component: this.#label, signal: options.signal });
    }
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    // Releasing native memory under a running kernel would crash the process: wait for it.
    await Promise.allSettled([...this.#inFlight]);
    await this.#session.release();
  }
}
