import { readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Beautifier, fillTemplate, type OnnxCausalLM } from '@kandinsky/beautifier';
import { KandinskyError } from '@kandinsky/core';
import { tinyModelPath } from '@kandinsky/tiny-models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxCausalLM } from './load-causal-lm.js';
import heldOut from './test-support/beautifier-held-out-prompts.json' with { type: 'json' };

const MODEL = tinyModelPath('beautifier-lm');

interface Reference {
  max_new_tokens: number;
  generations: {
    user: string;
    prompt_text: string;
    prompt_ids: number[];
    generated_ids: number[];
    generated_text: string;
    steps: { step: number; past_length: number; next_token: number; max_logit: number }[];
  }[];
}
/** Greedy generations of PyTorch float32 with its KV cache (models/tiny/beautifier-lm/README.md). */
const reference = JSON.parse(readFileSync(join(MODEL, 'reference/lm-greedy.json'), 'utf8')) as Reference;

describe('OnnxCausalLM on the tiny beautifier LM (onnxruntime-node CPU)', () => {
  let lm: OnnxCausalLM;
  beforeAll(async () => {
    lm = await loadOnnxCausalLM(MODEL, { device: 'cpu', intraOperatorThreads: 1 });
  });
  afterAll(() => lm?.dispose());

  it('reads the sizes from config.json in the Hugging Face fields', () => {
    expect(lm.config).toMatchObject({ layers: 2, attentionHeads: 4, keyValueHeads: 2, headDim: 16, vocabSize: 461, eosTokenIds: [2] });
    expect(lm.defaultMaxNewTokens).toBe(40);
  });

  it.each(reference.generations.map((generation) => [generation.user, generation] as const))(
    'tokenises the template for %j as the Python tokenizer did',
    (_, generation) => {
      expect(lm.tokenizer.encode(generation.prompt_text)).toEqual(generation.prompt_ids);
    },
  );

  it.each(reference.generations.map((generation) => [generation.user, generation] as const))(
    'greedy decoding of %j with the KV cache equals PyTorch token for token',
    async (_, generation) => {
      const result = await lm.generate(generation.prompt_text, { maxNewTokens: reference.max_new_tokens });
      expect(result.promptTokenIds).toEqual(generation.prompt_ids);
      expect(result.tokenIds).toEqual(generation.generated_ids);
      expect(result.text).toBe(generation.generated_text);
      expect(result.finishReason).toBe('eos');
    },
  );

  it('gives the same tokens without the KV cache (full recompute every step)', async () => {
    for (const generation of reference.generations) {
      const cached = await lm.generate(generation.prompt_text, { maxNewTokens: reference.max_new_tokens });
      const recomputed = await lm.generate(generation.prompt_text, { maxNewTokens: reference.max_new_tokens, useCache: false });
      expect(recomputed.tokenIds).toEqual(cached.tokenIds);
    }
  });

  it('streams the answer: the pieces concatenate to the text', async () => {
    const generation = reference.generations[1]!;
    const pieces: string[] = [];
    const result = await lm.generate(generation.prompt_text, { onToken: (piece) => pieces.push(piece) });
    expect(pieces.length).toBeGreaterThan(5);
    expect(pieces.join('')).toBe(generation.generated_text);
    expect(result.text).toBe(generation.generated_text);
  });

  it('stops at max new tokens and at a stop string, which is left out', async () => {
    const generation = reference.generations[0]!;
    const short = await lm.generate(generation.prompt_text, { maxNewTokens: 3 });
    expect(short.tokenIds).toEqual(generation.generated_ids.slice(0, 3));
    expect(short.finishReason).toBe('length');
    const pieces: string[] = [];
    const stopped = await lm.generate(generation.prompt_text, { stopStrings: [' background'], onToken: (piece) => pieces.push(piece) });
    expect(stopped.text).toBe('a red circle on a white');
    expect(stopped.finishReason).toBe('stop');
    expect(pieces.join('')).toBe('a red circle on a white');
  });

  it('samples reproducibly with a seed, and top-k 1 is greedy', async () => {
    const generation = reference.generations[2]!;
    const sampling = { temperature: 1.5, topP: 0.95, seed: 7 };
    const first = await lm.generate(generation.prompt_text, { sampling });
    const second = await lm.generate(generation.prompt_text, { sampling });
    expect(second.tokenIds).toEqual(first.tokenIds);
    const topOne = await lm.generate(generation.prompt_text, { sampling: { temperature: 1, topK: 1, seed: 3 } });
    expect(topOne.tokenIds).toEqual(generation.generated_ids);
  });

  it('rejects an empty prompt and a prompt longer than the context (256 positions)', async () => {
    expect(() => lm.generate('')).toThrow(KandinskyError);
    const long = 'red circle '.repeat(200);
    await expect(lm.generate(long)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: { contextLength: 256 } });
  });

  it('aborts between steps with ABORTED', async () => {
    const controller = new AbortController();
    const promise = lm.generate(reference.generations[0]!.prompt_text, {
      signal: controller.signal,
      onToken: () => controller.abort(),
    });
    await expect(promise).rejects.toMatchObject({ code: 'ABORTED' });
  });
});

