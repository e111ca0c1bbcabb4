import {
  KandinskyError,
  checkSessionContract,
  invalidArgument,
  kandinskyError,
  throwIfAborted,
  type AbortSignalLike,
  type Backend,
  type LoadModelOptions,
  type ModelFolder,
  type ModelSession,
  type Tensor,
} from '@kandinsky/core';
import { causalLMContract, parseCausalLMConfig, type CausalLMConfig } from './causal-lm-config.js';
import { CausalLMTokenizer } from './causal-lm-tokenizer.js';
import type { FinishReason, LanguageModel, LanguageModelRequest, LanguageModelResponse } from './language-model.js';
import { TokenSampler, type SamplingOptions } from './sampling.js';
import { firstStop } from './stop-strings.js';
import { checkObject, checkTokenIds } from './argument-checks.js';

/** Options of {@link OnnxCausalLM.load}. */
export interface LoadOnnxCausalLMOptions {
  /** The backend that runs the model (onnxruntime-node, onnxruntime-web, a mock). */
  backend: Backend;
  /** The opened model folder (`model_index.json` listing the LM component). */
  folder: ModelFolder;
  /**
   * The component that holds `model.onnx`, `config.json` and `tokenizer.json`.
   * @default 'lm'
   */
  role?: string;
  /**
   * Options of the model load (execution providers, threads, signal).
   * @default {}
   */
  loadOptions?: LoadModelOptions;
  /**
   * How tokens are chosen when a call does not say (`complete()` never does).
   * @default greedy
   */
  sampling?: SamplingOptions;
}

/** Options of {@link OnnxCausalLM.generate}. */
export interface CausalLMGenerateOptions {
  /**
   * Most tokens to generate.
   * @default the folder's `generation_config.json` `max_new_tokens`, else 100 (spec §4.9's suggestion)
   */
  maxNewTokens?: number;
  /** Generation ends where one of these appears in the text; it is not part of the answer. @default [] */
  stopStrings?: readonly string[];
  /** Greedy or sampled decoding. @default the model's `sampling` (greedy unless loaded otherwise) */
  sampling?: SamplingOptions;
  /**
   * Keep the keys/values of past positions between steps, so each step feeds one token. `false`
   * re-runs the whole sequence every step (same tokens, slower; for checks and benchmarks).
   * @default true
   */
  useCache?: boolean;
  /** Cancels generation between model runs (rejects with ABORTED). @default undefined */
  signal?: AbortSignalLike;
  /** Receives each new piece of text as soon as it is decoded. @default undefined */
  onToken?: (text: string) => void;
}

/** What {@link OnnxCausalLM.generate} returns. */
export interface CausalLMGeneration {
  /** The generated text (without the prompt, the EOS or a stop string). */
  readonly text: string;
  /** The prompt's token ids, as fed (with `<s>` where the tokenizer adds it). */
  readonly promptTokenIds: readonly number[];
  /** The generated token ids, the EOS included when the model produced it. */
  readonly tokenIds: readonly number[];
  readonly finishReason: FinishReason;
  /** Milliseconds until the first token was chosen, and in all. */
  readonly timings: { readonly firstTokenMs: number; readonly totalMs: number };
}

/**
 * A decoder-only LLM in the Hugging Face / optimum decoder-with-past layout (spec §2.11,
 * docs/model-format.md §3.9) on any core Backend, with a KV cache. Sizes come from the folder's
 * `config.json` in the Hugging Face fields, so the tiny test model and a Mistral-style export
 * (grouped-query key/value heads, any weight precision with float32 inputs/outputs) load alike.
 * ```ts
 * const lm = await OnnxCausalLM.load({ backend, folder });
 * const { text } = await lm.generate('### User:\nred circle\n### Assistant:\n');
 * ```
 */
export class OnnxCausalLM implements LanguageModel {
  readonly config: CausalLMConfig;
  readonly tokenizer: CausalLMTokenizer;
  /** Most positions (prompt + answer) the model takes, when its folder states it. */
  readonly contextLength: number | undefined;
  readonly defaultMaxNewTokens: number;
  /** The sampling of calls that state none. */
  readonly sampling: SamplingOptions;
  readonly #session: ModelSession;
  readonly #label: string;

