/** Folder holding the tiny model folders. */
export declare const tinyModelsDirectory: string;
/** Absolute path of one tiny model folder, e.g. `tinyModelPath('kandinsky3-tiny')`. */
export declare function tinyModelPath(name: string): string;
