/**
 * An incremental parser of `text/event-stream` (the WHATWG server-sent events format): feed it
 * decoded text as it arrives, in chunks of any size, and it returns the `data` of each complete
 * event. Lines may end in `\n`, `\r\n` or `\r`; comment lines (`:`) and other fields are ignored.
 */
export class ServerSentEventParser {
  #buffer = '';
  #data: string[] = [];

  /** The data of every event completed by `chunk`. */
  push(chunk: string): string[] {
    this.#buffer += chunk;
    const events: string[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.#buffer);
      // A lone `\r` at the end may be the first half of `\r\n`: wait for the next chunk.
      if (!match || (match[0] === '\r' && match.index === this.#buffer.length - 1)) break;
      const line = this.#buffer.slice(0, match.index);
      this.#buffer = this.#buffer.slice(match.index + match[0].length);
      if (line === '') {
        if (this.#data.length > 0) events.push(this.#data.join('\n'));
        this.#data = [];
      } else if (line.startsWith('data')) {
        const colon = line.indexOf(':');
        const name = colon < 0 ? line : line.slice(0, colon);
        if (name === 'data') {
          const value = colon < 0 ? '' : line.slice(colon + 1);
          this.#data.push(value.startsWith(' ') ? value.slice(1) : value);
        }
      }
    }
    return events;
  }

  /** The data of a last event the stream ended without a blank line after. */
  end(): string[] {
    const events = this.push('\n\n');
    this.#buffer = '';
    return events;
  }
}
