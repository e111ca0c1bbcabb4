import { MockBackend } from '../../backend/mock-backend.js';
import type { ModelFileSource } from '../../model/model-folder.js';
import { createTensor, type Tensor } from '../../tensor/tensor.js';
import type { TextTokenizer } from '../prompt-tokens.js';

/** Context width of the mock models. */
export const WIDTH = 4;

/** Words → ids 3…; anything else is <unk> (2). */
export const mockTokenizer: TextTokenizer = {
  encode: (text) => {
    const vocabulary = ['a', 'red', 'blue', 'circle', 'square', 'on', 'white', 'background', 'blurry'];
    return text
      .toLowerCase()
      .split(/\s+/)
      .filter(Boolean)
      .map((word) => (vocabulary.includes(word) ? vocabulary.indexOf(word) + 3 : 2));
  },
};

export const NULL_EMBEDDING = Float32Array.of(9, 8, 7, 6);

/** An in-memory convention-A model folder whose files are all JSON or tiny binaries. */
export function mockFiles(convention: 'A' | 'B' = 'A'): ModelFileSource {
  const files: Record<string, string | Uint8Array> = {
    'model_index.json': JSON.stringify({
      format: 'kandinsky-ts',
      format_version: 1,
      convention,
      variant: { name: 'mock' },
      components: {
        tokenizer: 'tokenizer',
        text_encoder: 'text_encoder',
        text_projection: 'text_projection',
        text_projection_flash: 'text_projection_flash',
        unet: 'unet',
        unet_flash: 'unet_flash',
        movq_encoder: 'movq_encoder',
        movq_decoder: 'movq_decoder',
        scheduler: 'scheduler',
      },
    }),
    'unet/config.json': JSON.stringify({ kind: 'unet', default_image_size: 64 }),
    'text_projection/config.json': JSON.stringify({ kind: 'text_projection', null_embedding: 'null_embedding.bin' }),
    'text_projection_flash/config.json': JSON.stringify({ kind: 'text_projection' }),
    'text_projection/null_embedding.bin': new Uint8Array(NULL_EMBEDDING.buffer),
    'text_projection_flash/null_embedding.bin': new Uint8Array(NULL_EMBEDDING.buffer),
    'scheduler/scheduler_config.json': JSON.stringify({
      _class_name: 'DDPMScheduler',
      beta_schedule: 'squaredcos_cap_v2',
      clip_sample: true,
      steps_offset: 1,
      prediction_type: 'epsilon',
    }),
  };
  const read = async (path: string) => {
    const file = files[path];
    if (file === undefined) {
      const { KandinskyError } = await import('../../errors/kandinsky-error.js');
      throw new KandinskyError({ code: 'MODEL_NOT_FOUND', message: `no ${path}`, hint: 'mock' });
    }
    return file;
  };
  return {
    location: 'memory',
    readText: async (path) => {
      const file = await read(path);
      return typeof file === 'string' ? file : new TextDecoder().decode(file);
    },
    readBytes: async (path) => {
      const file = await read(path);
      return typeof file === 'string' ? new TextEncoder().encode(file) : file;
    },
    modelSource: async (path) => path,
  };
}

const f = 'float32' as const;

/** Mock models: simple deterministic functions with the contract's signatures. */
export function mockBackend(
  options: { dropMaskInput?: boolean; onUnet?: (role: string, feeds: Readonly<Record<string, Tensor>>) => void } = {},
): MockBackend {
  const backend = new MockBackend();
  backend.register('text_encoder/model.onnx', {
    inputs: [
      { name: 'input_ids', dtype: 'int64', dims: ['B', 'S'] },
      { name: 'attention_mask', dtype: 'int64', dims: ['B', 'S'] },
    ],
    outputs: [{ name: 'last_hidden_state', dtype: f, dims: ['B', 'S', WIDTH] }],
    compute: ({ input_ids }) => {
      const ids = input_ids!.data as BigInt64Array;
      const [b, s] = input_ids!.dims as [number, number];
      const out = createTensor(f, [b, s, WIDTH]);
      for (let i = 0; i < b * s; i++) for (let d = 0; d < WIDTH; d++) out.data[i * WIDTH + d] = Number(ids[i]) + d / 10;
      return { last_hidden_state: out };
    },
  });
  for (const role of ['text_projection', 'text_projection_flash']) {
    backend.register(`${role}/model.onnx`, {
      inputs: [{ name: 'hidden', dtype: f, dims: ['B', 'L', WIDTH] }],
      outputs: [{ name: 'context', dtype: f, dims: ['B', 'L', WIDTH] }],
      compute: ({ hidden }) => {
        const out = createTensor(f, hidden!.dims);
        (hidden!.data as Float32Array).forEach((value, i) => (out.data[i] = value * 2));
        return { context: out };
      },
    });
  }
  for (const role of ['unet', 'unet_flash']) {
    const inputs = [
      { name: 'sample', dtype: f, dims: ['B', 4, 'h', 'w'] },
      { name: 'timestep', dtype: f, dims: ['B'] },
      { name: 'encoder_hidden_states', dtype: f, dims: ['B', 'L', WIDTH] },
      { name: 'encoder_attention_mask', dtype: 'int64' as const, dims: ['B', 'L'] },
    ];
    backend.register(`${role}/model.onnx`, {
      inputs: options.dropMaskInput ? inputs.slice(0, 3) : inputs,
      outputs: [{ name: 'noise_pred', dtype: f, dims: ['B', 4, 'h', 'w'] }],
      compute: (feeds) => {
        options.onUnet?.(role, feeds);
        const sample = feeds.sample;
        const out = createTensor(f, sample!.dims);
        (sample!.data as Float32Array).forEach((value, i) => (out.data[i] = 0.5 * value));
        return { noise_pred: out };
      },
    });
  }
  backend.register('movq_decoder/model.onnx', {
    inputs: [{ name: 'latent', dtype: f, dims: ['B', 4, 'h', 'w'] }],
    outputs: [{ name: 'image', dtype: f, dims: ['B', 3, 'H', 'W'] }],
    compute: ({ latent }) => {
      const [b, , h, w] = latent!.dims as [number, number, number, number];
      const out = createTensor(f, [b, 3, h * 8, w * 8]);
      out.data.fill(0.5);
      return { image: out };
    },
  });
  backend.register('movq_encoder/model.onnx', {
    inputs: [{ name: 'image', dtype: f, dims: ['B', 3, 'H', 'W'] }],
    outputs: [{ name: 'latent', dtype: f, dims: ['B', 4, 'h', 'w'] }],
    compute: ({ image }) => {
      const [b, , h, w] = image!.dims as [number, number, number, number];
      return { latent: createTensor(f, [b, 4, h / 8, w / 8]) as Tensor<'float32'> };
    },
  });
  return backend;
}
