/**
 * How many float32 bit patterns differ between two arrays (a length mismatch counts every element
 * of the longer one), so that a bit-identity failure prints a small count instead of two arrays.
 */
export function differingBits(a: Float32Array, b: Float32Array): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let count = a.length === b.length ? 0 : Math.max(a.length, b.length);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) count++;
  return count;
}
