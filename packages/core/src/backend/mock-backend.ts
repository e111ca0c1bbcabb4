import { abortable } from '../abort/abortable.js';
import type { AbortSignalLike } from '../abort/abort-signal-like.js';
import { throwIfAborted } from '../abort/throw-if-aborted.js';
import { invalidArgument, kandinskyError } from '../errors/error-constructors.js';
import { describeValue, type KandinskyError } from '../errors/kandinsky-error.js';
import { DownloadProgress } from '../events/download-progress.js';
import { monotonicNow } from '../events/monotonic-now.js';
import type { DataType, Tensor } from '../tensor/tensor.js';
import type { Backend } from './backend.js';
import type { BackendCapabilities } from './backend-capabilities.js';
import { findTensorMapProblems } from './check-feeds.js';
import { createModelSession } from './create-model-session.js';
import type { Device } from './device.js';
import type { LoadModelOptions } from './load-model-options.js';
import type { ModelSession, TensorMap } from './model-session.js';
import { normalizeModelSource, type ModelSource } from './model-source.js';
import { normalizeRuntimeError } from './normalize-runtime-error.js';
import type { RawSession } from './raw-session.js';
import type { TensorSpec } from './tensor-spec.js';
import { checkOptionalObject } from '../errors/argument-checks.js';

/** What a mock model's `compute` receives besides the feeds. */
export interface MockRunContext {
  /** The run's signal, for computations that want to stop early themselves. */
  readonly signal: AbortSignalLike | undefined;
  /** The registered model name. */
  readonly model: string;
  /** Zero-based index of this run among all runs of this model on this backend. */
  readonly callIndex: number;
}

/** A model the {@link MockBackend} can load: its signature and a JS function standing in for it. */
export interface MockModel {
  /** Input specs; feeds are validated against them like a runtime would. */
  readonly inputs: readonly TensorSpec[];
  /** Output specs; `compute` must return exactly these, or the run fails. */
  readonly outputs: readonly TensorSpec[];
  /** Computes the outputs. May be async; a throw becomes a `RUNTIME_ERROR` like a runtime's. */
  compute(feeds: TensorMap, context: MockRunContext): Record<string, Tensor> | PromiseLike<Record<string, Tensor>>;
  /**
   * Runs on every load before the session exists; throw to simulate a failing load (e.g. a
   * DEVICE_UNAVAILABLE KandinskyError), return a promise to simulate a slow one.
   * @default undefined
   */
  load?(options: LoadModelOptions): void | PromiseLike<void>;
  /**
   * File size reported in one `download` progress event per load.
   * @default undefined (no event)
   */
  readonly sizeBytes?: number;
}

/** Options of the {@link MockBackend} constructor. */
export interface MockBackendOptions {
  /**
   * The backend name.
   * @default "mock"
   */
  name?: string;
  /**
   * The device it claims to run on (to test device-dependent pipeline choices).
   * @default "cpu"
   */
  device?: Device;
  /**
   * Overrides of the capabilities, e.g. `{ maxMemoryBytes: 2 ** 30 }` to test how a pipeline
   * sizes its batches.
   * @default { maxMemoryBytes: undefined }
   */
  capabilities?: Partial<BackendCapabilities>;
  /**
   * Whether symbolic dimensions must be consistent across feeds (see `checkFeeds`).
   * @default true
   */
  symbolicDimensions?: boolean;
}

/** A `loadModel` call the mock saw. */
export interface MockLoadRecord {
  readonly model: string;
  readonly options: LoadModelOptions;
  /** How it ended; `pending` until it settles. */
  readonly outcome: 'pending' | 'ok' | 'aborted' | 'error';
}

/** A `run` call the mock saw. */
export interface MockRunRecord {
  readonly model: string;
  /** Which session ran it (sessions are numbered from 0 per backend). */
  readonly sessionId: number;
  /** Dtype and dims of every feed, copied at call time. */
  readonly feeds: Readonly<Record<string, { readonly dtype: DataType; readonly dims: readonly number[] }>>;
  /** `monotonicNow()` when the run started. */
  readonly startedAt: number;
  /** Milliseconds until the run settled; `undefined` while pending. */
  readonly durationMs: number | undefined;
  /** How it ended; `pending` until it settles. */
  readonly outcome: 'pending' | 'ok' | 'aborted' | 'error';
  /** The error it rejected with, if any. */
  readonly error?: KandinskyError;
}

