import {
  EDGE_DETECTOR_CONTRACT,
  createTensor,
  hedEdgeMap,
  type ModelSession,
  type RgbImage,
  type Tensor,
} from '@kandinsky/core';
import { tinyModelPath } from '@kandinsky/tiny-models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadControlNet, loadIpAdapter } from './load-k3d-pipelines.js';
import { openModelFolder } from './model-directory.js';
import { createNodeBackend } from './node-backend.js';
import { shapeColour } from './test-support/shape-colour.js';
import { worldScene, type ShapeKind } from './test-support/world-scene.js';
import type { ControlNetPipeline, IpAdapterPipeline } from '@kandinsky/core';

const BASE = tinyModelPath('kandinsky3-tiny');
const IP = tinyModelPath('kandinsky3-tiny-ip-adapter');
const CONTROLNET = tinyModelPath('kandinsky3-tiny-controlnet-hed');
/** The model cards measure with DDPM 25 steps and w = 3 (models/tiny/*-ip-adapter, *-controlnet-hed README). */
const CARD = { steps: 25, guidanceScale: 3 } as const;

function meanAbsoluteDifference(a: RgbImage, b: RgbImage): number {
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i]! - b.data[i]!);
  return sum / a.data.length;
}

const SOURCES: { colour: string; background: string; kind: ShapeKind }[] = [
  { colour: 'red', background: 'white', kind: 'circle' },
  { colour: 'blue', background: 'white', kind: 'square' },
  { colour: 'green', background: 'black', kind: 'triangle' },
  { colour: 'yellow', background: 'blue', kind: 'circle' },
  { colour: 'orange', background: 'white', kind: 'square' },
  { colour: 'purple', background: 'yellow', kind: 'circle' },
];

describe('folders of the wrong kind', () => {
  it('are refused before any model loads, naming the folder and what it lacks', async () => {
    await expect(loadIpAdapter(BASE, { device: 'cpu' })).rejects.toMatchObject({
      code: 'INVALID_MODEL_MANIFEST',
      message: expect.stringContaining('"kandinsky3-tiny" has prompt convention "A"'),
    });
    await expect(loadControlNet(IP, { device: 'cpu' })).rejects.toMatchObject({
      code: 'INVALID_MODEL_MANIFEST',
      message: expect.stringContaining('not a ControlNet folder: its unet is the "ip_adapter" variant'),
    });
    await expect(loadIpAdapter(CONTROLNET, { device: 'cpu' })).rejects.toMatchObject({
      code: 'INVALID_MODEL_MANIFEST',
      message: expect.stringContaining('not a IP-Adapter folder'),
    });
  });
});

