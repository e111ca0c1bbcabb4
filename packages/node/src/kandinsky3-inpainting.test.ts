import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createImageMask,
  createRgbImage,
  dilateMask,
  prepareInpaintingInputs,
  rectangleMask,
  toInpaintingMask,
  type Kandinsky3,
  type RgbImage,
  type Tensor,
} from '@kandinsky/core';
import { tinyModelPath } from '@kandinsky/tiny-models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKandinsky3 } from './load-kandinsky3.js';
import { createNodeBackend } from './node-backend.js';
import { openModelFolder } from './model-directory.js';
import { PALETTE } from './test-support/shape-colour.js';

const MODEL = tinyModelPath('kandinsky3-tiny');
const REFERENCE_DIR = join(MODEL, 'reference');

interface TensorRef {
  dtype: 'float32' | 'int64' | 'uint8';
  dims: number[];
  file: string;
}
interface InpaintingReference {
  prompt: string;
  seed: number;
  steps: number;
  guidance_scale: number;
  tensors: Record<string, TensorRef>;
}

function load(ref: TensorRef): Float32Array | Uint8Array {
  const bytes = readFileSync(join(REFERENCE_DIR, ref.file));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return ref.dtype === 'float32' ? new Float32Array(buffer) : new Uint8Array(buffer);
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

// Committed by tools/tiny-models/reference_inpainting.py (PyTorch, Pillow, scikit-image, SciPy).
const reference = JSON.parse(readFileSync(join(REFERENCE_DIR, 'pipeline-inpainting.json'), 'utf8')) as InpaintingReference;
const { tensors } = reference;
const inputImage = createRgbImage(96, 80, load(tensors.input_image_uint8_hwc!) as Uint8Array);
const inputMask = load(tensors.input_mask!) as Float32Array;

describe('PyTorch whole-pipeline reference (inpainting, spec §4.5)', () => {
  it('prepares the inputs as the reference: resized mask, keep mask, masked image, latent mask', () => {
    const inputs = prepareInpaintingInputs(inputImage, toInpaintingMask(inputMask, 96, 80));
    expect([inputs.width, inputs.height]).toEqual([64, 64]);
    // scikit-image computes the bilinear mask in float64; ours is float32.
    expect(maxAbsDifference(inputs.mask.data, load(tensors.resized_mask!) as Float32Array)).toBeLessThan(1e-6);
    expect(maxAbsDifference(inputs.keep.data, load(tensors.mask_keep!) as Float32Array)).toBeLessThan(1e-6);
    // The reference's fractional edge pixels are zeroed too: same set of zeroed pixels, same values.
    expect(maxAbsDifference(inputs.maskedImage.data, load(tensors.masked_image!) as Float32Array)).toBeLessThan(1e-6);
    expect(maxAbsDifference(inputs.latentMask.data, load(tensors.latent_mask!) as Float32Array)).toBeLessThan(1e-6);
    const fractional = Array.from(inputs.mask.data).filter((v) => v > 0 && v < 1).length;
    expect(fractional).toBeGreaterThan(0);
  });

  it('encodes the masked image to the reference latent', async () => {
    const backend = await createNodeBackend({ device: 'cpu', intraOperatorThreads: 1 });
    const folder = await openModelFolder(MODEL);
    const { COMPONENT_CONTRACTS } = await import('@kandinsky/core');
    const encoder = await folder.loadSession(backend, 'movq_encoder', COMPONENT_CONTRACTS.movq_encoder!);
    const masked = load(tensors.masked_image!) as Float32Array;
    const { latent } = await encoder.run({ image: { dtype: 'float32', dims: tensors.masked_image!.dims, data: masked } });
    await encoder.dispose();
    expect(maxAbsDifference((latent as Tensor<'float32'>).data, load(tensors.masked_latent!) as Float32Array)).toBeLessThan(1e-4);
  });

  it('produces the reference image (within 1 of 255 per channel)', async () => {
    const pipeline = await loadKandinsky3(MODEL, { device: 'cpu', intraOperatorThreads: 1 });
    try {
      const { images, parameters } = await pipeline.inpaint({
        image: inputImage,
        mask: inputMask,
        prompt: reference.prompt,
        seed: reference.seed,
        steps: reference.steps,
        guidanceScale: reference.guidance_scale,
      });
      expect(parameters).toMatchObject({ mode: 'inpainting', width: 64, height: 64, steps: 50, guidanceScale: 4 });
      const expected = load(tensors.image_uint8_hwc!) as Uint8Array;
      const difference = maxAbsDifference(images[0]!.data, expected);
      console.log(`[reference] inpainting max |Δ| = ${difference} of 255 over ${expected.length} values`);
      expect(difference).toBeLessThanOrEqual(1);
    } finally {
      await pipeline.dispose();
    }
  });

  it('dilates like SciPy prepare_mask (spec §4.5)', () => {
    const fixture = JSON.parse(readFileSync(join(REFERENCE_DIR, 'prepare-mask.json'), 'utf8')) as { tensors: Record<string, TensorRef> };
    for (const [input, output] of [
      ['input', 'output'],
      ['input_large', 'output_large'],
    ] as const) {
      const [height, width] = fixture.tensors[input]!.dims as [number, number];
      const dilated = dilateMask(createImageMask(width, height, load(fixture.tensors[input]!) as Float32Array));
      expect(Array.from(dilated.data)).toEqual(Array.from(load(fixture.tensors[output]!) as Uint8Array));
    }
  });
});

// ----------------------------------------------------------------------------------------------
// Behaviour on the tiny model's world (the model card's inpainting evaluation, in TypeScript).

const COLOURS = Object.keys(PALETTE);

function drawScene(background: string, colour: string, kind: 'square' | 'circle', cx: number, cy: number, radius: number): RgbImage {
  const image = createRgbImage(64, 64);
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) {
      const inside = kind === 'square' ? Math.abs(x + 0.5 - cx) <= radius && Math.abs(y + 0.5 - cy) <= radius : (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= radius ** 2;
      image.data.set(PALETTE[inside ? colour : background]!, (y * 64 + x) * 3);
    }
  }
  return image;
}

