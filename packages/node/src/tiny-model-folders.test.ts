import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  CONTROLNET_UNET_CONTRACT,
  EDGE_DETECTOR_CONTRACT,
  IMAGE_ENCODER_CONTRACT,
  INPAINTING_UNET_CONTRACT,
  IP_ADAPTER_UNET_CONTRACT,
  MOVQ_DECODER_CONTRACT,
  MOVQ_ENCODER_CONTRACT,
  SUPER_RESOLUTION_UNET_CONTRACT,
  TEXT_ENCODER_CONTRACT,
  TEXT_PROJECTION_CONTRACT,
  UNET_CONTRACT,
  causalLanguageModelContract,
  createTensor,
  type ComponentConfig,
  type ComponentContract,
  type DataType,
  type ModelSession,
  type Tensor,
} from '@kandinsky/core';
import { tinyModelsDirectory } from '@kandinsky/tiny-models';
import { afterAll, describe, expect, it } from 'vitest';
import { createNodeBackend } from './node-backend.js';
import { openModelFolder } from './model-directory.js';

/** The contract of a component, from its config.json (docs/model-format.md §3). */
function contractFor(config: ComponentConfig): ComponentContract {
  switch (config.kind) {
    case 'text_encoder':
      return TEXT_ENCODER_CONTRACT;
    case 'text_projection':
      return TEXT_PROJECTION_CONTRACT;
    case 'unet':
      return config.variant === 'inpainting'
        ? INPAINTING_UNET_CONTRACT
        : config.variant === 'ip_adapter'
          ? IP_ADAPTER_UNET_CONTRACT
          : config.variant === 'controlnet_hed'
            ? CONTROLNET_UNET_CONTRACT
            : UNET_CONTRACT;
    case 'movq_encoder':
      return MOVQ_ENCODER_CONTRACT;
    case 'movq_decoder':
      return MOVQ_DECODER_CONTRACT;
    case 'image_encoder':
      return IMAGE_ENCODER_CONTRACT;
    case 'edge_detector':
      return EDGE_DETECTOR_CONTRACT;
    case 'sr_unet':
      return SUPER_RESOLUTION_UNET_CONTRACT;
    case 'causal_lm':
      return causalLanguageModelContract(config.num_layers as number);
    default:
      throw new Error(`unknown component kind ${String(config.kind)}`);
  }
}

const folders = readdirSync(tinyModelsDirectory, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(tinyModelsDirectory, entry.name, 'model_index.json')))
  .map((entry) => entry.name);

function readTensor(directory: string, ref: { dtype: DataType; dims: number[]; file: string }): Tensor {
  const bytes = readFileSync(join(directory, ref.file));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const data =
    ref.dtype === 'int64' ? new BigInt64Array(buffer) : ref.dtype === 'float32' ? new Float32Array(buffer) : new Uint8Array(buffer);
  return createTensor(ref.dtype, ref.dims, data as never);
}

const sessions: ModelSession[] = [];
afterAll(async () => {
  await Promise.all(sessions.map((session) => session.dispose()));
});

describe('tiny model folders', () => {
  it('are present', () => {
    expect(folders.length).toBeGreaterThan(0);
  });

  for (const name of folders) {
    describe(name, () => {
      it('loads every component in onnxruntime-node with the contract of docs/model-format.md', async () => {
        const backend = await createNodeBackend({ device: 'cpu', intraOperatorThreads: 1 });
        const folder = await openModelFolder(join(tinyModelsDirectory, name));
        let loaded = 0;
        for (const role of Object.keys(folder.index.components)) {
          const directory = join(tinyModelsDirectory, name, folder.index.components[role]!);
          if (!existsSync(join(directory, 'model.onnx'))) continue;
          const config = await folder.config(role);
          const session = await folder.loadSession(backend, role, contractFor(config));
          sessions.push(session);
          loaded++;
        }
        expect(loaded).toBeGreaterThan(0);
      });

      it('reproduces its committed PyTorch reference calls', async () => {
        const referenceDirectory = join(tinyModelsDirectory, name, 'reference');
        const references = existsSync(referenceDirectory)
          ? readdirSync(referenceDirectory).filter((file) => file.endsWith('.json'))
          : [];
        const backend = await createNodeBackend({ device: 'cpu', intraOperatorThreads: 1 });
        const folder = await openModelFolder(join(tinyModelsDirectory, name));
        const components: { role: string; session: ModelSession }[] = [];
        for (const role of Object.keys(folder.index.components)) {
          if (!existsSync(join(tinyModelsDirectory, name, folder.index.components[role]!, 'model.onnx'))) continue;
          const session = await folder.loadSession(backend, role, contractFor(await folder.config(role)));
          sessions.push(session);
          components.push({ role, session });
        }
        let checked = 0;
        let applicable = 0;
        for (const file of references) {
          const reference = JSON.parse(readFileSync(join(referenceDirectory, file), 'utf8'));
          // Single-call references (docs/model-format.md §7); whole-run references have their own tests.
          if (typeof reference.inputs !== 'object' || typeof reference.outputs !== 'object') continue;
          applicable++;
          const inputNames = Object.keys(reference.inputs).sort().join(',');
          // The component is the one whose inputs are exactly the reference's (references name tensors, not roles).
          const match = components.find(({ session }) => session.inputs.map((s) => s.name).sort().join(',') === inputNames);
          if (!match) continue; // a whole-run reference (pipeline inputs), tested by its pipeline
          const feeds: Record<string, Tensor> = {};
          for (const [input, ref] of Object.entries(reference.inputs)) feeds[input] = readTensor(dirname(join(referenceDirectory, file)), ref as never);
          const outputs = await match.session.run(feeds);
          for (const [output, ref] of Object.entries(reference.outputs)) {
            const expected = readTensor(referenceDirectory, ref as never).data as Float32Array;
            const actual = outputs[output]!.data as Float32Array;
            expect(actual.length, `${file} ${output}`).toBe(expected.length);
            let maxError = 0;
            let maxMagnitude = 0;
            for (let i = 0; i < expected.length; i++) {
              maxError = Math.max(maxError, Math.abs(actual[i]! - expected[i]!));
              maxMagnitude = Math.max(maxMagnitude, Math.abs(expected[i]!));
            }
            // ONNX Runtime and PyTorch order float32 reductions differently: allow ~1e-4 relative.
            expect(maxError, `${name}/${file} ${output} (max |ref| ${maxMagnitude})`).toBeLessThanOrEqual(1e-4 * Math.max(1, maxMagnitude));
          }
          checked++;
        }
        if (applicable > 0) expect(checked).toBeGreaterThan(0);
      });
    });
  }
});
