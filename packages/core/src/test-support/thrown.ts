import { KandinskyError } from '../errors/kandinsky-error.js';

/** Runs `action` and returns the KandinskyError it throws; fails if it throws nothing else. */
export function thrown(action: () => unknown): KandinskyError {
  try {
    action();
  } catch (error) {
    if (KandinskyError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a KandinskyError');
}
