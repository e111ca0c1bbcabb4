import { abortable } from '../abort/abortable.js';
import type { AbortSignalLike } from '../abort/abort-signal-like.js';
import { throwIfAborted } from '../abort/throw-if-aborted.js';
import { KandinskyError, describeValue } from '../errors/kandinsky-error.js';
import { DownloadProgress } from '../events/download-progress.js';
import { monotonicNow } from '../events/monotonic-now.js';
import type { DataType, Tensor } from '../tensor/tensor.js';
import type { Backend } from './backend.js';
import type { BackendCapabilities } from './backend-capabilities.js';
import { checkFeeds, findTensorMapProblems } from './check-feeds.js';
import type { Device } from './device.js';
import type { LoadModelOptions } from './load-model-options.js';
import { createSessionDisposedError, type ModelSession, type RunOptions, type TensorMap } from './model-session.js';
import { normalizeModelSource, type ModelSource } from './model-source.js';
import { normalizeRuntimeError } from './normalize-runtime-error.js';
import type { TensorSpec } from './tensor-spec.js';

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
   * Overrides of the capabilities.
   * @default { float16: true, maxBufferBytes: undefined, maxMemoryBytes: undefined, externalData: true, interruptibleRun: false }
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
 * It behaves like the real backends where it matters to callers: feeds are validated, aborts
 * reject with `ABORTED`, runs after `dispose` reject with `SESSION_DISPOSED`, throws from
 * `compute` arrive as `RUNTIME_ERROR`. It counts live sessions and pending runs so a test can
 * assert that nothing leaks after an abort or an error.
 *
 * ```ts
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
    this.name = options.name ?? 'mock';
    this.device = options.device ?? 'cpu';
    this.capabilities = {
      float16: true,
      maxBufferBytes: undefined,
      maxMemoryBytes: undefined,
      externalData: true,
      interruptibleRun: false,
      ...options.capabilities,
    };
    this.symbolicDimensions = options.symbolicDimensions ?? true;
  }

  /** Registers `model` under `name` (throws INVALID_ARGUMENT if the name is taken). Chainable. */
  register(name: string, model: MockModel): this {
    if (typeof name !== 'string' || name === '') {
      throw new KandinskyError({
        code: 'INVALID_ARGUMENT',
        message: `Mock model name must be a non-empty string, got ${describeValue(name)}.`,
        hint: 'Register each mock model under the name you will pass to loadModel.',
      });
    }
    if (this.models.has(name)) {
      throw new KandinskyError({
        code: 'INVALID_ARGUMENT',
        message: `A mock model named ${JSON.stringify(name)} is already registered.`,
        hint: 'Use a different name, or a new MockBackend.',
      });
    }
    this.models.set(name, model);
    return this;
  }

  /** Sessions loaded and not yet disposed. Zero at the end of a test means nothing leaked. */
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

  /** Every `run` call of every session, in order. */
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
      throw new KandinskyError({
        code: 'MODEL_NOT_FOUND',
        message: `No mock model named ${JSON.stringify(name)} is registered.`,
        hint: `Register it with backend.register(${JSON.stringify(name)}, ...) first; registered: ${
          [...this.models.keys()].map((key) => JSON.stringify(key)).join(', ') || 'none'
        }.`,
        details: { model: name },
      });
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
    const backend = this;
    const id = this.nextSessionId++;
    let disposed = false;
    return {
      id,
      model: name,
      inputs: model.inputs,
      outputs: model.outputs,
      get disposed(): boolean {
        return disposed;
      },
      async run(feeds: TensorMap, options: RunOptions = {}): Promise<Record<string, Tensor>> {
        if (disposed) throw createSessionDisposedError(label);
        const operation = `Running ${JSON.stringify(label)}`;
        const record: Mutable<MockRunRecord> = {
          model: name,
          sessionId: id,
          feeds: snapshotFeeds(feeds),
          startedAt: monotonicNow(),
          durationMs: undefined,
          outcome: 'pending',
        };
        backend.runRecords.push(record);
        backend.pendingRuns += 1;
        try {
          throwIfAborted(options.signal, operation);
          checkFeeds(label, model.inputs, feeds, { symbolicDimensions: backend.symbolicDimensions });
          const callIndex = backend.runCounts.get(name) ?? 0;
          backend.runCounts.set(name, callIndex + 1);
          const context: MockRunContext = { signal: options.signal, model: name, callIndex };
          const computing = Promise.resolve().then(() => model.compute(feeds, context));
          const outputs = await abortable(computing, options.signal, { operation });
          if (disposed) throw createSessionDisposedError(label);
          checkOutputs(label, model.outputs, outputs);
          record.outcome = 'ok';
          return outputs;
        } catch (error) {
          const normalizedError = normalizeRuntimeError(error, { operation, component: label, signal: options.signal });
          record.outcome = normalizedError.code === 'ABORTED' ? 'aborted' : 'error';
          record.error = normalizedError;
          throw normalizedError;
        } finally {
          record.durationMs = monotonicNow() - record.startedAt;
          backend.pendingRuns -= 1;
        }
      },
      async dispose(): Promise<void> {
        if (disposed) return;
        disposed = true;
        backend.live -= 1;
      },
    };
  }
}

function checkOutputs(label: string, specs: readonly TensorSpec[], outputs: unknown): void {
  if (typeof outputs !== 'object' || outputs === null) {
    throw new KandinskyError({
      code: 'MODEL_CONTRACT_MISMATCH',
      message: `Mock model ${JSON.stringify(label)} returned ${describeValue(outputs)} instead of an object of tensors.`,
      hint: 'Return { outputName: tensor, ... } from compute.',
    });
  }
  const problems = findTensorMapProblems(specs, outputs as TensorMap, { symbolicDimensions: false });
  if (problems.length === 0) return;
  throw new KandinskyError({
    code: 'MODEL_CONTRACT_MISMATCH',
    message: [
      `Mock model ${JSON.stringify(label)} returned outputs that differ from its declared outputs:`,
      ...problems.map((problem) => `  - ${problem.message}`),
    ].join('\n'),
    hint: 'Make compute return exactly the declared outputs, with their dtypes and shapes.',
    details: { label, problems },
  });
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
