import { abortable } from '../abort/abortable.js';
import { throwIfAborted } from '../abort/throw-if-aborted.js';
import { invalidArgument, kandinskyError } from '../errors/error-constructors.js';
import type { KandinskyError } from '../errors/kandinsky-error.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkFeeds, type TensorMapCheckOptions } from './check-feeds.js';
import type { ModelSession, RunOptions, TensorMap } from './model-session.js';
import { normalizeRuntimeError } from './normalize-runtime-error.js';
import type { RawSession } from './raw-session.js';
import type { TensorSpec } from './tensor-spec.js';
import { checkObject, checkOptionalObject } from '../errors/argument-checks.js';

/** Options of {@link createModelSession}. */
export interface ModelSessionOptions {
  /**
   * The model's name in error messages (`"unet"`); backends pass `LoadModelOptions.label`.
   * @default "model"
   */
  label?: string;
  /**
   * Whether each symbolic dimension must take one size across all feeds (see `checkFeeds`).
   * Turn it off for runtimes that check shapes themselves and whose exports reuse axis names
   * loosely.
   * @default true
   */
  symbolicDimensions?: boolean;
}

const NO_RUN_OPTIONS: RunOptions = Object.freeze({});

/**
 * Gives a backend's {@link RawSession} the behaviour that the {@link ModelSession} contract
 * promises, the same for every backend:
 * - `run` rejects with `SESSION_DISPOSED` once `dispose` has been called, with `ABORTED` when the
 *   signal has fired or fires before the runtime answers (the session stays usable), and with
 *   the `checkFeeds` error before the runtime sees bad feeds;
 * - anything else the runtime throws arrives as `RUNTIME_ERROR` through `normalizeRuntimeError`,
 *   with the original as `cause`;
 * - `dispose` waits until every run the runtime started has settled (including runs whose
 *   caller an abort released), then calls `raw.release()` once. Runs that were in flight when
 *   `dispose` was called settle normally. Every call returns the same promise.
 */
export function createModelSession(raw: RawSession, options: ModelSessionOptions = {}): ModelSession {
  checkObject('raw', raw, 'a RawSession { inputs, outputs, run, release }', "Pass the backend's raw session.");
  checkOptionalObject('options', options);
  for (const key of ['inputs', 'outputs'] as const) {
    if (!Array.isArray(raw[key])) throw invalidArgument(`raw.${key}`, raw[key], 'an array of tensor specs', 'A RawSession lists its inputs and outputs.');
  }
  for (const key of ['run', 'release'] as const) {
    if (typeof raw[key] !== 'function') throw invalidArgument(`raw.${key}`, raw[key], 'a function', 'A RawSession has run() and release().');
  }
  return new ManagedModelSession(raw, options.label ?? 'model', { symbolicDimensions: options.symbolicDimensions ?? true });
}

class ManagedModelSession implements ModelSession {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly #raw: RawSession;
  readonly #label: string;
  readonly #operation: string;
  readonly #checkOptions: TensorMapCheckOptions;
  #disposed = false;
  #disposal: Promise<void> | undefined;
  /** Runtime runs not settled yet; `#idle` resolves the waiting `dispose` when they reach 0. */
  #inFlight = 0;
  #idle: (() => void) | undefined;
  readonly #settled = (): void => {
    this.#inFlight -= 1;
    if (this.#inFlight === 0 && this.#idle !== undefined) {
      const idle = this.#idle;
      this.#idle = undefined;
      idle();
    }
  };

  constructor(raw: RawSession, label: string, checkOptions: TensorMapCheckOptions) {
    this.#raw = raw;
    this.#label = label;
    this.#operation = `Running ${JSON.stringify(label)}`;
    this.#checkOptions = checkOptions;
    this.inputs = raw.inputs;
    this.outputs = raw.outputs;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  async run(feeds: TensorMap, options: RunOptions = NO_RUN_OPTIONS): Promise<Record<string, Tensor>> {
    const signal = options.signal;
    if (this.#disposed) throw sessionDisposedError(this.#label);
    throwIfAborted(signal, this.#operation);
    checkFeeds(this.#label, this.inputs, feeds, this.#checkOptions);
    let running: Promise<Record<string, Tensor>>;
    try {
      running = this.#raw.run(feeds, options);
    } catch (error) {
      throw normalizeRuntimeError(error, { operation: this.#operation, component: this.#label, signal });
    }
    // Counted until the runtime settles, not until the caller is answered: an aborted caller
    // is released at once, but releasing native memory under running kernels would crash.
    this.#inFlight += 1;
    running.then(this.#settled, this.#settled);
    try {
      return await (signal === undefined ? running : abortable(running, signal, { operation: this.#operation }));
    } catch (error) {
      throw normalizeRuntimeError(error, { operation: this.#operation, component: this.#label, signal });
    }
  }

  dispose(): Promise<void> {
    if (this.#disposal === undefined) {
      this.#disposed = true;
      this.#disposal = this.#release();
    }
    return this.#disposal;
  }

  async #release(): Promise<void> {
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    try {
      await this.#raw.release();
    } catch (error) {
      throw normalizeRuntimeError(error, { operation: `Releasing ${JSON.stringify(this.#label)}`, component: this.#label });
    }
  }
}

function sessionDisposedError(label: string): KandinskyError {
  return kandinskyError(
    'SESSION_DISPOSED',
    `The session of ${JSON.stringify(label)} was used after dispose().`,
    'Load the model again (backend.loadModel) or keep the session alive until the last run has settled.',
    { label },
  );
}
