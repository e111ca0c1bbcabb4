import { readFileSync } from 'node:fs';

/** The JSON written by tools/reference/image.py (torch 1.13, Pillow 9.4). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const imageFixture: any = JSON.parse(
  readFileSync(new URL('../fixtures/image.json', import.meta.url), 'utf8'),
);

/** Decodes base64 little-endian float32 bytes. */
export function decodeFloat32(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

/** Decodes base64 raw bytes. */
export function decodeUint8(base64: string): Uint8Array {
  return new Uint8Array(Buffer.from(base64, 'base64'));
}

/** Largest |a[i] − b[i]|; throws on a length mismatch. */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** Number of positions where a and b differ. */
export function countMismatches(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let count = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) count++;
  return count;
}
