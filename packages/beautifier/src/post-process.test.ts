import type { TextTokenizer } from '@kandinsky/core';
import { describe, expect, it } from 'vitest';
import { cleanAnswer, fitToTokenLimit } from './post-process.js';

describe('cleanAnswer', () => {
  it('strips an echoed template up to the last assistant header', () => {
    expect(cleanAnswer('### System: x\n### User:\nred circle\n### Assistant:\n a red circle, flat ')).toBe('a red circle, flat');
  });

  it('cuts at stop strings and at the next ### header', () => {
    expect(cleanAnswer('a red circle\n### User:\nmore', ['### User:'])).toBe('a red circle');
    expect(cleanAnswer('a red circle ### Human: hi')).toBe('a red circle');
    expect(cleanAnswer('a red circle</s>junk', ['</s>'])).toBe('a red circle');
  });

  it('joins lines, trims, and drops one pair of wrapping quotes', () => {
    expect(cleanAnswer('  "a red\n circle"  ')).toBe('a red circle');
    expect(cleanAnswer('“a red circle”')).toBe('a red circle');
    expect(cleanAnswer('"a cat\'s red toy"')).toBe("a cat's red toy");
    expect(cleanAnswer('"a red" circle "here"')).toBe('"a red" circle "here"');
  });

  it('returns "" when nothing usable is left', () => {
    expect(cleanAnswer('   \n ')).toBe('');
    expect(cleanAnswer('### User: hi')).toBe('');
  });
});

describe('fitToTokenLimit', () => {
  // One token per character: counts are easy to check by hand.
  const characters: TextTokenizer = { encode: (text) => Array.from(text, (c) => c.charCodeAt(0)) };

  it('keeps a text that fits (127 content tokens + EOS = 128)', () => {
    const text = 'a'.repeat(127);
    expect(fitToTokenLimit(text, characters)).toEqual({ text, tokens: 127, droppedTokens: 0 });
  });

  it('cuts at the last word boundary that fits, counted with the tokenizer', () => {
    const text = 'abc, defg, hij';
    expect(fitToTokenLimit(text, characters, 11)).toEqual({ text: 'abc, defg', tokens: 9, droppedTokens: 5 });
    expect(fitToTokenLimit(`${'word '.repeat(40)}end`, characters).tokens).toBeLessThanOrEqual(127);
  });

  it('gives "" when not even the first word fits', () => {
    expect(fitToTokenLimit('abcdefgh', characters, 4).text).toBe('');
  });
});
