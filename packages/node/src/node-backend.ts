import { existsSync, readdirSync } from 'node:fs';
import { access } from 'node:fs/promises';
import {
  KandinskyError,
  WarningCodes,
  abortable,
  describeModelSource,
  describeValue,
  emitProgress,
  normalizeModelSource,
  normalizeRuntimeError,
  throwIfAborted,
  type Backend,
  type BackendCapabilities,
  type LoadModelOptions,
  type ModelSession,
  type ModelSource,
  type ProgressCallback,
} from '@kandinsky/core';
import * as ort from 'onnxruntime-node';
import {
  deviceUnavailableError,
  executionProvidersFor,
  probeDevice,
  type DeviceProbeResult,
  type NodeDevice,
} from './execution-provider-probe.js';
import { OnnxModelSession } from './onnx-model-session.js';

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
   * the core the SDK's step code runs on: on a 2-vCPU VM the SDK's time per step was ~13 µs with
   * 1 thread against 20–36 µs with the default pool, while the whole call changed by less than
   * the run-to-run spread (docs/benchmarks.md, "SDK overhead per denoising step"). It is not the
   * default: larger models need the pool.
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
    this.device = device;
    this.probes = probes;
    this.#options = options;
    this.capabilities = {
      float16: true,
      maxBufferBytes: undefined,
      maxMemoryBytes: undefined,
      externalData: true,
      interruptibleRun: false,
    };
  }

  async loadModel(source: ModelSource, options: LoadModelOptions = {}): Promise<ModelSession> {
    const normalized = normalizeModelSource(source);
    const label = options.label ?? (typeof normalized.model === 'string' ? normalized.model : 'model');
    const operation = `Loading ${label}`;
    throwIfAborted(options.signal, operation);
    if (typeof normalized.model === 'string') {
      try {
        await access(normalized.model);
      } catch (cause) {
        throw new KandinskyError({
          code: 'MODEL_NOT_FOUND',
          message: `Model file ${describeModelSource(source)} does not exist or cannot be read.`,
          hint: 'Check the model folder path; model folders are described in docs/model-format.md.',
          details: { path: normalized.model, component: options.label },
          cause,
        });
      }
    }
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: executionProvidersFor(this.device, this.#options.cudaDeviceId),
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      enableCpuMemArena: this.#options.cpuMemoryArena ?? true,
      logSeverityLevel: 3,
      ...(options.intraOperatorThreads ?? this.#options.intraOperatorThreads
        ? { intraOpNumThreads: options.intraOperatorThreads ?? this.#options.intraOperatorThreads }
        : {}),
      ...(options.freeDimensions ? { freeDimensionOverrides: { ...options.freeDimensions } } : {}),
      ...(normalized.externalData.length > 0
        ? { externalData: normalized.externalData.map((entry) => ({ path: entry.path, data: entry.data })) }
        : {}),
      ...(options.runtimeOptions as ort.InferenceSession.SessionOptions | undefined),
    };
    try {
      const creating =
        typeof normalized.model === 'string'
          ? ort.InferenceSession.create(normalized.model, sessionOptions)
          : ort.InferenceSession.create(normalized.model, sessionOptions);
      const session = await abortable(creating, options.signal, {
        operation,
        // A session finished after the abort is released, never leaked.
        onAbandonedResult: (late) => late.release(),
      });
      return new OnnxModelSession(session, label);
    } catch (error) {
      throw normalizeRuntimeError(error, { operation, component: options.label, signal: options.signal });
    }
  }
}

/**
 * Why `auto` should not probe WebGPU, or undefined when it should. Probing runs Dawn, which
 * prints adapter errors to stderr on machines without a usable GPU; on Linux a GPU shows up as a
 * DRM render node or an NVIDIA device file, so without one the probe is skipped.
 */
function webgpuSkipReason(): string | undefined {
  if (/swiftshader/i.test(process.env.VK_ICD_FILENAMES ?? '')) {
    return 'skipped: the Vulkan driver is SwiftShader (software)';
  }
  if (process.platform === 'linux') {
    const renderNodes = (() => {
      try {
        return readdirSync('/dev/dri').some((name) => name.startsWith('renderD'));
      } catch {
        return false;
      }
    })();
    if (!renderNodes && !existsSync('/dev/nvidia0')) return 'skipped: no GPU device (/dev/dri/renderD*, /dev/nvidia0)';
  }
  return undefined;
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
  const requested = options.device ?? 'auto';
  const cudaDeviceId = options.cudaDeviceId ?? 0;
  if (!['auto', 'cpu', 'cuda', 'webgpu'].includes(requested)) {
    throw new KandinskyError({
      code: 'INVALID_ARGUMENT',
      message: `Unknown device ${describeValue(requested)}.`,
      hint: 'Use "auto", "cpu", "cuda" or "webgpu".',
    });
  }
  if (requested !== 'auto') {
    const probe = await probeDevice(requested, cudaDeviceId);
    if (!probe.available) throw deviceUnavailableError(probe);
    return new NodeBackend(requested, [probe], options);
  }
  const probes: DeviceProbeResult[] = [];
  for (const device of ['cuda', 'webgpu', 'cpu'] as const) {
    const skip = device === 'webgpu' ? webgpuSkipReason() : undefined;
    if (skip) {
      probes.push({ device, available: false, reason: skip });
      continue;
    }
    const probe = await probeDevice(device, cudaDeviceId);
    probes.push(probe);
    if (probe.available) {
      if (probes.length > 1) {
        emitProgress(options.onProgress, {
          type: 'warning',
          code: WarningCodes.DEVICE_FALLBACK,
          message: `Using ${JSON.stringify(device)}: ${probes
            .slice(0, -1)
            .map((skipped) => `${skipped.device} unavailable (${skipped.reason})`)
            .join('; ')}.`,
          details: { device, probes },
        });
      }
      return new NodeBackend(device, probes, options);
    }
  }
  throw deviceUnavailableError(probes[probes.length - 1]!);
}
