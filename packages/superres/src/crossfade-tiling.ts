import { createTensor, crop, throwIfAborted, type AbortSignalLike, type Tensor } from '@kandinsky/core';

const f32 = Math.fround;

/** Where one tile sits in the input of {@link crossFadeTiled} and which of how many it is. */
export interface CrossFadeTile {
  readonly index: number;
  readonly total: number;
  readonly top: number;
  readonly left: number;
  readonly height: number;
  readonly width: number;
}

/** Options of {@link crossFadeTiled}. */
export interface CrossFadeTilingOptions {
  /** `[1, C, H, W]`. */
  readonly input: Tensor<'float32'>;
  /** Side of a tile in the input (edge tiles are cut at the border). */
  readonly tile: number;
  /** Distance between tile starts in the input. */
  readonly stride: number;
  /** Rows / columns of the output over which a tile fades in over its upper / left neighbour. */
  readonly blendExtent: number;
  /** Rows / columns of each output tile kept (the rest is covered by the next tile). */
  readonly keep: number;
  /** The work on one tile: `[1, C, h, w]` in, `[1, C', s·h, s·w]` out for a fixed s. */
  readonly apply: (tile: Tensor<'float32'>, where: CrossFadeTile) => Promise<Tensor<'float32'>>;
  /** Checked before every tile. @default undefined */
  readonly signal?: AbortSignalLike | undefined;
}

/** Tile starts of one side: `range(0, size, stride)` as in the reference. */
function starts(size: number, stride: number): number[] {
  const result: number[] = [];
  for (let start = 0; start < size; start += stride) result.push(start);
  return result;
}

/**
 * The tiling of KandiSuperRes' MoVQ `tiled_encode` / `tiled_decode` and of the Flash refiner's
 * `refine_tiled` (spec §2.6, §4.8.3 step 3; the diffusers VAE tiling): tiles start every `stride`
 * in both directions (the last ones cut at the border); each output tile fades in over the one
 * above it (`b[y] = a[−e + y]·(1 − y/e) + b[y]·(y/e)`, e = min(blendExtent, both heights)), then
 * over the one on its left in the same way along x, both neighbours already blended; the first
 * `keep` rows and columns of every tile are concatenated. Tiles are processed row by row and only
 * the previous row is kept.
 */
export async function crossFadeTiled(options: CrossFadeTilingOptions): Promise<Tensor<'float32'>> {
  const { input, tile, stride, blendExtent, keep, apply, signal } = options;
  const [, , height, width] = input.dims as [number, number, number, number];
  const rowStarts = starts(height, stride);
  const columnStarts = starts(width, stride);
  const total = rowStarts.length * columnStarts.length;
  let previousRow: Tensor<'float32'>[] = [];
  const keptRows: Tensor<'float32'>[][] = [];
  for (let i = 0; i < rowStarts.length; i++) {
    const row: Tensor<'float32'>[] = [];
    for (let j = 0; j < columnStarts.length; j++) {
      throwIfAborted(signal);
      const where: CrossFadeTile = {
        index: i * columnStarts.length + j,
        total,
        top: rowStarts[i]!,
        left: columnStarts[j]!,
        height: Math.min(tile, height - rowStarts[i]!),
        width: Math.min(tile, width - columnStarts[j]!),
      };
      const output = await apply(crop(input, where), where);
      if (i > 0) blendRows(previousRow[j]!, output, blendExtent);
      if (j > 0) blendColumns(row[j - 1]!, output, blendExtent);
      row.push(output);
    }
    keptRows.push(row.map((output) => keepCorner(output, keep)));
    previousRow = row;
  }
  return concatenate(keptRows);
}

/** blend_v: `b`'s first rows fade in over `a`'s last rows, in place. */
function blendRows(a: Tensor<'float32'>, b: Tensor<'float32'>, extent: number): void {
  const [, channels, aHeight, width] = a.dims as [number, number, number, number];
  const bHeight = b.dims[2]!;
  const e = Math.min(aHeight, bHeight, extent);
  for (let y = 0; y < e; y++) {
    const from = f32(1 - y / e);
    const to = f32(y / e);
    for (let c = 0; c < channels; c++) {
      const aRow = (c * aHeight + aHeight - e + y) * width;
      const bRow = (c * bHeight + y) * width;
      for (let x = 0; x < width; x++) b.data[bRow + x] = f32(a.data[aRow + x]! * from) + f32(b.data[bRow + x]! * to);
    }
  }
}

/** blend_h: `b`'s first columns fade in over `a`'s last columns, in place. */
function blendColumns(a: Tensor<'float32'>, b: Tensor<'float32'>, extent: number): void {
  const [, channels, height, aWidth] = a.dims as [number, number, number, number];
  const bWidth = b.dims[3]!;
  const e = Math.min(aWidth, bWidth, extent);
  for (let x = 0; x < e; x++) {
    const from = f32(1 - x / e);
    const to = f32(x / e);
    for (let c = 0; c < channels; c++) {
      for (let y = 0; y < height; y++) {
        const aAt = (c * height + y) * aWidth + aWidth - e + x;
        const bAt = (c * height + y) * bWidth + x;
        b.data[bAt] = f32(a.data[aAt]! * from) + f32(b.data[bAt]! * to);
      }
    }
  }
}

function keepCorner(output: Tensor<'float32'>, keep: number): Tensor<'float32'> {
  const [, , height, width] = output.dims as [number, number, number, number];
  if (height <= keep && width <= keep) return output;
  return crop(output, { top: 0, left: 0, height: Math.min(height, keep), width: Math.min(width, keep) });
}

function concatenate(rows: Tensor<'float32'>[][]): Tensor<'float32'> {
  const channels = rows[0]![0]!.dims[1]!;
  const height = rows.reduce((sum, row) => sum + row[0]!.dims[2]!, 0);
  const width = rows[0]!.reduce((sum, tile) => sum + tile.dims[3]!, 0);
  const result = createTensor('float32', [1, channels, height, width]);
  let top = 0;
  for (const row of rows) {
    let left = 0;
    const rowHeight = row[0]!.dims[2]!;
    for (const tile of row) {
      const tileWidth = tile.dims[3]!;
      for (let c = 0; c < channels; c++) {
        for (let y = 0; y < rowHeight; y++) {
          const from = (c * rowHeight + y) * tileWidth;
          result.data.set(tile.data.subarray(from, from + tileWidth), (c * height + top + y) * width + left);
        }
      }
      left += tileWidth;
    }
    top += rowHeight;
  }
  return result;
}
