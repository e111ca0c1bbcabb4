import type { ComponentContract } from '../backend/component-contract.js';

// The ONNX contracts of docs/model-format.md §3 (spec §2). Dimension labels are for messages;
// numbers are checked where the model fixes them.

/** `text_encoder` (spec §2.2). */
export const TEXT_ENCODER_CONTRACT: ComponentContract = {
  inputs: [
    { name: 'input_ids', dtype: 'int64', dims: ['B', 'S'] },
    { name: 'attention_mask', dtype: 'int64', dims: ['B', 'S'] },
  ],
  outputs: [{ name: 'last_hidden_state', dtype: 'float32', dims: ['B', 'S', 'E'] }],
};

/** `text_projection*` (spec §2.3). */
export const TEXT_PROJECTION_CONTRACT: ComponentContract = {
  inputs: [{ name: 'hidden', dtype: 'float32', dims: ['B', 'L', 'E'] }],
  outputs: [{ name: 'context', dtype: 'float32', dims: ['B', 'L', 'D'] }],
};

const unetInputs = (channels: number | string) =>
  [
    { name: 'sample', dtype: 'float32', dims: ['B', channels, 'h', 'w'] },
    { name: 'timestep', dtype: 'float32', dims: ['B'] },
    { name: 'encoder_hidden_states', dtype: 'float32', dims: ['B', 'L', 'D'] },
    { name: 'encoder_attention_mask', dtype: 'int64', dims: ['B', 'L'] },
  ] as const;

/** `unet` / `unet_flash` (spec §2.4). */
export const UNET_CONTRACT: ComponentContract = {
  inputs: unetInputs(4),
  outputs: [{ name: 'noise_pred', dtype: 'float32', dims: ['B', 4, 'h', 'w'] }],
};

/** `unet_inpainting`: 9 input channels (spec §2.5). */
export const INPAINTING_UNET_CONTRACT: ComponentContract = {
  inputs: unetInputs(9),
  outputs: UNET_CONTRACT.outputs,
};

/** IP-Adapter UNet (spec §2.7). */
export const IP_ADAPTER_UNET_CONTRACT: ComponentContract = {
  inputs: [
    ...unetInputs(4),
    { name: 'image_embeds', dtype: 'float32', dims: ['B', 'I'] },
    { name: 'ip_scale', dtype: 'float32', dims: [] },
  ],
  outputs: UNET_CONTRACT.outputs,
};

/** HED ControlNet v1 UNet (spec §2.8). */
export const CONTROLNET_UNET_CONTRACT: ComponentContract = {
  inputs: [...unetInputs(4), { name: 'hint', dtype: 'float32', dims: ['B', 3, 'H', 'W'] }],
  outputs: UNET_CONTRACT.outputs,
};

/** The three ControlNet v2 residuals, added to the UNet skips of up levels 1–3 (spec §2.8). */
const controlResiduals = [0, 1, 2].map((k) => ({ name: `down_res_${k}`, dtype: 'float32' as const, dims: ['B', `C${k}`, `h${k}`, `w${k}`] }));

/** `controlnet`: the separate ControlNet v2 (spec §2.8 v2, `controlnet_v2.onnx`). */
export const CONTROLNET_V2_CONTRACT: ComponentContract = {
  inputs: [...unetInputs(4), { name: 'hint', dtype: 'float32', dims: ['B', 3, 'H', 'W'] }],
  outputs: controlResiduals,
};

/** The UNet a ControlNet v2 steers: §2.4 inputs plus the three residuals (spec §2.8, `unet_ctrl.onnx`). */
export const CONTROLLED_UNET_CONTRACT: ComponentContract = {
  inputs: [...unetInputs(4), ...controlResiduals],
  outputs: UNET_CONTRACT.outputs,
};

/** `movq_encoder` (spec §2.6). */
export const MOVQ_ENCODER_CONTRACT: ComponentContract = {
  inputs: [{ name: 'image', dtype: 'float32', dims: ['B', 3, 'H', 'W'] }],
  outputs: [{ name: 'latent', dtype: 'float32', dims: ['B', 4, 'h', 'w'] }],
};

