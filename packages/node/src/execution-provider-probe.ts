import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describeValue, kandinskyError, type KandinskyError } from '@kandinsky/core';
import * as ort from 'onnxruntime-node';
import { probeModelBytes } from './probe-model.js';

/** Devices onnxruntime-node can run on. */
export type NodeDevice = 'cpu' | 'cuda' | 'webgpu';

/** The {@link NodeDevice}s, by their ONNX Runtime execution-provider names. */
export const NODE_DEVICES: readonly NodeDevice[] = Object.freeze(['cpu', 'cuda', 'webgpu']);

/** Outcome of probing one device. */
export interface DeviceProbeResult {
  readonly device: NodeDevice;
  readonly available: boolean;
  /** Why the device is unavailable (the runtime's message), when it is. */
  readonly reason?: string;
}

const cache = new Map<string, Promise<DeviceProbeResult>>();

/** The ONNX Runtime execution-provider list for a device. */
export function executionProvidersFor(device: NodeDevice, cudaDeviceId = 0): ort.InferenceSession.ExecutionProviderConfig[] {
  switch (device) {
    case 'cuda':
      return [{ name: 'cuda', deviceId: cudaDeviceId }];
    case 'webgpu':
      return ['webgpu'];
    case 'cpu':
      return ['cpu'];
  }
}

/**
 * Proves that `device` works by creating a session for a one-node graph on it and checking the
 * result. ONNX Runtime neither falls back from a missing provider nor always fails at load time,
 * so nothing short of a real run is trustworthy. Results are cached per process.
 */
export function probeDevice(device: NodeDevice, cudaDeviceId = 0): Promise<DeviceProbeResult> {
  const key = `${device}:${cudaDeviceId}`;
  let result = cache.get(key);
  if (!result) {
    result = runProbe(device, cudaDeviceId);
    cache.set(key, result);
  }
  return result;
}

/** Whether onnxruntime-node's CUDA provider library was installed next to its binding. */
function cudaProviderInstalled(): boolean {
  try {
    const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
    const binaries = join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
    const library = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    return existsSync(join(binaries, library));
  } catch {
    return true; // unknown layout: let the real probe decide
  }
}

async function runProbe(device: NodeDevice, cudaDeviceId: number): Promise<DeviceProbeResult> {
  if (device === 'cuda') {
    const cuda = ort.listSupportedBackends().find((backend) => backend.name === 'cuda');
    if (!cuda) return { device, available: false, reason: 'this onnxruntime-node build has no CUDA provider' };
    // Without the provider library ORT would log a load failure on every probe: check first.
    if (!cuda.bundled && !cudaProviderInstalled()) {
      return { device, available: false, reason: 'the CUDA provider binaries are not installed' };
    }
  }
  let session: ort.InferenceSession | undefined;
  try {
    session = await ort.InferenceSession.create(probeModelBytes(), {
      executionProviders: executionProvidersFor(device, cudaDeviceId),
      logSeverityLevel: 4,
    });
    const input = new ort.Tensor('float32', Float32Array.of(1.5), [1]);
    const output = await session.run({ x: input });
    const value = (output.y?.data as Float32Array | undefined)?.[0];
    if (value !== -1.5) return { device, available: false, reason: `probe graph returned ${describeValue(value)}` };
    return { device, available: true };
  } catch (error) {
    return { device, available: false, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    await session?.release().catch(() => undefined);
  }
}

const remedies: Readonly<Record<NodeDevice, string>> = {
  cuda:
    'Install the CUDA provider binaries (CUDA 12 + cuDNN 9 on the machine, then ' +
    '`ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js`, ' +
    'which downloads them), or use device "cpu".',
  webgpu:
    'No WebGPU adapter was found. Install a GPU driver with Vulkan (Linux), or for a software ' +
    'adapter set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json with Debian chromium ' +
    'installed (slow; for testing only), or use device "cpu".',
  cpu: 'The CPU provider failed to run a one-node graph: reinstall onnxruntime-node.',
};

/**
 * The DEVICE_UNAVAILABLE error for devices that all failed their probes, naming each reason,
 * with the remedy of each.
 */
export function deviceUnavailableError(results: readonly DeviceProbeResult[]): KandinskyError {
  const reasons = results.map((result) => `${JSON.stringify(result.device)} (${result.reason ?? 'unknown reason'})`);
  const message =
    results.length === 1
      ? `Device ${JSON.stringify(results[0]!.device)} is unavailable: ${results[0]!.reason ?? 'unknown reason'}.`
      : `No requested device is available: ${reasons.join('; ')}.`;
  const hint = [...new Set(results.map((result) => remedies[result.device]))].join(' ');
  return kandinskyError('DEVICE_UNAVAILABLE', message, hint, {
    devices: results.map((result) => result.device),
    reasons: results.map((result) => result.reason),
  });
}
