import { describe, expect, it } from 'vitest';
import { createTensor, type Tensor } from '../tensor/tensor.js';
import { encodeK3dPrompt, type K3dPromptModels } from './k3d-prompt-encoder.js';
import { mockTokenizer } from './test-support/mock-kandinsky3.js';

// Encoder: row = id (one value per row, width 1), so each context row names its token;
// projection: 2·h + 1, so a zeroed pad row comes out as the "LayerNorm bias" 1.
const models: K3dPromptModels & { encoded: bigint[][] } = {
  tokenizer: mockTokenizer,
  encoded: [],
  async encode(ids) {
    const [batch, length] = ids.dims as [number, number];
    const data = ids.data as BigInt64Array;
    for (let b = 0; b < batch; b++) models.encoded.push(Array.from(data.subarray(b * length, b * length + 8)));
    return createTensor('float32', [batch, length, 1], Float32Array.from(data, Number));
  },
  async project(hidden: Tensor<'float32'>) {
    return createTensor('float32', hidden.dims, hidden.data.map((value) => 2 * value + 1));
  },
};

const rows = (tensor: Tensor) => Array.from(tensor.data as Float32Array);

describe('encodeK3dPrompt (spec §4.1 C)', () => {
  // "a red" = ids 3, 4 + EOS → n = 3, L = 4. Negative: blurry(11) white(9) square(7) on(8) background(10).
  const negativePrompt = 'blurry white square on background';

  it('ControlNet: the negative prompt is tokenised to L (EOS kept last), pads stay the bias', async () => {
    models.encoded.length = 0;
    const contexts = await encodeK3dPrompt(models, { variant: 'controlnet', prompt: 'a red', negativePrompt, withUnconditional: true });
    expect(contexts.length).toBe(4);
    expect(rows(contexts.conditional.context)).toEqual([7, 9, 3, 1]); // a, red, EOS, pad → bias
    expect(models.encoded[1]!.slice(0, 5)).toEqual([11n, 9n, 7n, 1n, 0n]);
    expect(rows(contexts.unconditional!.context)).toEqual([23, 19, 15, 3]);
    expect(Array.from(contexts.unconditional!.mask.data)).toEqual([1n, 1n, 1n, 1n]);
    const empty = await encodeK3dPrompt(models, { variant: 'controlnet', prompt: 'a red', withUnconditional: true });
    expect(rows(empty.unconditional!.context)).toEqual([3, 1, 1, 1]); // "" = EOS, then bias rows
  });

  it('IP-Adapter: the negative prompt is encoded whole and cut to L; its pad rows are zeroed', async () => {
    models.encoded.length = 0;
    const contexts = await encodeK3dPrompt(models, { variant: 'ip-adapter', prompt: 'a red', negativePrompt, withUnconditional: true });
    expect(models.encoded[1]!.slice(0, 7)).toEqual([11n, 9n, 7n, 8n, 10n, 1n, 0n]);
    expect(rows(contexts.unconditional!.context)).toEqual([23, 19, 15, 17]); // cut after "on", no EOS forced
    const empty = await encodeK3dPrompt(models, { variant: 'ip-adapter', prompt: 'a red', withUnconditional: true });
    expect(rows(empty.unconditional!.context)).toEqual([3, 0, 0, 0]);
    expect(Array.from(empty.unconditional!.mask.data)).toEqual([1n, 0n, 0n, 0n]);
    const imageOnly = await encodeK3dPrompt(models, { variant: 'ip-adapter', prompt: '', withUnconditional: false });
    expect(rows(imageOnly.conditional.context)).toEqual([0, 0]);
    expect(Array.from(imageOnly.conditional.mask.data)).toEqual([0n, 0n]);
    expect(imageOnly.unconditional).toBeUndefined();
  });
});
