import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { extractGenerationMetadata } from '@kandinsky/core';
import { loadIpAdapter, loadKandinsky3 } from '@kandinsky/node';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { CliIo } from './cli-io.js';
import { main } from './main.js';
import { MAX_PROMPT_FILE_BYTES } from './prompt-file.js';

// --prompt-file PATH / - (issue 20): prompts off the command line, which onnxruntime-node cannot
// take above ~28,800 characters (docs/packaging.md).
vi.mock('@kandinsky/node', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@kandinsky/node')>();
  return { ...actual, loadKandinsky3: vi.fn(actual.loadKandinsky3), loadIpAdapter: vi.fn(actual.loadIpAdapter) };
});

function io(stdin?: string | Uint8Array): CliIo & { err: () => string; out: () => string } {
  let err = '';
  let out = '';
  return {
    stdout: { write: (text: string) => (out += text), isTTY: false },
    stderr: { write: (text: string) => (err += text), isTTY: false },
    ...(stdin === undefined ? {} : { stdin: Readable.from([typeof stdin === 'string' ? Buffer.from(stdin) : stdin]) }),
    err: () => err,
    out: () => out,
  };
}

const tinyModel = join(import.meta.dirname, '../../../models/tiny/kandinsky3-tiny');
const bin = join(import.meta.dirname, '../bin/kandinsky.js');
const work = mkdtempSync(join(tmpdir(), 'kandinsky-prompt-file-'));
const common = ['--steps', '2', '--seed', '4', '--model', tinyModel, '--device', 'cpu', '--quiet'];
const file = (name: string, content: string | Uint8Array) => {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
};

async function promptOf(png: string): Promise<string | undefined> {
  return extractGenerationMetadata(new Uint8Array(await readFile(png)))?.prompt;
}

beforeEach(() => {
  vi.mocked(loadKandinsky3).mockClear();
  vi.mocked(loadIpAdapter).mockClear();
});

describe('--prompt-file', () => {
  it('generate reads the prompt from a file, dropping one final newline', async () => {
    const prompt = file('p.txt', 'a red circle, «ünïcode» 猫\n');
    const out = join(work, 'a.png');
    expect(await main(['generate', '--prompt-file', prompt, ...common, '--out', out], io())).toBe(0);
    expect(await promptOf(out)).toBe('a red circle, «ünïcode» 猫');
  });

  it('img2img reads it from stdin with -', async () => {
    const input = join(work, 'a.png'); // the previous test's output
    const out = join(work, 'b.png');
    expect(await main(['img2img', input, '--prompt-file', '-', ...common, '--out', out], io('a blue square\r\n'))).toBe(0);
    expect(await promptOf(out)).toBe('a blue square');
  });

  it('beautify takes it too (the LLM unreachable: the prompt is printed as given)', async () => {
    const streams = io('a green square\n');
    expect(await main(['beautify', '--prompt-file', '-', '--llm-url', 'http://127.0.0.1:9/v1', '--json', '--quiet'], streams)).toBe(0);
    expect(JSON.parse(streams.out())).toMatchObject({ prompt: 'a green square', source: 'fallback' });
  });

  it('keeps a 40,000-character prompt off the command line of the real process', async () => {
    // Passed as an argument this would end in SIGSEGV inside onnxruntime-node (or, with the CLI's
    // guard, exit 2); through stdin the process's command line stays short and the run succeeds.
    const prompt = 'a red circle '.repeat(3077).slice(0, 40_000);
    const out = join(work, 'long.png');
    const child = execFile(process.execPath, [bin, 'generate', '--prompt-file', '-', ...common, '--out', out]);
    child.stdin!.end(prompt);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(await promptOf(out)).toBe(prompt);
  }, 60_000);

  const bad: [string, () => string[], string | undefined, RegExp][] = [
    ['a prompt given both ways', () => ['generate', 'a', '--prompt-file', file('x.txt', 'b')], undefined, /--prompt-file .* is given with a prompt on the command line as well/],
    ['both ways for img2img', () => ['img2img', 'in.png', 'a', '--prompt-file', file('x.txt', 'b')], undefined, /given with a prompt on the command line/],
    ['both ways for inpaint --alpha', () => ['inpaint', 'in.png', 'a', '--alpha', '--prompt-file', file('x.txt', 'b')], undefined, /given with a prompt on the command line/],
    ['--prompt and --prompt-file for variation', () => ['variation', 'in.png', '--prompt', 'a', '--prompt-file', file('x.txt', 'b')], undefined, /Give --prompt or --prompt-file, not both/],
    ['a missing file', () => ['generate', '--prompt-file', join(work, 'missing.txt')], undefined, /missing\.txt" does not exist/],
    ['a folder', () => { mkdirSync(join(work, 'dir'), { recursive: true }); return ['generate', '--prompt-file', join(work, 'dir')]; }, undefined, /dir" is not a file/],
    ['a file that is not UTF-8', () => ['generate', '--prompt-file', file('latin1.txt', Uint8Array.of(0x63, 0x61, 0x66, 0xe9))], undefined, /is not UTF-8 text/],
    ['an oversized file', () => ['generate', '--prompt-file', file('big.txt', 'a'.repeat(MAX_PROMPT_FILE_BYTES + 1))], undefined, /holds more than 1048576 bytes/],
    ['oversized stdin', () => ['generate', '--prompt-file', '-'], 'a'.repeat(MAX_PROMPT_FILE_BYTES + 1), /"-" holds more than 1048576 bytes/],
    ['no value', () => ['generate', '--prompt-file'], undefined, /--prompt-file needs a value/],
  ];
  for (const [name, argv, stdin, message] of bad) {
    it(`refuses ${name} before a model loads (exit 2)`, async () => {
      const streams = io(stdin);
      const before = readdirSync(work).length;
      expect(await main([...argv(), '--out', join(work, 'never.png')], streams)).toBe(2);
      expect(streams.err()).toMatch(message);
      expect(streams.err()).toMatch(/^hint: /m);
      expect(loadKandinsky3).not.toHaveBeenCalled();
      expect(loadIpAdapter).not.toHaveBeenCalled();
      expect(readdirSync(work)).not.toContain('never.png');
      expect(readdirSync(work).length).toBeGreaterThanOrEqual(before);
    });
  }

  it('refuses - when stdin is a terminal', async () => {
    const streams = io();
    const stdin = Object.assign(Readable.from([]), { isTTY: true });
    expect(await main(['generate', '--prompt-file', '-'], { ...streams, stdin })).toBe(2);
    expect(streams.err()).toMatch(/stdin is a terminal/);
  });
});
