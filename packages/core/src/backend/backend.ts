import type { BackendCapabilities } from './backend-capabilities.js';
import type { Device } from './device.js';
import type { LoadModelOptions } from './load-model-options.js';
import type { ModelSession } from './model-session.js';
import type { ModelSource } from './model-source.js';
import type { RawSession } from './raw-session.js';

/**
 * A runtime that loads and runs ONNX models on one device: the one interface between core's
 * pipelines and ONNX Runtime. `@kandinsky/node` implements it on onnxruntime-node,
 * `@kandinsky/web` on onnxruntime-web, and `MockBackend` (`@kandinsky/core/testing`) in memory
 * for tests.
 *
 * Contract: `loadModel` validates the source with `normalizeModelSource` and returns its
 * runtime's {@link RawSession} wrapped by `createModelSession`, so that sessions behave alike on
 * every backend. It rejects with `ABORTED` when its signal fires (releasing a session finished
 * after the abort), with `MODEL_NOT_FOUND` for a missing file, `DEVICE_UNAVAILABLE` when no
 * requested provider works, and `RUNTIME_ERROR` (through `normalizeRuntimeError`) for anything
 * else.
 */
export interface Backend {
  /** Which implementation, e.g. `"onnxruntime-node"`, `"onnxruntime-web"`, `"mock"`. */
  readonly name: string;
  /** The device models run on. */
  readonly device: Device;
  /** What the device can take, for sizing work up front. */
  readonly capabilities: BackendCapabilities;
  /** Loads a model and returns a session; release it with `session.dispose()`. */
  loadModel(source: ModelSource, options?: LoadModelOptions): Promise<ModelSession>;
}
