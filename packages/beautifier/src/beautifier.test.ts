import type { ProgressEvent, TextTokenizer } from '@kandinsky/core';
import { describe, expect, it } from 'vitest';
import { Beautifier } from './beautifier.js';
import type { LanguageModel, LanguageModelRequest } from './language-model.js';

/** An LLM double that answers with `answer(request)` and records the requests. */
function scriptedLLM(answer: (request: LanguageModelRequest) => Promise<string> | string): LanguageModel & { requests: LanguageModelRequest[] } {
  const requests: LanguageModelRequest[] = [];
  return {
    requests,
    async complete(request) {
      requests.push(request);
      return { text: await answer(request), finishReason: 'eos' };
    },
  };
}

function collect(): { events: ProgressEvent[]; onProgress: (event: ProgressEvent) => void } {
  const events: ProgressEvent[] = [];
  return { events, onProgress: (event) => events.push(event) };
}

describe('Beautifier', () => {
  it('sends the template in both forms and returns the cleaned answer', async () => {
    const llm = scriptedLLM(() => ' a red circle on a white background\n### User:\n');
    const result = await new Beautifier({ llm }).beautify('red circle');
    expect(result).toEqual({ prompt: 'red circle', beautified: 'a red circle on a white background', source: 'llm' });
    expect(llm.requests[0]!.prompt).toMatch(/^### System: You are a prompt engineer\..*\n### User:\nred circle\n### Assistant:\n$/s);
    expect(llm.requests[0]!.messages.map((message) => message.role)).toEqual(['system', 'user']);
    expect(llm.requests[0]!.stopStrings).toEqual(['### User:']);
  });

  it('falls back to the prompt with a warning when the LLM fails', async () => {
    const { events, onProgress } = collect();
    const llm = scriptedLLM(() => {
      throw new Error('connection reset');
    });
    const result = await new Beautifier({ llm }).beautify('red circle', { onProgress });
    expect(result).toMatchObject({ prompt: 'red circle', beautified: 'red circle', source: 'fallback', fallbackReason: 'error' });
    expect(events).toEqual([expect.objectContaining({ type: 'warning', code: 'BEAUTIFY_FALLBACK', message: expect.stringContaining('connection reset') })]);
  });

  it('falls back when the answer holds nothing usable', async () => {
    const { events, onProgress } = collect();
    const result = await new Beautifier({ llm: scriptedLLM(() => '\n### User: again') }).beautify('red circle', { onProgress });
    expect(result).toMatchObject({ beautified: 'red circle', source: 'fallback', fallbackReason: 'empty' });
    expect(events.map((event) => event.type === 'warning' && event.code)).toEqual(['BEAUTIFY_FALLBACK']);
  });

  it('falls back within the timeout when the LLM hangs, and aborts the LLM', async () => {
    let seen: LanguageModelRequest | undefined;
    const llm: LanguageModel = {
      complete: (request) => {
        seen = request;
        return new Promise(() => {}); // never settles, ignores its signal
      },
    };
    const started = Date.now();
    const result = await new Beautifier({ llm, timeout: 50 }).beautify('red circle');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result).toMatchObject({ source: 'fallback', fallbackReason: 'timeout' });
    expect(seen!.signal!.aborted).toBe(true);
  });

  it('rejects with ABORTED (no fallback) when the caller aborts', async () => {
    const controller = new AbortController();
    const llm: LanguageModel = {
      complete: (request) =>
        new Promise((_, reject) => request.signal!.addEventListener('abort', () => reject(new Error('stopped')), { once: true })),
    };
    const promise = new Beautifier({ llm }).beautify('red circle', { signal: controller.signal });
    controller.abort();
    await expect(promise).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('cuts the answer to the 128 tokens the text encoder keeps, with a PROMPT_TRUNCATED warning', async () => {
    const words: TextTokenizer = { encode: (text) => (text === '' ? [] : text.split(' ').map((_, i) => i)) };
    const long = Array.from({ length: 200 }, (_, i) => `w${i}`).join(' ');
    const { events, onProgress } = collect();
    const result = await new Beautifier({ llm: scriptedLLM(() => long) }).beautify('red circle', { tokenizer: words, onProgress });
    expect(result.beautified.split(' ')).toHaveLength(127);
    expect(result.source).toBe('llm');
    expect(events).toEqual([expect.objectContaining({ code: 'PROMPT_TRUNCATED', message: expect.stringContaining('200 tokens') })]);
  });

  it('rejects an empty prompt and bad options', async () => {
    const llm = scriptedLLM(() => 'x');
    await expect(new Beautifier({ llm }).beautify('  ')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(() => new Beautifier({ llm, timeout: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new Beautifier({ llm, template: 'no placeholder' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new Beautifier({ llm: {} as LanguageModel })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(llm.requests).toHaveLength(0);
  });
});
