import { totalmem } from 'node:os';
import type { NodeDevice } from './execution-provider-probe.js';

/**
 * What `capabilities.maxMemoryBytes` reports for `device` when the caller did not say: the
 * memory of the host for the CPU (or the container's limit when lower, as cgroups set it), and
 * `undefined` for CUDA and WebGPU, whose device memory onnxruntime-node does not report.
 */
export function deviceMemoryBytes(device: NodeDevice): number | undefined {
  if (device !== 'cpu') return undefined;
  const host = totalmem();
  // Node reports "no limit" as undefined, 0, or a huge number (cgroup "max") depending on version.
  const limit = process.constrainedMemory?.();
  return limit !== undefined && limit > 0 && limit < host ? limit : host;
}
