import { describe, expect, it } from 'vitest';
import * as cli from './index.js';

describe('@kandinsky/cli entry point', () => {
  it('exports exactly the public API (update the snapshot deliberately)', () => {
    expect(Object.keys(cli).sort()).toEqual(['DEFAULT_MODEL', 'main']);
  });
});
