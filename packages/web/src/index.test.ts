import { describe, expect, it } from 'vitest';
import * as web from './index.js';

describe('@kandinsky/web entry point', () => {
  it('exports exactly the public API (update the snapshot deliberately)', () => {
    const surface = Object.keys(web)
      .sort()
      .map((name) => `${name}: ${typeof (web as Record<string, unknown>)[name]}`);
    expect(surface).toMatchSnapshot();
  });
});
