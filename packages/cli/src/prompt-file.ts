import { readFile, stat } from 'node:fs/promises';
import type { CliIo } from './cli-io.js';
import type { CommandName } from './command-options.js';
import type { ParsedOptions } from './parse-options.js';
import { usageError } from './usage-error.js';

/**
 * Most bytes of a prompt file. The text encoder keeps 128 tokens (a few hundred characters), so a
 * larger file is a wrong file rather than a long prompt.
 */
export const MAX_PROMPT_FILE_BYTES = 1024 * 1024;

/** Help line of `--prompt-file` (every command that takes a prompt). */
export const PROMPT_FILE_HELP = `  --prompt-file PATH   read the prompt from a UTF-8 file instead of the command line (- reads
                       stdin); one final newline is dropped. Keeps long prompts off the command
                       line, which onnxruntime-node cannot take above ~28,800 characters
`;

/** How many positionals each command takes with its prompt; the prompt is the last one. */
function positionalsWithPrompt(command: CommandName, values: ParsedOptions['values']): number | undefined {
  switch (command) {
    case 'generate':
    case 'beautify':
      return 1;
    case 'img2img':
    case 'controlnet':
      return 2;
    case 'inpaint':
      return values.alpha === true ? 2 : 3;
    default:
      return undefined; // variation takes its prompt as --prompt
  }
}

/**
 * Replaces `--prompt-file PATH` (or `-` for stdin) with the prompt it holds: the last positional,
 * or `--prompt` for variation. Giving the prompt both ways is a usage error, as are a missing,
 * unreadable, oversized or non-UTF-8 file (exit 2, before any model loads). Without the option
 * the command line is returned as is.
 */
export async function applyPromptFile(command: CommandName, parsed: ParsedOptions, io: CliIo): Promise<ParsedOptions> {
  const source = parsed.values['prompt-file'];
  if (typeof source !== 'string' || parsed.values.help === true) return parsed;
  const expected = positionalsWithPrompt(command, parsed.values);
  if (command === 'variation' ? parsed.values.prompt !== undefined : expected !== undefined && parsed.positionals.length >= expected) {
    throw usageError(
      `--prompt-file ${JSON.stringify(source)} is given with a prompt on the command line as well.`,
      command === 'variation' ? 'Give --prompt or --prompt-file, not both.' : 'Drop the prompt argument, or drop --prompt-file.',
      { option: '--prompt-file' },
    );
  }
  const prompt = decode(source === '-' ? await readStdin(io) : await readPromptFile(source), source).replace(/\r?\n$/, '');
  if (command === 'variation') return { values: { ...parsed.values, prompt }, positionals: parsed.positionals };
  return { values: parsed.values, positionals: [...parsed.positionals, prompt] };
}

async function readPromptFile(path: string): Promise<Uint8Array> {
  const what = JSON.stringify(path);
  const info = await stat(path).catch(() => undefined);
  if (info === undefined || !info.isFile()) {
    throw usageError(`--prompt-file ${what} ${info === undefined ? 'does not exist' : 'is not a file'}.`, 'Pass a text file holding the prompt, or - to read it from stdin.', { '--prompt-file': path });
  }
  if (info.size > MAX_PROMPT_FILE_BYTES) throw tooLarge(path);
  try {
    return await readFile(path);
  } catch (cause) {
    throw usageError(`--prompt-file ${what} cannot be read: ${cause instanceof Error ? cause.message : String(cause)}.`, 'Check the file\'s permissions.', { '--prompt-file': path });
  }
}

async function readStdin(io: CliIo): Promise<Uint8Array> {
  const stdin = io.stdin ?? process.stdin;
  if ((stdin as { isTTY?: boolean }).isTTY === true) {
    throw usageError('--prompt-file - reads the prompt from stdin, but stdin is a terminal.', 'Pipe the prompt in, e.g. echo "a red circle" | kandinsky generate --prompt-file -.', { '--prompt-file': '-' });
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
    size += bytes.byteLength;
    if (size > MAX_PROMPT_FILE_BYTES) throw tooLarge('-');
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

function decode(bytes: Uint8Array, source: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw usageError(`--prompt-file ${JSON.stringify(source)} is not UTF-8 text.`, 'Save the prompt as UTF-8.', { '--prompt-file': source });
  }
}

function tooLarge(source: string) {
  return usageError(
    `--prompt-file ${JSON.stringify(source)} holds more than ${MAX_PROMPT_FILE_BYTES} bytes.`,
    'A prompt needs a few hundred characters at most: the text encoder keeps 128 tokens.',
    { '--prompt-file': source, maxBytes: MAX_PROMPT_FILE_BYTES },
  );
}
