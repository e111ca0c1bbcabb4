import { kandinskyError } from '../errors/error-constructors.js';
import { createAbortError, isAbortError } from '../abort/abort-error.js';
import type { AbortSignalLike } from '../abort/abort-signal-like.js';
import { KandinskyError, describeValue } from '../errors/kandinsky-error.js';
import { checkObject, checkOptionalSignal } from '../errors/argument-checks.js';

/** Where a runtime failure happened, for {@link normalizeRuntimeError}. */
export interface RuntimeErrorContext {
  /** What was being done, for the message, e.g. `"Running unet"`. */
  operation: string;
  /**
   * The model component involved.
   * @default undefined
   */
  component?: string;
  /**
   * The caller's signal: a failure after it fired is reported as `ABORTED`, because runtimes
   * often surface cancellation as an arbitrary error.
   * @default undefined
   */
  signal?: AbortSignalLike;
}

// Runtime messages that mean the device ran out of memory (ONNX Runtime CPU/CUDA/WebGPU, wasm).
const outOfMemoryPattern = /out of memory|bad_alloc|failed to allocate|allocation failed|OOM\b/i;

/**
 * Turns anything a runtime threw into a {@link KandinskyError}, so callers only ever see one
 * error type:
 * - a KandinskyError is returned unchanged (it already carries a code and a hint);
 * - a failure after `context.signal` fired, or an error named `AbortError`, becomes `ABORTED`;
 * - anything else becomes `RUNTIME_ERROR` whose message quotes the original, whose hint
 *   suggests smaller sizes when the message looks like an out-of-memory failure, and whose
 *   `cause` is the original error.
 *
 * It returns the error rather than throwing it, so it fits `catch (error) { throw normalize… }`.
 */
export function normalizeRuntimeError(error: unknown, context: RuntimeErrorContext): KandinskyError {
  checkObject('context', context, 'a RuntimeErrorContext { operation }', 'Pass e.g. { operation: "Running unet" }.');
  checkOptionalSignal('context.signal', context.signal);
  if (KandinskyError.isInstance(error)) return error;
  if (context.signal?.aborted === true) return createAbortError(context.signal, context.operation);
  if (isAbortError(error)) {
    return kandinskyError(
      'ABORTED',
      `${context.operation} was aborted by the runtime.`,
      'This is the expected result of an abort; start a new call to run again.',
      detailsOf(context),
      error,
    );
  }
  const text = messageOf(error);
  const outOfMemory = outOfMemoryPattern.test(text);
  return kandinskyError(
    'RUNTIME_ERROR',
    `${context.operation} failed in the runtime: ${text}`,
    outOfMemory
      ? 'The device ran out of memory: use a smaller image or tile size, the low-memory mode, or a device with more memory.'
      : 'The runtime rejected the call; `error.cause` holds its original error. Check the model files and options, and report it if it persists.',
    { ...detailsOf(context), outOfMemory },
    error,
  );
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message === '' ? error.name : `${error.name}: ${error.message}`;
  if (typeof error === 'string') return error;
  return `non-Error value ${describeValue(error)}`;
}

function detailsOf(context: RuntimeErrorContext): Record<string, unknown> {
  return context.component === undefined
    ? { operation: context.operation }
    : { operation: context.operation, component: context.component };
}
