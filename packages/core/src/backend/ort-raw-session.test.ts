import { describe, expect, it } from 'vitest';
import { createTensor, type Tensor } from '../tensor/tensor.js';
import { OrtRawSession, openOrtSession, type OrtSessionLike, type OrtTensorLike, type OrtValueMetadata } from './ort-raw-session.js';

/** A stand-in for onnxruntime-common's Tensor: what the factory made, recorded. */
class FakeTensor implements OrtTensorLike {
  constructor(
    readonly type: string,
    readonly data: unknown,
    readonly dims: readonly number[],
  ) {}
}

function fakeSession(outputs: (feeds: Record<string, FakeTensor>) => Record<string, unknown>): OrtSessionLike<FakeTensor> & {
  fed: Record<string, FakeTensor>[];
  released: number;
} {
  const inputMetadata: OrtValueMetadata[] = [
    { name: 'sample', isTensor: true, type: 'float32', shape: ['batch', 4, 8, 8] },
    { name: 'timestep', isTensor: true, type: 'float32', shape: [1] },
  ];
  const outputMetadata: OrtValueMetadata[] = [
    { name: 'noise_pred', isTensor: true, type: 'float32', shape: ['batch', 4, 8, 8] },
    { name: 'sequence', isTensor: false },
  ];
  const session = {
    inputMetadata,
    outputMetadata,
    fed: [] as Record<string, FakeTensor>[],
    released: 0,
    async run(feeds: Record<string, FakeTensor>) {
      session.fed.push(feeds);
      return outputs(feeds);
    },
    async release() {
      session.released++;
    },
  };
  return session;
}

const factory = (dtype: string, data: Tensor['data'], dims: number[]) => new FakeTensor(dtype, data, dims);

describe('OrtRawSession', () => {
  it('describes inputs and outputs from the runtime metadata, symbolic axes kept as names', () => {
    const raw = new OrtRawSession(fakeSession(() => ({})), factory);
    expect(raw.inputs).toEqual([
      { name: 'sample', dtype: 'float32', dims: ['batch', 4, 8, 8] },
      { name: 'timestep', dtype: 'float32', dims: [1] },
    ]);
    expect(raw.outputs[1]).toEqual({ name: 'sequence', dtype: 'non-tensor', dims: undefined });
  });

  it('feeds the core buffers without copying, wraps each tensor once, and takes outputs over', async () => {
    const out = new Float32Array(4 * 64);
    const session = fakeSession(() => ({ noise_pred: new FakeTensor('float32', out, [1, 4, 8, 8]) }));
    const raw = new OrtRawSession(session, factory);
    const sample = createTensor('float32', [1, 4, 8, 8], new Float32Array(256));
    const timestep = createTensor('float32', [1], new Float32Array([999]));
    const first = await raw.run({ sample, timestep }, {});
    await raw.run({ sample, timestep }, {});
    expect(session.fed[0]!.sample!.data).toBe(sample.data);
    expect(session.fed[1]!.sample).toBe(session.fed[0]!.sample);
    // The dims given to the runtime are a copy: changing the core tensor's array cannot move them.
    expect(session.fed[0]!.sample!.dims).not.toBe(sample.dims);
    expect(first.noise_pred!.data).toBe(out);
    expect(first.noise_pred!.dims).toEqual([1, 4, 8, 8]);
    // A new buffer in the same core tensor object is wrapped anew.
    (sample as { data: Float32Array }).data = new Float32Array(256);
    await raw.run({ sample, timestep }, {});
    expect(session.fed[2]!.sample!.data).toBe(sample.data);
    await raw.release();
    expect(session.released).toBe(1);
  });

  it('normalises float16 outputs to core\'s Uint16Array bits', async () => {
    const bits = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001]);
    // A runtime with Float16Array would hand back another view of the same bytes.
    const view = new DataView(bits.buffer);
    const session = fakeSession(() => ({ noise_pred: new FakeTensor('float16', view, [4]) }));
    const raw = new OrtRawSession(session, factory);
    const outputs = await raw.run({ sample: createTensor('float32', [1], new Float32Array(1)), timestep: createTensor('float32', [1], new Float32Array(1)) }, {});
    expect(outputs.noise_pred!.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(outputs.noise_pred!.data as Uint16Array)).toEqual([0x3c00, 0xc000, 0x7bff, 0x0001]);
  });

  it('refuses outputs and inputs of a dtype core cannot hold, naming them', async () => {
    const raw = new OrtRawSession(fakeSession(() => ({ noise_pred: new FakeTensor('float64', new Float64Array(1), [1]) })), factory);
    const feeds = { sample: createTensor('float32', [1], new Float32Array(1)), timestep: createTensor('float32', [1], new Float32Array(1)) };
    await expect(raw.run(feeds, {})).rejects.toMatchObject({ code: 'DTYPE_MISMATCH', message: expect.stringContaining('"noise_pred"') });
    const int8 = { dtype: 'int8', dims: [1], data: new Int8Array(1) } as unknown as Tensor;
    await expect(raw.run({ ...feeds, timestep: int8 }, {})).rejects.toMatchObject({ code: 'DTYPE_MISMATCH', message: expect.stringContaining('"timestep"') });
  });

  it('refuses a constructor argument that is not a session or a factory', () => {
    for (const bad of [null, undefined, {}, 42, { inputMetadata: [], outputMetadata: [] }]) {
      expect(() => new OrtRawSession(bad as never, factory)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(() => new OrtRawSession(fakeSession(() => ({})), 'new Tensor' as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('openOrtSession', () => {
  it('wraps the created session: its runs go through the runtime', async () => {
    const out = new Float32Array(256);
    const session = fakeSession(() => ({ noise_pred: new FakeTensor('float32', out, [1, 4, 8, 8]) }));
    const model = await openOrtSession(Promise.resolve(session), factory, { operation: 'Loading "unet"', label: 'unet' });
    expect(model.inputs.map((spec) => spec.name)).toEqual(['sample', 'timestep']);
    const sample = createTensor('float32', [1, 4, 8, 8], new Float32Array(256));
    const result = await model.run({ sample, timestep: createTensor('float32', [1], new Float32Array([999])) });
    expect(result.noise_pred!.data).toBe(out);
    await model.dispose();
    expect(session.released).toBe(1);
  });

  it('on abort rejects at once with ABORTED and releases the session that finishes later', async () => {
    const session = fakeSession(() => ({}));
    let finish!: (value: typeof session) => void;
    const creating = new Promise<typeof session>((resolve) => (finish = resolve));
    const controller = new AbortController();
    const opening = openOrtSession(creating, factory, { operation: 'Loading "unet"', label: 'unet', signal: controller.signal });
    controller.abort();
    await expect(opening).rejects.toMatchObject({ code: 'ABORTED' });
    finish(session);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(session.released).toBe(1);
  });

  it('turns a runtime failure into a typed error naming the component', async () => {
    const error = await openOrtSession(Promise.reject(new Error('protobuf parsing failed')), factory, {
      operation: 'Loading "unet"',
      label: 'unet/model.onnx',
      component: 'unet',
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: expect.stringMatching(/^[A-Z_]+$/), message: expect.stringContaining('protobuf parsing failed') });
    expect((error as { details?: { component?: string } }).details?.component).toBe('unet');
  });
});
