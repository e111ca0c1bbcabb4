import { parseArgs } from 'node:util';
import { closestName } from './closest-name.js';
import { COMMAND_OPTIONS, type CommandName, type OptionName, type OptionSpec } from './command-options.js';
import { usageError } from './usage-error.js';

/** A command line split into options and positionals, before any value is interpreted. */
export interface ParsedOptions {
  /** Each option given, with its text (`true` for a boolean one). */
  readonly values: Partial<Record<OptionName, string | true>>;
  readonly positionals: readonly string[];
}

const names = Object.keys(COMMAND_OPTIONS) as OptionName[];

/**
 * Splits `args` (what follows the command) into options and positionals, rejecting with a usage
 * error: unknown options (suggesting the nearest name), options of the other command, a missing
 * value, a value given to a boolean option, and an option given twice (the last would silently
 * win). `node:util`'s strict mode is not used because its messages neither say which command the
 * option belongs to nor suggest a spelling, and it treats `--seed -1` as a missing value.
 */
export function parseOptions(command: CommandName, args: readonly string[]): ParsedOptions {
  const { tokens } = parseArgs({
    args: [...args],
    options: COMMAND_OPTIONS,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const values: Partial<Record<OptionName, string | true>> = {};
  const positionals: string[] = [];
  const helpHint = `See "kandinsky ${command} --help" for the options.`;
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.kind !== 'option') continue;
    if (!isOptionName(token.name)) {
      const suggestion = closestName(token.name, names);
      throw usageError(
        `Unknown option ${JSON.stringify(token.rawName)} for kandinsky ${command}.`,
        suggestion === undefined ? helpHint : `Did you mean --${suggestion}? ${helpHint}`,
        { option: token.rawName },
      );
    }
    const name = token.name;
    const spec: OptionSpec = COMMAND_OPTIONS[name];
    if (!spec.commands.includes(command)) {
      const other = spec.commands[0]!;
      throw usageError(
        `--${name} applies to kandinsky ${other} only, not ${command}.`,
        name === 'strength'
          ? 'Drop --strength, or edit an image: kandinsky img2img IMAGE "PROMPT" --strength 0.6.'
          : `Drop --${name}. See "kandinsky ${other} --help".`,
        { option: `--${name}` },
      );
    }
    if (name in values) {
      throw usageError(
        `--${name} is given twice (${describe(values[name]!)} and ${describe(token.value ?? true)}).`,
        `Give --${name} once.`,
        { option: `--${name}` },
      );
    }
    if (spec.type === 'boolean') {
      if (token.value !== undefined) {
        throw usageError(`--${name} takes no value, got ${JSON.stringify(token.value)}.`, `Write --${name} alone.`, {
          option: `--${name}`,
          value: token.value,
        });
      }
      values[name] = true;
    } else {
      // Without strict mode, a string option directly followed by another option takes that
      // option as its value: almost always a forgotten value.
      const value = token.value;
      if (value === undefined || (!token.inlineValue && value.startsWith('--') && isOptionName(value.slice(2).split('=')[0]!))) {
        throw usageError(
          `--${name} needs a value${value === undefined ? '' : `, but is followed by the option ${value}`}.`,
          `Write --${name} VALUE. ${helpHint}`,
          { option: `--${name}` },
        );
      }
      values[name] = value;
    }
  }
  return { values, positionals };
}

function isOptionName(name: string): name is OptionName {
  return Object.hasOwn(COMMAND_OPTIONS, name);
}

function describe(value: string | true): string {
  return value === true ? 'without a value' : JSON.stringify(value);
}
