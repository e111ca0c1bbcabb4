import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Beautifier } from './beautifier.js';
import type { LanguageModelRequest } from './language-model.js';
import { OpenAICompatibleLLM, type OpenAICompatibleLLMOptions } from './openai-compatible-llm.js';
import { fillTemplate } from './prompt-template.js';

/**
 * A real HTTP server on loopback that speaks the OpenAI protocol as the test tells it to. Each
 * request is recorded with its body; `handler` answers it.
 */
type Handler = (request: IncomingMessage, response: ServerResponse, body: Record<string, unknown>, index: number) => void;
let server: Server;
let baseURL: string;
let handler: Handler;
let received: { url: string; headers: IncomingMessage['headers']; body: Record<string, unknown>; closed: Promise<void> }[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    // One connection per request: a test that destroys a socket cannot leave a dead one pooled for the next.
    response.shouldKeepAlive = false;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      const closed = new Promise<void>((resolve) => response.on('close', () => resolve()));
      received.push({ url: request.url!, headers: request.headers, body, closed });
      handler(request, response, body, received.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterEach(() => {
  received = [];
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const request: LanguageModelRequest = { ...fillTemplate('red circle'), prompt: fillTemplate('red circle').text, stopStrings: ['### User:'] };

function llm(options: Partial<OpenAICompatibleLLMOptions> = {}): OpenAICompatibleLLM {
  return new OpenAICompatibleLLM({ baseURL, retryDelay: 10, timeout: 5000, ...options });
}

function json(response: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(value));
}

const chatAnswer = (content: string) => ({ choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] });
const chatChunk = (content: string, finish: string | null = null) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;

/** Writes `text` in pieces of `size` bytes with a pause between, so events split across network chunks. */
async function writeSlowly(response: ServerResponse, text: string, size: number): Promise<void> {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) {
    response.write(bytes.subarray(i, i + size));
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('OpenAICompatibleLLM against a loopback OpenAI-protocol server', () => {
  it('POSTs /chat/completions with the messages, model, key and limits (non-streaming)', async () => {
    handler = (_, response) => json(response, 200, chatAnswer('a red circle on a white background'));
    const answer = await llm({ stream: false, model: 'neural-chat', apiKey: 'sk-test', temperature: 0.7, topP: 0.9, seed: 5 }).complete(request);
    expect(answer).toEqual({ text: 'a red circle on a white background', finishReason: 'stop' });
    const [call] = received;
    expect(call!.url).toBe('/v1/chat/completions');
    expect(call!.headers.authorization).toBe('Bearer sk-test');
    expect(call!.body).toEqual({
      model: 'neural-chat',
      messages: request.messages,
      max_tokens: 100,
      stop: ['### User:'],
      temperature: 0.7,
      top_p: 0.9,
      seed: 5,
      stream: false,
    });
  });

  it('POSTs /completions with the filled template when asked to', async () => {
    handler = (_, response) => json(response, 200, { choices: [{ text: ' a red circle', finish_reason: 'length' }] });
    const answer = await llm({ stream: false, endpoint: 'completions' }).complete({ ...request, maxNewTokens: 7 });
    expect(answer).toEqual({ text: ' a red circle', finishReason: 'length' });
    expect(received[0]!.url).toBe('/v1/completions');
    expect(received[0]!.body).toMatchObject({ prompt: request.prompt, max_tokens: 7, stream: false });
    expect(received[0]!.body.messages).toBeUndefined();
    expect(received[0]!.headers.authorization).toBeUndefined();
  });

  it('streams server-sent events split across network chunks, up to data: [DONE]', async () => {
    const words = ['a', ' red', ' círcle', ' on', ' a', ' white', ' background'];
    handler = (_, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      const events = words.map((word) => chatChunk(word)).join('') + ': ping\n\n' + chatChunk('', 'stop') + 'data: [DONE]\n\n';
      void writeSlowly(response, events, 5).then(() => response.end());
    };
    const pieces: string[] = [];
    const answer = await llm().complete({ ...request, onToken: (piece) => pieces.push(piece) });
    expect(answer).toEqual({ text: 'a red círcle on a white background', finishReason: 'stop' });
    expect(pieces).toEqual(words);
    expect(received[0]!.body.stream).toBe(true);
  });

  it('streams /completions events and accepts a stream that ends after a finish reason without [DONE]', async () => {
    handler = (_, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      response.end(
        `data: ${JSON.stringify({ choices: [{ text: 'a red' }] })}\r\n\r\ndata: ${JSON.stringify({ choices: [{ text: ' circle', finish_reason: 'length' }] })}\r\n\r\n`,
      );
    };
    expect(await llm({ endpoint: 'completions' }).complete(request)).toEqual({ text: 'a red circle', finishReason: 'length' });
  });

  it('retries a 429 after the Retry-After it names, then a 503 with backoff', async () => {
    const times: number[] = [];
    handler = (_, response, __, index) => {
      times.push(Date.now());
      if (index === 0) json(response, 429, { error: { message: 'slow down' } }, { 'retry-after': '1' });
      else if (index === 1) json(response, 503, { error: { message: 'loading model' } });
      else json(response, 200, chatAnswer('ok'));
    };
    const answer = await llm({ stream: false, retryDelay: 50 }).complete(request);
    expect(answer.text).toBe('ok');
    expect(received).toHaveLength(3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(990);
    // Second retry: retryDelay · 2^1 = 100 ms.
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(95);
  });

  it('gives up after maxRetries with the last status and the server message', async () => {
    handler = (_, response) => json(response, 500, { error: { message: 'CUDA out of memory', type: 'server_error' } });
    await expect(llm({ stream: false, maxRetries: 2 }).complete(request)).rejects.toMatchObject({
      code: 'LLM_HTTP_ERROR',
      message: expect.stringContaining('500 Internal Server Error: CUDA out of memory'),
      details: { status: 500 },
    });
    expect(received).toHaveLength(3);
  });

  it('does not wait for a Retry-After beyond the timeout', async () => {
    handler = (_, response) => json(response, 429, { error: 'busy' }, { 'retry-after': '3600' });
    const started = Date.now();
    await expect(llm({ timeout: 2000 }).complete(request)).rejects.toMatchObject({ code: 'LLM_HTTP_ERROR', details: { status: 429 } });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(received).toHaveLength(1);
  });

  it.each([
    [401, { error: { message: 'Invalid API key' } }, 'Invalid API key', /API key/],
    [404, { detail: 'Model neural-chat not found' }, 'Model neural-chat not found', /base URL/],
  ])('reports %d at once, without retrying, with the server message', async (status, body, message, hint) => {
    handler = (_, response) => json(response, status, body);
    const error = await llm().complete(request).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'LLM_HTTP_ERROR', message: expect.stringContaining(message), hint: expect.stringMatching(hint), details: { status } });
    expect(received).toHaveLength(1);
  });

  it('reports an HTML page or malformed JSON as LLM_INVALID_RESPONSE', async () => {
    handler = (_, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html><body>Welcome to nginx</body></html>');
    };
    await expect(llm({ stream: false }).complete(request)).rejects.toMatchObject({
      code: 'LLM_INVALID_RESPONSE',
      message: expect.stringContaining('Welcome to nginx'),
    });
    handler = (_, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"choices": [');
    };
    await expect(llm({ stream: false }).complete(request)).rejects.toMatchObject({ code: 'LLM_INVALID_RESPONSE' });
    handler = (_, response) => json(response, 200, { choices: [] });
    await expect(llm({ stream: false }).complete(request)).rejects.toMatchObject({ code: 'LLM_INVALID_RESPONSE' });
    handler = (_, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end('data: {not json}\n\n');
    };
    await expect(llm().complete(request)).rejects.toMatchObject({ code: 'LLM_INVALID_RESPONSE' });
  });

  it('reports a stream closed midway as LLM_CONNECTION_FAILED', async () => {
    handler = (_, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(chatChunk('a red'));
      setTimeout(() => response.socket!.destroy(), 20);
    };
    await expect(llm().complete(request)).rejects.toMatchObject({ code: 'LLM_CONNECTION_FAILED', message: expect.stringContaining('closed the stream') });
    handler = (_, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(chatChunk('a red'));
    };
    await expect(llm().complete(request)).rejects.toMatchObject({ code: 'LLM_CONNECTION_FAILED' });
  });

  it('reports a refused connection as LLM_CONNECTION_FAILED', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(new OpenAICompatibleLLM({ baseURL: `http://127.0.0.1:${port}/v1` }).complete(request)).rejects.toMatchObject({
      code: 'LLM_CONNECTION_FAILED',
      message: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it.each([
    ['before the headers', (_: ServerResponse) => {}],
    [
      'in the middle of a stream',
      (response: ServerResponse) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write(chatChunk('a red'));
      },
    ],
  ])('ends a server that hangs %s with TIMEOUT, and closes the connection', async (_, hang) => {
    handler = (__, response) => hang(response);
    const started = Date.now();
    await expect(llm({ timeout: 300 }).complete(request)).rejects.toMatchObject({ code: 'TIMEOUT', details: { timeout: 300 } });
    expect(Date.now() - started).toBeLessThan(2000);
    // The server sees its connection end: no socket is left dangling.
    await received[0]!.closed;
  });

  it('rejects with ABORTED when the caller aborts, and closes the connection', async () => {
    handler = () => {};
    const controller = new AbortController();
    const promise = llm().complete({ ...request, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(promise).rejects.toMatchObject({ code: 'ABORTED' });
    await received[0]!.closed;
  });

  it('rejects bad options', () => {
    expect(() => new OpenAICompatibleLLM({ baseURL: 'localhost:8080' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new OpenAICompatibleLLM({ baseURL, timeout: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new OpenAICompatibleLLM({ baseURL, maxRetries: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new OpenAICompatibleLLM({ baseURL, endpoint: 'embeddings' as 'chat' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('Beautifier over an OpenAI-compatible server', () => {
  it('uses the server answer, cleaned', async () => {
    handler = (_, response) => json(response, 200, chatAnswer('"A red circle, centered, flat illustration"\n### User: more'));
    const result = await new Beautifier({ llm: llm({ stream: false }) }).beautify('red circle');
    expect(result).toEqual({ prompt: 'red circle', beautified: 'A red circle, centered, flat illustration', source: 'llm' });
  });

  it('falls back to the prompt when the server fails', async () => {
    handler = (_, response) => json(response, 401, { error: { message: 'Invalid API key' } });
    const warnings: string[] = [];
    const result = await new Beautifier({ llm: llm() }).beautify('red circle', {
      onProgress: (event) => event.type === 'warning' && warnings.push(`${event.code}: ${event.message}`),
    });
    expect(result).toMatchObject({ beautified: 'red circle', source: 'fallback', fallbackReason: 'error', error: { code: 'LLM_HTTP_ERROR' } });
    expect(warnings).toEqual([expect.stringMatching(/^BEAUTIFY_FALLBACK: .*Invalid API key/)]);
  });

  it('falls back at the beautifier timeout while the server hangs', async () => {
    handler = () => {};
    const result = await new Beautifier({ llm: llm(), timeout: 100 }).beautify('red circle');
    expect(result).toMatchObject({ source: 'fallback', fallbackReason: 'timeout' });
    await received[0]!.closed;
  });
});
