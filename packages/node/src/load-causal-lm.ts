import { OnnxCausalLM, type SamplingOptions } from '@kandinsky/beautifier';
import type { Backend, LoadModelOptions } from '@kandinsky/core';
import { assertOptionsObject } from './argument-checks.js';
import { openModelFolder } from './model-directory.js';
import { createNodeBackend, type NodeBackendOptions } from './node-backend.js';

/** Options of {@link loadOnnxCausalLM}. */
export interface LoadOnnxCausalLMOptions extends NodeBackendOptions {
  /**
   * A backend to reuse; when set, the device options are ignored.
   * @default a new NodeBackend from the device options
   */
  backend?: Backend;
  /**
   * The component of the folder that holds the LM.
   * @default 'lm'
   */
  role?: string;
  /**
   * Options of the model load.
   * @default {}
   */
  loadOptions?: LoadModelOptions;
  /**
   * How tokens are chosen (see OnnxCausalLM.sampling).
   * @default greedy
   */
  sampling?: SamplingOptions;
}

/**
 * Opens a causal-LM model folder from disk (spec §2.11: decoder-with-past ONNX, Hugging Face
 * config and tokenizer) as an {@link OnnxCausalLM} for `@kandinsky/beautifier`:
 * ```ts
 * const llm = await loadOnnxCausalLM(tinyModelPath('beautifier-lm'));
 * const beautifier = new Beautifier({ llm });
 * ```
 */
export async function loadOnnxCausalLM(directory: string, options: LoadOnnxCausalLMOptions = {}): Promise<OnnxCausalLM> {
  assertOptionsObject('options', options);
  const folder = await openModelFolder(directory, options.loadOptions?.signal);
  const backend = options.backend ?? (await createNodeBackend(options));
  return OnnxCausalLM.load({
    backend,
    folder,
    ...(options.role === undefined ? {} : { role: options.role }),
    loadOptions: options.loadOptions ?? {},
    ...(options.sampling === undefined ? {} : { sampling: options.sampling }),
  });
}