/** The session type {@link MockBackend.loadModel} returns. */
export interface MockModelSession extends ModelSession {
  /** Session number, from 0 per backend. */
  readonly id: number;
  /** The registered model name. */
  readonly model: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * An in-memory {@link Backend} for unit-testing pipeline logic without ONNX: register models by
 * name with their specs and a JS function, load them by that name, and assert on what happened.
 * Its sessions are built by `createModelSession` like the real backends' sessions, so they behave
 * alike where it matters to callers: feeds are validated, aborts reject with `ABORTED`, runs
 * after `dispose` reject with `SESSION_DISPOSED`, throws from `compute` arrive as
 * `RUNTIME_ERROR`, and `dispose` waits for computations in flight. It counts live sessions and
 * pending runs so a test can assert that nothing leaks after an abort or an error.
 *
 * ```ts
 * import { MockBackend } from '@kandinsky/core/testing';
 *
 * const backend = new MockBackend().register('unet', {
 *   inputs: [{ name: 'sample', dtype: 'float32', dims: ['B', 4, 'h', 'w'] }],
 *   outputs: [{ name: 'noise_pred', dtype: 'float32', dims: ['B', 4, 'h', 'w'] }],
 *   compute: ({ sample }) => ({ noise_pred: sample }),
 * });
 * const unet = await backend.loadModel('unet');
 * ```
 * A string source is the model name; a Uint8Array source is read as the ASCII bytes of the
 * name; external-data entries are accepted and ignored.
 */
export class MockBackend implements Backend {
  readonly name: string;
  readonly device: Device;
  readonly capabilities: BackendCapabilities;
  private readonly models = new Map<string, MockModel>();
  private readonly symbolicDimensions: boolean;
  private readonly loadRecords: MockLoadRecord[] = [];
  private readonly runRecords: MockRunRecord[] = [];
  private readonly runCounts = new Map<string, number>();
  private nextSessionId = 0;
  private live = 0;
  private pendingRuns = 0;

  constructor(options: MockBackendOptions = {}) {
    checkOptionalObject('options', options);
    this.name = options.name ?? 'mock';
    this.device = options.device ?? 'cpu';
    this.capabilities = { maxMemoryBytes: undefined, ...options.capabilities };
    this.symbolicDimensions = options.symbolicDimensions ?? true;
  }

  /** Registers `model` under `name` (throws INVALID_ARGUMENT if the name is taken). Chainable. */
  register(name: string, model: MockModel): this {
    if (typeof name !== 'string' || name === '') {
      throw invalidArgument('Mock model name', name, 'a non-empty string', 'Register each mock model under the name you will pass to loadModel.');
    }
    if (this.models.has(name)) {
      throw kandinskyError(
        'INVALID_ARGUMENT',
        `A mock model named ${JSON.stringify(name)} is already registered.`,
        'Use a different name, or a new MockBackend.',
        { name },
      );
    }
    this.models.set(name, model);
    return this;
  }

  /**
   * Sessions loaded and not yet released (a disposed session is released once its computations
   * in flight have settled). Zero at the end of a test means nothing leaked.
   */
  get liveSessions(): number {
    return this.live;
  }

  /** Runs whose promise has not settled yet. */
  get pendingRunCount(): number {
    return this.pendingRuns;
  }

  /** Every `loadModel` call, in order. */
  get loads(): readonly MockLoadRecord[] {
    return this.loadRecords;
  }

  /** Every `run` call of every session, in order (calls after `dispose` included). */
  get runs(): readonly MockRunRecord[] {
    return this.runRecords;
  }

  /** The runs of one model, in order. */
  runsOf(model: string): MockRunRecord[] {
    return this.runRecords.filter((record) => record.model === model);
  }

  /**
   * Loads a registered model: MODEL_NOT_FOUND for an unknown name, ABORTED when the signal fires
   * (before the session exists, so an aborted load never counts as live), the `load` hook's
   * failure otherwise. Emits one `download` event when the model declares `sizeBytes`.
   */
  async loadModel(source: ModelSource, options: LoadModelOptions = {}): Promise<MockModelSession> {
    const normalized = normalizeModelSource(source);
    const name = typeof normalized.model === 'string' ? normalized.model : asciiName(normalized.model);
    const model = this.models.get(name);
    if (model === undefined) {
      const registered = [...this.models.keys()].map((key) => JSON.stringify(key)).join(', ') || 'none';
      throw kandinskyError(
        'MODEL_NOT_FOUND',
        `No mock model named ${JSON.stringify(name)} is registered.`,
        `Register it with backend.register(${JSON.stringify(name)}, ...) first; registered: ${registered}.`,
        { model: name },
      );
    }
    const record: Mutable<MockLoadRecord> = { model: name, options, outcome: 'pending' };
    this.loadRecords.push(record);
    const label = options.label ?? name;
    const operation = `Loading ${JSON.stringify(label)}`;
    try {
      throwIfAborted(options.signal, operation);
      if (model.sizeBytes !== undefined) {
        new DownloadProgress(options.onProgress).update(name, model.sizeBytes, model.sizeBytes, true);
      }
      const loading = Promise.resolve().then(() => model.load?.(options));
      await abortable(loading, options.signal, { operation });
    } catch (error) {
      const normalizedError = normalizeRuntimeError(error, { operation, component: label, signal: options.signal });
      record.outcome = normalizedError.code === 'ABORTED' ? 'aborted' : 'error';
      throw normalizedError;
    }
    record.outcome = 'ok';
    this.live += 1;
    return this.createSession(name, label, model);
  }

