import { KandinskyError, invalidArgument, kandinskyError, throwIfAborted, type AbortSignalLike } from '@kandinsky/core';
import type { FinishReason, LanguageModel, LanguageModelRequest, LanguageModelResponse } from './language-model.js';
import { ServerSentEventParser } from './server-sent-events.js';
import { checkObject } from './argument-checks.js';

/** Options of {@link OpenAICompatibleLLM}. */
export interface OpenAICompatibleLLMOptions {
  /** The API root, e.g. `http://127.0.0.1:8080/v1` (llama.cpp), `http://localhost:11434/v1` (Ollama). */
  baseURL: string;
  /** Sent as `Authorization: Bearer …`; read it from the environment, never hard-code it. @default undefined (no header) */
  apiKey?: string;
  /** The `model` field. @default undefined (left out; single-model servers such as llama.cpp need none) */
  model?: string;
  /**
   * `chat`: `POST {baseURL}/chat/completions` with system and user messages (the server applies
   * its model's chat template); `completions`: `POST {baseURL}/completions` with the filled
   * beautifier template as the prompt.
   * @default 'chat'
   */
  endpoint?: 'chat' | 'completions';
  /** Ask for server-sent events and pass tokens to `onToken` as they arrive. @default true */
  stream?: boolean;
  /** Milliseconds for the whole request, retries and waits included; then TIMEOUT. @default 60000 */
  timeout?: number;
  /** Further attempts after a 429 or 5xx answer. @default 2 */
  maxRetries?: number;
  /** Wait before the first retry, doubled for each next one, unless the server sends Retry-After. @default 500 */
  retryDelay?: number;
  /** `max_tokens` when the request states none. @default 100 (spec §4.9's suggestion) */
  maxTokens?: number;
  /** `temperature`. @default undefined (the server's default) */
  temperature?: number;
  /** `top_p`. @default undefined (the server's default) */
  topP?: number;
  /** `seed`, for servers that support reproducible sampling. @default undefined */
  seed?: number;
  /** Extra request headers. @default {} */
  headers?: Record<string, string>;
  /** The fetch to use (tests, proxies). @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** HTTP statuses worth another try: rate limiting and server-side failures. */
function retryable(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/**
 * A {@link LanguageModel} served over HTTP by anything that speaks the OpenAI protocol: llama.cpp's
 * server, vLLM, Ollama, hosted APIs. Uses the platform `fetch` (Node ≥ 20 and browsers).
 * Failures are typed: LLM_CONNECTION_FAILED (unreachable, closed midway), LLM_HTTP_ERROR (status
 * and the server's message), LLM_INVALID_RESPONSE (HTML, malformed JSON), TIMEOUT and ABORTED.
 * ```ts
 * const llm = new OpenAICompatibleLLM({ baseURL: 'http://127.0.0.1:8080/v1', apiKey: process.env.LLM_KEY });
 * const beautifier = new Beautifier({ llm });
 * ```
 */
export class OpenAICompatibleLLM implements LanguageModel {
  readonly baseURL: string;
  readonly model: string | undefined;
  readonly endpoint: 'chat' | 'completions';
  readonly stream: boolean;
  readonly timeout: number;
  readonly maxRetries: number;
  readonly retryDelay: number;
  readonly maxTokens: number;
  readonly #options: OpenAICompatibleLLMOptions;
  readonly #fetch: typeof fetch;

  constructor(options: OpenAICompatibleLLMOptions) {
    const { baseURL, endpoint = 'chat', stream = true, timeout = 60_000, maxRetries = 2, retryDelay = 500, maxTokens = 100 } = options ?? {};
    let url: URL;
    try {
      url = new URL(baseURL);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    } catch {
      throw invalidArgument('baseURL', baseURL, 'an http(s) URL', 'Use the API root, e.g. http://127.0.0.1:8080/v1.');
    }
    if (endpoint !== 'chat' && endpoint !== 'completions') {
      throw invalidArgument('endpoint', endpoint, '"chat" or "completions"', 'Use "chat" unless the server only has /completions.');
    }
    for (const [name, value, minimum] of [
      ['timeout', timeout, 1],
      ['retryDelay', retryDelay, 0],
    ] as const) {
      if (!Number.isFinite(value) || value < minimum) {
        throw invalidArgument(name, value, `a number of milliseconds ≥ ${minimum}`, `Use e.g. ${name}: ${name === 'timeout' ? 60000 : 500}.`);
      }
    }
    for (const [name, value, minimum] of [
      ['maxRetries', maxRetries, 0],
      ['maxTokens', maxTokens, 1],
    ] as const) {
      if (!Number.isInteger(value) || value < minimum) {
        throw invalidArgument(name, value, `an integer ≥ ${minimum}`, `Use e.g. ${name}: ${name === 'maxRetries' ? 2 : 100}.`);
      }
    }
    const fetchFunction = options.fetch ?? globalThis.fetch;
    if (typeof fetchFunction !== 'function') {
      throw kandinskyError('INVALID_ARGUMENT', 'This platform has no fetch.', 'Use Node ≥ 20 or a browser, or pass options.fetch.');
    }
    this.baseURL = url.href.replace(/\/+$/, '');
    this.model = options.model;
    this.endpoint = endpoint;
    this.stream = stream;
    this.timeout = timeout;
    this.maxRetries = maxRetries;
    this.retryDelay = retryDelay;
    this.maxTokens = maxTokens;
    this.#options = options;
    this.#fetch = fetchFunction;
  }

  /** Sends the request, retrying on 429/5xx, within `timeout`. */
  async complete(request: LanguageModelRequest): Promise<LanguageModelResponse> {
    checkObject('request', request, 'a request { prompt }', 'Pass e.g. { prompt: "..." }.');
    throwIfAborted(request.signal, 'LLM request');
    const url = `${this.baseURL}/${this.endpoint === 'chat' ? 'chat/completions' : 'completions'}`;
    const body = JSON.stringify(this.#body(request));
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    request.signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const deadline = now() + this.timeout;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeout);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          return await this.#attempt(url, body, controller.signal, request);
        } catch (error) {
          if (timedOut) throw this.#timeoutError(url, error);
          throwIfAborted(request.signal, 'LLM request');
          const status = KandinskyError.isInstance(error) ? ((error as KandinskyError).details?.status as number | undefined) : undefined;
          if (status === undefined || !retryable(status) || attempt >= this.maxRetries) throw error;
          const retryAfter = (error as KandinskyError).details?.retryAfterMs as number | undefined;
          const wait = retryAfter ?? this.retryDelay * 2 ** attempt;
          // A wait that would outlast the deadline cannot lead to an answer in time.
          if (now() + wait >= deadline) throw error;
          await sleep(wait, controller.signal);
          if (timedOut) throw this.#timeoutError(url, error);
          throwIfAborted(request.signal, 'LLM request');
        }
      }
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
    }
  }

  #body(request: LanguageModelRequest): Record<string, unknown> {
    const options = this.#options;
    const stop = request.stopStrings?.length ? request.stopStrings.slice(0, 4) : undefined;
    return {
      ...(this.model === undefined ? {} : { model: this.model }),
      ...(this.endpoint === 'chat' ? { messages: request.messages } : { prompt: request.prompt }),
      max_tokens: request.maxNewTokens ?? this.maxTokens,
      ...(stop ? { stop } : {}),
      ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
      ...(options.topP === undefined ? {} : { top_p: options.topP }),
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      stream: this.stream,
    };
  }

  async #attempt(url: string, body: string, signal: AbortSignal, request: LanguageModelRequest): Promise<LanguageModelResponse> {
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: this.stream ? 'text/event-stream, application/json' : 'application/json',
          ...(this.#options.apiKey ? { authorization: `Bearer ${this.#options.apiKey}` } : {}),
          ...this.#options.headers,
        },
        body,
        signal,
      });
    } catch (cause) {
      if (signal.aborted) throw cause;
      throw kandinskyError(
        'LLM_CONNECTION_FAILED',
        `Could not reach the LLM server at ${url}: ${describeCause(cause)}.`,
        'Check that the server is running and that the base URL (host, port, /v1) is right.',
        { url },
        cause,
      );
    }
    const contentType = response.headers.get('content-type') ?? '';
    if (!response.ok) {
      const text = await readText(response, url);
      throw kandinskyError(
        'LLM_HTTP_ERROR',
        `The LLM server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}: ${serverMessage(text)}`,
        httpHint(response.status),
        { url, status: response.status, ...retryAfterDetail(response.headers.get('retry-after')) },
      );
    }
    if (this.stream && contentType.includes('text/event-stream')) return this.#readStream(response, url, request.onToken);
    const text = await readText(response, url);
    const json = parseJson(text, url, contentType);
    const { text: answer, finishReason } = this.#choice(json, url, false);
    if (answer && request.onToken) request.onToken(answer);
    return { text: answer, finishReason };
  }

  /** The text and finish reason of `choices[0]`, from a whole answer or a stream chunk (`delta`). */
  #choice(json: unknown, url: string, chunk: boolean): LanguageModelResponse & { finished: boolean } {
    const error = (json as { error?: unknown } | null)?.error;
    if (error !== undefined && error !== null) {
      throw kandinskyError('LLM_HTTP_ERROR', `The LLM server reported an error: ${serverMessage(JSON.stringify(json))}`, httpHint(200), {
        url,
        status: 200,
      });
    }
    const choice = (json as { choices?: unknown[] } | null)?.choices?.[0] as
      | { text?: unknown; message?: { content?: unknown }; delta?: { content?: unknown }; finish_reason?: unknown }
      | undefined;
    const text = this.endpoint === 'completions' ? choice?.text : chunk ? choice?.delta?.content : choice?.message?.content;
    if (!chunk && typeof text !== 'string') {
      throw invalidResponse(url, `has no ${this.endpoint === 'chat' ? 'choices[0].message.content' : 'choices[0].text'}`, JSON.stringify(json));
    }
    const reason = choice?.finish_reason;
    return {
      text: typeof text === 'string' ? text : '',
      finishReason: reason === 'length' ? 'length' : reason === 'stop' || reason === 'eos' ? 'stop' : 'eos',
      finished: typeof reason === 'string',
    };
  }

  async #readStream(response: Response, url: string, onToken: ((text: string) => void) | undefined): Promise<LanguageModelResponse> {
    const body = response.body;
    if (!body) throw invalidResponse(url, 'is an event stream without a body', '');
    const reader = body.getReader();
    const decoder = new TextDecoder();
    const parser = new ServerSentEventParser();
    let text = '';
    let finishReason: FinishReason = 'eos';
    let finished = false;
    const handle = (data: string): boolean => {
      if (data.trim() === '[DONE]') return true;
      let json: unknown;
      try {
        json = JSON.parse(data);
      } catch {
        throw invalidResponse(url, 'sent an event that is not JSON', data);
      }
      const piece = this.#choice(json, url, true);
      if (piece.text) {
        text += piece.text;
        onToken?.(piece.text);
      }
      if (piece.finished) {
        finished = true;
        finishReason = piece.finishReason;
      }
      return false;
    };
    try {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (cause) {
          throw streamClosed(url, cause);
        }
        const events = chunk.done ? parser.push(decoder.decode()).concat(parser.end()) : parser.push(decoder.decode(chunk.value, { stream: true }));
        for (const data of events) if (handle(data)) return { text, finishReason };
        if (chunk.done) {
          // Servers that skip [DONE] still say how the answer finished; without either it was cut off.
          if (finished) return { text, finishReason };
          throw streamClosed(url, undefined);
        }
      }
    } finally {
      // Releases the connection when we stop early ([DONE] before the end, an error, an abort).
      reader.cancel().catch(() => {});
    }
  }

  #timeoutError(url: string, cause: unknown): KandinskyError {
    return kandinskyError(
      'TIMEOUT',
      `The LLM server at ${url} did not answer within ${this.timeout} ms.`,
      'Raise the timeout, ask for fewer tokens, or check the server load.',
      { url, timeout: this.timeout },
      cause,
    );
  }
}

