import { createAbortError } from './abort-error.js';
import type { AbortSignalLike } from './abort-signal-like.js';

/**
 * Throws the `ABORTED` {@link KandinskyError} of {@link createAbortError} when `signal` has fired;
 * does nothing when it has not or when there is no signal. Pipelines call it between steps, so
 * an abort takes effect at the next step boundary even while no promise is pending.
 *
 * @param signal - The caller's signal, if any.
 * @param operation - What is being aborted, for the message. Defaults to `"Operation"`.
 */
export function throwIfAborted(signal: AbortSignalLike | undefined, operation = 'Operation'): void {
  if (signal?.aborted === true) throw createAbortError(signal, operation);
}
