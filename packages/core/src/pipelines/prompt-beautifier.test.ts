import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../events/progress-event.js';
import { formatGenerationParameters } from '../metadata/generation-metadata.js';
import { toGenerationMetadata } from '../metadata/generation-parameters-metadata.js';
import { ModelFolder } from '../model/model-folder.js';
import type { Tensor } from '../tensor/tensor.js';
import { Kandinsky3 } from './kandinsky3.js';
import type { BeautifyOptions, PromptBeautifier } from './prompt-beautifier.js';
import { mockBackend, mockFiles, mockTokenizer } from './test-support/mock-kandinsky3.js';

async function pipelineWith(onUnet?: (role: string, feeds: Record<string, Tensor>) => void) {
  const backend = mockBackend(onUnet ? { onUnet } : {});
  const folder = await ModelFolder.open(mockFiles('A'));
  return { backend, pipeline: await Kandinsky3.create({ backend, folder, tokenizer: mockTokenizer }) };
}

/** A beautifier double: appends words, and records what it was given. */
function appending(words: string, source: 'llm' | 'fallback' = 'llm'): PromptBeautifier & { calls: [string, BeautifyOptions][] } {
  const calls: [string, BeautifyOptions][] = [];
  return {
    calls,
    beautify: async (prompt, options = {}) => {
      calls.push([prompt, options]);
      return { prompt, beautified: source === 'llm' ? `${prompt} ${words}` : prompt, source };
    },
  };
}

describe('the beautify option of text → image and Flash (spec §4.9)', () => {
  it('draws the beautified prompt and reports both prompts', async () => {
    const contexts: number[] = [];
    const { pipeline } = await pipelineWith((_, feeds) => contexts.push(feeds.encoder_hidden_states!.dims[1]!));
    const beautifier = appending('on a white background');
    const events: ProgressEvent[] = [];
    const result = await pipeline.textToImage({ prompt: 'a red circle', beautify: beautifier, seed: 1, steps: 1, onProgress: (e) => events.push(e) });
    expect(result.parameters).toMatchObject({ prompt: 'a red circle on a white background', userPrompt: 'a red circle', promptSource: 'llm' });
    // 7 words + EOS → n = 8, cut length 9: the UNet saw the beautified prompt (the user's gives 5).
    expect(contexts[0]).toBe(9);
    // The beautifier counts against the image model's own tokenizer and hears the call's listener.
    expect(beautifier.calls[0]![1].tokenizer).toBe(mockTokenizer);
    expect(beautifier.calls[0]![1].onProgress).toBeTypeOf('function');
    expect(events.filter((e) => e.type === 'stage' && e.stage === 'beautify').map((e) => e.type === 'stage' && e.status)).toEqual(['start', 'end']);
    expect(result.timings.beautify).toBeGreaterThanOrEqual(0);
  });

  it('puts both prompts into the PNG metadata', async () => {
    const { pipeline } = await pipelineWith();
    const result = await pipeline.textToImage({ prompt: 'a red circle', beautify: appending('on blue, big'), seed: 1, steps: 1 });
    const metadata = toGenerationMetadata(result.parameters, { sdkVersion: 'test' });
    expect(metadata).toMatchObject({ prompt: 'a red circle on blue, big', userPrompt: 'a red circle', promptSource: 'llm' });
    const text = formatGenerationParameters(metadata);
    expect(text.split('\n')[0]).toBe('a red circle on blue, big');
    expect(text).toContain('User prompt: a red circle, Prompt source: llm');
  });

  it('works with Flash, and records a fallback', async () => {
    const { pipeline } = await pipelineWith();
    const flash = await pipeline.flash({ prompt: 'a blue square', beautify: appending('x', 'fallback'), seed: 2 });
    expect(flash.parameters).toMatchObject({ prompt: 'a blue square', userPrompt: 'a blue square', promptSource: 'fallback', mode: 'flash' });
  });

  it('leaves parameters as before without the option', async () => {
    const { pipeline } = await pipelineWith();
    const result = await pipeline.textToImage({ prompt: 'a red circle', seed: 1, steps: 1 });
    expect(result.parameters.prompt).toBe('a red circle');
    expect('userPrompt' in result.parameters).toBe(false);
    expect('promptSource' in result.parameters).toBe(false);
  });

  it('rejects a beautify value that is not a beautifier, before any model loads', async () => {
    const { pipeline, backend } = await pipelineWith();
    await expect(pipeline.textToImage({ prompt: 'a', beautify: 'yes' as unknown as PromptBeautifier })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(backend.loads).toHaveLength(0);
  });

  it('passes an abort through and leaves no session alive', async () => {
    const { pipeline, backend } = await pipelineWith();
    const controller = new AbortController();
    const beautifier: PromptBeautifier = {
      beautify: async () => {
        controller.abort();
        throw Object.assign(new Error('aborted'), { code: 'ABORTED' });
      },
    };
    await expect(pipeline.textToImage({ prompt: 'a', beautify: beautifier, signal: controller.signal })).rejects.toThrow();
    expect(backend.liveSessions).toBe(0);
  });
});
