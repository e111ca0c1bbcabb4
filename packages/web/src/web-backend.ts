import {
  invalidArgument,
  kandinskyError,
  normalizeModelSource,
  openOrtSession,
  throwIfAborted,
  type Backend,
  type BackendCapabilities,
  type LoadModelOptions,
  type ModelSession,
  type ModelSource,
} from '@kandinsky/core';
import { checkOptions } from './argument-checks.js';
import * as ort from 'onnxruntime-web';
import { probeDevice, type WebDevice, type WebDeviceProbe } from './probe-device.js';

/** Options of {@link createWebBackend}. */
export interface WebBackendOptions {
  /**
   * Where models run. `auto` takes WebGPU when the browser gives an adapter and WASM otherwise;
   * an explicit `webgpu` without an adapter throws DEVICE_UNAVAILABLE (onnxruntime-web does not
   * fall back by itself).
   * @default 'auto'
   */
  device?: WebDevice | 'auto';
  /**
   * Where onnxruntime-web finds its `ort-wasm-*.wasm` / `.mjs` files: a URL prefix ending in `/`
   * served by the app itself (never a CDN). The playground serves them under `/ort/`.
   * @default undefined (onnxruntime-web's own `import.meta.url` resolution, which bundlers rewrite to an app asset)
   */
  wasmPaths?: string;
  /**
   * WASM threads. More than 1 needs a cross-origin isolated page (COOP/COEP headers), and every
   * script the runtime starts as a thread worker must be served with COEP too.
   * @default `min(4, hardwareConcurrency)` on a cross-origin isolated page, else 1
   */
  numThreads?: number;
  /**
   * The memory sessions may use, reported as `capabilities.maxMemoryBytes`.
   * @default 4 GiB for WASM (the wasm32 address space); undefined for WebGPU
   */
  maxMemoryBytes?: number;
}

const WASM_ADDRESS_SPACE = 4 * 2 ** 30;

/** A core {@link Backend} on onnxruntime-web. Create it with {@link createWebBackend}. */
export class WebBackend implements Backend {
  readonly name = 'onnxruntime-web';
  readonly device: WebDevice;
  readonly capabilities: BackendCapabilities;
  /** What {@link probeDevice} found when the backend was made. */
  readonly probe: WebDeviceProbe;
  /** WASM threads per session (onnxruntime-web's `env.wasm.numThreads`). */
  readonly threads: number;

  constructor(device: WebDevice, probe: WebDeviceProbe, options: WebBackendOptions = {}, threads = 1) {
    if (device !== 'wasm' && device !== 'webgpu') {
      throw invalidArgument('device', device, '"wasm" or "webgpu"', 'Create backends with createWebBackend(options), which probes the device.');
    }
    if (typeof probe !== 'object' || probe === null) {
      throw invalidArgument('probe', probe, 'a WebDeviceProbe', 'Pass the result of probeDevice(), or use createWebBackend(options).');
    }
    checkOptions('options', options);
    if (!Number.isInteger(threads) || threads < 1) {
      throw invalidArgument('threads', threads, 'an integer ≥ 1', 'Leave it out for 1.');
    }
    this.device = device;
    this.probe = probe;
    this.threads = threads;
    const maxMemoryBytes = options.maxMemoryBytes ?? (device === 'wasm' ? WASM_ADDRESS_SPACE : undefined);
    this.capabilities = { maxMemoryBytes };
  }

  /**
   * Loads an ONNX model from its bytes or a URL; external-data entries are handed to
   * onnxruntime-web as they are (a URL is fetched by the runtime itself, so no single buffer
   * holds model and weights together).
   */
  async loadModel(source: ModelSource, options: LoadModelOptions = {}): Promise<ModelSession> {
    const normalized = normalizeModelSource(source);
    const label = options.label ?? (typeof normalized.model === 'string' ? normalized.model : 'model');
    const operation = `Loading ${JSON.stringify(label)}`;
    const signal = options.signal;
    throwIfAborted(signal, operation);
    const runtimeOptions = options.runtimeOptions as ort.InferenceSession.SessionOptions | undefined;
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: [this.device],
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      logSeverityLevel: 3,
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
}

/** Sets onnxruntime-web's process-wide WASM options once (they apply to every later session). */
function configureWasm(options: WebBackendOptions): number {
  if (options.wasmPaths !== undefined) ort.env.wasm.wasmPaths = options.wasmPaths;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  const threads = options.numThreads ?? (isolated ? Math.min(4, cores) : 1);
  if (!Number.isInteger(threads) || threads < 1) {
    throw invalidArgument('numThreads', threads, 'an integer ≥ 1', 'Use 1, or more on a cross-origin isolated page.');
  }
  if (threads > 1 && !isolated) {
    throw invalidArgument(
      'numThreads',
      threads,
      '1 on a page that is not cross-origin isolated',
      'Serve the page with "Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp", or use 1 thread.',
    );
  }
  ort.env.wasm.numThreads = threads;
  return threads;
}

/**
 * Creates a backend on onnxruntime-web, probing WebGPU first (spec: ORT does not fall back by
 * itself). `backend.device` says which device was chosen.
 * ```ts
 * const backend = await createWebBackend({ device: 'auto', wasmPaths: '/ort/' });
 * console.log(backend.device); // "webgpu" or "wasm"
 * ```
 */
export async function createWebBackend(options: WebBackendOptions = {}): Promise<WebBackend> {
  checkOptions('options', options);
  const requested = options.device ?? 'auto';
  if (requested !== 'auto' && requested !== 'wasm' && requested !== 'webgpu') {
    throw invalidArgument('device', requested, '"auto", "wasm" or "webgpu"', 'Use "auto" to take WebGPU when the browser has it.');
  }
  const maxMemoryBytes = options.maxMemoryBytes;
  if (maxMemoryBytes !== undefined && !(typeof maxMemoryBytes === 'number' && Number.isFinite(maxMemoryBytes) && maxMemoryBytes > 0)) {
    throw invalidArgument('maxMemoryBytes', maxMemoryBytes, 'a positive number of bytes', 'Pass e.g. 2 * 2 ** 30 for 2 GiB, or leave it out.');
  }
  const threads = configureWasm(options);
  const probe = await probeDevice();
  let device: WebDevice = requested === 'auto' ? (probe.webgpu ? 'webgpu' : 'wasm') : requested;
  if (device === 'webgpu' && !probe.webgpu) {
    throw kandinskyError(
      'DEVICE_UNAVAILABLE',
      `WebGPU is not available in this browser: ${probe.webgpuReason ?? 'no adapter'}.`,
      'Use device "wasm" (or "auto"), or a browser with WebGPU enabled.',
      { device: 'webgpu', reason: probe.webgpuReason },
    );
  }
  return new WebBackend(device, probe, options, threads);
}
