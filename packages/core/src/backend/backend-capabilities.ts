/**
 * What a backend's device can take, for callers that size their work up front instead of
 * discovering the limit through an out-of-memory failure halfway through a generation.
 *
 * Only figures that a backend can state truthfully and that a caller reads belong here: the
 * super-resolution pipeline sizes its batches of MultiDiffusion views against `maxMemoryBytes`.
 */
export interface BackendCapabilities {
  /**
   * The memory the device's sessions can use in total, in bytes: an upper bound to size batches
   * against (keep a margin for the model weights and the runtime's own buffers). `undefined`
   * when the backend cannot tell, e.g. GPU memory that the runtime does not report; callers then
   * pick conservative sizes.
   */
  readonly maxMemoryBytes: number | undefined;
}
