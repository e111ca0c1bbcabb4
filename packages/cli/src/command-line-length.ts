import { readFileSync } from 'node:fs';
import { usageError } from './usage-error.js';

/**
 * Longest command line (all of `/proc/self/cmdline`) the CLI accepts. onnxruntime-node 1.30's
 * native library reads `/proc/self/cmdline` while creating a session and overflows the 8 MiB main
 * thread stack on long ones: `InferenceSession.create` of any model dies with SIGSEGV once the
 * command line passes ~28,800 characters (measured; `ulimit -s 65536` avoids it). See
 * docs/packaging.md "Long command lines". This limit keeps a margin below that.
 */
export const MAX_COMMAND_LINE_CHARS = 24_000;

/** The length of this process's command line as the kernel holds it (NUL-separated), or of `argv` joined. */
export function commandLineLength(argv: readonly string[] = process.argv): number {
  try {
    return readFileSync('/proc/self/cmdline').byteLength;
  } catch {
    return argv.reduce((sum, arg) => sum + Buffer.byteLength(arg) + 1, 0);
  }
}

/**
 * Refuses a command line long enough to crash onnxruntime-node (INVALID_ARGUMENT, exit 2) before
 * anything loads. A prompt that long gains nothing anyway: the text encoder keeps 128 tokens
 * (spec §4.1), a few hundred characters.
 */
export function checkCommandLineLength(length: number = commandLineLength()): void {
  if (length > MAX_COMMAND_LINE_CHARS) {
    throw usageError(
      `The command line is ${length} characters, more than ${MAX_COMMAND_LINE_CHARS}: onnxruntime-node crashes (SIGSEGV) while creating a session under a command line this long.`,
      'Pass the prompt with --prompt-file PATH (or - for stdin), or shorten it: the text encoder keeps only its first 128 tokens (a few hundred characters). From a program, call @kandinsky/node directly instead of spawning the CLI.',
      { length, max: MAX_COMMAND_LINE_CHARS },
    );
  }
}