function nearestColour(data: Uint8Array, offset: number): string {
  let best = '';
  let bestDistance = Infinity;
  for (const [name, [r, g, b]] of Object.entries(PALETTE)) {
    const distance = (data[offset]! - r) ** 2 + (data[offset + 1]! - g) ** 2 + (data[offset + 2]! - b) ** 2;
    if (distance < bestDistance) [best, bestDistance] = [name, distance];
  }
  return best;
}

/** A mask value, 0 outside the plane. */
function at(mask: Float32Array, width: number, height: number, x: number, y: number): number {
  return x < 0 || y < 0 || x >= width || y >= height ? 0 : mask[y * width + x]!;
}

/** The model card's measurements: majority colour in the repainted shape, mean |Δ| of pixels ≥ 9 px outside the mask. */
function measure(source: RgbImage, result: RgbImage, mask: Float32Array, shape: Set<number>): { colour: string; farDelta: number } {
  const tally = new Map<string, number>();
  for (const i of shape) {
    const name = nearestColour(result.data, i * 3);
    tally.set(name, (tally.get(name) ?? 0) + 1);
  }
  const colour = [...tally.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  let sum = 0;
  let count = 0;
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) {
      let near = false;
      for (let dy = -8; dy <= 8 && !near; dy++) for (let dx = -8; dx <= 8 && !near; dx++) near = at(mask, 64, 64, x + dx, y + dy) > 0;
      if (near) continue;
      for (let c = 0; c < 3; c++) sum += Math.abs(result.data[(y * 64 + x) * 3 + c]! - source.data[(y * 64 + x) * 3 + c]!);
      count += 3;
    }
  }
  return { colour, farDelta: sum / count };
}

/** The bar: far pixels move by at most 3 of 255 on average (model card: 1.5). */
const FAR_DELTA_BAR = 3;