  private constructor(session: ModelSession, config: CausalLMConfig, tokenizer: CausalLMTokenizer, defaults: { context: number | undefined; maxNewTokens: number; label: string; sampling: SamplingOptions }) {
    this.#session = session;
    this.config = config;
    this.tokenizer = tokenizer;
    this.contextLength = defaults.context;
    this.defaultMaxNewTokens = defaults.maxNewTokens;
    this.#label = defaults.label;
    this.sampling = defaults.sampling;
  }

  /**
   * Reads the config and tokenizer, loads `model.onnx` and checks it against the layout the
   * config describes (layers, key/value heads, head size, vocabulary): a model whose KV layout
   * does not match its config fails here with MODEL_CONTRACT_MISMATCH, and its session is released.
   */
  static async load(options: LoadOnnxCausalLMOptions): Promise<OnnxCausalLM> {
    const hint = 'Pass { backend, folder }, or use loadOnnxCausalLM of @kandinsky/node.';
    checkObject('options', options, 'an options object { backend, folder }', hint);
    if (typeof (options.backend as { loadModel?: unknown } | undefined)?.loadModel !== 'function') {
      throw invalidArgument('options.backend', options.backend, 'a Backend (with loadModel)', hint);
    }
    const given = options.folder as { readJson?: unknown; componentPath?: unknown } | undefined;
    if (typeof given?.readJson !== 'function' || typeof given.componentPath !== 'function') {
      throw invalidArgument('options.folder', options.folder, 'a ModelFolder', hint);
    }
    const { backend, folder, role = 'lm', loadOptions = {}, sampling = {} } = options;
    // Checked before anything loads.
    new TokenSampler(sampling);
    const signal = loadOptions.signal;
    const where = `${folder.files.location}/${folder.componentPath(role, 'config.json')}`;
    const raw = (await folder.config(role, signal)) as Record<string, unknown>;
    const config = parseCausalLMConfig(raw, where);
    const optionalJson = async (file: string): Promise<Record<string, unknown> | undefined> => {
      try {
        return (await folder.readJson(folder.componentPath(role, file), signal)) as Record<string, unknown>;
      } catch (error) {
        if (KandinskyError.isInstance(error) && (error as KandinskyError).code === 'MODEL_NOT_FOUND') return undefined;
        throw error;
      }
    };
    const tokenizerFile = typeof raw.tokenizer === 'string' ? raw.tokenizer : 'tokenizer.json';
    const tokenizerJson = await folder.readJson(folder.componentPath(role, tokenizerFile), signal);
    const tokenizerConfig = await optionalJson('tokenizer_config.json');
    const generationConfig = await optionalJson('generation_config.json');
    const tokenizer = CausalLMTokenizer.fromJson(tokenizerJson, tokenizerConfig, folder.files.location);
    // Tokenizers often state a huge placeholder (1e30) when they know no limit.
    const modelMaxLength = tokenizerConfig?.model_max_length;
    const context =
      config.contextLength ??
      (typeof modelMaxLength === 'number' && Number.isInteger(modelMaxLength) && modelMaxLength < 2 ** 31 ? modelMaxLength : undefined);
    const maxNew = generationConfig?.max_new_tokens ?? raw.max_new_tokens;
    const source = await folder.files.modelSource(folder.componentPath(role, 'model.onnx'), signal);
    const session = await backend.loadModel(source, { label: role, ...loadOptions });
    try {
      checkSessionContract(role, session, causalLMContract(config));
    } catch (error) {
      await session.dispose();
      throw error;
    }
    return new OnnxCausalLM(session, config, tokenizer, {
      context,
      // spec §4.9 suggests ≈ 100 new tokens where nothing else is known.
      maxNewTokens: typeof maxNew === 'number' && Number.isInteger(maxNew) && maxNew > 0 ? maxNew : 100,
      label: role,
      sampling,
    });
  }

