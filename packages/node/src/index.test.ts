import { describe, expect, it } from 'vitest';
import * as node from './index.js';

describe('@kandinsky/node entry point', () => {
  it('exports exactly the public API (update the snapshot deliberately)', () => {
    const surface = Object.keys(node)
      .sort()
      .map((name) => `${name}: ${typeof (node as Record<string, unknown>)[name]}`);
    expect(surface).toMatchSnapshot();
  });
});
