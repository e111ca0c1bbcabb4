import {
  KandinskyError,
  toGenerationMetadata,
  type GenerationResult,
  type Kandinsky3,
  type ProgressEvent,
  type PromptBeautifier,
} from '@kandinsky/core';
import { loadKandinsky3, writeImage } from '@kandinsky/node';
import { BEAUTIFY_HELP, beautifyCommand, createCliBeautifier } from './beautify-command.js';
import type { CliIo } from './cli-io.js';
import { resolveDefaultModel } from './default-model.js';
import { toGenerationRequest, type GenerationRequest } from './generation-request.js';
import { GENERATE_HELP, IMG2IMG_HELP, MAIN_HELP } from './help-text.js';
import { INPAINT_HELP, runInpaint, toInpaintRequest } from './inpaint-command.js';
import { readInputImage, type InputImage } from './input-image.js';
import { outputPaths } from './output-paths.js';
import { parseOptions } from './parse-options.js';
import { applyPromptFile } from './prompt-file.js';
import { createProgressReporter } from './progress-reporter.js';
import { checkCommandLineLength } from './command-line-length.js';
import { checkNoOverwrite, checkOutputTarget } from './output-target.js';
import { checkPixelLimitsWithEstimate } from './memory-estimate.js';
import { usageError } from './usage-error.js';
import { CONTROLNET_HELP, runControlNet } from './controlnet-command.js';
import { VARIATION_HELP, runVariation } from './variation-command.js';
import { openUpscaler, parseUpscaleAfterGenerate, upscaleImages, type UpscaleAfterGenerate } from './upscale-after-generate.js';
import { upscaleCommand } from './upscale-command.js';
import { SDK_VERSION } from './version.js';
import { checkMainArguments } from './main-arguments.js';

/** Codes that mean the user asked for something impossible (exit 2) rather than a failure (1). */
const BAD_INPUT = /^INVALID_|^MODEL_NOT_FOUND$|^DEVICE_UNAVAILABLE$|^IMAGE_TOO_LARGE$/;

