import { kandinskyError } from '../errors/error-constructors.js';
import { insertPngText, readPngText, type PngTextEntry } from './png-text-chunks.js';
import { checkObject } from '../errors/argument-checks.js';

/** The parameters that produced an image, as stored in its PNG. */
export interface GenerationMetadata {
  /** The prompt drawn (the beautified one when beautification was asked for). */
  prompt: string;
  /** The user's prompt before beautification (spec §4.9); absent without beautification. */
  userPrompt?: string;
  /** `llm` when `prompt` is the LLM's expansion, `fallback` when the LLM failed and `prompt` is the user's. */
  promptSource?: 'llm' | 'fallback';
  negativePrompt?: string;
  seed: number;
  steps: number;
  /** Kandinsky guidance weight w of `(w+1)·cond − w·uncond` (spec §3.8). */
  guidanceScale?: number;
  width: number;
  height: number;
  /** Model folder name or identifier. */
  model: string;
  /** Sampler / scheduler name, e.g. "Kandinsky3Sampler", "DDPMScheduler", "Flash". */
  sampler: string;
  /** Mode, e.g. "text-to-image", "flash", "image-to-image". */
  mode?: string;
  /** img2img strength, when used. */
  strength?: number;
  /** SDK name and version, e.g. "kandinsky-ts 0.1.0". */
  sdkVersion: string;
  /**
   * Super-resolution applied to the generated image afterwards (KandiSuperRes, spec §4.8); the
   * fields above then describe the generation and these the upscale, so a PNG records both.
   */
  upscale?: {
    /** SR model folder name or identifier. */
    model: string;
    scale: number;
    steps: number;
    seed: number;
    /** Size of the upscaled image. */
    width: number;
    height: number;
  };
}

/** Keyword of the human-readable entry, the one AUTOMATIC1111-style readers look for. */
export const PARAMETERS_KEYWORD = 'parameters';
/** Keyword of the exact, machine-readable JSON entry. */
export const KANDINSKY_KEYWORD = 'kandinsky';

/**
 * Formats metadata as the de-facto "parameters" text of Stable Diffusion tools: the prompt, an
 * optional "Negative prompt:" line, then `Key: value` pairs separated by ", ".
 */
export function formatGenerationParameters(metadata: GenerationMetadata): string {
  const lines = [metadata.prompt];
  // An empty negative prompt is not the same call as none (it replaces the null embedding, spec
  // §4.1), so it gets its (empty) line too.
  if (metadata.negativePrompt !== undefined) lines.push(`Negative prompt: ${metadata.negativePrompt}`);
  const pairs: [string, string | number | undefined][] = [
    ['Steps', metadata.steps],
    ['Sampler', metadata.sampler],
    ['Guidance scale', metadata.guidanceScale],
    ['Seed', metadata.seed],
    ['Size', `${metadata.width}x${metadata.height}`],
    ['Model', metadata.model],
    ['Mode', metadata.mode],
    ['Denoising strength', metadata.strength],
    ['User prompt', metadata.userPrompt],
    ['Prompt source', metadata.promptSource],
    [
      'Upscale',
      metadata.upscale &&
        `x${metadata.upscale.scale} to ${metadata.upscale.width}x${metadata.upscale.height} by ${metadata.upscale.model} (steps ${metadata.upscale.steps} seed ${metadata.upscale.seed})`,
    ],
    ['Version', metadata.sdkVersion],
  ];
  lines.push(
    pairs
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}: ${String(value).replace(/[,\n]/g, ' ')}`)
      .join(', '),
  );
  return lines.join('\n');
}

/** The two text entries written into a PNG for `metadata`. */
export function generationTextEntries(metadata: GenerationMetadata): PngTextEntry[] {
  return [
    { keyword: PARAMETERS_KEYWORD, text: formatGenerationParameters(metadata) },
    { keyword: KANDINSKY_KEYWORD, text: JSON.stringify(metadata) },
  ];
}

/** Returns a copy of `png` carrying `metadata` (both the readable and the JSON entry). */
export function embedGenerationMetadata(png: Uint8Array, metadata: GenerationMetadata): Uint8Array {
  checkObject('metadata', metadata, 'a GenerationMetadata object', 'Build it with toGenerationMetadata(result.parameters, options).');
  return insertPngText(png, generationTextEntries(metadata));
}

/** Reads back the metadata written by {@link embedGenerationMetadata}; `undefined` when absent. */
export function extractGenerationMetadata(png: Uint8Array): GenerationMetadata | undefined {
  const entry = readPngText(png).find((candidate) => candidate.keyword === KANDINSKY_KEYWORD);
  if (!entry) return undefined;
  try {
    return JSON.parse(entry.text) as GenerationMetadata;
  } catch (cause) {
    throw kandinskyError(
      'INVALID_IMAGE',
      `The PNG's "${KANDINSKY_KEYWORD}" text entry is not valid JSON.`,
      'The file was edited by another tool; regenerate it or ignore its metadata.',
      undefined,
      cause,
    );
  }
}
