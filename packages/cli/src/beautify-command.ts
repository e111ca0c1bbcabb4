import { resolve } from 'node:path';
import { PROMPT_FILE_HELP } from './prompt-file.js';
import { Beautifier, OpenAICompatibleLLM, type LanguageModel, type SamplingOptions } from '@kandinsky/beautifier';
import type { ProgressEvent } from '@kandinsky/core';
import { loadOnnxCausalLM, type NodeDevice } from '@kandinsky/node';
import { parseInteger } from './argument-parsers.js';
import type { CliIo } from './cli-io.js';
import type { CommandName } from './command-options.js';
import { resolveDefaultModel } from './default-model.js';
import { DEVICES } from './generation-request.js';
import type { ParsedOptions } from './parse-options.js';
import { createProgressReporter } from './progress-reporter.js';
import { usageError } from './usage-error.js';

/** The tiny LM of `@kandinsky/tiny-models` used without --llm-model / --llm-url. */
export const DEFAULT_LLM = 'beautifier-lm';

/** Sampling of `kandinsky beautify --seed`: spec §4.9's suggested T = 0.7, top-p 0.9 (not published by the authors). */
const SEEDED_SAMPLING = { temperature: 0.7, topP: 0.9 } as const;

export const LLM_OPTIONS_HELP = `  --llm-model DIR      local causal-LM folder (default: the tiny beautifier-lm)
  --llm-url URL        OpenAI-compatible server instead, e.g. http://127.0.0.1:8080/v1
  --llm-name NAME      model name sent to the server (with --llm-url)
  --llm-key-env VAR    environment variable holding the server's API key (with --llm-url)
`;

export const BEAUTIFY_HELP = `kandinsky beautify "PROMPT" [options]

Expands a short prompt with an LLM under the Kandinsky 3.1 template (spec §4.9) and prints it.
If the LLM fails, times out or answers nothing usable, the prompt is printed as given and a
warning goes to stderr.

Options:
${LLM_OPTIONS_HELP}  --seed N             sample (T 0.7, top-p 0.9) with this seed instead of greedy decoding
  --device D           auto | cpu | cuda | webgpu, for --llm-model (default auto)
  --json               print { "prompt", "beautified", "source": "llm" | "fallback" }
  --quiet              no warnings on stderr
${PROMPT_FILE_HELP}  -h, --help           this help

Examples:
  kandinsky beautify "red circle"
  LLM_KEY=… kandinsky beautify "a cat" --llm-url http://127.0.0.1:8080/v1 --llm-key-env LLM_KEY
`;

/** Which LLM a command line asks for, checked. */
export type LlmRequest =
  | { readonly kind: 'local'; readonly modelDirectory: string | undefined; readonly seed: number | undefined }
  | { readonly kind: 'server'; readonly url: string; readonly name: string | undefined; readonly apiKey: string | undefined; readonly seed: number | undefined };

/**
 * The LLM flags of `generate --beautify` and `beautify`, checked before anything loads: one LLM
 * source, server-only flags only with --llm-url, and an API key variable that is set. Without
 * `--beautify`, `generate` takes no LLM flag. The key's value is read from the environment only.
 */
export function toLlmRequest(
  command: CommandName,
  values: ParsedOptions['values'],
  seed: number | undefined,
  env: Record<string, string | undefined> = process.env,
): LlmRequest | undefined {
  const text = (name: 'llm-model' | 'llm-url' | 'llm-name' | 'llm-key-env'): string | undefined => {
    const value = values[name];
    return value === true ? undefined : value;
  };
  const model = text('llm-model');
  const url = text('llm-url');
  const name = text('llm-name');
  const keyVariable = text('llm-key-env');
  if (command === 'generate' && values.beautify !== true) {
    const given = (['llm-model', 'llm-url', 'llm-name', 'llm-key-env'] as const).find((flag) => values[flag] !== undefined);
    if (given !== undefined) throw usageError(`--${given} needs --beautify.`, `Add --beautify to expand the prompt with the LLM, or drop --${given}.`, { option: `--${given}` });
    return undefined;
  }
  if (model !== undefined && url !== undefined) {
    throw usageError('--llm-model and --llm-url cannot be used together.', 'Pick a local model folder or a server.', { option: '--llm-url' });
  }
  for (const [flag, value] of [
    ['llm-model', model],
    ['llm-url', url],
    ['llm-name', name],
    ['llm-key-env', keyVariable],
  ] as const) {
    if (value !== undefined && value.trim() === '') throw usageError(`--${flag} is empty.`, `Pass a value, or leave --${flag} out.`, { option: `--${flag}` });
  }
  if (url === undefined) {
    for (const [flag, value] of [
      ['llm-name', name],
      ['llm-key-env', keyVariable],
    ] as const) {
      if (value !== undefined) throw usageError(`--${flag} applies to a server only.`, `Add --llm-url URL, or drop --${flag}.`, { option: `--${flag}` });
    }
    return { kind: 'local', modelDirectory: model === undefined ? undefined : resolve(model), seed };
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw usageError(`--llm-url must be an http(s) URL, got ${JSON.stringify(url)}.`, 'Use the API root, e.g. --llm-url http://127.0.0.1:8080/v1.', { '--llm-url': url });
  }
  let apiKey: string | undefined;
  if (keyVariable !== undefined) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(keyVariable)) {
      throw usageError(
        `--llm-key-env takes the name of an environment variable, got ${JSON.stringify(keyVariable)}.`,
        'Put the key in a variable and name it: LLM_KEY=… kandinsky … --llm-key-env LLM_KEY (a key is never a flag value).',
        { option: '--llm-key-env' },
      );
    }
    apiKey = env[keyVariable];
    if (apiKey === undefined || apiKey === '') {
      throw usageError(`The environment variable ${keyVariable} (from --llm-key-env) is not set.`, `Set it to the server's API key: export ${keyVariable}=…`, {
        option: '--llm-key-env',
      });
    }
  }
  return { kind: 'server', url, name, apiKey, seed };
}

