import { existsSync, readdirSync } from 'node:fs';
import { WarningCodes, emitProgress, invalidArgument, type ProgressCallback } from '@kandinsky/core';
import {
  NODE_DEVICES,
  deviceUnavailableError,
  probeDevice,
  type DeviceProbeResult,
  type NodeDevice,
} from './execution-provider-probe.js';

/** The order `device: 'auto'` tries: the fastest device first. */
export const AUTO_DEVICE_ORDER: readonly NodeDevice[] = Object.freeze(['cuda', 'webgpu', 'cpu']);

/** A device chosen by {@link selectDevice}, with every probe made on the way. */
export interface DeviceSelection {
  readonly device: NodeDevice;
  readonly probes: readonly DeviceProbeResult[];
}

/** Options of {@link selectDevice}. */
export interface SelectDeviceOptions {
  /** The CUDA device ordinal. */
  cudaDeviceId: number;
  /**
   * Says why a candidate should not even be probed (recorded as an unavailable probe).
   * @default undefined (probe every candidate)
   */
  skip?: (device: NodeDevice) => string | undefined;
  /**
   * Receives the DEVICE_FALLBACK warning when a preferred device was skipped.
   * @default undefined
   */
  onProgress?: ProgressCallback | undefined;
}

/**
 * Probes `candidates` in order of preference and returns the first that works. ONNX Runtime does
 * not fall back between providers by itself (`['webgpu', 'cpu']` throws when there is no
 * adapter), so every device is proven by a probe run first (cached per process). Emits one
 * DEVICE_FALLBACK warning naming the devices skipped and why; throws DEVICE_UNAVAILABLE naming
 * every reason when none works.
 */
export async function selectDevice(candidates: readonly NodeDevice[], options: SelectDeviceOptions): Promise<DeviceSelection> {
  const probes: DeviceProbeResult[] = [];
  for (const device of candidates) {
    const skipped = options.skip?.(device);
    const probe = skipped === undefined ? await probeDevice(device, options.cudaDeviceId) : { device, available: false, reason: skipped };
    probes.push(probe);
    if (!probe.available) continue;
    if (probes.length > 1) {
      emitProgress(options.onProgress, {
        type: 'warning',
        code: WarningCodes.DEVICE_FALLBACK,
        message: `Using ${JSON.stringify(device)}: ${probes
          .slice(0, -1)
          .map((unavailable) => `${unavailable.device} unavailable (${unavailable.reason})`)
          .join('; ')}.`,
        details: { device, probes },
      });
    }
    return { device, probes };
  }
  throw deviceUnavailableError(probes);
}

/**
 * `LoadModelOptions.executionProviders` as devices, refusing what onnxruntime-node cannot run
 * (`"wasm"` is onnxruntime-web's) with INVALID_ARGUMENT naming the value.
 */
export function parseExecutionProviders(value: unknown): NodeDevice[] {
  const hint = `List execution providers of onnxruntime-node in order of preference: ${NODE_DEVICES.map((device) =>
    JSON.stringify(device),
  ).join(', ')}, e.g. ["webgpu", "cpu"].`;
  if (!Array.isArray(value) || value.length === 0) {
    throw invalidArgument('executionProviders', value, 'a non-empty array of provider names', hint);
  }
  for (const name of value) {
    if (!NODE_DEVICES.includes(name)) throw invalidArgument('executionProviders entry', name, 'one of cpu, cuda, webgpu', hint);
  }
  return value as NodeDevice[];
}

/**
 * Why `auto` should not probe WebGPU, or undefined when it should. Probing runs Dawn, which
 * prints adapter errors to stderr on machines without a usable GPU; on Linux a GPU shows up as a
 * DRM render node or an NVIDIA device file, so without one the probe is skipped. SwiftShader is
 * a software renderer about 300× slower than the CPU provider: never worth choosing by itself.
 */
export function autoWebgpuSkipReason(device: NodeDevice): string | undefined {
  if (device !== 'webgpu') return undefined;
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
