import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Beautifier, type OnnxCausalLM } from '@kandinsky/beautifier';
import { extractGenerationMetadata, toGenerationMetadata, type Kandinsky3, type ProgressEvent } from '@kandinsky/core';
import { tinyModelPath } from '@kandinsky/tiny-models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writePng } from './image-io.js';
import { loadOnnxCausalLM } from './load-causal-lm.js';
import { loadKandinsky3 } from './load-kandinsky3.js';

/** PyTorch's greedy answer for "red circle" (models/tiny/beautifier-lm/reference/lm-greedy.json). */
const EXPANDED = 'a red circle on a white background, centered, simple flat illustration';

describe('text → image and Flash with beautify on the tiny models (onnxruntime-node CPU)', () => {
  let kandinsky: Kandinsky3;
  let lm: OnnxCausalLM;
  let folder: string;
  beforeAll(async () => {
    kandinsky = await loadKandinsky3(tinyModelPath('kandinsky3-tiny'), { device: 'cpu', intraOperatorThreads: 1 });
    lm = await loadOnnxCausalLM(tinyModelPath('beautifier-lm'), { device: 'cpu', intraOperatorThreads: 1 });
    folder = await mkdtemp(join(tmpdir(), 'beautify-'));
  });
  afterAll(async () => {
    await kandinsky?.dispose();
    await lm?.dispose();
    await rm(folder, { recursive: true, force: true });
  });

  it('draws the beautified prompt: the same image as asking for the expansion directly', async () => {
    const events: ProgressEvent[] = [];
    const beautified = await kandinsky.textToImage({
      prompt: 'red circle',
      beautify: new Beautifier({ llm: lm }),
      seed: 3,
      steps: 8,
      onProgress: (event) => events.push(event),
    });
    const direct = await kandinsky.textToImage({ prompt: EXPANDED, seed: 3, steps: 8 });
    const plain = await kandinsky.textToImage({ prompt: 'red circle', seed: 3, steps: 8 });
    expect(beautified.parameters).toMatchObject({ prompt: EXPANDED, userPrompt: 'red circle', promptSource: 'llm' });
    expect(Buffer.from(beautified.images[0]!.data).equals(Buffer.from(direct.images[0]!.data))).toBe(true);
    expect(Buffer.from(beautified.images[0]!.data).equals(Buffer.from(plain.images[0]!.data))).toBe(false);
    expect(events.some((event) => event.type === 'stage' && event.stage === 'beautify' && event.status === 'end')).toBe(true);
  });

  it('writes both prompts into the PNG metadata', async () => {
    const result = await kandinsky.flash({ prompt: 'red circle', beautify: new Beautifier({ llm: lm }), seed: 5 });
    const file = join(folder, 'flash.png');
    await writePng(file, result.images[0]!, toGenerationMetadata(result.parameters, { sdkVersion: 'test' }));
    const metadata = extractGenerationMetadata(new Uint8Array(await readFile(file)));
    expect(metadata).toMatchObject({ prompt: EXPANDED, userPrompt: 'red circle', promptSource: 'llm', mode: 'flash' });
  });
});
