import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createTensor } from '../tensor/tensor.js';
import { MultiDiffusionBlender } from './multidiffusion-blender.js';
import { extractViews } from './view-crops.js';
import { planViews, type ViewLayoutRule } from './view-planner.js';

// Fixtures from tools/reference/tiling.py: an independent torch implementation of the
// KandiSuperRes layout and value/count blend (spec §4.8.1 step 6, §4.8.2).
const fixture = JSON.parse(readFileSync(new URL('./fixtures/tiling.json', import.meta.url), 'utf8')) as {
  layouts: { rule: ViewLayoutRule; height: number; width: number; window: number; stride: number; views: number[][] }[];
  blends: { rule: ViewLayoutRule; window: number; stride: number; dims: number[]; canvas: string; expected: string }[];
};

function decode(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

describe('planViews vs the torch reference layout', () => {
  for (const layout of fixture.layouts) {
    it(`${layout.rule} ${layout.height}×${layout.width}, window ${layout.window}, stride ${layout.stride}`, () => {
      const views = planViews({
        height: layout.height,
        width: layout.width,
        windowHeight: layout.window,
        windowWidth: layout.window,
        strideHeight: layout.stride,
        strideWidth: layout.stride,
        rule: layout.rule,
      });
      expect(views.map((view) => [view.top, view.left, view.height, view.width])).toEqual(layout.views);
    });
  }
});

describe('MultiDiffusionBlender vs the torch reference blend (views that disagree)', () => {
  for (const blend of fixture.blends) {
    for (const accumulator of ['float32', 'float64'] as const) {
      it(`${blend.rule}, window ${blend.window}, stride ${blend.stride}, ${accumulator} sums`, () => {
        const [, , height, width] = blend.dims as [number, number, number, number];
        const canvas = createTensor('float32', blend.dims, decode(blend.canvas));
        const views = planViews({
          height,
          width,
          windowHeight: blend.window,
          windowWidth: blend.window,
          strideHeight: blend.stride,
          strideWidth: blend.stride,
          rule: blend.rule,
        });
        const crops = extractViews(canvas, views);
        const viewSize = crops.data.length / views.length;
        for (let index = 0; index < views.length; index++) {
          for (let offset = index * viewSize; offset < (index + 1) * viewSize; offset++) {
            // float32 rounding after each op, as torch does on a float32 tensor
            crops.data[offset] = Math.fround(Math.fround(crops.data[offset]! * (1 + 0.25 * index)) + Math.fround(0.1 * index));
          }
        }
        const blender = new MultiDiffusionBlender({ dims: blend.dims, accumulator });
        blender.accumulate(crops, views);
        const result = blender.resolve(canvas); // uncovered pixels keep the canvas value, as in the reference
        const expected = decode(blend.expected);
        let maxDifference = 0;
        for (let index = 0; index < expected.length; index++) {
          maxDifference = Math.max(maxDifference, Math.abs(result.data[index]! - expected[index]!));
        }
        if (accumulator === 'float32') {
          // Same float32 additions in the same view order, then one correctly rounded division.
          expect(maxDifference).toBe(0);
        } else {
          // float64 sums are more accurate than torch's float32 ones: the difference is torch's
          // rounding of sums of up to 16 outputs of magnitude ≤ 40 (ulp 3.8e-6).
          expect(maxDifference).toBeLessThan(4e-5);
        }
      });
    }
  }
});
