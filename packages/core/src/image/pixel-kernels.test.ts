import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createTensor } from '../tensor/tensor.js';
import { tensorToImages, type PixelRange, type PixelRounding } from './image-tensor.js';
import { PIXEL_KERNEL_CAPACITY, pixelKernels, type PixelKernels } from './pixel-kernels.js';

const f = Math.fround;
const repository = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const RANGES: Record<PixelRange, { add: number; scale: number }> = {
  'minus-one-to-one': { add: 1, scale: 0.5 },
  'zero-to-one': { add: 0, scale: 1 },
};

/** The byte of spec §5 post-processing, written from the formula: float32 at every step. */
function reference(x: number, range: PixelRange, rounding: PixelRounding): number {
  const { add, scale } = RANGES[range];
  const value = f(f(x + add) * scale);
  const clipped = value > 0 ? (value > 1 ? 1 : value) : 0; // NaN → 0
  const scaled = f(clipped * 255);
  if (rounding === 'truncate') return Math.trunc(scaled);
  const floor = Math.floor(scaled);
  const fraction = scaled - floor;
  return fraction > 0.5 || (fraction === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
}

function kernelsHere(): PixelKernels {
  const kernels = pixelKernels();
  if (kernels === null) throw new Error('the WebAssembly pixel kernels did not instantiate in this Node');
  return kernels;
}

/** The kernels' bytes for 16 values, each given as the R, G and B of one pixel. */
function convert(kernels: PixelKernels, values: readonly number[], range: PixelRange, rounding: PixelRounding): number[] {
  const { add, scale } = RANGES[range];
  for (const plane of kernels.planes) plane.set(values);
  kernels.convert(rounding, 16, add, scale);
  const bytes = Array.from(kernels.rgb.subarray(0, 48));
  // Every pixel's three channels got the same value: they must agree.
  for (let i = 0; i < 16; i++) expect(new Set(bytes.slice(3 * i, 3 * i + 3)).size).toBe(1);
  return bytes.filter((_, i) => i % 3 === 0);
}

// Float32 values in increasing order, by an integer key (−∞ … −0 then +0 … +∞).
const bits = new Uint32Array(1);
const asFloat = new Float32Array(bits.buffer);
function floatAt(key: number): number {
  bits[0] = key < 0x80000000 ? 0xffffffff - key : key - 0x80000000;
  return asFloat[0]!;
}
const KEY_MINUS_INFINITY = 0x80000000 - 0x7f800001;
const KEY_PLUS_INFINITY = 0x80000000 + 0x7f800000;

describe('pixelKernels (WebAssembly SIMD)', () => {
  it('instantiates in Node', () => {
    const kernels = kernelsHere();
    expect(kernels.planes.map((plane) => plane.length)).toEqual([PIXEL_KERNEL_CAPACITY, PIXEL_KERNEL_CAPACITY, PIXEL_KERNEL_CAPACITY]);
    expect(kernels.rgb.length).toBe(3 * PIXEL_KERNEL_CAPACITY);
    expect(pixelKernels()).toBe(kernels);
  });

  // Both the formula and the kernels are non-decreasing in x (every step is), so they agree on
  // every float32 when they agree on both sides of each point where the formula's byte changes.
  it('gives the formula\'s byte on both sides of every threshold, for both ranges and roundings', () => {
    const kernels = kernelsHere();
    for (const range of Object.keys(RANGES) as PixelRange[]) {
      for (const rounding of ['round', 'truncate'] as const) {
        const points: number[] = [floatAt(KEY_MINUS_INFINITY), -0, 0, floatAt(KEY_PLUS_INFINITY)];
        for (let byte = 1; byte <= 255; byte++) {
          // The smallest key whose float reaches `byte`.
          let low = KEY_MINUS_INFINITY;
          let high = KEY_PLUS_INFINITY;
          while (low < high) {
            const middle = low + Math.floor((high - low) / 2);
            if (reference(floatAt(middle), range, rounding) >= byte) high = middle;
            else low = middle + 1;
          }
          points.push(floatAt(low - 1), floatAt(low));
        }
        for (let from = 0; from < points.length; from += 16) {
          const values = points.slice(from, from + 16);
          while (values.length < 16) values.push(0.25);
          const expected = values.map((x) => reference(x, range, rounding));
          expect(convert(kernels, values, range, rounding), `${range} ${rounding}`).toEqual(expected);
        }
        // The thresholds are where they should be: every byte appears on its own side.
        expect(new Set(points.map((x) => reference(x, range, rounding))).size).toBe(256);
      }
    }
  });

  it('sends NaN to 0 and matches the formula on random values, subnormals and huge ones', () => {
    const kernels = kernelsHere();
    const special = [Number.NaN, -Number.NaN, 1e-45, -1e-45, 3e38, -3e38, 1, -1, 0.5, -0.5, 1.0000001, -0.99999994, 2, -2, 1e-30, 0.0019607844];
    let seed = 12345;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2.4 - 1.2;
    for (const range of Object.keys(RANGES) as PixelRange[]) {
      for (const rounding of ['round', 'truncate'] as const) {
        expect(convert(kernels, special, range, rounding)).toEqual(special.map((x) => reference(x, range, rounding)));
        expect(convert(kernels, special.slice(0, 2), range, rounding).slice(0, 2)).toEqual([0, 0]);
        for (let round = 0; round < 200; round++) {
          const values = Array.from({ length: 16 }, () => f(random()));
          expect(convert(kernels, values, range, rounding)).toEqual(values.map((x) => reference(x, range, rounding)));
        }
      }
    }
  });

  it('lets tensorToImages convert any size exactly: buffers of 4,096 pixels, then a JavaScript tail', () => {
    // 67 × 75 = 5,025 pixels: one full buffer, 928 more in the kernels, one pixel in JavaScript.
    const [height, width] = [67, 75];
    let seed = 99;
    const data = Float32Array.from({ length: 2 * 3 * height * width }, () => f(((seed = (Math.imul(seed, 69069) + 1) >>> 0) / 2 ** 32) * 2.2 - 1.1));
    const tensor = createTensor('float32', [2, 3, height, width], data);
    for (const rounding of ['round', 'truncate'] as const) {
      const images = tensorToImages(tensor, { rounding });
      images.forEach((image, n) => {
        const expected = new Uint8Array(3 * height * width);
        for (let i = 0; i < height * width; i++) {
          for (let c = 0; c < 3; c++) expected[3 * i + c] = reference(data[(n * 3 + c) * height * width + i]!, 'minus-one-to-one', rounding);
        }
        expect(Buffer.from(image.data).equals(Buffer.from(expected)), `image ${n}, ${rounding}`).toBe(true);
      });
    }
  });

  it('is what tools/wasm/build-pixel-kernels.mjs makes from its source (text and binary)', () => {
    const run = spawnSync(process.execPath, [resolve(repository, 'tools/wasm/build-pixel-kernels.mjs'), '--check'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  }, 60_000);
});
