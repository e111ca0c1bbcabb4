/** @kandinsky/cli — the `kandinsky` command. */
export { main, DEFAULT_MODEL } from './main.js';
export type { CliIo, CliStream } from './cli-io.js';
