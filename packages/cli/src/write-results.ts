import { toGenerationMetadata, type GenerationMetadata, type GenerationResult } from '@kandinsky/core';
import { writeImage } from '@kandinsky/node';
import type { CliIo } from './cli-io.js';
import { outputPaths } from './output-paths.js';
import { SDK_VERSION } from './version.js';

/**
 * Writes one PNG per image with the call's resolved parameters in its metadata (plus the mode's
 * own `extra` fields in the JSON entry), then reports the files like `generate` does.
 */
export async function writeResults(
  result: GenerationResult,
  options: { out: string; prefix: string; json: boolean; extra?: Record<string, unknown>; hintFile?: string | undefined },
  io: CliIo,
): Promise<void> {
  const files = outputPaths(options.out, result.seeds, options.prefix);
  for (let imageIndex = 0; imageIndex < result.images.length; imageIndex++) {
    const metadata: GenerationMetadata = Object.assign(toGenerationMetadata(result.parameters, { imageIndex, sdkVersion: SDK_VERSION }), options.extra);
    await writeImage(files[imageIndex]!, result.images[imageIndex]!, metadata);
  }
  const hint = options.hintFile === undefined ? {} : { hint: options.hintFile };
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ files, ...hint, seeds: result.seeds, parameters: result.parameters, timings: result.timings }, null, 2)}\n`);
  } else {
    for (const file of [...files, ...(options.hintFile === undefined ? [] : [options.hintFile])]) io.stdout.write(`wrote ${file}\n`);
  }
}
