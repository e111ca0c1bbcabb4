import type { AbortSignalLike } from '../abort/abort-signal-like.js';
import type { ProgressCallback } from '../events/progress-event.js';

/** How much graph optimisation the runtime applies while loading (ONNX Runtime's levels). */
export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

/** Options of `Backend.loadModel`. */
export interface LoadModelOptions {
  /**
   * Cancels the load. The promise rejects with `ABORTED`, and a session that the runtime
   * finishes creating after the abort is released, not leaked.
   * @default undefined
   */
  signal?: AbortSignalLike;
  /**
   * Receives the load's events: `download` events while a backend fetches remote files
   * (`@kandinsky/web`; a backend that reads local files has none), and `warning` events such as
   * `DEVICE_FALLBACK` when a preferred execution provider is unavailable.
   * @default undefined
   */
  onProgress?: ProgressCallback;
  /**
   * Execution providers to try, in order of preference, by ONNX Runtime name (`"cuda"`,
   * `"webgpu"`, `"cpu"`, `"wasm"`). ONNX Runtime does not fall back by itself, so the backend
   * proves each provider with a probe run, uses the first that works, emits a `DEVICE_FALLBACK`
   * warning through `onProgress` for those it skipped, and throws DEVICE_UNAVAILABLE (naming
   * every reason) when none works. Names the backend does not know count as unavailable.
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
