import { checkFunction } from '../errors/argument-checks.js';
import type { ProgressCallback, ProgressEvent } from './progress-event.js';

/** Receives what a progress callback threw (or its returned promise rejected with). */
export type ProgressCallbackErrorHandler = (error: unknown, event: ProgressEvent) => void;

/**
 * Calls the user's progress callback with `event`, isolating the call from its failures.
 *
 * Why isolate rather than propagate: progress is observational. A bug in a progress bar should
 * not throw away minutes of denoising, nor unwind a pipeline between the moment a session is
 * created and the moment it is released. An app that wants to stop the work uses its
 * AbortSignal — calling `controller.abort()` from inside the callback works, and takes effect at
 * the next step boundary. So a throw (or the rejection of a promise an `async` callback returns)
 * is caught and handed to `onCallbackError`; by default that is the platform's `reportError`
 * (browsers: it shows in the console and reaches `window.onerror` error trackers) or else
 * `console.error`, so the bug is visible but not fatal.
 *
 * @param callback - The user's `onProgress`, if any; nothing happens without one.
 * @param event - The event to deliver.
 * @param onCallbackError - Where callback failures go. Defaults to `reportError`, else
 *   `console.error`.
 */
export function emitProgress(
  callback: ProgressCallback | undefined,
  event: ProgressEvent,
  onCallbackError: ProgressCallbackErrorHandler = reportCallbackError,
): void {
  if (callback === undefined) return;
  // A non-function is the caller's bug, not a callback failure to report and go on from.
  checkFunction('onProgress', callback, 'a function or undefined', 'Pass (event) => { ... } or leave it out.');
  checkFunction('onCallbackError', onCallbackError, 'a function', 'Leave it out for reportError / console.error.');
  const report = (error: unknown): void => {
    try {
      onCallbackError(error, event);
    } catch {
      // The error handler itself failed: nothing sensible is left to tell, and the work goes on.
    }
  };
  try {
    const returned: unknown = (callback as (event: ProgressEvent) => unknown)(event);
    if (isThenable(returned)) returned.then(undefined, report);
  } catch (error) {
    report(error);
  }
}

interface PlatformReporting {
  reportError?: (error: unknown) => void;
  console?: { error?: (...values: unknown[]) => void };
}

/** The default {@link ProgressCallbackErrorHandler}. */
function reportCallbackError(error: unknown, event: ProgressEvent): void {
  const platform = globalThis as PlatformReporting;
  if (typeof platform.reportError === 'function') {
    platform.reportError(error);
  } else {
    platform.console?.error?.(`Kandinsky: the onProgress callback threw on a "${event.type}" event; the call goes on.`, error);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
