import { createTensor, describeValue, kandinskyError, type AbortSignalLike, type ModelFolder, type Tensor } from '@kandinsky/core';

/** The folder role of the Flash refiner's fixed prompt context (spec §4.8.3 step 3). */
export const REFINER_CONTEXT_ROLE = 'refiner_context';

/** What the refiner feeds the Flash UNet besides the latent: the shipped context and its mask. */
export interface RefinerContext {
  /** `[1, L, D]` float32. */
  readonly context: Tensor<'float32'>;
  /** `[1, L]` int64, 1 where the context is valid. */
  readonly mask: Tensor<'int64'>;
}

function manifestError(message: string, details?: Record<string, unknown>) {
  return kandinskyError('INVALID_MODEL_MANIFEST', `refiner_context: ${message}`, 'Re-export the KandiSuperRes Flash folder (packages/superres/README.md, "Flash").', details);
}

function dimension(config: Record<string, unknown>, key: string): number {
  const value = config[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw manifestError(`config.json ${key} must be a positive integer, got ${describeValue(value)}.`, { [key]: value });
  }
  return value;
}

/**
 * Reads the refiner context: `refiner_context/config.json` names `context` (float32 LE,
 * `context_length × context_dim`) and `context_mask` (int64 LE, `context_length`). The real one is
 * KandiSuperRes' `weights/context.pt` / `context_mask.pt`, shipped as-is (spec §4.8.3: the
 * projected empty prompt, not cut, not zeroed; mask `[1, 0, …, 0]`).
 */
export async function readRefinerContext(folder: ModelFolder, signal?: AbortSignalLike): Promise<RefinerContext> {
  const config = (await folder.config(REFINER_CONTEXT_ROLE, signal)) as Record<string, unknown>;
  const length = dimension(config, 'context_length');
  const width = dimension(config, 'context_dim');
  const file = (key: string, fallback: string) => (typeof config[key] === 'string' ? (config[key] as string) : fallback);
  const read = async (name: string, bytes: number): Promise<Uint8Array> => {
    const data = await folder.files.readBytes(folder.componentPath(REFINER_CONTEXT_ROLE, name), signal);
    if (data.byteLength !== bytes) {
      throw manifestError(`${name} has ${data.byteLength} bytes, expected ${bytes} for context_length ${length}, context_dim ${width}.`, {
        file: name,
        bytes: data.byteLength,
        expected: bytes,
      });
    }
    // Copy into an aligned buffer: the file's bytes may start at any offset.
    const aligned = new Uint8Array(bytes);
    aligned.set(data);
    return aligned;
  };
  const contextBytes = await read(file('context', 'context.bin'), length * width * 4);
  const maskBytes = await read(file('context_mask', 'context_mask.bin'), length * 8);
  return {
    context: createTensor('float32', [1, length, width], new Float32Array(contextBytes.buffer)),
    mask: createTensor('int64', [1, length], new BigInt64Array(maskBytes.buffer)),
  };
}