  /** Implements {@link LanguageModel}: continues `request.prompt` (the filled template). */
  async complete(request: LanguageModelRequest): Promise<LanguageModelResponse> {
    checkObject('request', request, 'a request { prompt }', 'Pass e.g. { prompt: "..." }.');
    const { text, finishReason } = await this.generate(request.prompt, {
      ...(request.maxNewTokens === undefined ? {} : { maxNewTokens: request.maxNewTokens }),
      ...(request.stopStrings === undefined ? {} : { stopStrings: request.stopStrings }),
      ...(request.signal === undefined ? {} : { signal: request.signal }),
      ...(request.onToken === undefined ? {} : { onToken: request.onToken }),
    });
    return { text, finishReason };
  }

  /** Tokenises `prompt` and generates from it. */
  generate(prompt: string, options: CausalLMGenerateOptions = {}): Promise<CausalLMGeneration> {
    if (typeof prompt !== 'string' || prompt.length === 0) {
      throw invalidArgument('prompt', prompt, 'a non-empty string', 'Pass the text the model should continue.');
    }
    return this.generateFromIds(this.tokenizer.encode(prompt), options);
  }

  /**
   * Generates from token ids (the prompt as the model sees it). Step 0 feeds the whole prompt
   * with an empty past; each later step feeds the last token at position `past length` with the
   * cached keys/values, as Hugging Face's `generate` does.
   */
  async generateFromIds(promptIds: readonly number[], options: CausalLMGenerateOptions = {}): Promise<CausalLMGeneration> {
    checkTokenIds('promptIds', promptIds);
    if (typeof options !== 'object' || options === null) {
      throw invalidArgument('options', options, 'an options object or undefined', 'Pass e.g. { maxNewTokens: 64 }, or leave it out.');
    }
    const started = now();
    const maxNewTokens = options.maxNewTokens ?? this.defaultMaxNewTokens;
    if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) {
      throw invalidArgument('maxNewTokens', maxNewTokens, 'an integer ≥ 1', 'Use e.g. maxNewTokens: 100.');
    }
    const stopStrings = options.stopStrings ?? [];
    if (!Array.isArray(stopStrings) || stopStrings.some((stop) => typeof stop !== 'string' || stop === '')) {
      throw invalidArgument('stopStrings', stopStrings, 'a list of non-empty strings', 'Use e.g. stopStrings: ["### User:"].');
    }
    if (promptIds.length === 0) {
      throw invalidArgument('prompt', promptIds, 'at least one token', 'Pass a non-empty prompt.');
    }
    if (this.contextLength !== undefined && promptIds.length >= this.contextLength) {
      throw kandinskyError(
        'INVALID_ARGUMENT',
        `The prompt has ${promptIds.length} tokens, but ${this.#label} takes at most ${this.contextLength} positions (prompt and answer), leaving no room to generate.`,
        'Shorten the prompt.',
        { promptTokens: promptIds.length, contextLength: this.contextLength },
      );
    }
    const sampler = new TokenSampler(options.sampling ?? this.sampling);
    const useCache = options.useCache ?? true;
    const { layers, keyValueHeads, headDim, vocabSize, eosTokenIds } = this.config;
    const ids = [...promptIds];
    const generated: number[] = [];
    let past: Tensor<'float32'>[] = emptyPast(2 * layers, keyValueHeads, headDim);
    let emitted = '';
    let text = '';
    let finishReason: FinishReason = 'length';
    let firstTokenMs = 0;

