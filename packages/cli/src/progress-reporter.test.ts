import { describe, expect, it } from 'vitest';
import { createProgressReporter } from './progress-reporter.js';

describe('progress reporter', () => {
  it('reports the device --device auto chose as information, other warnings as warnings', () => {
    let text = '';
    const report = createProgressReporter({ write: (chunk: string) => (text += chunk), isTTY: false }, false);
    report({ type: 'warning', code: 'DEVICE_FALLBACK', message: 'Using "cpu": cuda unavailable.' });
    report({ type: 'warning', code: 'PROMPT_TRUNCATED', message: 'The prompt was cut.' });
    expect(text).toBe('device: Using "cpu": cuda unavailable.\nwarning [PROMPT_TRUNCATED]: The prompt was cut.\n');
  });
});
