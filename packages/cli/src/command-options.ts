/** The commands that generate images. */
export type CommandName = 'generate' | 'img2img' | 'inpaint';

/** One `--option` of the command line. */
export interface OptionSpec {
  /** `string` options take a value (`--steps 10` or `--steps=10`); `boolean` ones take none. */
  readonly type: 'string' | 'boolean';
  /** The commands that accept it. */
  readonly commands: readonly CommandName[];
  /** One-letter alias, e.g. `-h`. */
  readonly short?: string;
}

const BOTH: readonly CommandName[] = ['generate', 'img2img'];
const WITH_INPAINT: readonly CommandName[] = [...BOTH, 'inpaint'];

/** Every option, keyed by its long name; the help texts (help-text.ts) describe them. */
export const COMMAND_OPTIONS = {
  negative: { type: 'string', commands: WITH_INPAINT },
  flash: { type: 'boolean', commands: ['generate'] },
  steps: { type: 'string', commands: WITH_INPAINT },
  guidance: { type: 'string', commands: WITH_INPAINT },
  strength: { type: 'string', commands: ['img2img'] },
  size: { type: 'string', commands: BOTH },
  seed: { type: 'string', commands: WITH_INPAINT },
  count: { type: 'string', commands: WITH_INPAINT },
  model: { type: 'string', commands: WITH_INPAINT },
  device: { type: 'string', commands: WITH_INPAINT },
  out: { type: 'string', commands: WITH_INPAINT },
  'low-memory': { type: 'boolean', commands: WITH_INPAINT },
  json: { type: 'boolean', commands: WITH_INPAINT },
  quiet: { type: 'boolean', commands: WITH_INPAINT },
  help: { type: 'boolean', commands: WITH_INPAINT, short: 'h' },
  alpha: { type: 'boolean', commands: ['inpaint'] },
  'dilate-mask': { type: 'boolean', commands: ['inpaint'] },
  'paste-back': { type: 'boolean', commands: ['inpaint'] },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof COMMAND_OPTIONS;
