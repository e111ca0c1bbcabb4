import { createAbortError } from './abort-error.js';
import type { AbortSignalLike } from './abort-signal-like.js';
import { checkOptionalObject, checkOptionalSignal } from '../errors/argument-checks.js';

/** Options of {@link abortable}. */
export interface AbortableOptions<T> {
  /**
   * What is being awaited, for the abort message.
   * @default "Operation"
   */
  operation?: string;
  /**
   * Called with the value if the promise resolves after the abort already won the race. Use it
   * to release what nobody will receive any more, e.g. `session => session.dispose()` when a
   * model load is aborted, so aborting never leaks.
   * @default undefined (the late value is dropped)
   */
  onAbandonedResult?: (value: T) => unknown;
}

/**
 * Races `promise` with `signal`: resolves or rejects like `promise`, or rejects with the
 * `ABORTED` error of {@link createAbortError} as soon as the signal fires, whichever comes first.
 *
 * The abort listener is removed as soon as the race settles, so a long-lived signal shared by
 * thousands of calls (one per denoising step) accumulates no listeners. The underlying work is
 * not cancelled (a promise cannot be); its late rejection is swallowed, because the caller has
 * already been told the outcome, and its late value goes to `onAbandonedResult`.
 *
 * @param promise - The work to await.
 * @param signal - The caller's signal; without one `promise` is returned as a plain Promise.
 * @param options - See {@link AbortableOptions}.
 */
export function abortable<T>(
  promise: PromiseLike<T>,
  signal: AbortSignalLike | undefined,
  options: AbortableOptions<T> = {},
): Promise<T> {
  checkOptionalSignal('signal', signal);
  checkOptionalObject('options', options);
  if (signal === undefined) return Promise.resolve(promise);
  const operation = options.operation ?? 'Operation';
  const abandon = (value: T): void => {
    if (options.onAbandonedResult === undefined) return;
    // A failing cleanup must not surface as an unhandled rejection long after the abort.
    Promise.resolve()
      .then(() => options.onAbandonedResult?.(value))
      .catch(() => undefined);
  };
  if (signal.aborted) {
    Promise.resolve(promise).then(abandon, () => undefined);
    return Promise.reject(createAbortError(signal, operation));
  }
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const onAbort = (): void => {
      if (settled) return;
      settled = true;
      reject(createAbortError(signal, operation));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve(promise).then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (settled) return abandon(value);
        settled = true;
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (settled) return;
        settled = true;
        reject(error);
      },
    );
  });
}