describe('IP-Adapter on the tiny model (spec §4.6)', () => {
  let ip: IpAdapterPipeline;
  beforeAll(async () => {
    ip = await loadIpAdapter(IP, { device: 'cpu', intraOperatorThreads: 1 });
  });
  afterAll(async () => {
    await ip?.components.dispose();
  });

  // Card (100 held-out images): shape colour kept 72 %, background 100 %. Here 6 sources, so
  // the bar is below the card's rates: 4 of 6 shape colours, 5 of 6 backgrounds.
  it('a variation keeps the source\'s colours (card: shape 72 %, background 100 %)', async () => {
    let shape = 0;
    let background = 0;
    const misses: string[] = [];
    for (const [index, source] of SOURCES.entries()) {
      const { images } = await ip.variation({ image: worldScene(source), seed: 100 + index, ...CARD });
      const found = shapeColour(images[0]!);
      if (found.shape === source.colour) shape++;
      else misses.push(`${source.colour} ${source.kind} on ${source.background} → ${found.shape} on ${found.background}`);
      if (found.background === source.background) background++;
    }
    console.log(`[ip] variation keeps shape colour ${shape}/${SOURCES.length}, background ${background}/${SOURCES.length}; misses: ${misses.join('; ')}`);
    expect(background).toBeGreaterThanOrEqual(5);
    expect(shape).toBeGreaterThanOrEqual(4);
  });

  it('a red/blue mix differs from both sources\' variations and moves toward the heavier image', async () => {
    const red = worldScene({ colour: 'red', background: 'white', kind: 'circle' });
    const blue = worldScene({ colour: 'blue', background: 'white', kind: 'square', radius: 12 });
    const run = async (weights: [number, number]) =>
      (await ip.mix({ images: [red, blue], weights, seed: 8, ...CARD })).images[0]!;
    const onlyRed = await run([1, 0]);
    const onlyBlue = await run([0, 1]);
    const distances: [number, number, number][] = [];
    for (const weight of [0.8, 0.5, 0.2]) {
      const mixed = await run([weight, 1 - weight]);
      distances.push([weight, meanAbsoluteDifference(mixed, onlyRed), meanAbsoluteDifference(mixed, onlyBlue)]);
    }
    const betweenSources = meanAbsoluteDifference(onlyRed, onlyBlue);
    console.log(`[ip] red vs blue ${betweenSources.toFixed(1)}; (red weight, |mix − red|, |mix − blue|): ${JSON.stringify(distances.map((d) => d.map((v) => +v.toFixed(1))))}`);
    const [, halfToRed, halfToBlue] = distances[1]!;
    // Card: the 50/50 mix is 20.5 from red and 18.6 from blue (red vs blue 36.2): clearly neither.
    expect(halfToRed).toBeGreaterThan(5);
    expect(halfToBlue).toBeGreaterThan(5);
    // Moving weight from red to blue moves the image from red toward blue.
    expect(distances[0]![1]).toBeLessThan(distances[2]![1]);
    expect(distances[0]![2]).toBeGreaterThan(distances[2]![2]);
  });

  it('image + text: the prompt\'s colour replaces the image\'s, the image-only call keeps it', async () => {
    const image = worldScene({ colour: 'red', background: 'white', kind: 'circle' });
    const alone = shapeColour((await ip.variation({ image, seed: 3, ...CARD })).images[0]!).shape;
    const withText = await ip.generate({ images: [image], prompt: 'a blue circle on a white background', imageWeight: 0.5, seed: 3, ...CARD });
    const found = shapeColour(withText.images[0]!).shape;
    console.log(`[ip] red image alone → ${alone}; with "a blue circle…" at imageWeight 0.5 → ${found}`);
    expect(alone).toBe('red');
    expect(found).toBe('blue');
  });
});

/** Edges of an image by the folder's detector, threshold 0.5 as the model card measures (8-bit map > 127). */
async function edgeMask(hed: ModelSession, image: RgbImage): Promise<Uint8Array> {
  const plane = image.width * image.height;
  const tensor = createTensor('float32', [1, 3, image.height, image.width]);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) tensor.data[c * plane + i] = image.data[3 * i + c]!;
  const outputs = await hed.run({ image: tensor });
  const map = hedEdgeMap([1, 2, 3, 4, 5].map((k) => outputs[`side${k}`] as Tensor<'float32'>), image.width, image.height);
  return binary(map);
}

function binary(map: RgbImage): Uint8Array {
  const mask = new Uint8Array(map.width * map.height);
  for (let i = 0; i < mask.length; i++) mask[i] = map.data[3 * i]! > 127 ? 1 : 0;
  return mask;
}

function dilate(mask: Uint8Array, side: number): Uint8Array {
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      let on = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const ny = y + dy;
        const nx = x + dx;
        if (ny >= 0 && nx >= 0 && ny < side && nx < side && mask[ny * side + nx]) on = 1;
      }
      out[y * side + x] = on;
    }
  }
  return out;
}

function iou(a: Uint8Array, b: Uint8Array): number {
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.length; i++) {
    both += a[i]! & b[i]!;
    either += a[i]! | b[i]!;
  }
  return either === 0 ? 0 : both / either;
}