/** `movq_decoder` (spec §2.6). */
export const MOVQ_DECODER_CONTRACT: ComponentContract = {
  inputs: [{ name: 'latent', dtype: 'float32', dims: ['B', 4, 'h', 'w'] }],
  outputs: [{ name: 'image', dtype: 'float32', dims: ['B', 3, 'H', 'W'] }],
};

/** `image_encoder` (spec §2.7). */
export const IMAGE_ENCODER_CONTRACT: ComponentContract = {
  inputs: [{ name: 'pixel_values', dtype: 'float32', dims: ['B', 3, 'P', 'P'] }],
  outputs: [{ name: 'image_embeds', dtype: 'float32', dims: ['B', 'I'] }],
};

/** `hed` edge detector (spec §2.9). */
export const EDGE_DETECTOR_CONTRACT: ComponentContract = {
  inputs: [{ name: 'image', dtype: 'float32', dims: [1, 3, 'H', 'W'] }],
  outputs: [1, 2, 3, 4, 5].map((k) => ({ name: `side${k}`, dtype: 'float32' as const, dims: [1, 1, 'h', 'w'] })),
};

/** `sr_unet` (spec §2.10). */
export const SUPER_RESOLUTION_UNET_CONTRACT: ComponentContract = {
  inputs: [
    { name: 'sample', dtype: 'float32', dims: ['B', 3, 'H', 'W'] },
    { name: 'timestep', dtype: 'float32', dims: ['B'] },
    { name: 'lowres', dtype: 'float32', dims: ['B', 3, 'H', 'W'] },
  ],
  outputs: [{ name: 'x0', dtype: 'float32', dims: ['B', 3, 'H', 'W'] }],
};

/** `lm` causal LM with KV cache (spec §2.11); `layers` from its config.json. */
export function causalLanguageModelContract(layers: number): ComponentContract {
  const past = [];
  const present = [];
  for (let i = 0; i < layers; i++) {
    for (const part of ['key', 'value']) {
      past.push({ name: `past_key_values.${i}.${part}`, dtype: 'float32' as const, dims: ['B', 'KV', 'P', 'Dh'] });
      present.push({ name: `present.${i}.${part}`, dtype: 'float32' as const, dims: ['B', 'KV', 'T', 'Dh'] });
    }
  }
  return {
    inputs: [
      { name: 'input_ids', dtype: 'int64', dims: ['B', 'S'] },
      { name: 'attention_mask', dtype: 'int64', dims: ['B', 'T'] },
      { name: 'position_ids', dtype: 'int64', dims: ['B', 'S'] },
      ...past,
    ],
    outputs: [{ name: 'logits', dtype: 'float32', dims: ['B', 'S', 'V'] }, ...present],
  };
}

/**
 * The contract of each component role of docs/model-format.md §1.1, for the roles whose contract
 * the role alone decides. An IP-Adapter or ControlNet folder's `unet` has its own
 * ({@link IP_ADAPTER_UNET_CONTRACT}, {@link CONTROLNET_UNET_CONTRACT}): its pipeline names it.
 */
export const COMPONENT_CONTRACTS: Readonly<Record<string, ComponentContract>> = Object.freeze({
  text_encoder: TEXT_ENCODER_CONTRACT,
  text_projection: TEXT_PROJECTION_CONTRACT,
  text_projection_flash: TEXT_PROJECTION_CONTRACT,
  text_projection_inpainting: TEXT_PROJECTION_CONTRACT,
  unet: UNET_CONTRACT,
  unet_flash: UNET_CONTRACT,
  unet_inpainting: INPAINTING_UNET_CONTRACT,
  movq_encoder: MOVQ_ENCODER_CONTRACT,
  movq_decoder: MOVQ_DECODER_CONTRACT,
  image_encoder: IMAGE_ENCODER_CONTRACT,
  hed: EDGE_DETECTOR_CONTRACT,
  controlnet: CONTROLNET_V2_CONTRACT,
  sr_unet: SUPER_RESOLUTION_UNET_CONTRACT,
});
