import type { AbortSignalLike } from '@kandinsky/core';
import type { ChatMessage } from './prompt-template.js';

/** One request to a {@link LanguageModel}: the beautifier's template in both forms. */
export interface LanguageModelRequest {
  /** The filled template, for models that continue text (a local causal LM, `/completions`). */
  readonly prompt: string;
  /** The same request as chat messages, for `/chat/completions` servers. */
  readonly messages: readonly ChatMessage[];
  /** Most tokens to generate. @default the model's own default */
  readonly maxNewTokens?: number | undefined;
  /** Generation ends where one of these appears; the text returned stops before it. @default [] */
  readonly stopStrings?: readonly string[] | undefined;
  /** Cancels the request: it rejects with ABORTED. @default undefined */
  readonly signal?: AbortSignalLike | undefined;
  /** Receives the text as it is generated, piece by piece (their concatenation is the answer). @default undefined */
  readonly onToken?: ((text: string) => void) | undefined;
}

/** Why generation ended. */
export type FinishReason = 'eos' | 'stop' | 'length';

/** A language model's answer. */
export interface LanguageModelResponse {
  /** The generated text, without the prompt and without a stop string. */
  readonly text: string;
  /** `eos`: the model ended it; `stop`: a stop string; `length`: the token limit or the context. */
  readonly finishReason: FinishReason;
}

/**
 * What the {@link Beautifier} needs of an LLM. {@link OnnxCausalLM} (local, any backend) and
 * {@link OpenAICompatibleLLM} (HTTP) implement it; so can an app's own adapter.
 */
export interface LanguageModel {
  complete(request: LanguageModelRequest): Promise<LanguageModelResponse>;
}
