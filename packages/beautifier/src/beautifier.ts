import {
  KandinskyError,
  WarningCodes,
  emitProgress,
  invalidArgument,
  kandinskyError,
  throwIfAborted,
  type BeautifiedPrompt,
  type BeautifyOptions,
  type PromptBeautifier,
} from '@kandinsky/core';
import type { LanguageModel, LanguageModelResponse } from './language-model.js';
import { cleanAnswer, fitToTokenLimit } from './post-process.js';
import { DEFAULT_SYSTEM_PROMPT, fillTemplate, type PromptTemplate } from './prompt-template.js';

/** Stop strings used unless told otherwise: the next user turn (spec §4.9's suggestion). */
export const DEFAULT_STOP_STRINGS: readonly string[] = ['### User:'];

/** Options of the {@link Beautifier}. */
export interface BeautifierOptions {
  /** The LLM: an {@link OnnxCausalLM}, an {@link OpenAICompatibleLLM}, or any {@link LanguageModel}. */
  llm: LanguageModel;
  /**
   * `kandinsky`: the template the Kandinsky 3.1 authors publish (system text on the header line);
   * `intel`: Intel's neural-chat variant (system text on the next line); or a template string
   * with `{prompt}` and optionally `{system}` (spec §4.9). Chat servers receive messages instead.
   * @default 'kandinsky'
   */
  template?: PromptTemplate;
  /**
   * The system prompt.
   * @default DEFAULT_SYSTEM_PROMPT (the published one, spec §4.9)
   */
  systemPrompt?: string;
  /**
   * Most tokens the LLM may generate.
   * @default the LLM's own default (the folder's generation_config.json, or 100)
   */
  maxNewTokens?: number;
  /**
   * Generation ends at these; the answer is also always cut at the next `###` header.
   * @default ['### User:']
   */
  stopStrings?: readonly string[];
  /**
   * Milliseconds the LLM may take before the user's prompt is used instead (a BEAUTIFY_FALLBACK
   * warning); `0` waits for ever.
   * @default 120000
   */
  timeout?: number;
}

/** What {@link Beautifier.beautify} returns: core's {@link BeautifiedPrompt} and why a fallback happened. */
export interface BeautifierResult extends BeautifiedPrompt {
  /** On fallback: `timeout`, `error` (the LLM failed; see `error`) or `empty` (nothing usable). */
  readonly fallbackReason?: 'timeout' | 'error' | 'empty';
  /** On an `error` fallback: the LLM's error. */
  readonly error?: KandinskyError;
}

/** {@link Beautifier.beautify}'s options: core's plus a streaming callback. */
export interface BeautifierCallOptions extends BeautifyOptions {
  /** Receives the LLM's raw text as it is generated. @default undefined */
  onToken?: ((text: string) => void) | undefined;
}

/**
 * Kandinsky 3.1 prompt beautification (spec §4.9): the user's short prompt goes into the template,
 * the LLM expands it, the answer is cleaned and cut to the 128 tokens the text encoder keeps.
 * When the LLM fails, times out or returns nothing usable, the user's prompt is used and a
 * BEAUTIFY_FALLBACK warning says why; only an abort rejects. Pass it as `beautify` to
 * `textToImage` or `flash`.
 * ```ts
 * const beautifier = new Beautifier({ llm: await loadOnnxCausalLM(dir) });
 * const { beautified } = await beautifier.beautify('red circle');
 * ```
 */
export class Beautifier implements PromptBeautifier {
  readonly llm: LanguageModel;
  readonly template: PromptTemplate;
  readonly systemPrompt: string;
  readonly stopStrings: readonly string[];
  readonly timeout: number;
  readonly maxNewTokens: number | undefined;

