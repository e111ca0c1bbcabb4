import type { MockBackend } from '../../backend/mock-backend.js';
import type { ModelFileSource } from '../../model/model-folder.js';
import { createTensor, type Tensor } from '../../tensor/tensor.js';
import { NULL_EMBEDDING, WIDTH, mockBackend, mockFiles } from './mock-kandinsky3.js';

/** The mock folder of mock-kandinsky3.ts plus `unet_inpainting` and `text_projection_inpainting`. */
export function mockInpaintingFiles(options: { withInpainting?: boolean; samplerConfig?: object } = {}): ModelFileSource {
  const base = mockFiles('A');
  const extra: Record<string, string | Uint8Array> = {
    'text_projection_inpainting/config.json': JSON.stringify({ kind: 'text_projection', null_embedding: 'null_embedding.bin' }),
    'text_projection_inpainting/null_embedding.bin': new Uint8Array(NULL_EMBEDDING.map((v) => v + 100).buffer),
    ...(options.samplerConfig ? { 'scheduler/sampler_config.json': JSON.stringify(options.samplerConfig) } : {}),
  };
  const withInpainting = options.withInpainting ?? true;
  const readText = async (path: string): Promise<string> => {
    if (path === 'model_index.json') {
      const index = JSON.parse(await base.readText(path)) as { components: Record<string, string> };
      if (withInpainting) {
        index.components.unet_inpainting = 'unet_inpainting';
        index.components.text_projection_inpainting = 'text_projection_inpainting';
      }
      return JSON.stringify(index);
    }
    const file = extra[path];
    if (file !== undefined) return typeof file === 'string' ? file : new TextDecoder().decode(file);
    return base.readText(path);
  };
  return {
    location: 'memory',
    readText,
    readBytes: async (path) => {
      const file = extra[path];
      if (file !== undefined) return typeof file === 'string' ? new TextEncoder().encode(file) : file;
      if (path === 'model_index.json') return new TextEncoder().encode(await readText(path));
      return base.readBytes(path);
    },
    modelSource: async (path) => path,
  };
}

const f = 'float32' as const;

/**
 * The mock backend of mock-kandinsky3.ts plus a 9-channel `unet_inpainting` (ε = 0.5 · the noisy
 * latent's channels, so the loop runs as for text → image) and its projection (×3).
 */
export function mockInpaintingBackend(onUnet?: (feeds: Readonly<Record<string, Tensor>>) => void): MockBackend {
  const backend = mockBackend();
  backend.register('text_projection_inpainting/model.onnx', {
    inputs: [{ name: 'hidden', dtype: f, dims: ['B', 'L', WIDTH] }],
    outputs: [{ name: 'context', dtype: f, dims: ['B', 'L', WIDTH] }],
    compute: ({ hidden }) => {
      const out = createTensor(f, hidden!.dims);
      (hidden!.data as Float32Array).forEach((value, i) => (out.data[i] = value * 3));
      return { context: out };
    },
  });
  backend.register('unet_inpainting/model.onnx', {
    inputs: [
      { name: 'sample', dtype: f, dims: ['B', 9, 'h', 'w'] },
      { name: 'timestep', dtype: f, dims: ['B'] },
      { name: 'encoder_hidden_states', dtype: f, dims: ['B', 'L', WIDTH] },
      { name: 'encoder_attention_mask', dtype: 'int64', dims: ['B', 'L'] },
    ],
    outputs: [{ name: 'noise_pred', dtype: f, dims: ['B', 4, 'h', 'w'] }],
    compute: (feeds) => {
      onUnet?.(feeds);
      const [b, , h, w] = feeds.sample!.dims as [number, number, number, number];
      const out = createTensor(f, [b, 4, h, w]);
      const sample = feeds.sample!.data as Float32Array;
      for (let n = 0; n < b; n++) for (let i = 0; i < 4 * h * w; i++) out.data[n * 4 * h * w + i] = 0.5 * sample[n * 9 * h * w + i]!;
      return { noise_pred: out };
    },
  });
  return backend;
}
