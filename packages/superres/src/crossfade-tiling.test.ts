import { createTensor, type Tensor } from '@kandinsky/core';
import { describe, expect, it } from 'vitest';
import { crossFadeTiled } from './crossfade-tiling.js';

/** The refiner's latent tiling of spec §4.8.3 step 3b: tile 352, overlap 0.25. */
const REFINER = { tile: 352, stride: 264, blendExtent: 88, keep: 264 };

/** Expected value along one side when tile k outputs k: 0 up to 264, then the ramp y/88, then 1. */
function ramp(position: number): number {
  if (position < 264) return 0;
  if (position < 352) return (position - 264) / 88;
  return 1;
}

async function tiled(height: number, width: number, value: (row: number, column: number) => number) {
  const starts: Array<[number, number, number, number]> = [];
  const input = createTensor('float32', [1, 1, height, width]);
  const output = await crossFadeTiled({
    input,
    ...REFINER,
    apply: async (tile, where) => {
      starts.push([where.top, where.left, where.height, where.width]);
      const [, , h, w] = tile.dims as [number, number, number, number];
      return createTensor('float32', [1, 1, h, w], new Float32Array(h * w).fill(value(where.top / 264, where.left / 264)));
    },
  });
  return { output, starts };
}

function at(tensor: Tensor<'float32'>, y: number, x: number): number {
  return tensor.data[y * tensor.dims[3]! + x]!;
}

describe('crossFadeTiled (KandiSuperRes refine_tiled / MoVQ tiled decode layout, spec §2.6, §4.8.3)', () => {
  it('tiles every stride to the border and fades each tile in over the one above it', async () => {
    const { output, starts } = await tiled(400, 300, (row) => row);
    // range(0, 400, 264) × range(0, 300, 264): edge tiles are cut at the border.
    expect(starts).toEqual([
      [0, 0, 352, 300],
      [0, 264, 352, 36],
      [264, 0, 136, 300],
      [264, 264, 136, 36],
    ]);
    expect(output.dims).toEqual([1, 1, 400, 300]);
    for (let y = 0; y < 400; y++) {
      for (const x of [0, 150, 263, 264, 299]) expect(Math.abs(at(output, y, x) - ramp(y))).toBeLessThan(1e-6);
    }
  });

  it('fades each tile in over its left neighbour along x', async () => {
    const { output } = await tiled(40, 500, (_row, column) => column);
    expect(output.dims).toEqual([1, 1, 40, 500]);
    for (let x = 0; x < 500; x++) {
      for (const y of [0, 39]) expect(Math.abs(at(output, y, x) - ramp(x))).toBeLessThan(1e-6);
    }
  });

  it('keeps plain tiles side by side when the overlap is 0 (MoVQ tiled encode)', async () => {
    const input = createTensor('float32', [1, 1, 16, 20], Float32Array.from({ length: 320 }, (_, i) => i));
    const output = await crossFadeTiled({ input, tile: 8, stride: 8, blendExtent: 0, keep: 8, apply: async (tile) => tile });
    expect(Array.from(output.data)).toEqual(Array.from(input.data));
  });
});
