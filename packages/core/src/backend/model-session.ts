import type { AbortSignalLike } from '../abort/abort-signal-like.js';
import type { Tensor } from '../tensor/tensor.js';
import type { TensorSpec } from './tensor-spec.js';

/** Tensors by input or output name. */
export type TensorMap = Readonly<Record<string, Tensor>>;

/** Options of {@link ModelSession.run}. */
export interface RunOptions {
  /**
   * Cancels the run: the promise rejects with `ABORTED` at once and the session stays usable.
   * ONNX Runtime cannot interrupt its kernels, so they finish in the background (their result
   * is dropped) and a later `dispose` waits for them.
   * @default undefined
   */
  signal?: AbortSignalLike;
}

/**
 * A loaded model, ready to run. Backends build it with `createModelSession`, which gives every
 * backend the same behaviour:
 * - `run` resolves with every declared output as a new CPU tensor owned by the caller; it does
 *   not mutate the feeds nor keep references to them after it settles.
 * - `run` rejects with `ABORTED` when its signal fires, with `SESSION_DISPOSED` after `dispose`,
 *   and with a KandinskyError for every other failure (runtime throws go through
 *   `normalizeRuntimeError`, so they arrive as `RUNTIME_ERROR` with the original as `cause`).
 * - `dispose` waits for the runs in flight (they settle normally), then releases the runtime's
 *   memory. It is idempotent: every call returns the same promise.
 */
export interface ModelSession {
  /** The model's inputs as the runtime reports them. */
  readonly inputs: readonly TensorSpec[];
  /** The model's outputs as the runtime reports them. */
  readonly outputs: readonly TensorSpec[];
  /** True once `dispose` has been called. */
  readonly disposed: boolean;
  /** Runs the model on `feeds` (one tensor per input, by name). */
  run(feeds: TensorMap, options?: RunOptions): Promise<Record<string, Tensor>>;
  /** Releases the session once its runs in flight have settled. Idempotent. */
  dispose(): Promise<void>;
}
