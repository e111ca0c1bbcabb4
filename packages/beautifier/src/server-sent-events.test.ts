import { describe, expect, it } from 'vitest';
import { ServerSentEventParser } from './server-sent-events.js';

describe('ServerSentEventParser', () => {
  const stream = 'data: {"a":1}\n\n: keep-alive\n\nevent: x\ndata: line one\ndata:line two\r\n\r\ndata: [DONE]\n\n';

  it('parses whole events, multi-line data and CRLF, skipping comments', () => {
    expect(new ServerSentEventParser().push(stream)).toEqual(['{"a":1}', 'line one\nline two', '[DONE]']);
  });

  it('gives the same events however the text is split, even one character at a time', () => {
    for (const size of [1, 2, 3, 7]) {
      const parser = new ServerSentEventParser();
      const events: string[] = [];
      for (let i = 0; i < stream.length; i += size) events.push(...parser.push(stream.slice(i, i + size)));
      expect(events).toEqual(['{"a":1}', 'line one\nline two', '[DONE]']);
    }
  });

  it('hands out a last event without its blank line at the end', () => {
    const parser = new ServerSentEventParser();
    expect(parser.push('data: tail')).toEqual([]);
    expect(parser.end()).toEqual(['tail']);
  });
});
