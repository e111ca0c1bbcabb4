import type { Tensor } from '../tensor/tensor.js';
import type { RunOptions, TensorMap } from './model-session.js';
import type { TensorSpec } from './tensor-spec.js';

/**
 * One loaded model as a backend supplies it: only what is truly about its runtime. Core's
 * {@link createModelSession} wraps it into the {@link ModelSession} that pipelines use, adding
 * the behaviour every backend must share (feed checks, aborts, waiting for runs in flight, the
 * disposed state, error normalisation), so that `@kandinsky/node` and `@kandinsky/web` cannot
 * drift apart on it.
 *
 * ```ts
 * const raw: RawSession = {
 *   inputs, outputs,
 *   run: async (feeds) => fromRuntime(await runtimeSession.run(toRuntime(feeds))),
 *   release: () => runtimeSession.release(),
 * };
 * return createModelSession(raw, { label: options.label });
 * ```
 */
export interface RawSession {
  /** The model's inputs as the runtime reports them; feeds are checked against these. */
  readonly inputs: readonly TensorSpec[];
  /** The model's outputs as the runtime reports them. */
  readonly outputs: readonly TensorSpec[];
  /**
   * Runs the model once. The wrapper calls it only with feeds that passed `checkFeeds` (one
   * tensor per input, nothing else), never after `release`, and already races `options.signal`:
   * a runtime that can stop its kernels may listen to the signal, others ignore it. It resolves
   * with a new tensor per output, owned by the caller, and keeps no reference to the feeds after
   * it settles. It may throw anything: the wrapper turns foreign errors into `RUNTIME_ERROR`.
   */
  run(feeds: TensorMap, options: RunOptions): Promise<Record<string, Tensor>>;
  /**
   * Frees the runtime's memory. The wrapper calls it exactly once, after every run it started
   * has settled (including runs whose caller was released early by an abort).
   */
  release(): void | Promise<void>;
}
