import type { Backend } from './backend.js';
import { checkSessionContract, type ComponentContract } from './component-contract.js';
import type { LoadModelOptions } from './load-model-options.js';
import type { ModelSession } from './model-session.js';
import type { ModelSource } from './model-source.js';
import { normalizeRuntimeError } from './normalize-runtime-error.js';

/** Options of {@link withModelSession}. */
export interface WithModelSessionOptions {
  /** The component's name (`"unet"`), for the contract check, messages and the load label. */
  component: string;
  /**
   * What the component needs of the model; checked right after loading.
   * @default undefined (no check)
   */
  contract?: ComponentContract;
  /**
   * Options for `backend.loadModel` (signal, onProgress, providers, ...).
   * @default { label: component }
   */
  load?: LoadModelOptions;
}

/**
 * Loads a model, checks it against its component contract, hands the session to `work`, and
 * disposes it afterwards whatever happens — contract mismatch, error or abort inside `work` —
 * so a stage never leaks its session. `work`'s own error wins over a failure to dispose; a
 * dispose failure after success is reported as `RUNTIME_ERROR`.
 *
 * ```ts
 * const latents = await withModelSession(backend, files.unet, { component: 'unet', contract: unetContract,
 *   load: { signal } }, (unet) => denoise(unet, ...));
 * ```
 */
export async function withModelSession<T>(
  backend: Backend,
  source: ModelSource,
  options: WithModelSessionOptions,
  work: (session: ModelSession) => Promise<T> | T,
): Promise<T> {
  const session = await backend.loadModel(source, { label: options.component, ...options.load });
  let result: T;
  try {
    if (options.contract !== undefined) checkSessionContract(options.component, session, options.contract);
    result = await work(session);
  } catch (error) {
    await session.dispose().catch(() => undefined);
    throw error;
  }
  try {
    await session.dispose();
  } catch (error) {
    throw normalizeRuntimeError(error, { operation: `Releasing ${JSON.stringify(options.component)}`, component: options.component });
  }
  return result;
}
