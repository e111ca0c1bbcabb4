import { describe, expect, it } from 'vitest';
import { compareLargeDraws, compareSequences, compareSingleDraws } from './test-support/torch-generator-fixture.js';

// Runs in Chromium (vitest project `core-browser`): the same fixtures as the Node test must match
// bit for bit, proving seeds give identical noise in Node and in the browser.
describe('TorchGenerator in the browser', () => {
  it('runs in a real browser, not Node', () => {
    const host = globalThis as { window?: unknown; navigator?: { userAgent?: string } };
    expect(typeof host.window).toBe('object');
    expect(host.navigator?.userAgent).toMatch(/Chrome/);
  });

  it('reproduces single randn/rand draws bit for bit', () => {
    const result = compareSingleDraws();
    expect(result.firstMismatch).toBeUndefined();
    expect(result.identical).toBe(result.values);
  });

  it('continues streams across mixed draws bit for bit', () => {
    const result = compareSequences();
    expect(result.firstMismatch).toBeUndefined();
    expect(result.identical).toBe(result.values);
  });

  it('reproduces 1×4×128×128 latents exactly', () => {
    const result = compareLargeDraws();
    expect(result.edges.firstMismatch).toBeUndefined();
    expect(result.hashesMatching).toBe(result.cases);
  });
});