function streamClosed(url: string, cause: unknown): KandinskyError {
  return kandinskyError(
    'LLM_CONNECTION_FAILED',
    `The LLM server at ${url} closed the stream before the answer ended${cause === undefined ? '' : `: ${describeCause(cause)}`}.`,
    'The server stopped or crashed mid-answer; check its logs and retry.',
    { url },
    cause,
  );
}

function invalidResponse(url: string, what: string, text: string): KandinskyError {
  return kandinskyError(
    'LLM_INVALID_RESPONSE',
    `The answer of ${url} ${what}: ${JSON.stringify(text.slice(0, 200))}.`,
    'Point baseURL at an OpenAI-compatible API root (usually ending in /v1), not a web page or another API.',
    { url },
  );
}

function parseJson(text: string, url: string, contentType: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw invalidResponse(url, `is not JSON (content-type ${JSON.stringify(contentType)})`, text);
  }
}

async function readText(response: Response, url: string): Promise<string> {
  try {
    return await response.text();
  } catch (cause) {
    if ((cause as { name?: string } | null)?.name === 'AbortError') throw cause;
    throw streamClosed(url, cause);
  }
}

/** The server's own words: OpenAI's `{ error: { message } }`, `{ error: "…" }`, `{ detail }`, or the text without tags. */
function serverMessage(text: string): string {
  try {
    const json = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown; detail?: unknown };
    const message =
      typeof json.error === 'string' ? json.error : json.error?.message ?? json.message ?? (typeof json.detail === 'string' ? json.detail : undefined);
    if (typeof message === 'string' && message !== '') return message;
  } catch {
    // not JSON: fall through to the text itself
  }
  const plain = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return plain === '' ? '(no message)' : plain.slice(0, 300);
}

