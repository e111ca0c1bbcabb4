/** The commands that take options. */
export type CommandName = 'generate' | 'img2img' | 'inpaint' | 'beautify' | 'variation' | 'controlnet';

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
/** The K3D editing commands (IP-Adapter, ControlNet): they take the image options inpaint takes, and --size. */
const K3D: readonly CommandName[] = ['variation', 'controlnet'];
const WITH_INPAINT: readonly CommandName[] = [...BOTH, 'inpaint', ...K3D];
const ALL: readonly CommandName[] = [...WITH_INPAINT, 'beautify'];
const LLM: readonly CommandName[] = ['generate', 'beautify'];

/** Every option, keyed by its long name; the help texts (help-text.ts) describe them. */
export const COMMAND_OPTIONS = {
  negative: { type: 'string', commands: WITH_INPAINT },
  flash: { type: 'boolean', commands: ['generate'] },
  steps: { type: 'string', commands: WITH_INPAINT },
  scheduler: { type: 'string', commands: BOTH },
  'scheduler-config': { type: 'string', commands: BOTH },
  guidance: { type: 'string', commands: WITH_INPAINT },
  strength: { type: 'string', commands: ['img2img'] },
  weights: { type: 'string', commands: ['variation'] },
  prompt: { type: 'string', commands: ['variation'] },
  'prompt-file': { type: 'string', commands: ALL },
  'image-weight': { type: 'string', commands: ['variation'] },
  edges: { type: 'string', commands: ['controlnet'] },
  'save-hint': { type: 'string', commands: ['controlnet'] },
  size: { type: 'string', commands: [...BOTH, ...K3D] },
  seed: { type: 'string', commands: ALL },
  count: { type: 'string', commands: WITH_INPAINT },
  model: { type: 'string', commands: WITH_INPAINT },
  device: { type: 'string', commands: ALL },
  out: { type: 'string', commands: WITH_INPAINT },
  force: { type: 'boolean', commands: WITH_INPAINT },
  upscale: { type: 'string', commands: BOTH },
  'upscale-model': { type: 'string', commands: BOTH },
  'low-memory': { type: 'boolean', commands: WITH_INPAINT },
  'max-pixels': { type: 'string', commands: WITH_INPAINT },
  'max-job-pixels': { type: 'string', commands: WITH_INPAINT },
  json: { type: 'boolean', commands: ALL },
  quiet: { type: 'boolean', commands: ALL },
  help: { type: 'boolean', commands: ALL, short: 'h' },
  alpha: { type: 'boolean', commands: ['inpaint'] },
  'dilate-mask': { type: 'boolean', commands: ['inpaint'] },
  'paste-back': { type: 'boolean', commands: ['inpaint'] },
  beautify: { type: 'boolean', commands: ['generate'] },
  'llm-model': { type: 'string', commands: LLM },
  'llm-url': { type: 'string', commands: LLM },
  'llm-name': { type: 'string', commands: LLM },
  'llm-key-env': { type: 'string', commands: LLM },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof COMMAND_OPTIONS;
