import { describe, expect, it } from 'vitest';
import {
  dtypeMismatch,
  invalidArgument,
  invalidSchedulerConfig,
  kandinskyError,
  shapeMismatch,
} from './error-constructors.js';
import { KandinskyError } from './kandinsky-error.js';

describe('kandinskyError', () => {
  it('carries code, message, hint, details and cause unchanged', () => {
    const cause = new SyntaxError('Unexpected token');
    const error = kandinskyError('INVALID_MODEL_MANIFEST', 'model_index.json is not valid JSON.', 'Fix it.', { path: 'x' }, cause);
    expect(error).toBeInstanceOf(Error);
    expect(KandinskyError.isInstance(error)).toBe(true);
    expect(error.name).toBe('KandinskyError');
    expect(error.code).toBe('INVALID_MODEL_MANIFEST');
    expect(error.message).toBe('model_index.json is not valid JSON.');
    expect(error.hint).toBe('Fix it.');
    expect(error.details).toEqual({ path: 'x' });
    expect(error.cause).toBe(cause);
  });

  it('leaves details empty and cause unset when they are not given', () => {
    const error = kandinskyError('SCHEDULER_STATE', 'step() was called before setTimesteps().', 'Call setTimesteps.');
    expect(error.details).toEqual({});
    expect('cause' in error).toBe(false);
  });

  it('keeps a cause passed without details', () => {
    const cause = new Error('inner');
    expect(kandinskyError('RUNTIME_ERROR', 'Running "unet" failed.', 'h', undefined, cause).cause).toBe(cause);
  });

  it('names an ABORTED error AbortError, like DOMException aborts', () => {
    expect(kandinskyError('ABORTED', 'Generation was aborted.', 'Do not abort.').name).toBe('AbortError');
  });
});

describe('invalidArgument', () => {
  it('reads "<name> must be <expected>, got <value>." and records the value under its name', () => {
    const error = invalidArgument('steps', 0, 'an integer ≥ 1', 'Use e.g. 25.');
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toBe('steps must be an integer ≥ 1, got 0.');
    expect(error.hint).toBe('Use e.g. 25.');
    expect(error.details).toEqual({ steps: 0 });
  });

  it('quotes strings and spells out NaN, undefined and null so the bad value is visible', () => {
    expect(invalidArgument('order', 'both', "'cond-first' or 'uncond-first'", 'h').message).toBe(
      `order must be 'cond-first' or 'uncond-first', got "both".`,
    );
    expect(invalidArgument('eta', Number.NaN, 'a number in [0, 1]', 'h').message).toBe('eta must be a number in [0, 1], got NaN.');
    expect(invalidArgument('prompt', undefined, 'a string', 'h').message).toBe('prompt must be a string, got undefined.');
    expect(invalidArgument('prompt', null, 'a string', 'h').details).toEqual({ prompt: null });
  });

  it('shows objects as JSON in the message but keeps them out of details', () => {
    const error = invalidArgument('size', { width: 0 }, 'an object { width, height }', 'h');
    expect(error.message).toBe('size must be an object { width, height }, got {"width":0}.');
    expect(error.details).toEqual({});
  });

  it('merges extra details after the value', () => {
    const error = invalidArgument('beginIndex', 7, 'an integer in [0, 5]', 'h', { stepCount: 5 });
    expect(error.details).toEqual({ beginIndex: 7, stepCount: 5 });
  });
});

describe('invalidSchedulerConfig', () => {
  it('records the key and value of the offending config entry', () => {
    const error = invalidSchedulerConfig('beta_schedule', 'sigmoid', 'Unknown beta_schedule "sigmoid".', 'Use "linear".');
    expect(error.code).toBe('INVALID_SCHEDULER_CONFIG');
    expect(error.message).toBe('Unknown beta_schedule "sigmoid".');
    expect(error.hint).toBe('Use "linear".');
    expect(error.details).toEqual({ key: 'beta_schedule', value: 'sigmoid' });
  });
});

describe('shapeMismatch', () => {
  it('is a SHAPE_MISMATCH with the given message, hint and details', () => {
    const error = shapeMismatch('latents has shape [1,4,8], expected [1,4,8,8].', 'Pass NCHW.', { dims: [1, 4, 8] });
    expect(error.code).toBe('SHAPE_MISMATCH');
    expect(error.message).toBe('latents has shape [1,4,8], expected [1,4,8,8].');
    expect(error.hint).toBe('Pass NCHW.');
    expect(error.details).toEqual({ dims: [1, 4, 8] });
  });
});

describe('dtypeMismatch', () => {
  it('names what, the actual dtype (quoted) and the expected one', () => {
    const error = dtypeMismatch('latents', 'int64', 'float32', 'Convert latents to float32 first.');
    expect(error.code).toBe('DTYPE_MISMATCH');
    expect(error.message).toBe('latents has dtype "int64", expected float32.');
    expect(error.hint).toBe('Convert latents to float32 first.');
    expect(error.details).toEqual({ actual: 'int64', expected: 'float32' });
  });
});
