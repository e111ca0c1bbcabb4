import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL, resolveDefaultModel } from './default-model.js';

/** The error Node itself (not vitest's module runner) gives for a package that is not installed. */
function nodeMissingPackageError(): Error & { code: string } {
  const script = "import('@kandinsky/no-such-package').catch((error) => console.log(JSON.stringify([error.code, error.message])))";
  const [code, message] = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script]).toString()) as [string, string];
  return Object.assign(new Error(message), { code });
}

describe('resolveDefaultModel', () => {
  it('finds the kandinsky3-tiny folder of @kandinsky/tiny-models', async () => {
    expect(DEFAULT_MODEL).toBe('kandinsky3-tiny');
    expect(await resolveDefaultModel()).toMatch(/models[/\\]tiny[/\\]kandinsky3-tiny$/);
  });

  it('says to pass --model or install the package when it is not installed', async () => {
    const missing = nodeMissingPackageError();
    expect(missing.code).toBe('ERR_MODULE_NOT_FOUND');
    await expect(resolveDefaultModel(() => Promise.reject(missing))).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
      message: "No --model was given, and the default model's package @kandinsky/tiny-models is not installed.",
      hint:
        'Pass --model DIR (a model folder, see docs/model-format.md), or install the tiny default model: ' +
        'npm install @kandinsky/tiny-models.',
      cause: missing,
    });
  });

  it('passes on why an installed but broken package failed to load', async () => {
    const broken = new SyntaxError('Unexpected token');
    await expect(resolveDefaultModel(() => Promise.reject(broken))).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
      message: "No --model was given, and the default model's package @kandinsky/tiny-models failed to load: Unexpected token",
      cause: broken,
    });
  });
});
