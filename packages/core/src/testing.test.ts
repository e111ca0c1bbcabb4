import { describe, expect, it } from 'vitest';
import * as core from './index.js';
import * as testing from './testing.js';

describe('@kandinsky/core/testing entry point', () => {
  it('exports exactly the test API (update the snapshot deliberately)', () => {
    const surface = Object.keys(testing)
      .sort()
      .map((name) => `${name}: ${typeof (testing as Record<string, unknown>)[name]}`);
    expect(surface).toMatchSnapshot();
  });

  it('keeps the test doubles out of the main entry', () => {
    for (const name of Object.keys(testing)) expect(core).not.toHaveProperty(name);
  });
});
