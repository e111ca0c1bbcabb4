import type { RgbImage } from '@kandinsky/core';

/** The synthetic world's palette (tools/tiny-models/world.py COLORS). */
export const PALETTE: Readonly<Record<string, readonly [number, number, number]>> = {
  red: [220, 40, 40],
  green: [40, 180, 70],
  blue: [40, 80, 230],
  yellow: [240, 220, 40],
  orange: [245, 140, 30],
  purple: [150, 60, 190],
  white: [245, 245, 245],
  black: [25, 25, 25],
};

function nearest(r: number, g: number, b: number): string {
  let best = '';
  let bestDistance = Infinity;
  for (const [name, [pr, pg, pb]] of Object.entries(PALETTE)) {
    const distance = (r - pr) ** 2 + (g - pg) ** 2 + (b - pb) ** 2;
    if (distance < bestDistance) {
      bestDistance = distance;
      best = name;
    }
  }
  return best;
}

/**
 * The colour of the shape in a generated image, by the same rule as the model card's evaluation:
 * the background is the most common palette colour on the border, the shape colour the most
 * common palette colour among the other pixels.
 */
export function shapeColour(image: RgbImage): { background: string; shape: string | undefined } {
  const labels: string[] = [];
  for (let i = 0; i < image.width * image.height; i++) {
    labels.push(nearest(image.data[3 * i]!, image.data[3 * i + 1]!, image.data[3 * i + 2]!));
  }
  const count = (indices: number[]) => {
    const tally = new Map<string, number>();
    for (const i of indices) tally.set(labels[i]!, (tally.get(labels[i]!) ?? 0) + 1);
    return [...tally.entries()].sort((a, b) => b[1] - a[1]);
  };
  const border: number[] = [];
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      if (x === 0 || y === 0 || x === image.width - 1 || y === image.height - 1) border.push(y * image.width + x);
    }
  }
  const background = count(border)[0]![0];
  const inner = labels.map((_, i) => i).filter((i) => labels[i] !== background);
  return { background, shape: count(inner)[0]?.[0] };
}
