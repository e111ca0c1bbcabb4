import { KandinskyError } from '../errors/kandinsky-error.js';
import type { AbortSignalLike } from './abort-signal-like.js';

/** A signal that fires when any of its parents fires, or when {@link LinkedSignal.abort} is called. */
export interface LinkedSignal {
  /** The combined signal: a real `AbortSignal`, typed by its core-visible shape. */
  readonly signal: AbortSignalLike;
  /** Fires the combined signal (not the parents) with `reason`. */
  abort(reason?: unknown): void;
  /**
   * Detaches from the parents. Call it when the linked work is over (in a `finally`), so that a
   * long-lived parent signal does not keep a listener, and this object, alive. Idempotent.
   */
  dispose(): void;
}

interface AbortControllerLike {
  readonly signal: AbortSignalLike;
  abort(reason?: unknown): void;
}

/**
 * Combines signals: the result fires with the reason of the first parent to fire. `undefined`
 * entries are skipped, so `linkSignals(options.signal, internal.signal)` works whether or not the
 * caller passed a signal. If a parent has already fired, the result is born aborted and no
 * listener is registered.
 *
 * Unlike `AbortSignal.any`, the links are removed explicitly by `dispose()` (and automatically
 * once the result fires) instead of relying on garbage collection, which has leaked in some
 * runtimes when a parent outlives many children.
 *
 * @param signals - Parent signals; `undefined` entries are ignored.
 */
export function linkSignals(...signals: readonly (AbortSignalLike | undefined)[]): LinkedSignal {
  const Controller = (globalThis as { AbortController?: new () => AbortControllerLike }).AbortController;
  if (Controller === undefined) {
    throw new KandinskyError({
      code: 'RUNTIME_ERROR',
      message: 'This JavaScript runtime has no global AbortController.',
      hint: 'Run on Node.js 20+ or a current browser, or install an AbortController polyfill.',
    });
  }
  const controller = new Controller();
  const parents = signals.filter((signal): signal is AbortSignalLike => signal !== undefined);
  const listeners: Array<[AbortSignalLike, () => void]> = [];
  let disposed = false;

  const dispose = (): void => {
    if (disposed) return;
    disposed = true;
    for (const [parent, listener] of listeners) parent.removeEventListener('abort', listener);
    listeners.length = 0;
  };

  const alreadyAborted = parents.find((parent) => parent.aborted);
  if (alreadyAborted !== undefined) {
    controller.abort(alreadyAborted.reason);
    disposed = true;
  } else {
    for (const parent of parents) {
      const listener = (): void => {
        dispose();
        controller.abort(parent.reason);
      };
      parent.addEventListener('abort', listener, { once: true });
      listeners.push([parent, listener]);
    }
  }

  return {
    signal: controller.signal,
    abort(reason?: unknown): void {
      dispose();
      controller.abort(reason);
    },
    dispose,
  };
}
