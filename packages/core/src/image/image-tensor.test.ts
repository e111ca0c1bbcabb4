import { describe, expect, it } from 'vitest';
import { createImageMask } from './image-mask.js';
import { imagesToTensor, maskToTensor, normalizeChannels, tensorToImages } from './image-tensor.js';
import { createRgbImage } from './rgb-image.js';
import {
  countMismatches,
  decodeFloat32,
  decodeUint8,
  imageFixture,
  maxAbsDifference,
} from './test-support/image-fixture.js';
import { thrown } from '../test-support/thrown.js';

/** A w×h image whose every byte is distinct modulo 256, so layout mistakes show. */
function patterned(width: number, height: number, offset = 0) {
  const data = new Uint8Array(width * height * 3).map((_, i) => (i * 37 + offset) % 256);
  return createRgbImage(width, height, data);
}

/** All 256 byte values, as an 86×1 image (258 bytes; the last two wrap). */
function everyByte() {
  return createRgbImage(86, 1, new Uint8Array(258).map((_, i) => i % 256));
}

describe('imagesToTensor', () => {
  it('maps 0 → −1, 255 → 1 and x → 2x/255 − 1, channel-planar', () => {
    const image = createRgbImage(2, 1, Uint8Array.from([0, 128, 255, 51, 102, 204]));
    const tensor = imagesToTensor(image);
    expect(tensor.dims).toEqual([1, 3, 1, 2]);
    // plane R = [0, 51], G = [128, 102], B = [255, 204]
    const expected = [0, 51, 128, 102, 255, 204].map((x) => Math.fround((2 * x) / 255 - 1));
    expect(Array.from(tensor.data)).toEqual(expected);
    expect(tensor.data[0]).toBe(-1);
    expect(tensor.data[4]).toBe(1);
  });

  it("'zero-to-one' equals torchvision ToTensor (x/255 in float32) for every byte", () => {
    const tensor = imagesToTensor(everyByte(), { range: 'zero-to-one' });
    const reference = decodeFloat32(imageFixture.postprocess.toUnit);
    // Pixel i has bytes 3i, 3i+1, 3i+2, which land in planes 0, 1, 2.
    for (let value = 0; value < 256; value++) {
      const pixel = Math.floor(value / 3);
      const channel = value % 3;
      expect(tensor.data[channel * 86 + pixel]).toBe(reference[value]);
    }
  });

  it('stacks a batch in order', () => {
    const a = patterned(3, 2, 0);
    const b = patterned(3, 2, 11);
    const batch = imagesToTensor([a, b]);
    expect(batch.dims).toEqual([2, 3, 2, 3]);
    const first = imagesToTensor(a).data;
    const second = imagesToTensor(b).data;
    expect(Array.from(batch.data.subarray(0, 18))).toEqual(Array.from(first));
    expect(Array.from(batch.data.subarray(18))).toEqual(Array.from(second));
  });

  it('rejects an empty list, mixed sizes, bad images and unknown ranges', () => {
    expect(thrown(() => imagesToTensor([])).code).toBe('INVALID_ARGUMENT');
    const mixed = thrown(() => imagesToTensor([patterned(3, 2), patterned(2, 3)]));
    expect(mixed.code).toBe('SHAPE_MISMATCH');
    expect(mixed.message).toContain('2×3');
    const bad = thrown(() => imagesToTensor([patterned(2, 2), { width: 2, height: 2, data: new Uint8Array(5) }]));
    expect(bad.code).toBe('INVALID_IMAGE');
    expect(bad.message).toContain('image 1');
    const range = thrown(() => imagesToTensor(patterned(1, 1), { range: '0..1' as never }));
    expect(range.code).toBe('INVALID_ARGUMENT');
    expect(range.message).toContain('"0..1"');
  });
});

