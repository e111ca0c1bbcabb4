import type { AbortSignalLike } from '../abort/abort-signal-like.js';
import type { Backend } from '../backend/backend.js';
import { checkSessionContract, type ComponentContract } from '../backend/component-contract.js';
import type { LoadModelOptions } from '../backend/load-model-options.js';
import type { ModelSession } from '../backend/model-session.js';
import type { ModelSource } from '../backend/model-source.js';
import { describeValue } from '../errors/kandinsky-error.js';
import { kandinskyError } from '../errors/error-constructors.js';
import { componentFolder, parseModelIndex, type ModelIndex } from './model-index.js';
import { checkFunction, checkObject, checkOptionalObject } from '../errors/argument-checks.js';

/**
 * Read access to the files of one model folder, by POSIX path relative to the folder. Backends
 * provide it: `@kandinsky/node` over the file system, `@kandinsky/web` over `fetch`. The read
 * methods reject with MODEL_NOT_FOUND naming the file when it does not exist; `modelSource` only
 * locates the file, and `Backend.loadModel` reports it missing.
 */
export interface ModelFileSource {
  /** Where the folder is, for messages (a path or URL). */
  readonly location: string;
  /** The file's text. */
  readText(path: string, signal?: AbortSignalLike): Promise<string>;
  /** The file's bytes. */
  readBytes(path: string, signal?: AbortSignalLike): Promise<Uint8Array>;
  /** What `Backend.loadModel` should receive for the `.onnx` file at `path` (with its external data). */
  modelSource(path: string, signal?: AbortSignalLike): Promise<ModelSource>;
}

/** A component's `config.json`: `{ kind, …dims }` (docs/model-format.md §1.2). */
export type ComponentConfig = Readonly<{ kind?: string } & Record<string, unknown>>;

/**
 * An opened model folder: its validated `model_index.json` plus typed access to each component.
 * ```ts
 * const folder = await ModelFolder.open(files);
 * const unet = await folder.loadSession(backend, 'unet', UNET_CONTRACT);
 * ```
 */
export class ModelFolder {
  readonly index: ModelIndex;
  readonly files: ModelFileSource;
  #configs = new Map<string, Promise<ComponentConfig>>();

  private constructor(files: ModelFileSource, index: ModelIndex) {
    this.files = files;
    this.index = index;
  }

  /** Reads and validates `model_index.json`. */
  static async open(files: ModelFileSource, signal?: AbortSignalLike): Promise<ModelFolder> {
    checkObject('files', files, 'a ModelFileSource { readText, readBytes, modelSource }', 'Use openModelFolder (node) or fetchFileSource (web), or implement the three readers.');
    for (const key of ['readText', 'readBytes', 'modelSource'] as const) {
      checkFunction(`files.${key}`, files[key], 'a function', 'A ModelFileSource has readText, readBytes and modelSource.');
    }
    const text = await files.readText('model_index.json', signal);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (cause) {
      throw kandinskyError(
        'INVALID_MODEL_MANIFEST',
        `model_index.json in ${files.location} is not valid JSON.`,
        'Fix or regenerate model_index.json (docs/model-format.md §1.1).',
        undefined,
        cause,
      );
    }
    return new ModelFolder(files, parseModelIndex(json));
  }

  /** True when the folder lists `role`. */
  has(role: string): boolean {
    return this.index.components[role] !== undefined;
  }

  /** Path of `file` inside the folder of `role`. */
  componentPath(role: string, file: string): string {
    return `${componentFolder(this.index, role)}/${file}`;
  }

  /** The component's parsed `config.json` (cached). */
  config(role: string, signal?: AbortSignalLike): Promise<ComponentConfig> {
    let config = this.#configs.get(role);
    if (!config) {
      config = this.readJson(this.componentPath(role, 'config.json'), signal) as Promise<ComponentConfig>;
      this.#configs.set(role, config);
      config.catch(() => this.#configs.delete(role));
    }
    return config;
  }

  /** Reads and parses a JSON file of the folder. */
  async readJson(path: string, signal?: AbortSignalLike): Promise<unknown> {
    const text = await this.files.readText(path, signal);
    try {
      return JSON.parse(text);
    } catch (cause) {
      throw kandinskyError(
        'INVALID_MODEL_MANIFEST',
        `${describeValue(path)} in ${this.files.location} is not valid JSON.`,
        'Re-export the model folder.',
        undefined,
        cause,
      );
    }
  }

  /**
   * Loads `role`'s `model.onnx` and checks it against `contract`; a mismatching session is
   * disposed before the MODEL_CONTRACT_MISMATCH error is thrown, so nothing leaks.
   */
  async loadSession(
    backend: Backend,
    role: string,
    contract: ComponentContract,
    options: LoadModelOptions = {},
  ): Promise<ModelSession> {
    checkObject('backend', backend, 'a Backend (with loadModel)', 'Pass the backend the pipeline runs on.');
    checkFunction('backend.loadModel', backend.loadModel, 'a function', 'Pass the backend the pipeline runs on.');
    checkObject('contract', contract, 'a ComponentContract', 'Use COMPONENT_CONTRACTS[role].');
    checkOptionalObject('options', options);
    const source = await this.files.modelSource(this.componentPath(role, 'model.onnx'), options.signal);
    const session = await backend.loadModel(source, { label: role, ...options });
    try {
      checkSessionContract(role, session, contract);
    } catch (error) {
      await session.dispose();
      throw error;
    }
    return session;
  }
}
