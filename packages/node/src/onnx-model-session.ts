import {
  abortable,
  checkFeeds,
  createSessionDisposedError,
  isAbortError,
  normalizeRuntimeError,
  sameDims,
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

const CHECK_OPTIONS = Object.freeze({ symbolicDimensions: false });

/** A core {@link ModelSession} over an onnxruntime-node `InferenceSession`. */
export class OnnxModelSession implements ModelSession {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  #session: ort.InferenceSession;
  #label: string;
  #operation: string;
  #disposed = false;
  /** Runs whose runtime promise has not settled, and a waiter for the count to reach 0. */
  #inFlight = 0;
  #idle: { promise: Promise<void>; resolve: () => void } | undefined;
  /**
   * The runtime tensor made for each fed core tensor. A pipeline feeds the same tensors on every
   * step (context, mask, the batched sample buffer): they are wrapped once. An entry is used only
   * while the core tensor still holds the same buffer and dims.
   */
  #wrapped = new WeakMap<Tensor, ort.Tensor>();
  readonly #finish = (): void => {
    this.#inFlight -= 1;
    if (this.#inFlight === 0 && this.#idle !== undefined) {
      this.#idle.resolve();
      this.#idle = undefined;
    }
  };

  constructor(session: ort.InferenceSession, label: string) {
    this.#session = session;
    this.#label = label;
    this.#operation = `Running ${label}`;
    this.inputs = specsOf(session.inputMetadata);
    this.outputs = specsOf(session.outputMetadata);
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  async run(feeds: TensorMap, options: RunOptions = {}): Promise<Record<string, Tensor>> {
    const operation = this.#operation;
    const signal = options.signal;
    if (this.#disposed) throw createSessionDisposedError(this.#label);
    throwIfAborted(signal, operation);
    // Names, dtypes, ranks and fixed sizes are checked here for a readable error; symbolic
    // dimension consistency is left to the runtime (exports name their axes loosely).
    checkFeeds(this.#label, this.inputs, feeds, CHECK_OPTIONS);
    let running: Promise<ort.InferenceSession.ReturnType> | undefined;
    try {
      // checkFeeds has made sure that the feeds hold exactly the inputs' names.
      const inputs = this.inputs;
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (let i = 0; i < inputs.length; i++) {
        const name = inputs[i]!.name;
        ortFeeds[name] = this.#toRuntime(name, feeds[name]!);
      }
      running = this.#session.run(ortFeeds);
      this.#inFlight += 1;
      // The kernels cannot be interrupted; the caller is released at once and the late result
      // is dropped (the session stays usable, dispose() waits for the run to finish).
      const results = signal === undefined ? await running : await abortable(running, signal, { operation });
      this.#finish();
      running = undefined;
      // The runtime returns every output of the model (no fetches were named).
      const specs = this.outputs;
      const outputs: Record<string, Tensor> = {};
      for (let i = 0; i < specs.length; i++) {
        const name = specs[i]!.name;
        const value = results[name];
        if (value !== undefined) outputs[name] = fromOrtTensor(name, value as ort.Tensor);
      }
      return outputs;
    } catch (error) {
      if (running !== undefined) {
        // Settled already when the runtime failed; still running when the abort won the race.
        if (isAbortError(error)) running.then(this.#finish, this.#finish);
        else this.#finish();
      }
      throw normalizeRuntimeError(error, { operation, component: this.#label, signal });
    }
  }

  /** The runtime tensor of `tensor`, reused while it wraps the same buffer with the same dims. */
  #toRuntime(name: string, tensor: Tensor): ort.Tensor {
    const cached = this.#wrapped.get(tensor);
    if (cached !== undefined && cached.data === tensor.data && sameDims(cached.dims, tensor.dims)) return cached;
    const wrapped = toOrtTensor(name, tensor);
    this.#wrapped.set(tensor, wrapped);
    return wrapped;
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    // Releasing native memory under a running kernel would crash the process: wait for it.
    if (this.#inFlight > 0) {
      let resolve!: () => void;
      const promise = new Promise<void>((done) => (resolve = done));
      this.#idle ??= { promise, resolve };
      await this.#idle.promise;
    }
    await this.#session.release();
  }
}
