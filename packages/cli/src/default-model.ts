import { kandinskyError } from '@kandinsky/core';

/** The folder of `@kandinsky/tiny-models` the CLI uses without --model. */
export const DEFAULT_MODEL = 'kandinsky3-tiny';

/** The package that holds the default model: an optional peer dependency of the CLI. */
export const TINY_MODELS_PACKAGE = '@kandinsky/tiny-models';

/** What the CLI needs of `@kandinsky/tiny-models`. */
export interface TinyModels {
  tinyModelPath(name: string): string;
}

/**
 * The default model's folder. `@kandinsky/tiny-models` (29 MB) is imported only here, when no
 * --model was given, so that a CLI installed without it works with any model folder. Node finds it
 * the usual way: in a `node_modules` folder beside the CLI or above it.
 * @param importTinyModels how to load the package; tests replace it to act out a missing package
 * @param name the folder in the package (`variation` and `controlnet` use their own)
 */
export async function resolveDefaultModel(
  importTinyModels: () => Promise<TinyModels> = () => import('@kandinsky/tiny-models'),
  name: string = DEFAULT_MODEL,
): Promise<string> {
  let tinyModels: TinyModels;
  try {
    tinyModels = await importTinyModels();
  } catch (cause) {
    const missing = (cause as { code?: unknown } | null)?.code === 'ERR_MODULE_NOT_FOUND';
    throw kandinskyError(
      'MODEL_NOT_FOUND',
      missing
        ? `No --model was given, and the default model's package ${TINY_MODELS_PACKAGE} is not installed.`
        : `No --model was given, and the default model's package ${TINY_MODELS_PACKAGE} failed to load: ${
            cause instanceof Error ? cause.message : String(cause)
          }`,
      `Pass --model DIR (a model folder, see docs/model-format.md), or install the tiny default model: npm install ${TINY_MODELS_PACKAGE}.`,
      { package: TINY_MODELS_PACKAGE },
      cause,
    );
  }
  return tinyModels.tinyModelPath(name);
}
