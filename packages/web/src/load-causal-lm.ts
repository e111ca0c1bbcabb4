import { OnnxCausalLM, type SamplingOptions } from '@kandinsky/beautifier';
import { ModelFolder, type AbortSignalLike, type Backend, type LoadModelOptions } from '@kandinsky/core';
import { fetchFileSource, type FetchFileSource, type FetchFileSourceOptions } from './fetch-file-source.js';
import { modelPrecisionOf } from './model-precision.js';
import { createWebBackend, type WebBackendOptions } from './web-backend.js';

/** Options of {@link loadOnnxCausalLM}. */
export interface LoadOnnxCausalLMOptions extends WebBackendOptions, FetchFileSourceOptions {
  /**
   * A backend to reuse; when set, the device options are ignored.
   * @default a new WebBackend from the device options
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
  /**
   * Cancels opening the folder.
   * @default undefined
   */
  signal?: AbortSignalLike;
}

/**
 * Opens a causal-LM folder (spec §2.11: decoder-with-past ONNX, Hugging Face config and
 * tokenizer) served at `baseUrl` as an {@link OnnxCausalLM} for `@kandinsky/beautifier`, like
 * `loadOnnxCausalLM` of `@kandinsky/node`; the model downloads and loads here.
 * ```ts
 * const { llm } = await loadOnnxCausalLM('/models/beautifier-lm/', { device: 'wasm', wasmPaths: '/ort/' });
 * const { images } = await pipeline.textToImage({ prompt: 'red circle', beautify: new Beautifier({ llm }) });
 * ```
 */
export async function loadOnnxCausalLM(baseUrl: string, options: LoadOnnxCausalLMOptions = {}): Promise<{ llm: OnnxCausalLM; files: FetchFileSource; backend: Backend }> {
  const backend = options.backend ?? (await createWebBackend(options));
  const precision = modelPrecisionOf(backend);
  const files = fetchFileSource(baseUrl, { ...(precision ? { precision } : {}), ...options });
  const folder = await ModelFolder.open(files, options.signal ?? options.loadOptions?.signal);
  const llm = await OnnxCausalLM.load({
    backend,
    folder,
    ...(options.role === undefined ? {} : { role: options.role }),
    loadOptions: options.loadOptions ?? {},
    ...(options.sampling === undefined ? {} : { sampling: options.sampling }),
  });
  return { llm, files, backend };
}
