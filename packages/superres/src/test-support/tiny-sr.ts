import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRgbImage, type Backend, type RgbImage } from '@kandinsky/core';
import { createNodeBackend, openModelFolder } from '@kandinsky/node';
import { tinyModelPath } from '@kandinsky/tiny-models';
import { KandiSuperRes } from '../kandisuperres.js';

/** The tiny ×4 model (models/tiny/kandisuperres-x4, trained by tools/tiny-models/sr/build.py). */
export const TINY_SR = tinyModelPath('kandisuperres-x4');

export interface TensorRef {
  dtype: 'float32';
  dims: number[];
  file: string;
}

/** A committed PyTorch reference tensor; a missing file fails the test instead of skipping it. */
export function loadReference(ref: TensorRef): Float32Array {
  const bytes = readFileSync(join(TINY_SR, 'reference', ref.file));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export function readReferenceJson<T>(name: string): T {
  return JSON.parse(readFileSync(join(TINY_SR, 'reference', name), 'utf8')) as T;
}

/** An RGB image from a `[1, 3, H, W]` tensor of `uint8 / 127.5 − 1` values (the reference's low_res). */
export function imageFromModelRange(data: Float32Array, width: number, height: number): RgbImage {
  const image = createRgbImage(width, height);
  const plane = width * height;
  for (let pixel = 0; pixel < plane; pixel++) {
    for (let channel = 0; channel < 3; channel++) {
      image.data[pixel * 3 + channel] = Math.round((data[channel * plane + pixel]! + 1) * 127.5);
    }
  }
  return image;
}

export async function openTinySuperRes(backend?: Backend): Promise<KandiSuperRes> {
  const folder = await openModelFolder(TINY_SR);
  return KandiSuperRes.create({ backend: backend ?? (await createNodeBackend({ device: 'cpu' })), folder });
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
