import { invalidArgument } from '@kandinsky/core';
import type { CliIo } from './cli-io.js';

const isStream = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && typeof (value as { write?: unknown }).write === 'function';

/**
 * Checks what a program passes to {@link main}: a wrong call is the caller's bug, so it throws
 * INVALID_ARGUMENT instead of being reported on streams that may not exist.
 */
export function checkMainArguments(argv: unknown, io: unknown): asserts io is CliIo {
  if (!Array.isArray(argv) || !argv.every((arg) => typeof arg === 'string')) {
    throw invalidArgument('argv', argv, 'an array of strings (the command line without node and the script)', "Pass e.g. ['generate', 'a red cat', '--out', 'cat.png'].");
  }
  if (typeof io !== 'object' || io === null || !isStream((io as CliIo).stdout) || !isStream((io as CliIo).stderr)) {
    throw invalidArgument('io', io, 'an object with stdout and stderr streams (each with write)', 'Pass { stdout: process.stdout, stderr: process.stderr }.');
  }
}
