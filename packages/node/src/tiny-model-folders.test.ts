import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
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
  type ComponentConfig,
  type ComponentContract,
  type ModelSession,
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

// Every folder under models/tiny is a committed model folder: one without model_index.json fails
// in openModelFolder rather than dropping out of the test.
const folders = readdirSync(tinyModelsDirectory, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

const sessions: ModelSession[] = [];
afterAll(async () => {
  await Promise.all(sessions.map((session) => session.dispose()));
});

describe("tiny model folders against core's component contracts", () => {
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
          // tokenizer/ and scheduler/ hold JSON only; a folder with config.json is an ONNX
          // component, and a missing model.onnx there fails the load.
          if (!existsSync(join(directory, 'config.json'))) continue;
          const config = await folder.config(role);
          const session = await folder.loadSession(backend, role, contractFor(config));
          sessions.push(session);
          loaded++;
        }
        expect(loaded).toBeGreaterThan(0);
      });
    });
  }
});
