import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folder holding the tiny model folders. */
export const tinyModelsDirectory = dirname(fileURLToPath(import.meta.url));

/** Absolute path of one tiny model folder, e.g. `tinyModelPath('kandinsky3-tiny')`. */
export function tinyModelPath(name) {
  return join(tinyModelsDirectory, name);
}