function httpHint(status: number): string {
  if (status === 401 || status === 403) return 'Check the API key (--llm-key-env names the variable that holds it).';
  if (status === 404) return 'Check the base URL (usually ending in /v1) and the model name.';
  if (status === 429) return 'The server is rate limiting; wait, or raise maxRetries.';
  if (status >= 500) return 'The server failed; check its logs, or retry later.';
  return 'See the server message.';
}

/** `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in milliseconds. */
function retryAfterDetail(header: string | null): { retryAfterMs?: number } {
  if (header === null) return {};
  const seconds = Number(header.trim());
  if (header.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return { retryAfterMs: seconds * 1000 };
  const date = Date.parse(header);
  return Number.isNaN(date) ? {} : { retryAfterMs: Math.max(0, date - Date.now()) };
}

function describeCause(cause: unknown): string {
  const inner = (cause as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (inner && typeof inner.code === 'string') return `${inner.code}${typeof inner.message === 'string' ? ` (${inner.message})` : ''}`;
  return cause instanceof Error ? cause.message : String(cause);
}

function sleep(milliseconds: number, signal: AbortSignalLike): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, milliseconds);
    signal.addEventListener('abort', done, { once: true });
  });
}

function now(): number {
  return globalThis.performance?.now() ?? Date.now();
}
