import { describe, expect, it } from 'vitest';
import { DEFAULT_SYSTEM_PROMPT, fillTemplate } from './prompt-template.js';

describe('fillTemplate', () => {
  it('gives spec §4.9 verbatim: the system text on the header line', () => {
    // The exact text PyTorch fed the tiny LM (models/tiny/beautifier-lm/reference/lm-greedy.json).
    expect(fillTemplate('red circle').text).toBe(
      '### System: You are a prompt engineer. Your mission is to expand prompts written by user. You should provide the best prompt for text to image generation in English.\n### User:\nred circle\n### Assistant:\n',
    );
  });

  it("gives Intel's variant: the system text on the line after its header", () => {
    expect(fillTemplate('red circle', 'intel', 'Be brief.').text).toBe('### System:\nBe brief.\n### User:\nred circle\n### Assistant:\n');
  });

  it('takes a custom template and system prompt, and chat messages carry both', () => {
    const filled = fillTemplate('a $& {system} cat', '<s>{system}|{prompt}', 'S');
    expect(filled.text).toBe('<s>S|a $& {system} cat');
    expect(filled.messages).toEqual([
      { role: 'system', content: 'S' },
      { role: 'user', content: 'a $& {system} cat' },
    ]);
    expect(fillTemplate('x').messages[0]!.content).toBe(DEFAULT_SYSTEM_PROMPT);
  });

  it('rejects a template without {prompt}', () => {
    expect(() => fillTemplate('x', 'no placeholder')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