  constructor(options: BeautifierOptions) {
    if (typeof (options?.llm as Partial<LanguageModel> | undefined)?.complete !== 'function') {
      throw invalidArgument('llm', options?.llm, 'a LanguageModel (an object with complete())', 'Pass an OnnxCausalLM or an OpenAICompatibleLLM.');
    }
    const { timeout = 120_000, maxNewTokens, stopStrings = DEFAULT_STOP_STRINGS } = options;
    if (!Number.isFinite(timeout) || timeout < 0) {
      throw invalidArgument('timeout', timeout, 'a number of milliseconds ≥ 0', 'Use e.g. timeout: 30000, or 0 for none.');
    }
    if (maxNewTokens !== undefined && (!Number.isInteger(maxNewTokens) || maxNewTokens < 1)) {
      throw invalidArgument('maxNewTokens', maxNewTokens, 'an integer ≥ 1', 'Use e.g. maxNewTokens: 100.');
    }
    this.llm = options.llm;
    this.template = options.template ?? 'kandinsky';
    this.systemPrompt = options.systemPrompt ?? DEFAULT_SYSTEM_PROMPT;
    // Fills the template once, so a bad template fails here rather than on the first call.
    fillTemplate('', this.template, this.systemPrompt);
    this.stopStrings = [...stopStrings];
    this.timeout = timeout;
    this.maxNewTokens = maxNewTokens;
  }

  async beautify(prompt: string, options: BeautifierCallOptions = {}): Promise<BeautifierResult> {
    if (typeof prompt !== 'string' || prompt.trim() === '') {
      throw invalidArgument('prompt', prompt, 'a non-empty string', 'Write a short prompt to expand, e.g. "red circle".');
    }
    const { signal, onProgress, tokenizer } = options;
    throwIfAborted(signal, 'Prompt beautification');
    const request = fillTemplate(prompt, this.template, this.systemPrompt);
    const fallback = (reason: 'timeout' | 'error' | 'empty', message: string, error?: KandinskyError): BeautifierResult => {
      emitProgress(onProgress, { type: 'warning', code: WarningCodes.BEAUTIFY_FALLBACK, message: `${message} The prompt is used as written.` });
      return { prompt, beautified: prompt, source: 'fallback', fallbackReason: reason, ...(error ? { error } : {}) };
    };

    let response: LanguageModelResponse;
    try {
      response = await this.#complete(request, options);
    } catch (error) {
      throwIfAborted(signal, 'Prompt beautification');
      const known = KandinskyError.isInstance(error)
        ? (error as KandinskyError)
        : kandinskyError('RUNTIME_ERROR', `The LLM failed: ${error instanceof Error ? error.message : String(error)}`, 'See the cause.', undefined, error);
      if (known.code === 'TIMEOUT') return fallback('timeout', known.message);
      return fallback('error', `Prompt beautification failed (${known.code}): ${known.message}`, known);
    }
    let text = cleanAnswer(response.text, this.stopStrings);
    if (text !== '' && tokenizer !== undefined) {
      const fitted = fitToTokenLimit(text, tokenizer);
      if (fitted.droppedTokens > 0) {
        emitProgress(onProgress, {
          type: 'warning',
          code: WarningCodes.PROMPT_TRUNCATED,
          message: `The beautified prompt had ${fitted.tokens + fitted.droppedTokens} tokens; it was cut to ${fitted.tokens}, what the text encoder keeps (spec §2.1).`,
        });
      }
      text = fitted.text;
    }
    if (text === '') return fallback('empty', `The LLM returned nothing usable (${JSON.stringify(response.text.slice(0, 80))}).`);
    return { prompt, beautified: text, source: 'llm' };
  }

  /** Runs the LLM under the caller's signal and the timeout; the timer and listener never outlive the call. */
  async #complete(
    request: ReturnType<typeof fillTemplate>,
    options: BeautifierCallOptions,
  ): Promise<LanguageModelResponse> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const completion = this.llm.complete({
        prompt: request.text,
        messages: request.messages,
        maxNewTokens: this.maxNewTokens,
        stopStrings: this.stopStrings,
        signal: controller.signal,
        onToken: options.onToken,
      });
      if (this.timeout === 0) return await completion;
      // The race bounds the wait even for an LLM that ignores its signal; its late result is dropped.
      completion.catch(() => {});
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const error = kandinskyError(
            'TIMEOUT',
            `The LLM did not answer within ${this.timeout} ms.`,
            'Raise the beautifier timeout, or use a faster model or server.',
            { timeout: this.timeout },
          );
          controller.abort(error);
          reject(error);
        }, this.timeout);
      });
      return await Promise.race([completion, timedOut]);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }
}
