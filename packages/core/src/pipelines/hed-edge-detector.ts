import type { ModelSession } from '../backend/model-session.js';
import { hedEdgeMap } from '../image/hed-edge-map.js';
import { resizeLikePillow } from '../image/pillow-resize.js';
import type { RgbImage } from '../image/rgb-image.js';
import { createTensor, type Tensor } from '../tensor/tensor.js';
import type { AbortSignalLike } from '../abort/abort-signal-like.js';

/** `hed/config.json` `detect_resolution` when absent (spec §2.9, controlnet_aux). */
export const HED_DETECT_RESOLUTION = 512;

/**
 * The size the HED detector runs at (controlnet_aux `resize_image`, spec §2.9): short side →
 * `resolution`, both sides rounded to multiples of 64.
 */
export function hedDetectSize(width: number, height: number, resolution: number): { width: number; height: number } {
  const k = resolution / Math.min(width, height);
  const round64 = (side: number) => Math.max(64, roundHalfToEven((side * k) / 64) * 64);
  return { width: round64(width), height: round64(height) };
}

/** numpy's `np.round`: halves go to the even neighbour (2.5 → 2, 3.5 → 4). */
function roundHalfToEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * Edges of `image` by the folder's `hed` model with the reference post-processing (spec §2.9):
 * resized to the detect size (Lanczos up, box/area down), fed as RGB 0…255, the side outputs
 * turned into an 8-bit map by {@link hedEdgeMap}, then resized bilinearly to `width × height`.
 */
export async function detectHedEdges(
  hed: ModelSession,
  image: RgbImage,
  options: { width: number; height: number; detectResolution: number; signal?: AbortSignalLike | undefined },
): Promise<RgbImage> {
  const size = hedDetectSize(image.width, image.height, options.detectResolution);
  const upscale = size.width * size.height > image.width * image.height;
  const input =
    size.width === image.width && size.height === image.height
      ? image
      : resizeLikePillow(image, { ...size, filter: upscale ? 'lanczos' : 'box' });
  // The detector takes RGB 0…255 without scaling (docs/model-format.md §3.6).
  const plane = size.width * size.height;
  const tensor = createTensor('float32', [1, 3, size.height, size.width]);
  for (let i = 0; i < plane; i++) {
    tensor.data[i] = input.data[3 * i]!;
    tensor.data[plane + i] = input.data[3 * i + 1]!;
    tensor.data[2 * plane + i] = input.data[3 * i + 2]!;
  }
  const outputs = await hed.run({ image: tensor }, { signal: options.signal });
  const sides = [1, 2, 3, 4, 5].map((k) => outputs[`side${k}`] as Tensor<'float32'>);
  const edges = hedEdgeMap(sides, size.width, size.height);
  return edges.width === options.width && edges.height === options.height
    ? edges
    : resizeLikePillow(edges, { width: options.width, height: options.height, filter: 'bilinear' });
}
