import { invalidArgument } from '@kandinsky/core';

/** The system prompt of the Kandinsky 3.1 beautifier, verbatim (spec §4.9). */
export const DEFAULT_SYSTEM_PROMPT =
  'You are a prompt engineer. Your mission is to expand prompts written by user. You should provide the best prompt for text to image generation in English.';

/**
 * The template the Kandinsky 3.1 authors publish, verbatim: the system text on the header line
 * (spec §4.9). `{system}` and `{prompt}` are replaced; the model continues after the last line.
 */
export const KANDINSKY_TEMPLATE = '### System: {system}\n### User:\n{prompt}\n### Assistant:\n';

/** Intel's own neural-chat template: the system text on the line after its header (spec §4.9). */
export const INTEL_TEMPLATE = '### System:\n{system}\n### User:\n{prompt}\n### Assistant:\n';

/** A named template or a template string with `{prompt}` (and optionally `{system}`). */
export type PromptTemplate = 'kandinsky' | 'intel' | (string & {});

/** One message of a chat request (what OpenAI-compatible chat servers take). */
export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** The user's prompt in the two forms a language model takes. */
export interface BeautifierRequestText {
  /** The filled template: what a completion model continues. */
  readonly text: string;
  /** The same request as chat messages; a chat server applies its model's own template. */
  readonly messages: readonly ChatMessage[];
}

/**
 * Fills `template` with `prompt` and `system`. Placeholders are replaced literally (a `$` or a
 * `{prompt}` inside the user's prompt is kept as written).
 */
export function fillTemplate(
  prompt: string,
  template: PromptTemplate = 'kandinsky',
  system: string = DEFAULT_SYSTEM_PROMPT,
): BeautifierRequestText {
  const pattern = template === 'kandinsky' ? KANDINSKY_TEMPLATE : template === 'intel' ? INTEL_TEMPLATE : template;
  if (typeof pattern !== 'string' || !pattern.includes('{prompt}')) {
    throw invalidArgument(
      'template',
      template,
      '"kandinsky", "intel" or a string containing {prompt}',
      'Use the published template ("kandinsky", the default) or write one with a {prompt} placeholder.',
    );
  }
  // One pass over the placeholders, so that text inserted for one is never re-scanned.
  const text = pattern.replace(/\{(prompt|system)\}/g, (_, name: string) => (name === 'prompt' ? prompt : system));
  return {
    text,
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: prompt },
    ],
  };
}
