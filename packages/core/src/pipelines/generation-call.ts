import type { AbortSignalLike } from '../abort/abort-signal-like.js';
import { throwIfAborted } from '../abort/throw-if-aborted.js';
import { emitProgress } from '../events/emit-progress.js';
import { monotonicNow } from '../events/monotonic-now.js';
import type { ProgressCallback, StageName } from '../events/progress-event.js';
import { runStage } from '../events/run-stage.js';
import type { WarningCode } from '../events/warning-codes.js';
import { invalidArgument } from '../errors/error-constructors.js';

/** What one generation call carries through its stages: the signal, the listener, the timings. */
export class GenerationCall {
  readonly signal: AbortSignalLike | undefined;
  readonly onProgress: ProgressCallback | undefined;
  /** Milliseconds per stage, summed over the call's images. */
  readonly timings: Record<string, number> = {};

  /**
   * Checks the call's options object, `signal` and `onProgress` (INVALID_ARGUMENT), then throws
   * ABORTED at once when `options.signal` has already fired. Every pipeline builds this first, so
   * `textToImage()` or `signal: {}` fail here, typed, before any work.
   */
  constructor(options: { signal?: AbortSignalLike | undefined; onProgress?: ProgressCallback | undefined }) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw invalidArgument('options', options, 'an options object', "Pass e.g. { prompt: 'a red circle', seed: 1 }.");
    }
    const signal: unknown = options.signal;
    if (
      signal !== undefined &&
      (signal === null ||
        typeof signal !== 'object' ||
        typeof (signal as { aborted?: unknown }).aborted !== 'boolean' ||
        typeof (signal as { addEventListener?: unknown }).addEventListener !== 'function' ||
        typeof (signal as { removeEventListener?: unknown }).removeEventListener !== 'function')
    ) {
      throw invalidArgument('signal', signal, 'an AbortSignal', 'Pass controller.signal of an AbortController, or leave it out.');
    }
    if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
      throw invalidArgument('onProgress', options.onProgress, 'a function', 'Pass (event) => { ... }, or leave it out.');
    }
    throwIfAborted(options.signal, 'Generation');
    this.signal = options.signal;
    this.onProgress = options.onProgress;
  }

  /** Runs `work` as `stage` (start/end events, see runStage) and adds its time to `timings`. */
  async stage<T>(stage: StageName, component: string | undefined, work: () => Promise<T>): Promise<T> {
    const started = monotonicNow();
    try {
      return await runStage(this.onProgress, stage, work, component === undefined ? {} : { component });
    } finally {
      this.timings[stage] = (this.timings[stage] ?? 0) + (monotonicNow() - started);
    }
  }

  warn(code: WarningCode, message: string): void {
    emitProgress(this.onProgress, { type: 'warning', code, message });
  }
}

/** INVALID_ARGUMENT unless `call` is a GenerationCall (the first argument of the components' methods). */
export function checkGenerationCall(call: unknown): asserts call is GenerationCall {
  if (!(call instanceof GenerationCall)) {
    throw invalidArgument('call', call, 'a GenerationCall', 'Build one per public call: new GenerationCall(options), as the task pipelines do.');
  }
}
