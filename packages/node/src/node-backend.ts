import {
  invalidArgument,
  normalizeModelSource,
  openOrtSession,
  throwIfAborted,
  type Backend,
  type BackendCapabilities,
  type LoadModelOptions,
  type ModelSession,
  type ModelSource,
  type ProgressCallback,
} from '@kandinsky/core';
import * as ort from 'onnxruntime-node';
import { assertOptionsObject } from './argument-checks.js';
import { deviceMemoryBytes } from './device-memory.js';
import { AUTO_DEVICE_ORDER, autoWebgpuSkipReason, parseExecutionProviders, selectDevice } from './device-selection.js';
import { NODE_DEVICES, executionProvidersFor, type DeviceProbeResult, type NodeDevice } from './execution-provider-probe.js';
import { checkModelFile } from './model-file.js';

/** Options of {@link createNodeBackend}. */
export interface NodeBackendOptions {
  /**
   * Where models run. `auto` tries CUDA, then WebGPU, then the CPU, and uses the first that
   * passes a probe run; it skips WebGPU when the Vulkan driver is SwiftShader (a software
   * renderer about 300× slower than the CPU provider) and, on Linux, when there is no GPU device
   * file at all. An explicit device that fails its probe
   * throws DEVICE_UNAVAILABLE with the remedy.
   * @default 'auto'
   */
  device?: NodeDevice | 'auto';
  /**
   * CUDA device ordinal, for `device: 'cuda'`.
   * @default 0
   */
  cudaDeviceId?: number;
  /**
   * Threads one operator may use on the CPU. Set 1 when several sessions run in parallel. With a
   * very small model (the tiny test models) 1 also keeps onnxruntime's spinning pool threads off
   * the core the SDK's own step code runs on. It is not the default: larger models need the pool.
   * @default undefined (all cores)
   */
  intraOperatorThreads?: number;
  /**
   * Whether the CPU provider keeps a memory arena between runs (faster repeated runs, higher
   * resident memory). Turn off for the lowest footprint.
   * @default true
   */
  cpuMemoryArena?: boolean;
  /**
   * The memory the device's sessions can use, in bytes, reported as
   * `capabilities.maxMemoryBytes` for callers to size their work against (the super-resolution
   * pipeline sizes its view batches with it); onnxruntime-node itself is not capped by it. Set it
   * to the GPU's memory for CUDA and WebGPU, whose memory onnxruntime-node does not report, or
   * lower to leave room for other work.
   * @default the host's memory (or the container's limit) for "cpu"; undefined for "cuda" and "webgpu"
   */
  maxMemoryBytes?: number;
  /**
   * Receives `warning` events (e.g. DEVICE_FALLBACK when `auto` skipped a device).
   * @default undefined
   */
  onProgress?: ProgressCallback;
}

/** A core {@link Backend} on onnxruntime-node. Create it with {@link createNodeBackend}. */
export class NodeBackend implements Backend {
  readonly name = 'onnxruntime-node';
  readonly device: NodeDevice;
  readonly capabilities: BackendCapabilities;
  /** Probe results for every device `auto` tried, in order (one entry for an explicit device). */
  readonly probes: readonly DeviceProbeResult[];
  #options: NodeBackendOptions;

  constructor(device: NodeDevice, probes: readonly DeviceProbeResult[], options: NodeBackendOptions) {
    if (!(NODE_DEVICES as readonly unknown[]).includes(device)) {
      throw invalidArgument('device', device, NODE_DEVICES.map((d) => `"${d}"`).join(', '), 'Create backends with createNodeBackend({ device }).');
    }
    if (!Array.isArray(probes)) throw invalidArgument('probes', probes, 'an array of probe results', 'Create backends with createNodeBackend({ device }).');
    if (options === undefined) throw invalidArgument('options', options, 'an options object', 'Create backends with createNodeBackend({ device }).');
    assertOptionsObject('options', options);
    this.device = device;
    this.probes = probes;
    this.#options = options;
    this.capabilities = { maxMemoryBytes: options.maxMemoryBytes ?? deviceMemoryBytes(device) };
  }

