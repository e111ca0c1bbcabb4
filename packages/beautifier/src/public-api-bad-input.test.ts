import { loadOnnxCausalLM } from '@kandinsky/node';
import { describe, expect, it } from 'vitest';
import { tinyModelPath } from '../../../models/tiny/index.js';
import { probePublicApi } from '../../core/src/test-support/public-api-probe.js';
import * as beautifier from './index.js';

// Every public function and method of @kandinsky/beautifier, called with null, undefined and
// wrong-type arguments, throws only typed KandinskyErrors (issue 20). The LLM classes run on the
// tiny causal LM (models/tiny/beautifier-lm) and a loopback URL nothing listens on.
const lm = () => loadOnnxCausalLM(tinyModelPath('beautifier-lm'), { device: 'cpu', intraOperatorThreads: 1 });
const scripted: beautifier.LanguageModel = { complete: async () => ({ text: 'a red circle', finishReason: 'stop' }) } as never;

/** Public targets that still throw untyped errors (issue 20 follow-up); each entry is a bug. */
const knownBugs: string[] = [
];

describe('@kandinsky/beautifier public API with bad arguments', () => {
  it('throws only KandinskyErrors with stable codes', { timeout: 300_000 }, async () => {
    const report = await probePublicApi({
      exports: beautifier,
      sourceDir: import.meta.dirname,
      instances: {
        OnnxCausalLM: lm,
        CausalLMTokenizer: async () => (await lm()).tokenizer,
        Beautifier: () => new beautifier.Beautifier({ llm: scripted }),
        OpenAICompatibleLLM: () => new beautifier.OpenAICompatibleLLM({ baseURL: 'http://127.0.0.1:9/v1', model: 'none', maxRetries: 0 }),
        ServerSentEventParser: () => new beautifier.ServerSentEventParser(),
      },
      knownBugs,
    });
    console.log(`beautifier: ${report.targets.length} public functions, constructors and methods probed with ${report.calls} calls`);
    if (report.findings.length > 0) console.log(report.findings.join('\n'));
    if (report.fixedKnownBugs.length > 0) console.log(`fixed, remove from knownBugs: ${report.fixedKnownBugs.join(', ')}`);
    expect(report.unprobedClasses).toEqual([]);
    expect(report.findings).toEqual([]);
    expect(report.fixedKnownBugs).toEqual([]);
  });
});
