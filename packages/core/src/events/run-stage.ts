import { isAbortError } from '../abort/abort-error.js';
import { emitProgress } from './emit-progress.js';
import { monotonicNow } from './monotonic-now.js';
import type { ProgressCallback, StageName } from './progress-event.js';
import { checkFunction, checkOptionalObject } from '../errors/argument-checks.js';

/** Options of {@link runStage}. */
export interface RunStageOptions {
  /**
   * The model component the stage is about (`"unet"`), copied into both events.
   * @default undefined
   */
  component?: string;
}

/**
 * Runs `work` as the stage `stage`: emits `{ type: 'stage', status: 'start' }` before it and the
 * matching `end` after it — also when it throws or is aborted — with `elapsedMs` and `outcome`
 * (`completed`, `failed`, or `aborted` for an `ABORTED`/`AbortError` failure). The error itself
 * is rethrown unchanged. This is what keeps "every start has an end" true for UIs that show a
 * spinner per stage.
 *
 * @param onProgress - The caller's callback, if any.
 * @param stage - The stage name.
 * @param work - The stage's work.
 * @param options - See {@link RunStageOptions}.
 */
export async function runStage<T>(
  onProgress: ProgressCallback | undefined,
  stage: StageName,
  work: () => Promise<T> | T,
  options: RunStageOptions = {},
): Promise<T> {
  checkFunction('work', work, 'a function', 'Pass the work of the stage: () => result or a promise.');
  checkOptionalObject('options', options);
  const component = options.component === undefined ? {} : { component: options.component };
  const started = monotonicNow();
  emitProgress(onProgress, { type: 'stage', stage, status: 'start', ...component });
  let outcome: 'completed' | 'failed' | 'aborted' = 'failed';
  try {
    const result = await work();
    outcome = 'completed';
    return result;
  } catch (error) {
    if (isAbortError(error)) outcome = 'aborted';
    throw error;
  } finally {
    emitProgress(onProgress, {
      type: 'stage',
      stage,
      status: 'end',
      ...component,
      elapsedMs: monotonicNow() - started,
      outcome,
    });
  }
}
