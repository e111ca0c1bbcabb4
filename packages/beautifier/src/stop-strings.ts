/** Index of the earliest stop string in `text`, if any. */
export function firstStop(text: string, stopStrings: readonly string[]): number | undefined {
  let first: number | undefined;
  for (const stop of stopStrings) {
    const at = text.indexOf(stop);
    if (at >= 0 && (first === undefined || at < first)) first = at;
  }
  return first;
}
