import { dtypeMismatch, invalidArgument } from '../errors/error-constructors.js';
import { sameDims, type DataType, type Tensor } from '../tensor/tensor.js';
import { abortable } from '../abort/abortable.js';
import type { AbortSignalLike } from '../abort/abort-signal-like.js';
import { createModelSession } from './create-model-session.js';
import type { ModelSession, RunOptions, TensorMap } from './model-session.js';
import { normalizeRuntimeError } from './normalize-runtime-error.js';
import type { RawSession } from './raw-session.js';
import type { TensorSpec } from './tensor-spec.js';
import { checkObject, checkTensor } from '../errors/argument-checks.js';

/**
 * The part of an ONNX Runtime tensor (`onnxruntime-node`, `-web`, `-react-native`: all share
 * `onnxruntime-common`'s `Tensor`) that the adapter reads. Typed structurally, so that core
 * depends on no runtime.
 */
export interface OrtTensorLike {
  readonly type: string;
  readonly data: unknown;
  readonly dims: readonly number[];
}

/** One input or output as an ONNX Runtime session describes it (`InferenceSession.ValueMetadata`). */
export type OrtValueMetadata =
  | { readonly name: string; readonly isTensor: true; readonly type: string; readonly shape: readonly (number | string)[] }
  | { readonly name: string; readonly isTensor: false };

/** The part of an ONNX Runtime `InferenceSession` that the adapter uses. */
export interface OrtSessionLike<T extends OrtTensorLike = OrtTensorLike> {
  readonly inputMetadata: readonly OrtValueMetadata[];
  readonly outputMetadata: readonly OrtValueMetadata[];
  run(feeds: Record<string, T>): Promise<Record<string, unknown>>;
  release(): Promise<void>;
}

/**
 * Makes the runtime's tensor for a core tensor, e.g.
 * `(dtype, data, dims) => new ort.Tensor(dtype, data, dims)`. It must keep `data` (no copy).
 */
export type OrtTensorFactory<T extends OrtTensorLike = OrtTensorLike> = (
  dtype: OrtTensorDataType,
  data: Tensor['data'],
  dims: number[],
) => T;

/** The dtypes both ONNX Runtime tensors and core tensors hold. */
export type OrtTensorDataType = 'float32' | 'float16' | 'int64' | 'int32' | 'bool' | 'uint8';

const SUPPORTED = new Set<string>(['float32', 'float16', 'int64', 'int32', 'bool', 'uint8'] satisfies OrtTensorDataType[]);
const SUPPORTED_LIST = `one of ${[...SUPPORTED].join(', ')}`;

function specsOf(metadata: readonly OrtValueMetadata[]): TensorSpec[] {
  return metadata.map((value) =>
    value.isTensor
      ? { name: value.name, dtype: value.type, dims: [...value.shape] }
      : { name: value.name, dtype: 'non-tensor', dims: undefined },
  );
}

/** Turns an ONNX Runtime output into a core tensor (the typed array is taken over, not copied). */
function fromOrtTensor(name: string, value: OrtTensorLike): Tensor {
  const dtype = value.type;
  if (!SUPPORTED.has(dtype)) {
    throw dtypeMismatch(`Output ${JSON.stringify(name)}`, dtype, SUPPORTED_LIST, `Export the model with outputs of ${SUPPORTED_LIST} (docs/model-format.md).`);
  }
  let data = value.data as Tensor['data'];
  // ORT returns bool tensors as Uint8Array already; float16 as Uint16Array (or Float16Array on
  // runtimes that have it): normalise to core's storage types.
  if (dtype === 'float16' && !(data instanceof Uint16Array)) {
    const view = data as unknown as ArrayBufferView;
    data = new Uint16Array(view.buffer, view.byteOffset, view.byteLength / 2);
  }
  // The runtime's data always matches its dims: no need for createTensor's checks on every step.
  return { dtype: dtype as DataType, dims: value.dims.slice(), data } as Tensor;
}

/**
 * An ONNX Runtime `InferenceSession` as a core {@link RawSession}, shared by `@kandinsky/node` and
 * `@kandinsky/web`: core tensors in and out without copying their buffers. Feed checks, aborts,
 * waiting for runs in flight and error normalisation come from {@link createModelSession}.
 *
 * ```ts
 * import * as ort from 'onnxruntime-node';
 * const session = await ort.InferenceSession.create(path);
 * const raw = new OrtRawSession(session, (dtype, data, dims) => new ort.Tensor(dtype, data, dims));
 * return createModelSession(raw, { label });
 * ```
 */
export class OrtRawSession<T extends OrtTensorLike = OrtTensorLike> implements RawSession {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly #session: OrtSessionLike<T>;
  readonly #makeTensor: OrtTensorFactory<T>;
  /**
   * The runtime tensor made for each fed core tensor. A pipeline feeds the same tensors on every
   * step (context, mask, the batched sample buffer): they are wrapped once. An entry is used only
   * while the core tensor still holds the same buffer and dims.
   */
  readonly #wrapped = new WeakMap<Tensor, T>();