    for (let step = 0; step < maxNewTokens; step++) {
      throwIfAborted(options.signal, 'Text generation');
      if (this.contextLength !== undefined && ids.length > this.contextLength) break;
      const pastLength = useCache ? past[0]!.dims[2]! : 0;
      const input = ids.slice(pastLength);
      const feeds: Record<string, Tensor> = {
        input_ids: int64Row(input),
        attention_mask: int64Row(new Array<number>(ids.length).fill(1)),
        position_ids: int64Row(input.map((_, i) => pastLength + i)),
      };
      for (let i = 0; i < layers; i++) {
        feeds[`past_key_values.${i}.key`] = past[2 * i]!;
        feeds[`past_key_values.${i}.value`] = past[2 * i + 1]!;
      }
      const outputs = await this.#session.run(feeds, options.signal === undefined ? {} : { signal: options.signal });
      const logits = outputs.logits as Tensor<'float32'>;
      const row = logits.data.subarray((input.length - 1) * vocabSize, input.length * vocabSize);
      const token = sampler.pick(row);
      if (step === 0) firstTokenMs = now() - started;
      if (useCache) past = this.#presents(outputs, ids.length);
      generated.push(token);
      if (eosTokenIds.includes(token)) {
        finishReason = 'eos';
        break;
      }
      ids.push(token);
      // Decoding every step is only needed to stream or to look for stop strings.
      if (!options.onToken && stopStrings.length === 0) continue;
      text = this.tokenizer.decode(generated);
      const stop = firstStop(text, stopStrings);
      if (stop !== undefined) {
        text = text.slice(0, stop);
        finishReason = 'stop';
        break;
      }
      // Hold back a trailing partial UTF-8 sequence (U+FFFD) and any tail that may grow into a stop string.
      const safe = safePrefixLength(text, stopStrings);
      if (options.onToken && safe > emitted.length) {
        const piece = text.slice(emitted.length, safe);
        emitted = text.slice(0, safe);
        options.onToken(piece);
      }
    }
    if (finishReason !== 'stop') text = this.tokenizer.decode(finishReason === 'eos' ? generated.slice(0, -1) : generated);
    if (options.onToken && text.length > emitted.length && text.startsWith(emitted)) options.onToken(text.slice(emitted.length));
    return {
      text,
      promptTokenIds: promptIds,
      tokenIds: generated,
      finishReason,
      timings: { firstTokenMs, totalMs: now() - started },
    };
  }

  /** Releases the model session; idempotent. */
  dispose(): Promise<void> {
    return this.#session.dispose();
  }

  /** The `present.*` outputs as the next step's past, checked against the config's layout. */
  #presents(outputs: Record<string, Tensor>, total: number): Tensor<'float32'>[] {
    const { layers, keyValueHeads, headDim } = this.config;
    const past: Tensor<'float32'>[] = [];
    for (let i = 0; i < layers; i++) {
      for (const part of ['key', 'value']) {
        const name = `present.${i}.${part}`;
        const tensor = outputs[name] as Tensor<'float32'> | undefined;
        const dims = tensor?.dims;
        if (!tensor || dims!.length !== 4 || dims![1] !== keyValueHeads || dims![2] !== total || dims![3] !== headDim) {
          throw kandinskyError(
            'MODEL_CONTRACT_MISMATCH',
            `${this.#label} returned ${name} with dims ${JSON.stringify(dims)}, but its config.json describes [1, ${keyValueHeads}, ${total}, ${headDim}].`,
            'The model file and its config.json disagree on the key/value layout (num_key_value_heads, head_dim); re-export them together.',
            { output: name, dims, expected: [1, keyValueHeads, total, headDim] },
          );
        }
        past.push(tensor);
      }
    }
    return past;
  }
}

function emptyPast(count: number, heads: number, headDim: number): Tensor<'float32'>[] {
  return Array.from({ length: count }, () => ({ dtype: 'float32' as const, dims: [1, heads, 0, headDim], data: new Float32Array(0) }));
}

function int64Row(values: readonly number[]): Tensor<'int64'> {
  return { dtype: 'int64', dims: [1, values.length], data: BigInt64Array.from(values, (value) => BigInt(value)) };
}

/** Length of the prefix of `text` that can be shown: no partial character, no possible stop-string start. */
function safePrefixLength(text: string, stopStrings: readonly string[]): number {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0xfffd) end--;
  for (const stop of stopStrings) {
    for (let length = Math.min(stop.length - 1, text.length); length > 0; length--) {
      if (text.endsWith(stop.slice(0, length))) {
        end = Math.min(end, text.length - length);
        break;
      }
    }
  }
  return end;
}

function now(): number {
  return globalThis.performance?.now() ?? Date.now();
}
