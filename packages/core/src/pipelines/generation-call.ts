import type { AbortSignalLike } from '../abort/abort-signal-like.js';
import { throwIfAborted } from '../abort/throw-if-aborted.js';
import { emitProgress } from '../events/emit-progress.js';
import { monotonicNow } from '../events/monotonic-now.js';
import type { ProgressCallback, StageName } from '../events/progress-event.js';
import { runStage } from '../events/run-stage.js';
import type { WarningCode } from '../events/warning-codes.js';

/** What one generation call carries through its stages: the signal, the listener, the timings. */
export class GenerationCall {
  readonly signal: AbortSignalLike | undefined;
  readonly onProgress: ProgressCallback | undefined;
  /** Milliseconds per stage, summed over the call's images. */
  readonly timings: Record<string, number> = {};

  /** Throws ABORTED at once when `options.signal` has already fired. */
  constructor(options: { signal?: AbortSignalLike | undefined; onProgress?: ProgressCallback | undefined }) {
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
