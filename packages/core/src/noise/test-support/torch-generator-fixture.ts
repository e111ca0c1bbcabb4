/**
 * Shared by the Node and the browser tests of TorchGenerator: replays every case of
 * fixtures/torch-generator.json (written by tools/reference/noise.py from torch on CPU) and
 * counts bit-identical values. No Node or DOM APIs, so it runs in both environments.
 */
import fixture from '../fixtures/torch-generator.json';
import { TorchGenerator } from '../torch-generator.js';

/** Bit-level agreement of TS output with the PyTorch reference. */
export interface BitComparison {
  values: number;
  identical: number;
  withinOneUlp: number;
  worse: number;
  maxAbsError: number;
  firstMismatch?: string;
}

/** The fixture's float32 bit patterns, decoded from base64 (little-endian). */
export function decodeFloat32(base64: string): Float32Array {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

/** FNV-1a over float32 bit patterns taken as 32-bit words (same as noise.py). */
export function fnv1aWords(values: Float32Array): number {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
  let hash = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) hash = Math.imul(hash ^ words[i]!, 0x01000193) >>> 0;
  return hash;
}

function emptyComparison(): BitComparison {
  return { values: 0, identical: 0, withinOneUlp: 0, worse: 0, maxAbsError: 0 };
}

function accumulate(into: BitComparison, label: string, actual: Float32Array, expected: Float32Array) {
  if (actual.length !== expected.length) {
    into.worse += Math.max(actual.length, expected.length);
    into.firstMismatch ??= `${label}: length ${actual.length} vs ${expected.length}`;
    return;
  }
  const actualBits = new Int32Array(actual.buffer, actual.byteOffset, actual.length);
  const expectedBits = new Int32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < actual.length; i++) {
    into.values++;
    const distance = Math.abs(actualBits[i]! - expectedBits[i]!);
    if (distance === 0) into.identical++;
    else {
      if (distance === 1) into.withinOneUlp++;
      else into.worse++;
      into.firstMismatch ??= `${label}[${i}]: ${actual[i]} vs ${expected[i]}`;
    }
    into.maxAbsError = Math.max(into.maxAbsError, Math.abs(actual[i]! - expected[i]!));
  }
}

/** Replays single draws from fresh generators. */
export function compareSingleDraws(): BitComparison {
  const result = emptyComparison();
  for (const entry of fixture.single) {
    const generator = new TorchGenerator(BigInt(entry.seed));
    const tensor = entry.kind === 'randn' ? generator.randn(entry.dims) : generator.rand(entry.dims);
    accumulate(result, `seed ${entry.seed} ${entry.kind}(${entry.dims})`, tensor.data, decodeFloat32(entry.bits));
  }
  return result;
}

/** Replays sequences of draws from one generator per seed. */
export function compareSequences(): BitComparison {
  const result = emptyComparison();
  for (const sequence of fixture.sequences) {
    const generator = new TorchGenerator(BigInt(sequence.seed));
    sequence.draws.forEach((draw, index) => {
      const tensor = draw.kind === 'randn' ? generator.randn(draw.dims) : generator.rand(draw.dims);
      accumulate(result, `seed ${sequence.seed} draw ${index} ${draw.kind}(${draw.dims})`, tensor.data, decodeFloat32(draw.bits));
    });
  }
  return result;
}

/** Latent-sized draws: hash of all bits plus the first/last 32 values. */
export function compareLargeDraws(): { hashesMatching: number; cases: number; edges: BitComparison } {
  const edges = emptyComparison();
  let hashesMatching = 0;
  for (const entry of fixture.large) {
    const data = new TorchGenerator(BigInt(entry.seed)).randn(entry.dims).data;
    if (fnv1aWords(data) === entry.fnv1a) hashesMatching++;
    accumulate(edges, `seed ${entry.seed} head`, data.subarray(0, 32), decodeFloat32(entry.head));
    accumulate(edges, `seed ${entry.seed} tail`, data.subarray(data.length - 32), decodeFloat32(entry.tail));
  }
  return { hashesMatching, cases: fixture.large.length, edges };
}
