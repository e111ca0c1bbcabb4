import type { ErrorCode } from './error-codes.js';
import { KandinskyError, describeValue } from './kandinsky-error.js';

/**
 * A {@link KandinskyError} from its parts, for one-line throws:
 * `throw kandinskyError('SHAPE_MISMATCH', message, hint, { expected, actual })`.
 */
export function kandinskyError(
  code: ErrorCode,
  message: string,
  hint: string,
  details?: Record<string, unknown>,
  cause?: unknown,
): KandinskyError {
  return new KandinskyError({ code, message, hint, ...(details ? { details } : {}), ...(cause === undefined ? {} : { cause }) });
}

/**
 * INVALID_ARGUMENT for an option or argument outside what is accepted. The message reads
 * `<name> must be <expected>, got <value>.`; `details` always holds `{ [name]: value }` for
 * primitive values, plus what the caller adds.
 * ```ts
 * throw invalidArgument('steps', steps, 'an integer ≥ 1', 'Use e.g. 25.');
 * ```
 */
export function invalidArgument(
  name: string,
  value: unknown,
  expected: string,
  hint: string,
  details?: Record<string, unknown>,
): KandinskyError {
  const primitive = value === null || (typeof value !== 'object' && typeof value !== 'function');
  return new KandinskyError({
    code: 'INVALID_ARGUMENT',
    message: `${name} must be ${expected}, got ${describeValue(value)}.`,
    hint,
    details: { ...(primitive ? { [name]: value } : {}), ...details },
  });
}

/**
 * INVALID_SCHEDULER_CONFIG for one key of a diffusers `scheduler_config.json`; `details` is
 * `{ key, value }` so tools can point at the offending entry.
 */
export function invalidSchedulerConfig(key: string, value: unknown, message: string, hint: string): KandinskyError {
  return kandinskyError('INVALID_SCHEDULER_CONFIG', message, hint, { key, value });
}

/** SHAPE_MISMATCH: two tensors, or a tensor and its declared dims, disagree. */
export function shapeMismatch(message: string, hint: string, details?: Record<string, unknown>): KandinskyError {
  return kandinskyError('SHAPE_MISMATCH', message, hint, details);
}

/** DTYPE_MISMATCH: a tensor's dtype is not one the operation accepts. */
export function dtypeMismatch(what: string, actual: string, expected: string, hint: string): KandinskyError {
  return kandinskyError('DTYPE_MISMATCH', `${what} has dtype ${describeValue(actual)}, expected ${expected}.`, hint, {
    actual,
    expected,
  });
}
