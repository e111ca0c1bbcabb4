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
});
