import { createTensor, KandinskyError, ModelFolder, type ModelFileSource, type Tensor } from '@kandinsky/core';
import { MockBackend, type MockBackendOptions } from '@kandinsky/core/testing';

/** The MockBackend model name of the mock folder's sr_unet. */
export const SR_UNET = 'sr_unet/model.onnx';

/** More components and files for {@link mockSuperResFiles}: `components` role → folder, `files` path → contents. */
export interface MockFolderExtras {
  readonly components?: Record<string, string>;
  readonly files?: Record<string, string | Uint8Array>;
}

/** An in-memory KandiSuperRes folder (JSON only); the UNet is whatever the MockBackend registers. */
export function mockSuperResFiles(
  config: Record<string, unknown> = {},
  className = 'KandiSuperResPipeline',
  extras: MockFolderExtras = {},
): ModelFileSource {
  const files: Record<string, string | Uint8Array> = {
    ...extras.files,
    'model_index.json': JSON.stringify({
      _class_name: className,
      format: 'kandinsky-ts',
      format_version: 1,
      variant: { name: 'mock-sr' },
      components: { sr_unet: 'sr_unet', ...extras.components },
    }),
    'sr_unet/config.json': JSON.stringify({ kind: 'sr_unet', scale: 4, size_multiple: 8, tile_window: 32, tile_stride: 24, ...config }),
    'sr_unet/scheduler_config.json': JSON.stringify({
      _class_name: 'DPMSolverMultistepScheduler',
      beta_schedule: 'linear',
      prediction_type: 'sample',
      algorithm_type: 'dpmsolver++',
      solver_order: 2,
      lower_order_final: true,
      final_sigmas_type: 'zero',
    }),
  };
  const read = async (path: string): Promise<string | Uint8Array> => {
    const file = files[path];
    if (file === undefined) throw new KandinskyError({ code: 'MODEL_NOT_FOUND', message: `no ${path}`, hint: 'mock' });
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

export function mockSuperResFolder(config?: Record<string, unknown>, className?: string, extras?: MockFolderExtras): Promise<ModelFolder> {
  return ModelFolder.open(mockSuperResFiles(config, className, extras));
}

/**
 * A MockBackend whose SR UNet predicts x0 = lowres (the conditioning itself): DPM-Solver++ with a
 * final σ of 0 then ends exactly on the upsampled low-res image, whatever the noise and tiling.
 */
export function lowresEchoBackend(
  options: MockBackendOptions = {},
  compute?: (feeds: Record<string, Tensor>) => void | Promise<void>,
): MockBackend {
  return new MockBackend(options).register(SR_UNET, {
    inputs: [
      { name: 'sample', dtype: 'float32', dims: ['B', 3, 'H', 'W'] },
      { name: 'timestep', dtype: 'float32', dims: ['B'] },
      { name: 'lowres', dtype: 'float32', dims: ['B', 3, 'H', 'W'] },
    ],
    outputs: [{ name: 'x0', dtype: 'float32', dims: ['B', 3, 'H', 'W'] }],
    compute: async (feeds) => {
      await compute?.(feeds as Record<string, Tensor>);
      const lowres = feeds.lowres as Tensor<'float32'>;
      return { x0: createTensor('float32', lowres.dims, lowres.data.slice()) };
    },
  });
}
