import type { AbortSignalLike } from '../abort/abort-signal-like.js';
import { KandinskyError } from '../errors/kandinsky-error.js';
import type { Tensor } from '../tensor/tensor.js';
import type { TensorSpec } from './tensor-spec.js';

/** Tensors by input or output name. */
export type TensorMap = Readonly<Record<string, Tensor>>;

/** Options of {@link ModelSession.run}. */
export interface RunOptions {
  /**
   * Cancels the run: the promise rejects with `ABORTED` and the session stays usable. Whether
   * the kernels actually stop is `BackendCapabilities.interruptibleRun`.
   * @default undefined
   */
  signal?: AbortSignalLike;
}

/**
 * A loaded model, ready to run. The contract every backend implements:
 * - `run` resolves with every declared output as a new CPU tensor owned by the caller; it does
 *   not mutate the feeds nor keep references to them after it settles.
 * - `run` rejects with `ABORTED` when its signal fires, with `SESSION_DISPOSED` after `dispose`,
 *   and with a KandinskyError for every other failure (runtime throws go through
 *   `normalizeRuntimeError`, so they arrive as `RUNTIME_ERROR` with the original as `cause`).
 * - `dispose` releases the runtime's memory. It is idempotent: later calls resolve at once.
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
  /** Releases the session. Idempotent. */
  dispose(): Promise<void>;
}

/** The SESSION_DISPOSED error backends reject with when a disposed session is used. */
export function createSessionDisposedError(label: string): KandinskyError {
  return new KandinskyError({
    code: 'SESSION_DISPOSED',
    message: `The session of ${JSON.stringify(label)} was used after dispose().`,
    hint: 'Load the model again (backend.loadModel) or keep the session alive until the last run has settled.',
    details: { label },
  });
}
