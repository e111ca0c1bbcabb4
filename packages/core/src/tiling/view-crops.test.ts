import { describe, expect, it } from 'vitest';
import { createTensor } from '../tensor/tensor.js';
import { extractViews, selectView } from './view-crops.js';
import { planViews } from './view-planner.js';
import { expectKandinskyError, randomData, seededRandom } from './test-support/tiling-test-helpers.js';

describe('extractViews', () => {
  it('copies each view of a [B, C, H, W] canvas, view-major, like indexing x[:, :, top:top+h, left:left+w]', () => {
    const random = seededRandom(3);
    const [batch, channels, height, width] = [2, 3, 13, 17];
    const canvas = createTensor('float32', [batch, channels, height, width], randomData(random, batch * channels * height * width));
    const views = planViews({ height, width, windowHeight: 8, windowWidth: 6, strideHeight: 5, strideWidth: 4 });
    const crops = extractViews(canvas, views);
    expect(crops.dims).toEqual([views.length * batch, channels, 8, 6]);
    let mismatches = 0;
    views.forEach((view, viewIndex) => {
      for (let item = 0; item < batch; item++)
        for (let channel = 0; channel < channels; channel++)
          for (let row = 0; row < 8; row++)
            for (let column = 0; column < 6; column++) {
              const expected = canvas.data[((item * channels + channel) * height + view.top + row) * width + view.left + column];
              const actual = crops.data[(((viewIndex * batch + item) * channels + channel) * 8 + row) * 6 + column];
              if (actual !== expected) mismatches++;
            }
    });
    expect(mismatches).toBe(0);
  });

  it('fills a preallocated buffer and rejects a wrong one', () => {
    const canvas = createTensor('float32', [1, 4, 4], Float32Array.from({ length: 16 }, (_, index) => index));
    const views = [{ top: 1, left: 2, height: 2, width: 2 }];
    const out = createTensor('float32', [1, 1, 2, 2]);
    expect(extractViews(canvas, views, out)).toBe(out);
    expect(Array.from(out.data)).toEqual([6, 7, 10, 11]);
    expectKandinskyError(() => extractViews(canvas, views, createTensor('float32', [1, 1, 2, 3])), 'SHAPE_MISMATCH', '[1,1,2,3]');
  });

  it('rejects views outside the canvas, of unequal size, or none', () => {
    const canvas = createTensor('float32', [1, 4, 4]);
    expectKandinskyError(() => extractViews(canvas, [{ top: 3, left: 0, height: 2, width: 2 }]), 'INVALID_TILE_LAYOUT', '"top":3');
    expectKandinskyError(
      () =>
        extractViews(canvas, [
          { top: 0, left: 0, height: 2, width: 2 },
          { top: 0, left: 0, height: 3, width: 2 },
        ]),
      'INVALID_TILE_LAYOUT',
      'View 1',
    );
    expectKandinskyError(() => extractViews(canvas, []), 'INVALID_TILE_LAYOUT', 'empty');
    expectKandinskyError(() => extractViews(createTensor('float32', [4, 4]), [{ top: 0, left: 0, height: 1, width: 1 }]), 'SHAPE_MISMATCH', '[4,4]');
  });
});

describe('selectView', () => {
  it('is a zero-copy view of one view’s items', () => {
    const batch = createTensor('float32', [6, 1, 1, 2], Float32Array.from({ length: 12 }, (_, index) => index));
    const second = selectView(batch, 1, 2);
    expect(second.dims).toEqual([2, 1, 1, 2]);
    expect(Array.from(second.data)).toEqual([4, 5, 6, 7]);
    second.data[0] = 100;
    expect(batch.data[4]).toBe(100);
  });
  it('rejects bad indices', () => {
    const batch = createTensor('float32', [4, 1, 1, 1]);
    expectKandinskyError(() => selectView(batch, 4), 'INVALID_ARGUMENT', 'viewIndex 4');
    expectKandinskyError(() => selectView(batch, 0, 3), 'INVALID_ARGUMENT', 'itemsPerView 3');
    expectKandinskyError(() => selectView(createTensor('float32', [4, 1]), 0), 'SHAPE_MISMATCH', '[4,1]');
  });
});
