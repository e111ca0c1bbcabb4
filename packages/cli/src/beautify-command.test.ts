import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractGenerationMetadata } from '@kandinsky/core';
import { loadKandinsky3, loadOnnxCausalLM } from '@kandinsky/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CliIo } from './cli-io.js';
import { main } from './main.js';

// The real functions, watched: a usage error must come before any model folder is opened.
vi.mock('@kandinsky/node', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@kandinsky/node')>();
  return { ...actual, loadKandinsky3: vi.fn(actual.loadKandinsky3), loadOnnxCausalLM: vi.fn(actual.loadOnnxCausalLM) };
});

function io(): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (text: string) => (out += text), isTTY: false },
    stderr: { write: (text: string) => (err += text), isTTY: false },
    out: () => out,
    err: () => err,
  };
}

/** PyTorch's greedy answers of the tiny LM (models/tiny/beautifier-lm/reference/lm-greedy.json). */
const RED_CIRCLE = 'a red circle on a white background, centered, simple flat illustration';
const tinyLM = join(import.meta.dirname, '../../../models/tiny/beautifier-lm');

let server: Server;
let url: string;
const requests: { authorization: string | undefined; body: Record<string, unknown> }[] = [];
beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      requests.push({ authorization: request.headers.authorization, body: JSON.parse(body) as Record<string, unknown> });
      if (request.headers.authorization === 'Bearer wrong') {
        response.writeHead(401, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: 'Invalid API key' } }));
        return;
      }
      response.writeHead(200, { 'content-type': 'text/event-stream', connection: 'close' });
      response.end(`data: ${JSON.stringify({ choices: [{ delta: { content: 'a blue square, flat' }, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  requests.length = 0;
  vi.mocked(loadKandinsky3).mockClear();
  vi.mocked(loadOnnxCausalLM).mockClear();
});

describe('kandinsky beautify', () => {
  it('prints the expansion of the bundled tiny LM, and the JSON form', async () => {
    const plain = io();
    expect(await main(['beautify', 'red circle', '--device', 'cpu'], plain)).toBe(0);
    expect(plain.out()).toBe(`${RED_CIRCLE}\n`);
    const json = io();
    expect(await main(['beautify', 'red circle', '--llm-model', tinyLM, '--device', 'cpu', '--json'], json)).toBe(0);
    expect(JSON.parse(json.out())).toEqual({ prompt: 'red circle', beautified: RED_CIRCLE, source: 'llm' });
  });

  it('samples reproducibly with --seed', async () => {
    const first = io();
    const second = io();
    expect(await main(['beautify', 'small green triangle', '--seed', '4', '--device', 'cpu'], first)).toBe(0);
    expect(await main(['beautify', 'small green triangle', '--seed', '4', '--device', 'cpu'], second)).toBe(0);
    expect(second.out()).toBe(first.out());
  });

  it('asks an OpenAI-compatible server, with the key read from the named variable', async () => {
    process.env.KANDINSKY_TEST_LLM_KEY = 'sk-from-env';
    try {
      const streams = io();
      expect(await main(['beautify', 'blue square', '--llm-url', url, '--llm-name', 'neural-chat', '--llm-key-env', 'KANDINSKY_TEST_LLM_KEY', '--json'], streams)).toBe(0);
      expect(JSON.parse(streams.out())).toEqual({ prompt: 'blue square', beautified: 'a blue square, flat', source: 'llm' });
      expect(requests[0]).toMatchObject({ authorization: 'Bearer sk-from-env', body: { model: 'neural-chat', stream: true } });
      expect(loadOnnxCausalLM).not.toHaveBeenCalled();
    } finally {
      delete process.env.KANDINSKY_TEST_LLM_KEY;
    }
  });

  it('falls back to the prompt, with a warning on stderr, when the server refuses', async () => {
    process.env.KANDINSKY_TEST_LLM_KEY = 'wrong';
    try {
      const streams = io();
      expect(await main(['beautify', 'blue square', '--llm-url', url, '--llm-key-env', 'KANDINSKY_TEST_LLM_KEY', '--json'], streams)).toBe(0);
      expect(JSON.parse(streams.out())).toEqual({ prompt: 'blue square', beautified: 'blue square', source: 'fallback' });
      expect(streams.err()).toMatch(/warning \[BEAUTIFY_FALLBACK\]: .*401.*Invalid API key/);
    } finally {
      delete process.env.KANDINSKY_TEST_LLM_KEY;
    }
  });

  it.each([
    [['beautify'], /exactly one prompt/],
    [['beautify', '  '], /prompt is empty/],
    [['beautify', 'a', '--llm-model', tinyLM, '--llm-url', 'http://127.0.0.1:1/v1'], /cannot be used together/],
    [['beautify', 'a', '--llm-name', 'x'], /--llm-name applies to a server only/],
    [['beautify', 'a', '--llm-url', 'localhost:8080'], /--llm-url must be an http\(s\) URL/],
    [['beautify', 'a', '--llm-url', 'http://127.0.0.1:1/v1', '--llm-key-env', 'KANDINSKY_TEST_UNSET_VARIABLE'], /KANDINSKY_TEST_UNSET_VARIABLE .* is not set/],
    [['beautify', 'a', '--llm-url', 'http://127.0.0.1:1/v1', '--llm-key-env', 'sk-123-secret'], /name of an environment variable/],
    [['beautify', 'a', '--steps', '5'], /--steps applies to kandinsky generate only/],
    [['generate', 'a', '--llm-model', tinyLM], /--llm-model needs --beautify/],
    [['img2img', 'x.png', 'a', '--beautify'], /--beautify applies to kandinsky generate only/],
  ])('refuses %j with exit 2 before loading a model', async (argv, message) => {
    const streams = io();
    expect(await main(argv, streams)).toBe(2);
    expect(streams.err()).toMatch(message);
    expect(streams.out()).toBe('');
    expect(loadOnnxCausalLM).not.toHaveBeenCalled();
    expect(loadKandinsky3).not.toHaveBeenCalled();
  });

  it('prints its help', async () => {
    const streams = io();
    expect(await main(['beautify', '--help'], streams)).toBe(0);
    expect(streams.out()).toMatch(/^kandinsky beautify "PROMPT"/);
  });
});

describe('kandinsky generate --beautify', () => {
  it('draws the beautified prompt with the tiny models and writes both prompts into the PNG', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'kandinsky-beautify-'));
    const streams = io();
    expect(await main(['generate', 'red circle', '--beautify', '--seed', '7', '--steps', '4', '--device', 'cpu', '--out', folder, '--json'], streams)).toBe(0);
    const summary = JSON.parse(streams.out()) as { files: string[]; parameters: Record<string, unknown> };
    expect(summary.parameters).toMatchObject({ prompt: RED_CIRCLE, userPrompt: 'red circle', promptSource: 'llm' });
    const metadata = extractGenerationMetadata(new Uint8Array(readFileSync(summary.files[0]!)));
    expect(metadata).toMatchObject({ prompt: RED_CIRCLE, userPrompt: 'red circle', promptSource: 'llm', seed: 7 });
    expect(streams.err()).toMatch(/beautify: \d+ ms/);
  });
});
