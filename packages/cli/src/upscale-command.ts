import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { extractGenerationMetadata, type GenerationMetadata } from '@kandinsky/core';
import { loadKandiSuperRes, readImage, writeImage } from '@kandinsky/node';
import { checkOutputTarget } from './output-target.js';
import type { CliIo } from './cli-io.js';
import { resolveDefaultModel } from './default-model.js';
import { createUpscaleProgress } from './upscale-progress.js';
import { checkUpscaleNoOverwrite, toUpscaleRequest, upscaleOutputPath } from './upscale-request.js';
import { SDK_VERSION } from './version.js';

/** The model `kandinsky upscale` uses without --model. */
export const DEFAULT_UPSCALE_MODEL = 'kandisuperres-x4';

export const UPSCALE_HELP = `kandinsky upscale IMAGE [options]

KandiSuperRes diffusion super-resolution (spec §4.8): ×4 (or ×2 with a ×2 model), tiled into
MultiDiffusion views so that outputs up to 8192² run in window-sized model calls. The output is
exactly scale × the input. Alpha is flattened onto white, grayscale and 16-bit images become 8-bit RGB.

Options:
  --scale 4|2          scale factor; must be the model's (default: the model's)
  --steps N            DPM-Solver++ steps, 1–1000 (default 5)
  --seed N             seed of the canvas noise (default 0)
  --view-batch N       views per model call (default: 1 on CPU, from the device memory on GPUs)
  --window N           view size in output pixels, a multiple of 8 (default: the model's, 1024)
  --stride N           distance between views, ≤ window (default: the model's, 800)
  --max-pixels N       largest output accepted, in pixels (default 67108864 = 8192²)
  --flash              the 4-step Flash loop on the whole image (a model with flash_timesteps;
                       no --steps/--window/--stride/--view-batch; sides cut to multiples of 32 first;
                       then the latent refiner when the folder has unet_flash, MoVQ, refiner_context)
  --model DIR          KandiSuperRes folder (default: kandisuperres-x4 from @kandinsky/tiny-models)
  --device D           auto | cpu | cuda | webgpu (default auto)
  --out PATH           a .png, .jpg or .webp file, or a folder for IMAGE-x4.png (default: current folder)
  --force              overwrite an existing output file (without it: exit 2 before any work)
  --low-memory         release the model after use
  --json               print a JSON summary on stdout (progress goes to stderr)
  --quiet              no progress output
  -h, --help           this help

Progress (stderr): a bar over steps × views with ETA on a terminal, one line per step otherwise.

Example:
  kandinsky upscale small.png --out big.png
`;

/** `kandinsky upscale`: every option and the image are checked before the model loads. */
export async function upscaleCommand(args: readonly string[], io: CliIo): Promise<number> {
  const request = toUpscaleRequest(args);
  if (request.help) {
    io.stdout.write(UPSCALE_HELP);
    return 0;
  }
  // A path problem costs nothing: --out is checked before the image is read or a model loads.
  await checkOutputTarget(request.out ?? '.');
  checkUpscaleNoOverwrite(request, request.scale);
  const image = await readImage(request.imagePath);
  // The tiny ×4 model sits beside the default generation model in @kandinsky/tiny-models, an
  // optional package: resolveDefaultModel imports it lazily and explains when it is missing.
  const modelDirectory = request.modelDirectory ?? join(dirname(await resolveDefaultModel()), DEFAULT_UPSCALE_MODEL);
  const onProgress = createUpscaleProgress(io.stderr, request.quiet);
  const sr = await loadKandiSuperRes(modelDirectory, { device: request.device, lowMemory: request.lowMemory });
  try {
    // The model's scale names the file in a folder: checked now, before the UNet loads (it loads on upscale).
    checkUpscaleNoOverwrite(request, request.scale ?? sr.config.scales[0]);
    const optional = <K extends string, V>(key: K, value: V | undefined) => (value === undefined ? {} : { [key]: value });
    const { image: output, parameters } = await sr.upscale({
      image,
      seed: request.seed,
      ...(request.flash ? { flash: true } : {}),
      ...optional('scale', request.scale),
      ...optional('steps', request.steps),
      ...optional('viewBatchSize', request.viewBatchSize),
      ...optional('window', request.window),
      ...optional('stride', request.stride),
      ...optional('maxOutputPixels', request.maxOutputPixels),
      onProgress,
    });
    const file = upscaleOutputPath(request, parameters.scale);
    const model = sr.folder.index.variant.name;
    const source = await generationMetadataOf(request.imagePath);
    // A generated PNG keeps its generation record and gains the upscale; any other image gets a
    // record of the upscale alone.
    const metadata: GenerationMetadata = source
      ? {
          ...source,
          upscale: { model, scale: parameters.scale, steps: parameters.steps, seed: parameters.seed, width: output.width, height: output.height },
        }
      : {
          prompt: '',
          seed: parameters.seed,
          steps: parameters.steps,
          width: output.width,
          height: output.height,
          model,
          sampler: 'DPMSolverMultistepScheduler',
          mode: `upscale-x${parameters.scale}`,
          sdkVersion: SDK_VERSION,
        };
    await writeImage(file, output, metadata);
    if (request.json) {
      io.stdout.write(`${JSON.stringify({ file, parameters }, null, 2)}\n`);
    } else {
      io.stdout.write(`wrote ${file}\n`);
    }
    return 0;
  } finally {
    await sr.dispose();
  }
}

/** The Kandinsky metadata of a PNG written by this SDK, if any (never fails the command). */
async function generationMetadataOf(path: string): Promise<GenerationMetadata | undefined> {
  try {
    return extractGenerationMetadata(new Uint8Array(await readFile(path)));
  } catch {
    return undefined;
  }
}
