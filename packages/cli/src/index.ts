/** @kandinsky/cli — the `kandinsky` command. */
export { main } from './main.js';
export { DEFAULT_MODEL } from './default-model.js';
export type { CliIo, CliStream } from './cli-io.js';
