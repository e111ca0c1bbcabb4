import { describe, expect, it } from 'vitest';
import { createTensor, type Tensor } from '../tensor/tensor.js';
import { encodePrompt, type PromptEncoderModels } from './prompt-encoder.js';
import type { TextTokenizer } from './prompt-tokens.js';

/** A tokenizer that maps each word to a fixed id and counts its calls. */
function countingTokenizer(ids: Record<string, number>): TextTokenizer & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    encode(text: string) {
      calls.push(text);
      return text
        .split(/\s+/)
        .filter(Boolean)
        .map((word) => ids[word] ?? 2);
    },
  };
}

/** Models that record the ids and masks they were fed (as BigInt lists) and return zeros. */
function recordingModels(tokenizer: TextTokenizer): PromptEncoderModels & { fed: bigint[][][] } {
  const fed: bigint[][][] = [];
  return {
    fed,
    tokenizer,
    async encode(ids: Tensor<'int64'>, mask: Tensor<'int64'>) {
      fed.push([Array.from(ids.data), Array.from(mask.data)]);
      return createTensor('float32', [ids.dims[0]!, ids.dims[1]!, 4]);
    },
  };
}

describe('encodePrompt', () => {
  it('feeds the ids and masks as int64, including ids beyond int32 and negative ones', async () => {
    const tokenizer = countingTokenizer({ big: 2 ** 31 + 5, huge: 2 ** 40, negative: -7, red: 1234 });
    for (const [prompt, expected] of [
      ['red', [1234n, 1n]],
      ['big red', [BigInt(2 ** 31 + 5), 1234n, 1n]],
      ['huge', [BigInt(2 ** 40), 1n]],
      ['negative red', [-7n, 1234n, 1n]],
    ] as const) {
      const models = recordingModels(tokenizer);
      await encodePrompt(models, { convention: 'B', prompt, withUnconditional: false });
      const [ids, mask] = models.fed[0]!;
      expect(ids!.length).toBe(128);
      expect(ids!.slice(0, expected.length)).toEqual(expected);
      expect(ids!.slice(expected.length).every((id) => id === 0n)).toBe(true);
      expect(mask!.slice(0, expected.length + 1)).toEqual([...expected.map(() => 1n), 0n]);
    }
  });

  it('tokenises a repeated prompt once per tokenizer and gives the same tensors', async () => {
    const first = countingTokenizer({ red: 10, circle: 11 });
    const second = countingTokenizer({ red: 10, circle: 11 });
    const models = recordingModels(first);
    const options = { convention: 'B', prompt: 'red circle', negativePrompt: 'circle', withUnconditional: true } as const;
    const a = await encodePrompt(models, options);
    const b = await encodePrompt(models, options);
    expect(first.calls).toEqual(['red circle', 'circle']);
    expect(models.fed[1]).toEqual(models.fed[0]);
    expect(Array.from(b.conditional.mask.data)).toEqual(Array.from(a.conditional.mask.data));
    // Another tokenizer is asked itself, even for the same text.
    await encodePrompt(recordingModels(second), options);
    expect(second.calls).toEqual(['red circle', 'circle']);
  });

  it.each([
    ['NaN', Number.NaN],
    ['+inf', Number.POSITIVE_INFINITY],
    ['-inf', Number.NEGATIVE_INFINITY],
  ])('zeroes only the item whose encoder states hold %s, and warns (spec §2.2)', async (_, bad) => {
    const tokenizer = countingTokenizer({ red: 10, blue: 11 });
    for (const badItem of [0, 1]) {
      const warnings: string[] = [];
      const models: PromptEncoderModels = {
        tokenizer,
        async encode(ids: Tensor<'int64'>) {
          const [batch, length] = ids.dims as [number, number];
          const states = createTensor('float32', [batch, length, 4], Float32Array.from({ length: batch * length * 4 }, (_, i) => 0.5 + i));
          states.data[badItem * length * 4 + 4 * 1 + 3] = bad; // row 1 of the item, last channel
          return states;
        },
      };
      const result = await encodePrompt(models, {
        convention: 'B',
        prompt: 'red',
        negativePrompt: 'blue',
        withUnconditional: true,
        warn: (code, message) => warnings.push(`${code}: ${message}`),
      });
      const bad0 = result.conditional.context.data;
      const bad1 = result.unconditional!.context.data;
      const [zeroed, kept] = badItem === 0 ? [bad0, bad1] : [bad1, bad0];
      expect(Array.from(zeroed).every((v) => v === 0)).toBe(true);
      // The other item keeps its values (rows past the mask are zero by spec §4.1 anyway).
      expect(Array.from(kept).every((v) => Number.isFinite(v))).toBe(true);
      expect(Array.from(kept.subarray(0, 8)).every((v) => v >= 0.5)).toBe(true);
      expect(warnings).toEqual([expect.stringMatching(badItem === 0 ? /^NON_FINITE_VALUES: .*for the prompt;/ : /for the negative prompt;/)]);
    }
  });

  it('passes finite states through without a warning, extreme values included', async () => {
    const warnings: string[] = [];
    const models: PromptEncoderModels = {
      tokenizer: countingTokenizer({ red: 10 }),
      async encode(ids: Tensor<'int64'>) {
        const states = createTensor('float32', [1, ids.dims[1]!, 4]);
        states.data.set([3.4e38, -3.4e38, 1e-45, -0]);
        return states;
      },
    };
    const result = await encodePrompt(models, { convention: 'B', prompt: 'red', withUnconditional: false, warn: (code) => warnings.push(code) });
    expect(Array.from(result.conditional.context.data.subarray(0, 4))).toEqual([3.4e38, -3.4e38, 1e-45, -0].map(Math.fround));
    expect(warnings).toEqual([]);
  });
});