describe('ControlNet v1 on the tiny model (spec §4.7)', () => {
  let controlnet: ControlNetPipeline;
  let hed: ModelSession;
  beforeAll(async () => {
    controlnet = await loadControlNet(CONTROLNET, { device: 'cpu', intraOperatorThreads: 1 });
    const folder = await openModelFolder(CONTROLNET);
    hed = await folder.loadSession(await createNodeBackend({ device: 'cpu', intraOperatorThreads: 1 }), 'hed', EDGE_DETECTOR_CONTRACT);
  });
  afterAll(async () => {
    await controlnet?.components.dispose();
    await hed?.dispose();
  });

  // The card's outline IoU without a hint (the base UNet on the same prompts): 0.03 strict,
  // 0.09 within 1 px. The margin asked here: at least twice that, on both measures.
  const WITHOUT_HINT = { strict: 0.03, loose: 0.09 };
  const MARGIN = 2;

  async function outlineIou(edges: 'hed' | 'canny'): Promise<{ strict: number; loose: number }> {
    let strict = 0;
    let loose = 0;
    for (const [index, source] of SOURCES.entries()) {
      // The prompt names another colour: the outline must come from the hint, not the prompt.
      const prompt = `a ${SOURCES[(index + 1) % SOURCES.length]!.colour} ${source.kind} on a ${source.background} background`;
      const { images, hint } = await controlnet.generate({ image: worldScene(source), prompt, edges, seed: 200 + index, ...CARD });
      const hintEdges = binary(hint);
      const generated = await edgeMask(hed, images[0]!);
      strict += iou(generated, hintEdges);
      loose += iou(dilate(generated, 64), dilate(hintEdges, 64));
    }
    return { strict: strict / SOURCES.length, loose: loose / SOURCES.length };
  }

  it('ControlNet + image → image: a lower strength keeps more of the start image', async () => {
    // The prompt asks for another background: the start image's must fade as strength grows.
    const source = worldScene({ colour: 'red', background: 'black', kind: 'circle' });
    const prompt = 'a red circle on a white background';
    const distances = [];
    for (const strength of [0.3, 0.6, 1]) {
      const { images } = await controlnet.generate({ image: source, prompt, strength, seed: 5, ...CARD });
      distances.push(meanAbsoluteDifference(images[0]!, source));
    }
    console.log(`[controlnet] |output − start image| at strength 0.3, 0.6, 1: ${distances.map((d) => d.toFixed(1)).join(', ')}`);
    expect(distances[0]!).toBeLessThan(distances[1]!);
    expect(distances[1]!).toBeLessThan(distances[2]!);
    // Measured 4.6 / 4.7 / 185.6: the black background survives 0.3 and 0.6, not 1.
    expect(distances[0]!).toBeLessThan(20);
    expect(distances[2]!).toBeGreaterThan(100);
  });

  it(`the output's edges overlap the HED hint ≥ ${MARGIN}× the card's no-hint IoU`, async () => {
    const measured = await outlineIou('hed');
    console.log(`[controlnet] hed hint: outline IoU ${measured.strict.toFixed(3)} strict, ${measured.loose.toFixed(3)} within 1 px`);
    expect(measured.strict).toBeGreaterThan(MARGIN * WITHOUT_HINT.strict);
    expect(measured.loose).toBeGreaterThan(MARGIN * WITHOUT_HINT.loose);
  });

  it(`the Canny option gives a hint the model follows too (≥ ${MARGIN}× the card's no-hint IoU)`, async () => {
    const measured = await outlineIou('canny');
    console.log(`[controlnet] canny hint: outline IoU ${measured.strict.toFixed(3)} strict, ${measured.loose.toFixed(3)} within 1 px`);
    expect(measured.strict).toBeGreaterThan(MARGIN * WITHOUT_HINT.strict);
    expect(measured.loose).toBeGreaterThan(MARGIN * WITHOUT_HINT.loose);
  });
});