/** The tiny LM's answer grammar (tools/tiny-models/lm/build.py ANSWER): what "follows the template" means. */
const ANSWER =
  /^a (?:(?:small|big) )?(\w+) (circle|square|triangle)(?: and a (\w+) (circle|square|triangle))? on a (\w+) background(?:, ([a-z ]+))?, simple flat illustration$/;

describe('Beautifier over the tiny LM on the 100 held-out prompts (never trained on)', () => {
  let lm: OnnxCausalLM;
  beforeAll(async () => {
    lm = await loadOnnxCausalLM(MODEL, { device: 'cpu', intraOperatorThreads: 1 });
  });
  afterAll(() => lm?.dispose());

  it('follows the template and keeps every word of the user on all of them', async () => {
    const beautifier = new Beautifier({ llm: lm });
    let followed = 0;
    let kept = 0;
    let exact = 0;
    const misses: string[] = [];
    for (const { user, target } of heldOut.prompts) {
      const raw = await lm.generate(fillTemplate(user).text);
      if (raw.finishReason === 'eos' && !raw.text.includes('\n') && !raw.text.includes('###') && ANSWER.test(raw.text)) followed++;
      const result = await beautifier.beautify(user);
      const words = new Set(result.beautified.replace(/,/g, ' ').split(/\s+/));
      if (result.source === 'llm' && user.replace(/,/g, ' ').split(/\s+/).filter(Boolean).every((word) => words.has(word))) kept++;
      else misses.push(`${user} → ${result.beautified}`);
      if (result.beautified === target) exact++;
    }
    expect(heldOut.prompts).toHaveLength(100);
    // The model card's figures (models/tiny/beautifier-lm/README.md): 100 % on each.
    expect({ followed, kept, exact, misses }).toEqual({ followed: 100, kept: 100, exact: 100, misses: [] });
  });
});

describe('a model folder whose KV layout does not match its config', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'beautifier-lm-'));
    await cp(MODEL, folder, { recursive: true });
  });
  afterAll(() => rm(folder, { recursive: true, force: true }));

  it.each([
    ['num_key_value_heads', 4],
    ['head_dim', 8],
    ['num_hidden_layers', 3],
  ])('fails on load with MODEL_CONTRACT_MISMATCH when config.json says %s = %d', async (field, value) => {
    const configPath = join(MODEL, 'lm/config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
    await writeFile(join(folder, 'lm/config.json'), JSON.stringify({ ...config, [field]: value, ...(field === 'num_hidden_layers' ? { num_layers: value } : {}) }));
    await expect(loadOnnxCausalLM(folder, { device: 'cpu', intraOperatorThreads: 1 })).rejects.toMatchObject({ code: 'MODEL_CONTRACT_MISMATCH' });
  });
});
