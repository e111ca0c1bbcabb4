import type { ErrorCode } from './error-codes.js';

const marker = Symbol.for('kandinsky.error');

/** Constructor options of {@link KandinskyError}. */
export interface KandinskyErrorOptions {
  /** Stable machine-readable code. */
  code: ErrorCode;
  /** What went wrong; names the offending value. */
  message: string;
  /** How to fix it, in one sentence. */
  hint: string;
  /** Structured facts about the failure (the bad value, expected ranges, ...). */
  details?: Record<string, unknown>;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * The one error class of Kandinsky TS. Every failure the SDK reports carries a stable `code`,
 * a message that names the bad value, and a `hint` with the remedy.
 *
 * Use {@link KandinskyError.isInstance} rather than `instanceof` when errors may cross package
 * copies (two versions of core installed side by side).
 */
export class KandinskyError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;
  readonly details: Readonly<Record<string, unknown>>;
  private readonly [marker] = true;

  constructor(options: KandinskyErrorOptions) {
    const fields = options as Partial<KandinskyErrorOptions> | null;
    if (typeof fields !== 'object' || fields === null || typeof fields.code !== 'string' || typeof fields.message !== 'string' || typeof fields.hint !== 'string') {
      // Thrown as a well-formed KandinskyError, so that a malformed one never escapes as a TypeError.
      throw new KandinskyError({
        code: 'INVALID_ARGUMENT',
        message: `KandinskyError options must be an object { code, message, hint } of strings, got ${describeValue(options)}.`,
        hint: "Use kandinskyError(code, message, hint) or new KandinskyError({ code: 'INVALID_ARGUMENT', message, hint }).",
      });
    }
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = options.code === 'ABORTED' ? 'AbortError' : 'KandinskyError';
    this.code = options.code;
    this.hint = options.hint;
    this.details = options.details ?? {};
  }

  /** True for any KandinskyError, including ones thrown by another copy of this package. */
  static isInstance(value: unknown): value is KandinskyError {
    return typeof value === 'object' && value !== null && marker in value;
  }

  /** `message` followed by the hint, for terminals and logs. */
  override toString(): string {
    return `${this.name} [${this.code}]: ${this.message}\nHint: ${this.hint}`;
  }
}

/** Formats a value for an error message: numbers exactly, strings quoted, objects as JSON. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return String(value);
  }
  if (value === undefined) return 'undefined';
  try {
    const text = JSON.stringify(value);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
  } catch {
    return String(value);
  }
}