describe('tensorToImages', () => {
  const values = decodeFloat32(imageFixture.postprocess.values);
  // Lay the reference values out as a [1, 3, 1, W] tensor: value i at plane i % 3, column i / 3.
  const width = values.length / 3;
  const planar = new Float32Array(values.length);
  values.forEach((v, i) => (planar[(i % 3) * width + Math.floor(i / 3)] = v));
  const tensor = { dtype: 'float32' as const, dims: [1, 3, 1, width], data: planar };

  it.each(['truncate', 'round'] as const)(
    "matches the PyTorch/numpy reference byte for byte with rounding '%s'",
    (rounding) => {
      const [image] = tensorToImages(tensor, { rounding });
      const reference = decodeUint8(imageFixture.postprocess[rounding]);
      expect(countMismatches(image!.data, reference)).toBe(0);
    },
  );

  it('defaults to rounding (diffusers) and [−1, 1]', () => {
    const [image] = tensorToImages(tensor);
    expect(countMismatches(image!.data, decodeUint8(imageFixture.postprocess.round))).toBe(0);
  });

  it('is lossless for image → tensor → image with rounding, in both ranges', () => {
    const image = everyByte();
    for (const range of ['minus-one-to-one', 'zero-to-one'] as const) {
      const [back] = tensorToImages(imagesToTensor(image, { range }), { range, rounding: 'round' });
      expect(countMismatches(back!.data, image.data)).toBe(0);
    }
  });

  it('splits a batch into images in order', () => {
    const a = patterned(4, 3, 1);
    const b = patterned(4, 3, 99);
    const images = tensorToImages(imagesToTensor([a, b]));
    expect(images).toHaveLength(2);
    expect(Array.from(images[0]!.data)).toEqual(Array.from(a.data));
    expect(Array.from(images[1]!.data)).toEqual(Array.from(b.data));
    expect([images[1]!.width, images[1]!.height]).toEqual([4, 3]);
  });

  it('gives the bytes of the per-element definition next to every rounding boundary, NaN and ±∞', () => {
    const f32 = Math.fround;
    // The definition: u = clip(f32(x + 1)·0.5) (or clip(x)), then f32(u·255) stored into a
    // Uint8ClampedArray (round half to even) or a Uint8Array (truncate).
    const reference = (x: number, zeroToOne: boolean, round: boolean) => {
      let unit = zeroToOne ? x : f32(x + 1) * 0.5;
      if (!(unit > 0)) unit = 0;
      else if (unit > 1) unit = 1;
      const out = round ? new Uint8ClampedArray(1) : new Uint8Array(1);
      out[0] = f32(unit * 255);
      return out[0]!;
    };
    // 64 float32 neighbours on each side of every k/255 and (k + ½)/255, in both ranges.
    const inputs: number[] = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, 3e38, -3e38];
    const word = new Float32Array(1);
    const bits = new Int32Array(word.buffer);
    for (let k = 0; k <= 255; k++) {
      for (const level of [k / 255, (k + 0.5) / 255]) {
        for (const center of [level, 2 * level - 1]) {
          word[0] = center;
          const middle = bits[0]!;
          for (let step = -64; step <= 64; step++) {
            bits[0] = middle + (center < 0 ? -step : step);
            inputs.push(word[0]!);
          }
        }
      }
    }
    // Three planes of one row each: channel c holds the inputs rotated by c.
    const n = inputs.length;
    const data = new Float32Array(3 * n);
    for (let c = 0; c < 3; c++) for (let i = 0; i < n; i++) data[c * n + i] = inputs[(i + c * 7) % n]!;
    for (const range of ['minus-one-to-one', 'zero-to-one'] as const) {
      for (const rounding of ['round', 'truncate'] as const) {
        const [image] = tensorToImages({ dtype: 'float32', dims: [1, 3, 1, n], data }, { range, rounding });
        let differing = 0;
        for (let i = 0; i < n; i++) {
          for (let c = 0; c < 3; c++) {
            if (image!.data[3 * i + c] !== reference(data[c * n + i]!, range === 'zero-to-one', rounding === 'round')) differing++;
          }
        }
        expect(differing, `${range}, ${rounding}`).toBe(0);
      }
    }
  });

  it('clips out-of-range values', () => {
    const data = Float32Array.from([-3, 3, 0.5]);
    const [image] = tensorToImages({ dtype: 'float32', dims: [1, 3, 1, 1], data }, { range: 'zero-to-one' });
    expect(Array.from(image!.data)).toEqual([0, 255, 128]);
  });

  it('rejects wrong shapes, dtypes and options, naming them', () => {
    const shape = thrown(() => tensorToImages({ dtype: 'float32', dims: [1, 4, 2, 2], data: new Float32Array(16) }));
    expect(shape.code).toBe('SHAPE_MISMATCH');
    expect(shape.message).toContain('[1,4,2,2]');
    const dtype = thrown(() => tensorToImages({ dtype: 'int32', dims: [1, 3, 1, 1], data: new Int32Array(3) } as never));
    expect(dtype.code).toBe('DTYPE_MISMATCH');
    const rounding = thrown(() => tensorToImages(tensor, { rounding: 'floor' as never }));
    expect(rounding.code).toBe('INVALID_ARGUMENT');
    expect(rounding.message).toContain('"floor"');
  });
});

describe('normalizeChannels', () => {
  it('computes (x − mean[c]) / std[c] per channel', () => {
    const input = { dtype: 'float32' as const, dims: [1, 2, 1, 2], data: Float32Array.from([1, 2, 3, 4]) };
    const out = normalizeChannels(input, [1, 2], [2, 0.5]);
    expect(Array.from(out.data)).toEqual([0, 0.5, 2, 4]);
  });

  it('rejects a wrong number of channels and a zero std', () => {
    const input = { dtype: 'float32' as const, dims: [1, 2, 1, 1], data: new Float32Array(2) };
    const count = thrown(() => normalizeChannels(input, [0, 0, 0], [1, 1]));
    expect(count.code).toBe('INVALID_ARGUMENT');
    expect(count.message).toContain('[0,0,0]');
    const zero = thrown(() => normalizeChannels(input, [0, 0], [1, 0]));
    expect(zero.message).toContain('[1,0]');
  });
});

describe('maskToTensor', () => {
  it('gives a [1, 1, H, W] copy', () => {
    const mask = createImageMask(2, 1, Float32Array.from([0, 1]));
    const tensor = maskToTensor(mask);
    expect(tensor.dims).toEqual([1, 1, 1, 2]);
    expect(Array.from(tensor.data)).toEqual([0, 1]);
    expect(tensor.data).not.toBe(mask.data);
  });
});

it('fixture sanity: the reference values include every converted byte', () => {
  // Guards the fixture itself: 256 values 2k/255 − 1 follow the 2000 random ones.
  const values = decodeFloat32(imageFixture.postprocess.values);
  const bytes = Float32Array.from({ length: 256 }, (_, k) => (2 * k) / 255 - 1);
  expect(maxAbsDifference(values.subarray(2000, 2256), bytes)).toBe(0);
});
