import type { AbortSignalLike } from '../abort/abort-signal-like.js';
import type { Backend } from '../backend/backend.js';
import type { ComponentContract } from '../backend/component-contract.js';
import type { LoadModelOptions } from '../backend/load-model-options.js';
import type { ModelSession } from '../backend/model-session.js';
import type { ModelFolder } from '../model/model-folder.js';

/**
 * Lazily loaded sessions of a model folder's components: a component is loaded on first use
 * (its contract checked) and kept until {@link release}; concurrent first uses share one load.
 * In low-memory mode pipelines release each stage's sessions as soon as the stage ends.
 */
export class ComponentSessions {
  readonly #backend: Backend;
  readonly #folder: ModelFolder;
  readonly #loadOptions: LoadModelOptions;
  readonly #sessions = new Map<string, Promise<ModelSession>>();

  constructor(backend: Backend, folder: ModelFolder, loadOptions: LoadModelOptions = {}) {
    this.#backend = backend;
    this.#folder = folder;
    this.#loadOptions = loadOptions;
  }

  /** The session of `role`, loading it on first use. */
  get(role: string, contract: ComponentContract, signal?: AbortSignalLike): Promise<ModelSession> {
    let session = this.#sessions.get(role);
    if (!session) {
      session = this.#folder.loadSession(this.#backend, role, contract, { ...this.#loadOptions, signal });
      this.#sessions.set(role, session);
      // A failed (or aborted) load is forgotten so that the next call tries again.
      session.catch(() => this.#sessions.delete(role));
    }
    return session;
  }

  /** Roles whose sessions are loaded or loading. */
  get loaded(): string[] {
    return [...this.#sessions.keys()];
  }

  /** Disposes the sessions of `roles` (all when omitted). */
  async release(roles?: readonly string[]): Promise<void> {
    const targets = roles ?? [...this.#sessions.keys()];
    const pending: Promise<void>[] = [];
    for (const role of targets) {
      const session = this.#sessions.get(role);
      if (!session) continue;
      this.#sessions.delete(role);
      pending.push(session.then((loaded) => loaded.dispose()).catch(() => undefined));
    }
    await Promise.all(pending);
  }
}