  private createSession(name: string, label: string, model: MockModel): MockModelSession {
    const raw: RawSession = {
      inputs: model.inputs,
      outputs: model.outputs,
      run: (feeds, options) => {
        const callIndex = this.runCounts.get(name) ?? 0;
        this.runCounts.set(name, callIndex + 1);
        const context: MockRunContext = { signal: options.signal, model: name, callIndex };
        // A runtime computes on a later turn, never inside the run call itself.
        return Promise.resolve()
          .then(() => model.compute(feeds, context))
          .then((outputs) => {
            checkOutputs(label, model.outputs, outputs);
            return outputs;
          });
      },
      release: () => {
        this.live -= 1;
      },
    };
    const session = createModelSession(raw, { label, symbolicDimensions: this.symbolicDimensions });
    const id = this.nextSessionId++;
    return {
      id,
      model: name,
      inputs: session.inputs,
      outputs: session.outputs,
      get disposed(): boolean {
        return session.disposed;
      },
      run: (feeds, options) => this.recordRun(name, id, feeds, () => session.run(feeds, options)),
      dispose: () => session.dispose(),
    };
  }

  private async recordRun(
    model: string,
    sessionId: number,
    feeds: TensorMap,
    run: () => Promise<Record<string, Tensor>>,
  ): Promise<Record<string, Tensor>> {
    const record: Mutable<MockRunRecord> = {
      model,
      sessionId,
      feeds: snapshotFeeds(feeds),
      startedAt: monotonicNow(),
      durationMs: undefined,
      outcome: 'pending',
    };
    this.runRecords.push(record);
    this.pendingRuns += 1;
    try {
      const outputs = await run();
      record.outcome = 'ok';
      return outputs;
    } catch (error) {
      // Sessions from createModelSession reject with KandinskyErrors only.
      record.error = error as KandinskyError;
      record.outcome = record.error.code === 'ABORTED' ? 'aborted' : 'error';
      throw error;
    } finally {
      record.durationMs = monotonicNow() - record.startedAt;
      this.pendingRuns -= 1;
    }
  }
}

function checkOutputs(label: string, specs: readonly TensorSpec[], outputs: unknown): void {
  if (typeof outputs !== 'object' || outputs === null) {
    throw kandinskyError(
      'MODEL_CONTRACT_MISMATCH',
      `Mock model ${JSON.stringify(label)} returned ${describeValue(outputs)} instead of an object of tensors.`,
      'Return { outputName: tensor, ... } from compute.',
    );
  }
  const problems = findTensorMapProblems(specs, outputs as TensorMap, { symbolicDimensions: false });
  if (problems.length === 0) return;
  throw kandinskyError(
    'MODEL_CONTRACT_MISMATCH',
    [
      `Mock model ${JSON.stringify(label)} returned outputs that differ from its declared outputs:`,
      ...problems.map((problem) => `  - ${problem.message}`),
    ].join('\n'),
    'Make compute return exactly the declared outputs, with their dtypes and shapes.',
    { label, problems },
  );
}

function snapshotFeeds(feeds: TensorMap): MockRunRecord['feeds'] {
  const snapshot: Record<string, { dtype: DataType; dims: readonly number[] }> = {};
  if (typeof feeds !== 'object' || feeds === null) return snapshot;
  for (const [name, tensor] of Object.entries(feeds)) {
    snapshot[name] = { dtype: tensor?.dtype, dims: Array.isArray(tensor?.dims) ? [...tensor.dims] : [] };
  }
  return snapshot;
}

function asciiName(bytes: Uint8Array): string {
  let name = '';
  for (const byte of bytes) name += String.fromCharCode(byte);
  return name;
}
