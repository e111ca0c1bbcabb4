import { invalidArgument, type ModelFolder } from '@kandinsky/core';

// Entry checks of the public functions: a wrong argument is INVALID_ARGUMENT, never a TypeError
// from deep inside (the public-API probe, public-api-bad-input.test.ts).

/** A number ≥ `minimum` (finite); `integer` also requires an integer. */
export function checkCount(name: string, value: unknown, minimum: number, hint: string, integer = true): asserts value is number {
  const ok = typeof value === 'number' && Number.isFinite(value) && value >= minimum && (!integer || Number.isInteger(value));
  if (!ok) throw invalidArgument(name, value, integer ? `an integer ≥ ${minimum}` : `a finite number ≥ ${minimum}`, hint);
}

export function checkObject(name: string, value: unknown, expected: string, hint: string): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) throw invalidArgument(name, value, expected, hint);
}

/** A ModelFolder as ModelFolder.open returns it (duck-typed: another copy of core may have made it). */
export function checkFolder(folder: unknown): asserts folder is ModelFolder {
  const hint = 'Pass await openModelFolder(directory) (node) or openModelFolderUrl(url) (web) of a KandiSuperRes folder.';
  checkObject('folder', folder, 'a ModelFolder', hint);
  if (typeof folder.has !== 'function' || typeof folder.index !== 'object' || folder.index === null || typeof folder.readJson !== 'function') {
    throw invalidArgument('folder', folder, 'a ModelFolder', hint);
  }
}
