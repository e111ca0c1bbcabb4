import { describe, expect, it } from 'vitest';
import { createTensor } from '../tensor/tensor.js';
import type { EncodedPrompt } from './prompt-encoder.js';
import { UnetFeeds } from './unet-feeds.js';

const prompt = (value: number, length = 3): EncodedPrompt => ({
  context: createTensor('float32', [1, length, 2], new Float32Array(length * 2).fill(value)),
  mask: createTensor('int64', [1, length], BigInt64Array.from({ length }, (_, i) => (i < 2 ? 1n : 0n))),
});

describe('UnetFeeds', () => {
  it('stacks the contexts once and repeats the sample and timestep per batch item (spec §3.8)', async () => {
    const feeds = new UnetFeeds([prompt(1), prompt(2)]);
    const sample = createTensor('float32', [1, 4, 1, 1], Float32Array.from([1, 2, 3, 4]));
    const at = await feeds.at(sample, 979, 0);
    expect(Object.keys(at).sort()).toEqual(['encoder_attention_mask', 'encoder_hidden_states', 'sample', 'timestep']);
    expect(at.sample!.dims).toEqual([2, 4, 1, 1]);
    expect(Array.from(at.sample!.data as Float32Array)).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
    expect(Array.from(at.timestep!.data as Float32Array)).toEqual([979, 979]);
    expect(Array.from(at.encoder_hidden_states!.data as Float32Array)).toEqual([1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]);
    expect(Array.from(at.encoder_attention_mask!.data as BigInt64Array)).toEqual([1n, 1n, 0n, 1n, 1n, 0n]);
    // The next step's feeds carry its own sample and timestep.
    const later = await feeds.at(createTensor('float32', [1, 4, 1, 1], Float32Array.from([9, 8, 7, 6])), 729, 1);
    expect(Array.from(later.sample!.data as Float32Array)).toEqual([9, 8, 7, 6, 9, 8, 7, 6]);
    expect(Array.from(later.timestep!.data as Float32Array)).toEqual([729, 729]);
  });

  it("adds a task's channels, fixed inputs and per-step inputs without changing the loop", async () => {
    const mask = createTensor('float32', [1, 2, 1, 1], Float32Array.from([0.5, -0.5]));
    const embeds = createTensor('float32', [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6]));
    const calls: [number, number][] = [];
    const feeds = new UnetFeeds([prompt(1), prompt(0)], {
      extraChannels: mask,
      inputs: { image_embeds: embeds },
      perStep: async (sample, timestep, index) => {
        calls.push([timestep, index]);
        return { residual: createTensor('float32', [1], Float32Array.from([sample.data[0]! * 10])) };
      },
    });
    const at = await feeds.at(createTensor('float32', [1, 2, 1, 1], Float32Array.from([7, 8])), 479, 2);
    // Inpainting's layout (spec §2.5): the sample's channels, then the task's, per batch item.
    expect(at.sample!.dims).toEqual([2, 4, 1, 1]);
    expect(Array.from(at.sample!.data as Float32Array)).toEqual([7, 8, 0.5, -0.5, 7, 8, 0.5, -0.5]);
    expect(at.image_embeds).toBe(embeds);
    expect(Array.from(at.residual!.data as Float32Array)).toEqual([70]);
    expect(calls).toEqual([[479, 2]]);
  });
});
