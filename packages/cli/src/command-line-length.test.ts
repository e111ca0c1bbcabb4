import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KandinskyError } from '@kandinsky/core';
import { MAX_COMMAND_LINE_CHARS, checkCommandLineLength, commandLineLength } from './command-line-length.js';

const bin = join(import.meta.dirname, '../bin/kandinsky.js');

describe('long command lines', () => {
  it('measures this process and refuses above the limit with a typed error', () => {
    expect(commandLineLength()).toBeGreaterThan(0);
    expect(() => checkCommandLineLength(MAX_COMMAND_LINE_CHARS)).not.toThrow();
    let error: unknown;
    try {
      checkCommandLineLength(MAX_COMMAND_LINE_CHARS + 1);
    } catch (e) {
      error = e;
    }
    expect(KandinskyError.isInstance(error) && error.code).toBe('INVALID_ARGUMENT');
    expect((error as Error).message).toContain(`${MAX_COMMAND_LINE_CHARS + 1} characters`);
  });

  it('a 30,000-character prompt exits 2 with the message instead of SIGSEGV in onnxruntime-node', () => {
    const prompt = 'a red circle '.repeat(2400); // 31,200 characters: past the ~28,800 that crash
    const result = spawnSync(process.execPath, [bin, 'generate', prompt, '--steps', '1', '--out', '/nonexistent-dir/x.png'], { encoding: 'utf8' });
    expect(result.signal).toBeNull();
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^error: The command line is \d+ characters, more than 24000/m);
    expect(result.stderr).toMatch(/^hint: Pass the prompt with --prompt-file PATH \(or - for stdin\)/m);
  });
});
