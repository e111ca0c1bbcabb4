/** The commands that generate images. */
export type CommandName = 'generate' | 'img2img' | 'variation' | 'controlnet';

/** One `--option` of the command line. */
export interface OptionSpec {
  /** `string` options take a value (`--steps 10` or `--steps=10`); `boolean` ones take none. */
  readonly type: 'string' | 'boolean';
  /** The commands that accept it. */
  readonly commands: readonly CommandName[];
  /** One-letter alias, e.g. `-h`. */
  readonly short?: string;
}

const BOTH: readonly CommandName[] = ['generate', 'img2img', 'variation', 'controlnet'];

/** Every option, keyed by its long name; the help texts (help-text.ts) describe them. */
export const COMMAND_OPTIONS = {
  negative: { type: 'string', commands: BOTH },
  flash: { type: 'boolean', commands: ['generate'] },
  steps: { type: 'string', commands: BOTH },
  guidance: { type: 'string', commands: BOTH },
  strength: { type: 'string', commands: ['img2img'] },
  weights: { type: 'string', commands: ['variation'] },
  prompt: { type: 'string', commands: ['variation'] },
  'image-weight': { type: 'string', commands: ['variation'] },
  edges: { type: 'string', commands: ['controlnet'] },
  'save-hint': { type: 'string', commands: ['controlnet'] },
  size: { type: 'string', commands: BOTH },
  seed: { type: 'string', commands: BOTH },
  count: { type: 'string', commands: BOTH },
  model: { type: 'string', commands: BOTH },
  device: { type: 'string', commands: BOTH },
  out: { type: 'string', commands: BOTH },
  'low-memory': { type: 'boolean', commands: BOTH },
  json: { type: 'boolean', commands: BOTH },
  quiet: { type: 'boolean', commands: BOTH },
  help: { type: 'boolean', commands: BOTH, short: 'h' },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof COMMAND_OPTIONS;
