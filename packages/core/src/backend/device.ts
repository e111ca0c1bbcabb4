/**
 * Where a backend runs models:
 * - `cpu`: native CPU (onnxruntime-node's CPU execution provider);
 * - `cuda`: an NVIDIA GPU through onnxruntime-node's CUDA provider (when its binaries are installed);
 * - `webgpu`: a GPU through WebGPU (browsers, and onnxruntime-node's WebGPU provider);
 * - `wasm`: WebAssembly on the CPU (onnxruntime-web).
 */
export type Device = 'cpu' | 'cuda' | 'webgpu' | 'wasm';

/** Every {@link Device}, in no particular order of preference. */
export const Devices: readonly Device[] = ['cpu', 'cuda', 'webgpu', 'wasm'];

/** True when `value` is one of {@link Devices}; use it to validate a device read from user input. */
export function isDevice(value: unknown): value is Device {
  return typeof value === 'string' && (Devices as readonly string[]).includes(value);
}
