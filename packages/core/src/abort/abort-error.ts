import { kandinskyError } from '../errors/error-constructors.js';
import { KandinskyError } from '../errors/kandinsky-error.js';
import type { AbortSignalLike } from './abort-signal-like.js';

/**
 * The error every aborted call rejects with: a {@link KandinskyError} with code `ABORTED` and
 * name `AbortError` (so code that checks `error.name === 'AbortError'` keeps working), and the
 * signal's `reason` as `cause`.
 *
 * @param signal - The signal that fired.
 * @param operation - What was aborted, for the message (e.g. `"UNet step 3 of 25"`).
 */
export function createAbortError(signal: AbortSignalLike, operation: string): KandinskyError {
  const reason = signal.reason;
  return kandinskyError(
    'ABORTED',
    `${operation} was aborted${describeReason(reason)}.`,
    'This is the expected result of calling abort(); start a new call with a fresh AbortController to run again.',
    { operation },
    reason,
  );
}

/**
 * True when `value` reports a cancellation: a KandinskyError with code `ABORTED`, or any error
 * named `AbortError` (the DOMException thrown by `fetch` and by runtimes on abort).
 */
export function isAbortError(value: unknown): boolean {
  if (KandinskyError.isInstance(value)) return value.code === 'ABORTED';
  return typeof value === 'object' && value !== null && (value as { name?: unknown }).name === 'AbortError';
}

function describeReason(reason: unknown): string {
  if (reason === undefined) return '';
  if (typeof reason === 'object' && reason !== null && 'message' in reason) {
    const { name, message } = reason as { name?: unknown; message?: unknown };
    const label = typeof name === 'string' && name !== '' ? `${name}: ` : '';
    return ` (reason: ${label}${String(message)})`;
  }
  return ` (reason: ${String(reason)})`;
}
