import { describe, expect, it } from 'vitest';
import fixture from './fixtures/float16.json';
import { float16ToFloat32Array, float32ToFloat16Array } from './float16.js';

function decode(base64: string): Uint8Array {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

// Runs in Chromium (vitest project `core-browser`): the same conversions as in Node, bit for bit.
describe('float16 conversion in the browser', () => {
  it('matches torch .half() on every non-NaN fixture value', () => {
    const inputs = new Float32Array(decode(fixture.float32Bits).buffer);
    const expected = new Uint16Array(decode(fixture.float16Bits).buffer);
    const actual = float32ToFloat16Array(inputs);
    let mismatches = 0;
    for (let i = 0; i < inputs.length; i++) if (!Number.isNaN(inputs[i]) && actual[i] !== expected[i]) mismatches++;
    expect(mismatches).toBe(0);
  });

  it('round-trips every non-signalling half pattern', () => {
    const all = new Uint16Array(65536);
    for (let i = 0; i < all.length; i++) all[i] = i;
    const back = float32ToFloat16Array(float16ToFloat32Array(all));
    let exact = 0;
    for (let h = 0; h < 65536; h++) if (back[h] === h) exact++;
    expect(exact).toBe(65536 - 2 * 511);
  });
});