  constructor(session: OrtSessionLike<T>, makeTensor: OrtTensorFactory<T>) {
    const candidate = session as Partial<OrtSessionLike<T>> | null;
    if (
      typeof candidate !== 'object' ||
      candidate === null ||
      !Array.isArray(candidate.inputMetadata) ||
      !Array.isArray(candidate.outputMetadata) ||
      typeof candidate.run !== 'function' ||
      typeof candidate.release !== 'function'
    ) {
      throw invalidArgument('session', session, 'an ONNX Runtime InferenceSession', 'Pass the session that InferenceSession.create resolved with.');
    }
    if (typeof makeTensor !== 'function') {
      throw invalidArgument('makeTensor', makeTensor, 'a function', 'Pass e.g. (dtype, data, dims) => new ort.Tensor(dtype, data, dims).');
    }
    this.#session = session;
    this.#makeTensor = makeTensor;
    this.inputs = specsOf(session.inputMetadata);
    this.outputs = specsOf(session.outputMetadata);
  }

  // The kernels cannot be interrupted, so the signal is left to core's abort race.
  async run(feeds: TensorMap, _options: RunOptions): Promise<Record<string, Tensor>> {
    // Through createModelSession the feeds have passed checkFeeds (one tensor per input); a direct
    // caller still gets INVALID_ARGUMENT, not a TypeError, for a missing one.
    checkObject('feeds', feeds, 'an object of tensors by input name', 'Pass one core tensor per model input.');
    const inputs = this.inputs;
    const ortFeeds: Record<string, T> = {};
    for (let i = 0; i < inputs.length; i++) {
      const name = inputs[i]!.name;
      checkTensor(`feeds.${name}`, feeds[name]);
      ortFeeds[name] = this.#toRuntime(name, feeds[name]!);
    }
    // No fetches are named, so the runtime returns every output of the model.
    const results = await this.#session.run(ortFeeds);
    const specs = this.outputs;
    const outputs: Record<string, Tensor> = {};
    for (let i = 0; i < specs.length; i++) {
      const name = specs[i]!.name;
      const value = results[name];
      if (value !== undefined) outputs[name] = fromOrtTensor(name, value as OrtTensorLike);
    }
    return outputs;
  }

  release(): Promise<void> {
    return this.#session.release();
  }

  /** The runtime tensor of `tensor`, reused while it wraps the same buffer with the same dims. */
  #toRuntime(name: string, tensor: Tensor): T {
    const cached = this.#wrapped.get(tensor);
    if (cached !== undefined && cached.data === tensor.data && sameDims(cached.dims, tensor.dims)) return cached;
    if (!SUPPORTED.has(tensor.dtype)) {
      throw dtypeMismatch(`Input ${JSON.stringify(name)}`, tensor.dtype, SUPPORTED_LIST, `Use ${SUPPORTED_LIST}.`);
    }
    // ORT's float16 tensors take the raw bits as a Uint16Array, like core's float16 storage.
    // ORT keeps the dims array it is given: pass a copy, so the wrapper never changes under it.
    const wrapped = this.#makeTensor(tensor.dtype as OrtTensorDataType, tensor.data, [...tensor.dims]);
    this.#wrapped.set(tensor, wrapped);
    return wrapped;
  }
}

/** What {@link openOrtSession} names in its errors and how it races the caller's signal. */
export interface OpenOrtSessionOptions {
  /** What is being done, for messages, e.g. `Loading "unet"`. */
  readonly operation: string;
  /**
   * The session's name in its error messages (`createModelSession`'s label).
   * @default 'model'
   */
  readonly label?: string;
  /**
   * The model component a load failure names (`LoadModelOptions.label`).
   * @default undefined
   */
  readonly component?: string;
  /**
   * The caller's signal: the load is abandoned when it fires.
   * @default undefined
   */
  readonly signal?: AbortSignalLike;
}

/**
 * Finishes a backend's `loadModel` on any onnxruntime build: awaits `creating` (the runtime's
 * `InferenceSession.create(…)`) against the signal, releasing a session that finishes after an
 * abort instead of leaking it, turns a runtime failure into a typed error, and wraps the session
 * as an {@link OrtRawSession} under {@link createModelSession}. Exports name their axes loosely,
 * so symbolic sizes are left to the runtime to check.
 */
export async function openOrtSession<T extends OrtTensorLike>(
  creating: PromiseLike<OrtSessionLike<T>>,
  makeTensor: OrtTensorFactory<T>,
  options: OpenOrtSessionOptions,
): Promise<ModelSession> {
  if (typeof (creating as { then?: unknown } | null)?.then !== 'function') {
    throw invalidArgument('creating', creating, 'the promise of InferenceSession.create(…)', 'Pass ort.InferenceSession.create(model, sessionOptions).');
  }
  if (typeof makeTensor !== 'function') {
    throw invalidArgument('makeTensor', makeTensor, 'a function', 'Pass e.g. (dtype, data, dims) => new ort.Tensor(dtype, data, dims).');
  }
  if (typeof options !== 'object' || options === null || typeof options.operation !== 'string') {
    throw invalidArgument('options', options, 'an object { operation, label?, component?, signal? }', 'Pass e.g. { operation: \'Loading "unet"\', label: "unet" }.');
  }
  const { operation, label, component, signal } = options;
  let session: OrtSessionLike<T>;
  try {
    session = await abortable(creating, signal, { operation, onAbandonedResult: (late) => late.release() });
  } catch (error) {
    throw normalizeRuntimeError(error, { operation, ...(component === undefined ? {} : { component }), ...(signal ? { signal } : {}) });
  }
  return createModelSession(new OrtRawSession(session, makeTensor), { ...(label === undefined ? {} : { label }), symbolicDimensions: false });
}
