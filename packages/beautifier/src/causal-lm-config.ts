import { describeValue, kandinskyError, type ComponentContract } from '@kandinsky/core';
import { checkObject } from './argument-checks.js';

/** The sizes of a decoder-with-past causal LM, read from its Hugging Face `config.json` (spec §2.11). */
export interface CausalLMConfig {
  /** `num_hidden_layers` (or `num_layers`). */
  readonly layers: number;
  /** `num_attention_heads`. */
  readonly attentionHeads: number;
  /** `num_key_value_heads` (grouped-query attention; equal to the query heads without it). */
  readonly keyValueHeads: number;
  /** `head_dim`, or `hidden_size / num_attention_heads`. */
  readonly headDim: number;
  /** `vocab_size`. */
  readonly vocabSize: number;
  readonly bosTokenId: number | undefined;
  /** Every id that ends generation (`eos_token_id` may be a list in Hugging Face configs). */
  readonly eosTokenIds: readonly number[];
  /** Most positions the model takes (`max_position_embeddings`), when the config states it. */
  readonly contextLength: number | undefined;
}

/**
 * Reads the sizes from `config` in the Hugging Face field names, so that a real Mistral-style
 * export and the tiny model load through the same code. `where` names the file in messages.
 */
export function parseCausalLMConfig(config: Record<string, unknown>, where: string): CausalLMConfig {
  checkObject('config', config, 'the parsed config.json object', 'Pass JSON.parse of the LM component config.json.');
  const integer = (names: readonly string[], required: boolean): number | undefined => {
    for (const name of names) {
      const value = config[name];
      if (value === undefined || value === null) continue;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
        throw kandinskyError(
          'INVALID_MODEL_MANIFEST',
          `${name} in ${where} must be a positive integer, got ${describeValue(value)}.`,
          'Fix the config.json of the language model (Hugging Face field names, docs/model-format.md §3.9).',
          { field: name, value },
        );
      }
      return value;
    }
    if (required) {
      throw kandinskyError(
        'INVALID_MODEL_MANIFEST',
        `${where} has no ${names.join(' / ')}.`,
        'A causal LM config.json states num_hidden_layers, num_attention_heads and vocab_size (docs/model-format.md §3.9).',
        { field: names[0] },
      );
    }
    return undefined;
  };
  const layers = integer(['num_hidden_layers', 'num_layers'], true)!;
  const attentionHeads = integer(['num_attention_heads'], true)!;
  const keyValueHeads = integer(['num_key_value_heads'], false) ?? attentionHeads;
  const hiddenSize = integer(['hidden_size'], false);
  let headDim = integer(['head_dim'], false);
  if (headDim === undefined) {
    if (hiddenSize === undefined || hiddenSize % attentionHeads !== 0) {
      throw kandinskyError(
        'INVALID_MODEL_MANIFEST',
        `${where} gives neither head_dim nor a hidden_size divisible by num_attention_heads (${describeValue(hiddenSize)} / ${attentionHeads}).`,
        'Add head_dim to config.json.',
        { hidden_size: hiddenSize, num_attention_heads: attentionHeads },
      );
    }
    headDim = hiddenSize / attentionHeads;
  }
  if (attentionHeads % keyValueHeads !== 0) {
    throw kandinskyError(
      'INVALID_MODEL_MANIFEST',
      `num_key_value_heads (${keyValueHeads}) in ${where} does not divide num_attention_heads (${attentionHeads}).`,
      'Grouped-query attention shares each key/value head among a whole number of query heads; fix config.json.',
      { num_key_value_heads: keyValueHeads, num_attention_heads: attentionHeads },
    );
  }
  const eos = config.eos_token_id;
  const eosTokenIds = Array.isArray(eos) ? eos : eos === undefined || eos === null ? [] : [eos];
  if (!eosTokenIds.every((id) => Number.isInteger(id) && (id as number) >= 0)) {
    throw kandinskyError(
      'INVALID_MODEL_MANIFEST',
      `eos_token_id in ${where} must be a token id or a list of them, got ${describeValue(eos)}.`,
      'Fix eos_token_id in config.json.',
    );
  }
  const bos = config.bos_token_id;
  return {
    layers,
    attentionHeads,
    keyValueHeads,
    headDim,
    vocabSize: integer(['vocab_size'], true)!,
    bosTokenId: typeof bos === 'number' ? bos : undefined,
    eosTokenIds: eosTokenIds as number[],
    contextLength: integer(['max_position_embeddings'], false),
  };
}

/**
 * The ONNX contract of the decoder-with-past layout (docs/model-format.md §3.9) with the sizes of
 * `config` filled in, so a model whose key/value layout disagrees with its config fails on load.
 */
export function causalLMContract(config: CausalLMConfig): ComponentContract {
  const past = [];
  const present = [];
  for (let i = 0; i < config.layers; i++) {
    for (const part of ['key', 'value']) {
      past.push({ name: `past_key_values.${i}.${part}`, dtype: 'float32' as const, dims: ['B', config.keyValueHeads, 'P', config.headDim] });
      present.push({ name: `present.${i}.${part}`, dtype: 'float32' as const, dims: ['B', config.keyValueHeads, 'T', config.headDim] });
    }
  }
  return {
    inputs: [
      { name: 'input_ids', dtype: 'int64', dims: ['B', 'S'] },
      { name: 'attention_mask', dtype: 'int64', dims: ['B', 'T'] },
      { name: 'position_ids', dtype: 'int64', dims: ['B', 'S'] },
      ...past,
    ],
    outputs: [{ name: 'logits', dtype: 'float32', dims: ['B', 'S', config.vocabSize] }, ...present],
  };
}