  /**
   * Loads an ONNX model. A path must name a readable file (MODEL_NOT_FOUND otherwise). The
   * session runs on the first of `options.executionProviders` that passes its probe (see
   * {@link LoadModelOptions.executionProviders}), by default on `backend.device`.
   */
  async loadModel(source: ModelSource, options: LoadModelOptions = {}): Promise<ModelSession> {
    const normalized = normalizeModelSource(source);
    const label = options.label ?? (typeof normalized.model === 'string' ? normalized.model : 'model');
    const operation = `Loading ${JSON.stringify(label)}`;
    const signal = options.signal;
    throwIfAborted(signal, operation);
    if (typeof normalized.model === 'string') await checkModelFile(normalized.model, options.label);
    const runtimeOptions = options.runtimeOptions as ort.InferenceSession.SessionOptions | undefined;
    const intraOpNumThreads = options.intraOperatorThreads ?? this.#options.intraOperatorThreads;
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      // Providers set in the escape hatch win, unprobed.
      executionProviders: runtimeOptions?.executionProviders ?? (await this.#executionProviders(options)),
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      enableCpuMemArena: this.#options.cpuMemoryArena ?? true,
      logSeverityLevel: 3,
      ...(intraOpNumThreads ? { intraOpNumThreads } : {}),
      ...(options.freeDimensions ? { freeDimensionOverrides: { ...options.freeDimensions } } : {}),
      ...(normalized.externalData.length > 0
        ? { externalData: normalized.externalData.map((entry) => ({ path: entry.path, data: entry.data })) }
        : {}),
      ...runtimeOptions,
    };
    const creating =
      typeof normalized.model === 'string'
        ? ort.InferenceSession.create(normalized.model, sessionOptions)
        : ort.InferenceSession.create(normalized.model, sessionOptions);
    return openOrtSession(creating, (dtype, data, dims) => new ort.Tensor(dtype, data as ort.Tensor.DataType, dims), {
      operation,
      label,
      ...(options.label === undefined ? {} : { component: options.label }),
      ...(signal === undefined ? {} : { signal }),
    });
  }

  /** The providers of the first preferred device that works, warning about those skipped. */
  async #executionProviders(options: LoadModelOptions): Promise<ort.InferenceSession.ExecutionProviderConfig[]> {
    const cudaDeviceId = this.#options.cudaDeviceId ?? 0;
    if (options.executionProviders === undefined) return executionProvidersFor(this.device, cudaDeviceId);
    const preference = parseExecutionProviders(options.executionProviders);
    const { device } = await selectDevice(preference, { cudaDeviceId, onProgress: options.onProgress });
    return executionProvidersFor(device, cudaDeviceId);
  }
}

/**
 * Creates a backend on onnxruntime-node, probing the device first (spec: ORT does not fall back
 * by itself). `backend.device` says which device was chosen.
 * ```ts
 * const backend = await createNodeBackend({ device: 'auto' });
 * console.log(backend.device); // "cpu" on a machine without CUDA binaries
 * ```
 */
export async function createNodeBackend(options: NodeBackendOptions = {}): Promise<NodeBackend> {
  assertOptionsObject('options', options);
  const requested = options.device ?? 'auto';
  if (requested !== 'auto' && !NODE_DEVICES.includes(requested)) {
    throw invalidArgument('device', requested, '"auto", "cpu", "cuda" or "webgpu"', 'Use "auto" to pick the fastest device that works.');
  }
  const maxMemoryBytes = options.maxMemoryBytes;
  if (maxMemoryBytes !== undefined && !(typeof maxMemoryBytes === 'number' && Number.isFinite(maxMemoryBytes) && maxMemoryBytes > 0)) {
    throw invalidArgument('maxMemoryBytes', maxMemoryBytes, 'a positive number of bytes', 'Pass e.g. 8 * 2 ** 30 for 8 GiB, or leave it out.');
  }
  const { device, probes } = await selectDevice(requested === 'auto' ? AUTO_DEVICE_ORDER : [requested], {
    cudaDeviceId: options.cudaDeviceId ?? 0,
    skip: requested === 'auto' ? autoWebgpuSkipReason : undefined,
    onProgress: options.onProgress,
  });
  return new NodeBackend(device, probes, options);
}
