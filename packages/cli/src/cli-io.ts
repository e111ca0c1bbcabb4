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
}
