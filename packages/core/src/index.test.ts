import { describe, expect, it } from 'vitest';
import * as core from './index.js';

describe('@kandinsky/core entry point', () => {
  it('exports exactly the public API (update the snapshot deliberately)', () => {
    const surface = Object.keys(core)
      .sort()
      .map((name) => `${name}: ${typeof (core as Record<string, unknown>)[name]}`);
    expect(surface).toMatchSnapshot();
  });
});
