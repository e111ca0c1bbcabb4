import { afterEach, describe, expect, it, vi } from 'vitest';
import { monotonicNow } from './monotonic-now.js';

afterEach(() => vi.unstubAllGlobals());

describe('monotonicNow', () => {
  it('uses performance.now when available', () => {
    vi.stubGlobal('performance', { now: () => 1234.5 });
    expect(monotonicNow()).toBe(1234.5);
  });

  it('falls back to Date.now without performance', () => {
    vi.stubGlobal('performance', undefined);
    const before = Date.now();
    const now = monotonicNow();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
