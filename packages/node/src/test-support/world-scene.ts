import { createRgbImage, type RgbImage } from '@kandinsky/core';
import { PALETTE } from './shape-colour.js';

export type ShapeKind = 'circle' | 'square' | 'triangle';

/**
 * One flat shape on a flat background at 64×64, drawn with the geometry of the tiny models' world
 * (tools/tiny-models/world.py `_shape_masks`: pixel centres at i + ½; a square's half side is
 * 0.85·r; a triangle's apex at cy − r and base at cy + 0.8·r, half-width 1.1·r there).
 */
export function worldScene(options: {
  background: string;
  colour: string;
  kind: ShapeKind;
  cx?: number;
  cy?: number;
  radius?: number;
}): RgbImage {
  const { background, colour, kind } = options;
  const cx = options.cx ?? 32;
  const cy = options.cy ?? 32;
  const r = options.radius ?? 14;
  const image = createRgbImage(64, 64);
  for (let py = 0; py < 64; py++) {
    for (let px = 0; px < 64; px++) {
      const x = px + 0.5;
      const y = py + 0.5;
      let inside: boolean;
      if (kind === 'circle') inside = (x - cx) ** 2 + (y - cy) ** 2 <= r ** 2;
      else if (kind === 'square') inside = Math.abs(x - cx) <= r * 0.85 && Math.abs(y - cy) <= r * 0.85;
      else {
        const top = cy - r;
        const base = cy + 0.8 * r;
        inside = y >= top && y <= base && Math.abs(x - cx) <= ((y - top) / (base - top)) * 1.1 * r;
      }
      image.data.set(PALETTE[inside ? colour : background]!, 3 * (py * 64 + px));
    }
  }
  return image;
}
