import { MockBackend } from '../../backend/mock-backend.js';
import type { ModelFileSource } from '../../model/model-folder.js';
import { createTensor, type Tensor } from '../../tensor/tensor.js';
import { WIDTH, mockTokenizer } from './mock-kandinsky3.js';

export { WIDTH, mockTokenizer };

/** Image-embedding width of the mock image encoder. */
export const EMBED = 3;
/** LayerNorm-bias stand-in of the mock K3D projection: `context = 2·hidden + 1`. */
export const PROJECTION_BIAS = 1;

const f = 'float32' as const;

/** An in-memory convention-C folder: `'ip'` (IP-Adapter), `'controlnet'` (v1 HED) or a wrong variant. */
export function mockK3dFiles(
  kind: 'ip' | 'controlnet',
  options: { unetVariant?: string; convention?: string; withoutHed?: boolean; v2?: boolean } = {},
): ModelFileSource {
  const extra: Record<string, string> = kind === 'ip' ? { image_encoder: 'image_encoder' } : options.withoutHed ? {} : { hed: 'hed' };
  if (options.v2) extra.controlnet = 'controlnet';
  const files: Record<string, string> = {
    'model_index.json': JSON.stringify({
      format: 'kandinsky-ts',
      format_version: 1,
      convention: options.convention ?? 'C',
      variant: { name: `mock-${kind}` },
      components: {
        tokenizer: 'tokenizer',
        text_encoder: 'text_encoder',
        text_projection: 'text_projection',
        unet: options.v2 ? 'unet_v2' : 'unet',
        movq_encoder: 'movq_encoder',
        movq_decoder: 'movq_decoder',
        scheduler: 'scheduler',
        ...extra,
      },
    }),
    [options.v2 ? 'unet_v2/config.json' : 'unet/config.json']: JSON.stringify({
      kind: 'unet',
      variant: options.unetVariant ?? (kind === 'ip' ? 'ip_adapter' : options.v2 ? 'controlnet_v2' : 'controlnet_hed'),
      default_image_size: 64,
    }),
    'hed/config.json': JSON.stringify({ kind: 'edge_detector', detect_resolution: 64 }),
    'image_encoder/preprocessor_config.json': JSON.stringify({ crop_size: { height: 8, width: 8 }, size: { shortest_edge: 8 } }),
    'scheduler/scheduler_config.json': JSON.stringify({
      _class_name: 'DDPMScheduler',
      beta_schedule: 'squaredcos_cap_v2',
      clip_sample: true,
      steps_offset: 1,
      prediction_type: 'epsilon',
    }),
  };
  return {
    location: 'memory',
    readText: async (path) => {
      const file = files[path];
      if (file === undefined) {
        const { KandinskyError } = await import('../../errors/kandinsky-error.js');
        throw new KandinskyError({ code: 'MODEL_NOT_FOUND', message: `no ${path}`, hint: 'mock' });
      }
      return file;
    },
    readBytes: async (path) => new TextEncoder().encode(files[path] ?? ''),
    modelSource: async (path) => path,
  };
}

/**
 * Mock models of a convention-C folder: the text encoder of mock-kandinsky3.ts (`id + d/10`), a
 * K3D projection (`2·hidden + 1`, so pad rows come out as the "bias" 1), an image encoder
 * (`e[d] = mean of the pixel values + d`), an edge detector (every side −1), MoVQ stand-ins and
 * the `kind`'s UNet (`0.5·sample`), which hands its feeds to `onUnet`.
 */
