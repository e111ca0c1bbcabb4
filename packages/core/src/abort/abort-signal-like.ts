/**
 * The part of `AbortSignal` that core relies on. Core compiles without DOM or Node typings, so
 * it names the shape instead of the global class; every real `AbortSignal` (browsers, Node,
 * Deno, Bun) satisfies it, so callers simply pass `controller.signal`.
 */
export interface AbortSignalLike {
  /** True once the signal has fired. */
  readonly aborted: boolean;
  /** Why it fired: whatever was passed to `abort(reason)` (a DOMException by default). */
  readonly reason?: unknown;
  /** Registers `listener` for the abort event. */
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  /** Removes a listener registered with {@link AbortSignalLike.addEventListener}. */
  removeEventListener(type: 'abort', listener: () => void): void;
}