/** A beautifier for `request`, and how to release its model. */
export async function createCliBeautifier(
  request: LlmRequest,
  device: NodeDevice | 'auto',
): Promise<{ readonly beautifier: Beautifier; dispose(): Promise<void> }> {
  const sampling: SamplingOptions | undefined = request.seed === undefined ? undefined : { ...SEEDED_SAMPLING, seed: request.seed };
  let llm: LanguageModel;
  let dispose = async (): Promise<void> => {};
  if (request.kind === 'server') {
    llm = new OpenAICompatibleLLM({
      baseURL: request.url,
      ...(request.name === undefined ? {} : { model: request.name }),
      ...(request.apiKey === undefined ? {} : { apiKey: request.apiKey }),
      ...(sampling === undefined ? {} : { temperature: sampling.temperature!, topP: sampling.topP!, seed: sampling.seed! }),
    });
  } else {
    const directory =
      request.modelDirectory ??
      (await resolveDefaultModel(async () => {
        const tiny = await import('@kandinsky/tiny-models');
        return { tinyModelPath: () => tiny.tinyModelPath(DEFAULT_LLM) };
      }));
    const local = await loadOnnxCausalLM(directory, { device, ...(sampling === undefined ? {} : { sampling }) });
    llm = local;
    dispose = () => local.dispose();
  }
  return { beautifier: new Beautifier({ llm }), dispose };
}

/** `kandinsky beautify "PROMPT"`: prints the expanded prompt (or the JSON form) on stdout. */
export async function beautifyCommand({ values, positionals }: ParsedOptions, io: CliIo): Promise<number> {
  if (positionals.length !== 1) {
    throw usageError(`beautify takes exactly one prompt, got ${positionals.length} arguments.`, 'Quote the prompt: kandinsky beautify "red circle".', {
      arguments: positionals.length,
    });
  }
  const prompt = positionals[0]!;
  if (prompt.trim() === '') throw usageError('The prompt is empty.', 'Write a short prompt to expand, e.g. kandinsky beautify "red circle".');
  const text = (name: 'seed' | 'device'): string | undefined => (values[name] === true ? undefined : values[name]);
  const seedText = text('seed');
  const seed =
    seedText === undefined ? undefined : parseInteger('--seed', seedText, 0, Number.MAX_SAFE_INTEGER, 'Use a whole number such as 42.');
  const device = text('device') ?? 'auto';
  if (!(DEVICES as readonly string[]).includes(device)) {
    throw usageError(`--device must be one of ${DEVICES.join(', ')}, got ${JSON.stringify(device)}.`, 'Use --device cpu, or auto.', { '--device': device });
  }
  const request = toLlmRequest('beautify', values, seed)!;
  const onProgress: (event: ProgressEvent) => void = createProgressReporter(io.stderr, values.quiet === true);
  const { beautifier, dispose } = await createCliBeautifier(request, device as NodeDevice | 'auto');
  try {
    const result = await beautifier.beautify(prompt, { onProgress });
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify({ prompt: result.prompt, beautified: result.beautified, source: result.source }, null, 2)}\n`);
    } else {
      io.stdout.write(`${result.beautified}\n`);
    }
    return 0;
  } finally {
    await dispose();
  }
}
