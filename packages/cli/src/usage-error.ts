import { kandinskyError, type KandinskyError } from '@kandinsky/core';

/**
 * A mistake on the command line: INVALID_ARGUMENT, which `main` turns into exit code 2 with the
 * message and the hint on stderr. Thrown before any model is opened, so a typo costs nothing.
 */
export function usageError(message: string, hint: string, details?: Record<string, unknown>): KandinskyError {
  return kandinskyError('INVALID_ARGUMENT', message, hint, details);
}
