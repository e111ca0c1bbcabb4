import { describe, expect, it } from 'vitest';
import { thrown } from '../test-support/thrown.js';
import { checkSessionContract, findContractProblems, type ComponentContract } from './component-contract.js';
import type { TensorSpec } from './tensor-spec.js';

// The Kandinsky 3 UNet interface of spec §2.4.
const unetContract: ComponentContract = {
  inputs: [
    { name: 'sample', dtype: 'float32', dims: ['B', 4, 'h', 'w'] },
    { name: 'timestep', dtype: 'float32', dims: ['B'] },
    { name: 'encoder_hidden_states', dtype: 'float32', dims: ['B', 'L', 4096] },
    { name: 'encoder_attention_mask', dtype: ['bool', 'int64'], dims: ['B', 'L'] },
  ],
  outputs: [{ name: 'noise_pred', dtype: 'float32', dims: ['B', 4, 'h', 'w'] }],
};

const goodUnet: { inputs: TensorSpec[]; outputs: TensorSpec[] } = {
  inputs: [
    { name: 'sample', dtype: 'float32', dims: ['batch', 4, 'height', 'width'] },
    { name: 'timestep', dtype: 'float32', dims: ['batch'] },
    { name: 'encoder_hidden_states', dtype: 'float32', dims: ['batch', 'sequence', 4096] },
    { name: 'encoder_attention_mask', dtype: 'int64', dims: ['batch', 'sequence'] },
  ],
  outputs: [{ name: 'noise_pred', dtype: 'float32', dims: ['batch', 4, 'height', 'width'] }],
};


describe('checkSessionContract', () => {
  it('accepts a session with other symbolic names, fixed sizes where the contract has labels, and an alternative dtype', () => {
    expect(() => checkSessionContract('unet', goodUnet, unetContract)).not.toThrow();
    const fixed = {
      ...goodUnet,
      inputs: goodUnet.inputs.map((spec) => (spec.name === 'sample' ? { ...spec, dims: [2, 4, 128, 128] } : spec)),
    };
    expect(() => checkSessionContract('unet', fixed, unetContract)).not.toThrow();
  });

  it('accepts a symbolic model dimension where the contract fixes a size (it cannot be checked before a run)', () => {
    const symbolicChannels = {
      ...goodUnet,
      inputs: goodUnet.inputs.map((spec) => (spec.name === 'sample' ? { ...spec, dims: ['b', 'c', 'h', 'w'] } : spec)),
    };
    expect(findContractProblems(symbolicChannels, unetContract)).toEqual([]);
  });

  it('skips shape checks when the runtime does not report dims', () => {
    const unknownShapes = { ...goodUnet, inputs: goodUnet.inputs.map((spec) => ({ ...spec, dims: undefined })) };
    expect(findContractProblems(unknownShapes, unetContract)).toEqual([]);
  });

  it('lists every problem at once: missing, dtype, rank, fixed size, unexpected input, missing output', () => {
    // An inpainting UNet (9 channels, spec §2.5) exported with an int64 timestep, a flattened
    // context, no mask, an extra input, and its output renamed.
    const wrong = {
      inputs: [
        { name: 'sample', dtype: 'float32', dims: ['B', 9, 'h', 'w'] },
        { name: 'timestep', dtype: 'int64', dims: ['B'] },
        { name: 'encoder_hidden_states', dtype: 'float32', dims: ['B', 4096] },
        { name: 'image_embeds', dtype: 'float32', dims: ['B', 768] },
      ],
      outputs: [{ name: 'out', dtype: 'float32', dims: ['B', 4, 'h', 'w'] }],
    } satisfies { inputs: TensorSpec[]; outputs: TensorSpec[] };
    const error = thrown(() => checkSessionContract('unet', wrong, unetContract));
    expect(error.code).toBe('MODEL_CONTRACT_MISMATCH');
    const problems = error.details.problems as { kind: string; role: string; tensor: string }[];
    expect(problems.map(({ kind, role, tensor }) => `${kind} ${role} ${tensor}`)).toEqual([
      'dimension input sample',
      'dtype input timestep',
      'rank input encoder_hidden_states',
      'missing input encoder_attention_mask',
      'unexpected input image_embeds',
      'missing output noise_pred',
    ]);
    expect(error.message).toContain('Model component "unet" does not match its contract (6 problems)');
    expect(error.message).toContain('input "sample" has size 9 at axis 1, expected 4');
    expect(error.message).toContain('input "timestep" has dtype int64, expected float32');
    expect(error.message).toContain('input "encoder_hidden_states" has rank 2 (float32[B,4096]), expected rank 3 (float32[B,L,4096])');
    expect(error.message).toContain('missing input "encoder_attention_mask" (expected encoder_attention_mask: bool|int64[B,L])');
    expect(error.message).toContain('unexpected input "image_embeds" (float32[B,768])');
    expect(error.message).toContain('missing output "noise_pred"');
    expect(error.message).toContain(
      'Expected inputs: sample: float32[B,4,h,w], timestep: float32[B], encoder_hidden_states: float32[B,L,4096], encoder_attention_mask: bool|int64[B,L]',
    );
    expect(error.message).toContain('Found inputs: sample: float32[B,9,h,w], timestep: int64[B]');
    expect(error.message).toContain('Found outputs: out: float32[B,4,h,w]');
    expect(error.hint).toContain('docs/model-format.md');
    expect(error.details.component).toBe('unet');
  });

  it('says "1 problem" for a single problem and reports dtypes core has no array for by name', () => {
    const session = {
      inputs: [{ name: 'image', dtype: 'float64', dims: [1, 3, 'H', 'W'] }],
      outputs: [{ name: 'latent', dtype: 'float32', dims: [1, 4, 'h', 'w'] }],
    };
    const contract: ComponentContract = {
      inputs: [{ name: 'image', dtype: 'float32', dims: ['B', 3, 'H', 'W'] }],
      outputs: [{ name: 'latent', dtype: 'float32', dims: ['B', 4, 'h', 'w'] }],
    };
    const error = thrown(() => checkSessionContract('movq_encoder', session, contract));
    expect(error.message).toContain('(1 problem)');
    expect(error.message).toContain('input "image" has dtype float64, expected float32');
  });

  it('tolerates extra outputs and a missing optional input, but checks an optional input that is present', () => {
    const contract: ComponentContract = {
      inputs: [
        { name: 'sample', dtype: 'float32', dims: ['B', 4, 'h', 'w'] },
        { name: 'ip_scale', dtype: 'float32', dims: [], optional: true },
      ],
      outputs: [{ name: 'noise_pred', dtype: 'float32', dims: ['B', 4, 'h', 'w'] }],
    };
    const base = {
      inputs: [{ name: 'sample', dtype: 'float32', dims: ['B', 4, 'h', 'w'] }],
      outputs: [
        { name: 'noise_pred', dtype: 'float32', dims: ['B', 4, 'h', 'w'] },
        { name: 'debug', dtype: 'float32', dims: [1] },
      ],
    };
    expect(findContractProblems(base, contract)).toEqual([]);
    const withScale = { ...base, inputs: [...base.inputs, { name: 'ip_scale', dtype: 'float32', dims: [1] }] };
    expect(findContractProblems(withScale, contract).map((problem) => problem.kind)).toEqual(['rank']);
  });
});
