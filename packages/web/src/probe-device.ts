/** A device onnxruntime-web runs models on. */
export type WebDevice = 'wasm' | 'webgpu';

/** What {@link probeDevice} found. */
export interface WebDeviceProbe {
  /** True when `navigator.gpu.requestAdapter()` gave an adapter. */
  readonly webgpu: boolean;
  /** Why WebGPU is unavailable, when it is. */
  readonly webgpuReason?: string;
  /** The adapter's vendor and architecture (e.g. "google / swiftshader"), when known. */
  readonly adapter?: string;
  /** True when the adapter has `shader-f16` (fp16 model files can run on it). */
  readonly shaderF16: boolean;
  /** True when the page is cross-origin isolated, so WASM can use threads. */
  readonly crossOriginIsolated: boolean;
  /** Logical cores the browser reports. */
  readonly hardwareConcurrency: number;
}

interface GpuAdapterLike {
  readonly features: { has(name: string): boolean };
  readonly info?: { vendor?: string; architecture?: string };
}

/**
 * Says which devices this browser (or worker) offers, like `probeDevice()` of `@kandinsky/node`.
 * It asks for a WebGPU adapter, which starts no model and costs a few milliseconds.
 */
export async function probeDevice(): Promise<WebDeviceProbe> {
  const scope = globalThis as {
    navigator?: { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> }; hardwareConcurrency?: number };
    crossOriginIsolated?: boolean;
  };
  const common = {
    crossOriginIsolated: scope.crossOriginIsolated === true,
    hardwareConcurrency: scope.navigator?.hardwareConcurrency ?? 1,
  };
  const gpu = scope.navigator?.gpu;
  if (gpu === undefined) return { webgpu: false, webgpuReason: 'navigator.gpu is undefined', shaderF16: false, ...common };
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (error) {
    return { webgpu: false, webgpuReason: `requestAdapter failed: ${String(error)}`, shaderF16: false, ...common };
  }
  if (adapter === null) return { webgpu: false, webgpuReason: 'requestAdapter() returned no adapter', shaderF16: false, ...common };
  const info = adapter.info;
  const name = info ? [info.vendor, info.architecture].filter(Boolean).join(' / ') : undefined;
  return { webgpu: true, ...(name ? { adapter: name } : {}), shaderF16: adapter.features.has('shader-f16'), ...common };
}
