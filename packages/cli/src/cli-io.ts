/** Where the CLI writes: the process streams, or buffers in tests. */
export interface CliStream {
  write(text: string): unknown;
  /** True on a terminal: enables the progress bar. */
  readonly isTTY?: boolean;
  /** Terminal width, for the progress bar. */
  readonly columns?: number;
}

export interface CliIo {
  readonly stdout: CliStream;
  readonly stderr: CliStream;
  /**
   * Where `--prompt-file -` reads the prompt.
   * @default process.stdin
   */
  readonly stdin?: AsyncIterable<Uint8Array | string> & { readonly isTTY?: boolean };
}