describe('inpainting on the tiny model (onnxruntime-node CPU)', () => {
  let pipeline: Kandinsky3;
  beforeAll(async () => {
    pipeline = await loadKandinsky3(MODEL, { device: 'cpu', intraOperatorThreads: 1 });
  });
  afterAll(async () => {
    await pipeline?.dispose();
  });

  it('repaints the masked shape in the prompt\'s colour and leaves far pixels alone', async () => {
    const cases = [
      { background: 'white', colour: 'green', kind: 'square', cx: 20, cy: 20, radius: 10, wanted: 'red' },
      { background: 'black', colour: 'yellow', kind: 'circle', cx: 44, cy: 22, radius: 11, wanted: 'blue' },
      { background: 'blue', colour: 'orange', kind: 'square', cx: 22, cy: 42, radius: 9, wanted: 'white' },
      { background: 'white', colour: 'purple', kind: 'circle', cx: 42, cy: 42, radius: 12, wanted: 'green' },
      { background: 'green', colour: 'red', kind: 'square', cx: 40, cy: 24, radius: 10, wanted: 'yellow' },
      { background: 'black', colour: 'blue', kind: 'circle', cx: 22, cy: 24, radius: 10, wanted: 'orange' },
    ] as const;
    let hits = 0;
    const lines: string[] = [];
    const farDeltas: number[] = [];
    for (const [index, scene] of cases.entries()) {
      const source = drawScene(scene.background, scene.colour, scene.kind, scene.cx, scene.cy, scene.radius);
      const shape = new Set<number>();
      for (let i = 0; i < 64 * 64; i++) if (nearestColour(source.data, i * 3) === scene.colour) shape.add(i);
      // The shape's box + 3 px, as the model card's evaluation draws it.
      const left = Math.floor(scene.cx - scene.radius) - 3;
      const top = Math.floor(scene.cy - scene.radius) - 3;
      const side = Math.ceil(2 * scene.radius) + 7;
      const mask = rectangleMask(64, 64, { x: left, y: top, width: side, height: side });
      const prompt = `a ${scene.wanted} ${scene.kind} on a ${scene.background} background`;
      const { images } = await pipeline.inpaint({ image: source, mask, prompt, seed: 500 + index });
      const { colour, farDelta } = measure(source, images[0]!, mask.data, shape);
      if (colour === scene.wanted) hits++;
      farDeltas.push(farDelta);
      lines.push(`${prompt}: ${colour}, far |Δ| ${farDelta.toFixed(2)}`);
    }
    console.log(`[tiny] inpainting: colour right on ${hits}/${cases.length}\n  ${lines.join('\n  ')}`);
    expect(hits, lines.join('; ')).toBeGreaterThanOrEqual(cases.length - 1);
    const meanFar = farDeltas.reduce((a, b) => a + b, 0) / farDeltas.length;
    expect(meanFar, lines.join('; ')).toBeLessThanOrEqual(FAR_DELTA_BAR);
    expect(Math.max(...farDeltas), lines.join('; ')).toBeLessThanOrEqual(2 * FAR_DELTA_BAR);
  });

  it('pastes the kept pixels back exactly, far from the mask, at the input size', async () => {
    const source = createRgbImage(96, 80, inputImage.data.slice());
    const mask = toInpaintingMask(inputMask, 96, 80);
    const { images } = await pipeline.inpaint({ image: source, mask, prompt: reference.prompt, seed: 1, steps: 20, pasteBack: { feather: 3 } });
    const out = images[0]!;
    expect([out.width, out.height]).toEqual([96, 80]);
    let farSame = true;
    for (let y = 0; y < 80; y++) {
      for (let x = 0; x < 96; x++) {
        let near = false;
        for (let dy = -6; dy <= 6 && !near; dy++) for (let dx = -6; dx <= 6 && !near; dx++) near = at(mask.data, 96, 80, x + dx, y + dy) > 0;
        if (near) continue;
        for (let c = 0; c < 3; c++) if (out.data[(y * 96 + x) * 3 + c] !== source.data[(y * 96 + x) * 3 + c]) farSame = false;
      }
    }
    expect(farSame).toBe(true);
  });
});
