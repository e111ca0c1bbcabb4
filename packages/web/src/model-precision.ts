import { describeValue, invalidArgument, kandinskyError, type Backend, type ComponentConfig } from '@kandinsky/core';
import type { WebDevice } from './probe-device.js';

/**
 * What decides between a component's fp32 and fp16 model files: the device the backend runs on
 * and whether its WebGPU adapter has the `shader-f16` feature.
 */
export interface ModelPrecision {
  readonly device: WebDevice;
  /** True when the WebGPU adapter has `shader-f16` (fp16 arithmetic in WGSL). */
  readonly shaderF16: boolean;
}

/**
 * Which file of a component to load for `path` (`<component>/model.onnx`), given the component's
 * `config.json` (docs/model-format.md §1.2):
 * - the `float16_file` variant (same graph computing in fp16, same float32 inputs and outputs)
 *   on WebGPU when the adapter has `shader-f16`: half the bytes and faster on such GPUs;
 * - `model.onnx` otherwise — on WASM always (its fp16 kernels are emulated, slower than fp32);
 * - DEVICE_UNAVAILABLE when `model.onnx` itself computes in fp16 (`compute_dtype: "float16"`)
 *   and the adapter has no `shader-f16`, since WebGPU cannot run it there.
 */
export function selectModelFile(path: string, config: ComponentConfig | undefined, precision: ModelPrecision): string {
  if (typeof path !== 'string' || path === '') {
    throw invalidArgument('path', path, 'a model file path such as "unet/model.onnx"', 'Pass the component\'s model.onnx path.');
  }
  if (config !== undefined && (typeof config !== 'object' || config === null || Array.isArray(config))) {
    throw invalidArgument('config', config, "the component's parsed config.json or undefined", 'Pass folder.config(role), or undefined.');
  }
  const given = precision as Partial<ModelPrecision> | null;
  if (typeof given !== 'object' || given === null || (given.device !== 'wasm' && given.device !== 'webgpu') || typeof given.shaderF16 !== 'boolean') {
    throw invalidArgument('precision', precision, '{ device: "wasm" | "webgpu", shaderF16: boolean }', 'Pass modelPrecisionOf(backend).');
  }
  const slash = path.lastIndexOf('/');
  const folder = slash < 0 ? '' : path.slice(0, slash + 1);
  if (precision.device !== 'webgpu' || config === undefined) return path;
  const variant = config.float16_file;
  if (variant !== undefined && (typeof variant !== 'string' || variant === '' || variant.includes('/') || variant.includes('\\'))) {
    throw kandinskyError(
      'INVALID_MODEL_MANIFEST',
      `${folder}config.json has float16_file ${describeValue(variant)}; it must name a file beside model.onnx.`,
      'Write e.g. "float16_file": "model.fp16.onnx", or remove the key (docs/model-format.md §1.2).',
      { path, float16_file: variant },
    );
  }
  if (precision.shaderF16 && typeof variant === 'string') return `${folder}${variant}`;
  if (!precision.shaderF16 && config.compute_dtype === 'float16') {
    throw kandinskyError(
      'DEVICE_UNAVAILABLE',
      `${path} computes in float16, and this WebGPU adapter has no "shader-f16" feature to run it.`,
      'Use device "wasm", a GPU and browser with shader-f16, or a float32 export of the component (without --fp16, or with a float16_file variant beside a float32 model.onnx).',
      { path, device: 'webgpu', shaderF16: false, compute_dtype: 'float16' },
    );
  }
  return path;
}

/** The precision a {@link WebBackend} calls for, or `undefined` for any other backend (always `model.onnx`). */
export function modelPrecisionOf(backend: Backend): ModelPrecision | undefined {
  if (typeof backend !== 'object' || backend === null) {
    throw invalidArgument('backend', backend, 'a Backend', 'Pass the backend the pipeline loads with, e.g. await createWebBackend().');
  }
  const web = backend as Partial<{ device: unknown; probe: { shaderF16?: unknown } }>;
  if ((web.device !== 'wasm' && web.device !== 'webgpu') || typeof web.probe?.shaderF16 !== 'boolean') return undefined;
  return { device: web.device, shaderF16: web.probe.shaderF16 };
}
