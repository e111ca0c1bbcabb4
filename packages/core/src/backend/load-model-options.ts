import type { AbortSignalLike } from '../abort/abort-signal-like.js';
import type { ProgressCallback } from '../events/progress-event.js';

/** How much graph optimisation the runtime applies while loading (ONNX Runtime's levels). */
export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

/** Options of `Backend.loadModel`. Backends ignore hints they cannot honour. */
export interface LoadModelOptions {
  /**
   * Cancels the load. The promise rejects with `ABORTED`, and a session that the runtime
   * finishes creating after the abort is released, not leaked.
   * @default undefined
   */
  signal?: AbortSignalLike;
  /**
   * Receives `download` events while remote files arrive (and `warning` events, e.g. when a
   * cache is unavailable).
   * @default undefined
   */
  onProgress?: ProgressCallback;
  /**
   * Execution providers to try, in order of preference, by ONNX Runtime name (`"cuda"`,
   * `"webgpu"`, `"cpu"`, `"wasm"`). A hint: the backend drops providers it lacks and emits a
   * `DEVICE_FALLBACK` warning, or throws DEVICE_UNAVAILABLE when none is left.
   * @default [backend.device]
   */
  executionProviders?: readonly string[];
  /**
   * Graph optimisation level.
   * @default 'all'
   */
  graphOptimizationLevel?: GraphOptimizationLevel;
  /**
   * Threads one operator may use on CPU devices. Set 1 when several sessions run in parallel
   * (tests, workers) so they do not oversubscribe the cores.
   * @default undefined (the runtime's default: all cores)
   */
  intraOperatorThreads?: number;
  /**
   * Fixed values for symbolic dimensions, e.g. `{ batch: 2 }` for a UNet always run with
   * classifier-free guidance; lets the runtime plan memory ahead of time.
   * @default {}
   */
  freeDimensions?: Readonly<Record<string, number>>;
  /**
   * Name of the component being loaded (`"unet"`), used in events and error messages.
   * @default the model source's path, or "model"
   */
  label?: string;
  /**
   * Runtime-specific session options passed through verbatim (an escape hatch; anything set
   * here wins over the options above).
   * @default {}
   */
  runtimeOptions?: Readonly<Record<string, unknown>>;
}