/**
 * Runs the CLI with `argv` (without `node` and the script) and returns the exit code:
 * 0 success, 2 bad input (message and hint on stderr), 1 any other failure. The whole command
 * line is checked before a model is opened. Arguments that are not a string array and two
 * streams throw INVALID_ARGUMENT (a caller's bug, with nowhere to report it).
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  checkMainArguments(argv, io);
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      io.stdout.write(MAIN_HELP);
      return command === undefined ? 2 : 0;
    }
    if (command === '--version' || command === '-v') {
      io.stdout.write(`${SDK_VERSION}\n`);
      return 0;
    }
    if (command === 'variation' || command === 'controlnet') {
      const parsed = await applyPromptFile(command, parseOptions(command, rest), io);
      checkCommandLineLength();
      if (typeof parsed.values.out === 'string') await checkOutputTarget(parsed.values.out);
      if (!parsed.values.help) checkNoOverwrite(command, parsed.values);
      if (parsed.values.help) {
        io.stdout.write(command === 'variation' ? VARIATION_HELP : CONTROLNET_HELP);
        return 0;
      }
      return await (command === 'variation' ? runVariation(parsed, io) : runControlNet(parsed, io));
    }
    if (command === 'beautify') {
      const parsed = await applyPromptFile(command, parseOptions(command, rest), io);
      checkCommandLineLength();
      if (parsed.values.help) {
        io.stdout.write(BEAUTIFY_HELP);
        return 0;
      }
      return await beautifyCommand(parsed, io);
    }
    if (command === 'upscale') {
      checkCommandLineLength();
      return await upscaleCommand(rest, io);
    }
    if (command !== 'generate' && command !== 'img2img' && command !== 'inpaint') {
      throw usageError(
        `Unknown command ${JSON.stringify(command)}.`,
        'Use "kandinsky generate", "img2img", "inpaint", "variation", "controlnet", "beautify" or "upscale"; see kandinsky --help.',
        { command },
      );
    }
    const parsed = await applyPromptFile(command, parseOptions(command, rest), io);
    // Before any command that loads a model (onnxruntime-node crashes on long command lines).
    checkCommandLineLength();
    // Before any model loads: a bad --out is found now, not after the generation.
    if (typeof parsed.values.out === 'string') await checkOutputTarget(parsed.values.out);
    if (!parsed.values.help) checkNoOverwrite(command, parsed.values);
    if (command === 'inpaint') {
      if (!parsed.values.help) return await runInpaint(toInpaintRequest(parsed), io);
      io.stdout.write(INPAINT_HELP);
      return 0;
    }
    if (parsed.values.help) {
      io.stdout.write(command === 'generate' ? GENERATE_HELP : IMG2IMG_HELP);
      return 0;
    }
    const request = toGenerationRequest(command, parsed);
    const upscale = parseUpscaleAfterGenerate(parsed.values.upscale, parsed.values['upscale-model']);
    return await generate(request, io, upscale);
  } catch (error) {
    const known = KandinskyError.isInstance(error);
    const message = known ? error.message : error instanceof Error ? error.message : String(error);
    io.stderr.write(`error: ${message}\n`);
    if (known) io.stderr.write(`hint: ${error.hint}\n`);
    return known && BAD_INPUT.test(error.code) ? 2 : 1;
  }
}

async function generate(request: GenerationRequest, io: CliIo, upscale?: UpscaleAfterGenerate): Promise<number> {
  // Cheap checks that need the disk come before the model loads too.
  const input = request.imagePath === undefined ? undefined : await readInputImage(request.imagePath, request.size, request.limits);
  // The pixel limits (core's defaults) before anything loads; the model's default size is checked by the pipeline.
  if (input?.note !== undefined) io.stderr.write(`note: ${input.note}\n`);
  const size = request.size ?? input;
  if (size) checkPixelLimitsWithEstimate(size.width, size.height, request.count, request.limits);
  const modelDirectory = request.modelDirectory ?? (await resolveDefaultModel());
  // With --json, stdout carries only the JSON document; progress goes to stderr.
  const onProgress: (event: ProgressEvent) => void = createProgressReporter(request.json ? io.stderr : io.stdout, request.quiet);

  // The SR folder is checked (scale) before anything is generated.
  const upscaler = upscale === undefined ? undefined : await openUpscaler(upscale, request.device, request.lowMemory);
  const pipeline = await loadKandinsky3(modelDirectory, { device: request.device, lowMemory: request.lowMemory, onProgress });
  const llm = request.beautify === undefined ? undefined : await createCliBeautifier(request.beautify, request.device).catch(async (error: unknown) => {
    await pipeline.dispose();
    throw error;
  });
  try {
    const result = await run(pipeline, request, input, onProgress, llm?.beautifier);
    const upscaled = upscaler === undefined ? undefined : await upscaleImages(upscaler, result.images, upscale!.scale, onProgress);
    const files = outputPaths(request.out, result.seeds, 'kandinsky');
    for (let imageIndex = 0; imageIndex < result.images.length; imageIndex++) {
      const metadata = toGenerationMetadata(result.parameters, { imageIndex, sdkVersion: SDK_VERSION });
      const upscaleMetadata = upscaled === undefined ? {} : { upscale: upscaled.metadata[imageIndex]! };
      await writeImage(files[imageIndex]!, upscaled?.images[imageIndex] ?? result.images[imageIndex]!, { ...metadata, ...upscaleMetadata });
    }
    if (request.json) {
      io.stdout.write(`${JSON.stringify({ files, seeds: result.seeds, parameters: result.parameters, timings: result.timings }, null, 2)}\n`);
    } else {
      for (const file of files) io.stdout.write(`wrote ${file}\n`);
    }
    return 0;
  } finally {
    await llm?.dispose();
    await pipeline.dispose();
    await upscaler?.dispose();
  }
}

function run(
  pipeline: Kandinsky3,
  request: GenerationRequest,
  input: InputImage | undefined,
  onProgress: (event: ProgressEvent) => void,
  beautify: PromptBeautifier | undefined,
): Promise<GenerationResult> {
  const common = {
    prompt: request.prompt,
    ...(beautify === undefined ? {} : { beautify }),
    ...request.size,
    ...(request.seed === undefined ? {} : { seed: request.seed }),
    count: request.count,
    ...request.limits,
    onProgress,
  };
  // Flash was refused guidance, a negative prompt, and steps without LCM when the request was made.
  if (request.mode === 'flash') {
    return pipeline.flash({
      ...common,
      ...(request.scheduler === undefined ? {} : { scheduler: request.scheduler as 'lcm' | 'LCMScheduler' }),
      ...(request.steps === undefined ? {} : { steps: request.steps }),
      ...(request.schedulerConfig === undefined ? {} : { schedulerConfig: request.schedulerConfig }),
    });
  }
  const guided = {
    ...common,
    ...(request.negativePrompt === undefined ? {} : { negativePrompt: request.negativePrompt }),
    ...(request.steps === undefined ? {} : { steps: request.steps }),
    ...(request.scheduler === undefined ? {} : { scheduler: request.scheduler }),
    ...(request.schedulerConfig === undefined ? {} : { schedulerConfig: request.schedulerConfig }),
    ...(request.guidanceScale === undefined ? {} : { guidanceScale: request.guidanceScale }),
  };
  if (input === undefined) return pipeline.textToImage(guided);
  return pipeline.imageToImage({
    ...guided,
    image: input.image,
    width: input.width,
    height: input.height,
    ...(request.strength === undefined ? {} : { strength: request.strength }),
  });
}
