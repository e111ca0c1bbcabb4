import type { AbortSignalLike } from '../abort/abort-signal-like.js';
import { describeValue } from '../errors/kandinsky-error.js';
import { invalidArgument, kandinskyError } from '../errors/error-constructors.js';
import type { ProgressCallback } from '../events/progress-event.js';
import type { GenerationCall } from './generation-call.js';
import type { TextTokenizer } from './prompt-tokens.js';

/** What a {@link PromptBeautifier} receives besides the prompt. */
export interface BeautifyOptions {
  /** Cancels the call; it rejects with ABORTED (no fallback). @default undefined */
  signal?: AbortSignalLike | undefined;
  /** Receives `warning` events (BEAUTIFY_FALLBACK, PROMPT_TRUNCATED). @default undefined */
  onProgress?: ProgressCallback | undefined;
  /**
   * The image model's tokenizer: the expanded prompt is cut to what its text encoder keeps
   * (128 tokens, spec §2.1, §4.9), counted with it.
   * @default undefined (no cut)
   */
  tokenizer?: TextTokenizer | undefined;
}

/** The outcome of one beautification: what the user wrote, what is drawn, and where it came from. */
export interface BeautifiedPrompt {
  /** The user's prompt, unchanged. */
  readonly prompt: string;
  /** The prompt to draw: the LLM's expansion, or the user's prompt on fallback. */
  readonly beautified: string;
  /** `llm`: the LLM's answer (post-processed); `fallback`: the LLM failed and the user's prompt is used. */
  readonly source: 'llm' | 'fallback';
}

/**
 * Expands a short prompt before it is drawn (spec §4.9). Core defines only this contract;
 * `@kandinsky/beautifier` implements it over a local ONNX LLM or an OpenAI-compatible server.
 * An implementation falls back to the user's prompt itself (`source: 'fallback'` plus a warning)
 * and rejects only on abort or a programming error.
 */
export interface PromptBeautifier {
  beautify(prompt: string, options?: BeautifyOptions): Promise<BeautifiedPrompt>;
}

/** The prompt a generation call draws, and the beautification that produced it. */
export interface ResolvedPrompt {
  readonly prompt: string;
  readonly beautified: BeautifiedPrompt | undefined;
}

/**
 * Runs `beautifier` (when given) on `prompt` as the `beautify` stage. The pipelines call this
 * first, so that the rest of a call only ever sees the prompt to draw.
 */
export async function resolvePrompt(
  call: GenerationCall,
  prompt: string,
  beautifier: PromptBeautifier | undefined,
  tokenizer: TextTokenizer,
): Promise<ResolvedPrompt> {
  if (beautifier === undefined) return { prompt, beautified: undefined };
  if (typeof (beautifier as Partial<PromptBeautifier> | null)?.beautify !== 'function') {
    throw invalidArgument(
      'beautify',
      beautifier,
      'an object with a beautify(prompt, options) method',
      'Pass a PromptBeautifier from @kandinsky/beautifier, e.g. new Beautifier({ llm }).',
    );
  }
  const result = await call.stage('beautify', undefined, () =>
    beautifier.beautify(prompt, { signal: call.signal, onProgress: call.onProgress, tokenizer }),
  );
  if (typeof result?.beautified !== 'string' || (result.source !== 'llm' && result.source !== 'fallback')) {
    throw kandinskyError(
      'INVALID_ARGUMENT',
      `The beautifier returned ${describeValue(result)}, not { prompt, beautified, source }.`,
      'A PromptBeautifier resolves to a BeautifiedPrompt (see @kandinsky/beautifier).',
    );
  }
  return { prompt: result.beautified, beautified: result };
}

/** The parameters fields that record a beautification (none without one). */
export function beautificationParameters(
  resolved: ResolvedPrompt,
): { userPrompt?: string; promptSource?: 'llm' | 'fallback' } {
  return resolved.beautified === undefined
    ? {}
    : { userPrompt: resolved.beautified.prompt, promptSource: resolved.beautified.source };
}