export function mockK3dBackend(
  kind: 'ip' | 'controlnet',
  options: { onUnet?: (feeds: Readonly<Record<string, Tensor>>) => void } = {},
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
      const out = createTensor(f, [...input_ids!.dims, WIDTH]);
      for (let i = 0; i < ids.length; i++) for (let d = 0; d < WIDTH; d++) out.data[i * WIDTH + d] = Number(ids[i]) + d / 10;
      return { last_hidden_state: out };
    },
  });
  backend.register('text_projection/model.onnx', {
    inputs: [{ name: 'hidden', dtype: f, dims: ['B', 'L', WIDTH] }],
    outputs: [{ name: 'context', dtype: f, dims: ['B', 'L', WIDTH] }],
    compute: ({ hidden }) => {
      const out = createTensor(f, hidden!.dims);
      (hidden!.data as Float32Array).forEach((value, i) => (out.data[i] = 2 * value + PROJECTION_BIAS));
      return { context: out };
    },
  });
  backend.register('image_encoder/model.onnx', {
    inputs: [{ name: 'pixel_values', dtype: f, dims: ['B', 3, 'P', 'P'] }],
    outputs: [{ name: 'image_embeds', dtype: f, dims: ['B', EMBED] }],
    compute: ({ pixel_values }) => {
      const batch = pixel_values!.dims[0]!;
      const size = pixel_values!.data.length / batch;
      const out = createTensor(f, [batch, EMBED]);
      for (let i = 0; i < batch; i++) {
        let sum = 0;
        for (let j = 0; j < size; j++) sum += (pixel_values!.data as Float32Array)[i * size + j]!;
        for (let d = 0; d < EMBED; d++) out.data[i * EMBED + d] = sum / size + d;
      }
      return { image_embeds: out };
    },
  });
  backend.register('hed/model.onnx', {
    inputs: [{ name: 'image', dtype: f, dims: [1, 3, 'H', 'W'] }],
    outputs: [1, 2, 3, 4, 5].map((k) => ({ name: `side${k}`, dtype: f, dims: [1, 1, 'h', 'w'] })),
    compute: ({ image }) => {
      const [, , h, w] = image!.dims as [number, number, number, number];
      const sides: Record<string, Tensor> = {};
      for (let k = 0; k < 5; k++) {
        const side = createTensor(f, [1, 1, h >> k, w >> k]);
        side.data.fill(-1);
        sides[`side${k + 1}`] = side;
      }
      return sides;
    },
  });
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
      return { latent: createTensor(f, [b, 4, h / 8, w / 8]) };
    },
  });
  const extra =
    kind === 'ip'
      ? [
          { name: 'image_embeds', dtype: f, dims: ['B', EMBED] },
          { name: 'ip_scale', dtype: f, dims: [] },
        ]
      : [{ name: 'hint', dtype: f, dims: ['B', 3, 'H', 'W'] }];
  backend.register('unet/model.onnx', {
    inputs: [
      { name: 'sample', dtype: f, dims: ['B', 4, 'h', 'w'] },
      { name: 'timestep', dtype: f, dims: ['B'] },
      { name: 'encoder_hidden_states', dtype: f, dims: ['B', 'L', WIDTH] },
      { name: 'encoder_attention_mask', dtype: 'int64', dims: ['B', 'L'] },
      ...extra,
    ],
    outputs: [{ name: 'noise_pred', dtype: f, dims: ['B', 4, 'h', 'w'] }],
    compute: (feeds) => {
      options.onUnet?.(feeds);
      const out = createTensor(f, feeds.sample!.dims);
      (feeds.sample!.data as Float32Array).forEach((value, i) => (out.data[i] = 0.5 * value));
      return { noise_pred: out };
    },
  });
  return backend;
}

/** Channels of the mock ControlNet v2 residuals (the real ones: 384, 768, 1536). */
export const RESIDUAL_CHANNELS = [2, 3, 5] as const;

/**
 * A ControlNet v2 folder's mocks: the `controlnet` returns `down_res_k` filled with
 * `(k + 1)·1000 + timestep` (so a test can read scale and step back), the `unet` takes the three
 * residuals instead of a hint.
 */
export function mockControlNetV2Backend(options: {
  onUnet?: (feeds: Readonly<Record<string, Tensor>>) => void;
  onControlNet?: (feeds: Readonly<Record<string, Tensor>>) => void;
}): MockBackend {
  const backend = mockK3dBackend('ip'); // text, image and MoVQ mocks; its unet is replaced below
  const base = [
    { name: 'sample', dtype: f, dims: ['B', 4, 'h', 'w'] },
    { name: 'timestep', dtype: f, dims: ['B'] },
    { name: 'encoder_hidden_states', dtype: f, dims: ['B', 'L', WIDTH] },
    { name: 'encoder_attention_mask', dtype: 'int64' as const, dims: ['B', 'L'] },
  ];
  const residuals = RESIDUAL_CHANNELS.map((channels, k) => ({ name: `down_res_${k}`, dtype: f, dims: ['B', channels, `h${k}`, `w${k}`] }));
  backend.register('controlnet/model.onnx', {
    inputs: [...base, { name: 'hint', dtype: f, dims: ['B', 3, 'H', 'W'] }],
    outputs: residuals,
    compute: (feeds) => {
      options.onControlNet?.(feeds);
      const [b, , h, w] = feeds.sample!.dims as [number, number, number, number];
      const t = (feeds.timestep!.data as Float32Array)[0]!;
      const out: Record<string, Tensor> = {};
      RESIDUAL_CHANNELS.forEach((channels, k) => {
        const residual = createTensor(f, [b, channels, h >> (k + 1), w >> (k + 1)]);
        residual.data.fill((k + 1) * 1000 + t);
        out[`down_res_${k}`] = residual;
      });
      return out;
    },
  });
  backend.register('unet_v2/model.onnx', {
    inputs: [...base, ...residuals],
    outputs: [{ name: 'noise_pred', dtype: f, dims: ['B', 4, 'h', 'w'] }],
    compute: (feeds) => {
      options.onUnet?.(feeds);
      const out = createTensor(f, feeds.sample!.dims);
      (feeds.sample!.data as Float32Array).forEach((value, i) => (out.data[i] = 0.5 * value));
      return { noise_pred: out };
    },
  });
  return backend;
}
