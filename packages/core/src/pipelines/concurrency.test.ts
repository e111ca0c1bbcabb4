import { describe, expect, it } from 'vitest';
import { ModelFolder } from '../model/model-folder.js';
import { Kandinsky3 } from './kandinsky3.js';
import { mockBackend, mockFiles, mockTokenizer } from './test-support/mock-kandinsky3.js';

async function pipeline(lowMemory: boolean) {
  const backend = mockBackend();
  const kandinsky = await Kandinsky3.create({ backend, folder: await ModelFolder.open(mockFiles('A')), tokenizer: mockTokenizer, lowMemory });
  return { backend, kandinsky };
}

describe('concurrent calls and dispose()', () => {
  it('lowMemory: three concurrent calls all succeed, one at a time, with the results of lone calls', async () => {
    const { backend, kandinsky } = await pipeline(true);
    const alone = await kandinsky.textToImage({ prompt: 'a red circle', seed: 3, steps: 3 });
    const results = await Promise.all([1, 2, 3].map((seed) => kandinsky.textToImage({ prompt: 'a red circle', seed, steps: 3 })));
    expect(results.map((r) => r.seeds[0])).toEqual([1, 2, 3]);
    expect(Array.from(results[2]!.images[0]!.data)).toEqual(Array.from(alone.images[0]!.data));
    // One at a time: each call's UNet runs are contiguous in the run log.
    const unetSessions = backend.runs.filter((r) => r.model === 'unet/model.onnx').map((r) => r.sessionId);
    const changes = unetSessions.filter((id, i) => i > 0 && id !== unetSessions[i - 1]).length;
    expect(changes).toBe(3); // four calls, four sessions (each call reloads in low-memory mode)
    expect(backend.liveSessions).toBe(0);
    expect(backend.pendingRunCount).toBe(0);
  });

  it('without lowMemory, concurrent calls share the sessions and run together', async () => {
    const { backend, kandinsky } = await pipeline(false);
    const results = await Promise.all([1, 2].map((seed) => kandinsky.textToImage({ prompt: 'x', seed, steps: 2 })));
    expect(results).toHaveLength(2);
    expect(new Set(backend.runs.filter((r) => r.model === 'unet/model.onnx').map((r) => r.sessionId)).size).toBe(1);
    await kandinsky.dispose();
    expect(backend.liveSessions).toBe(0);
  });

  it('dispose() during a call lets the call finish, then releases every session', async () => {
    for (const lowMemory of [false, true]) {
      const { backend, kandinsky } = await pipeline(lowMemory);
      const call = kandinsky.textToImage({ prompt: 'a red circle', seed: 1, steps: 5 });
      const second = kandinsky.flash({ prompt: 'a red circle', seed: 2 });
      await new Promise((resolve) => setTimeout(resolve, 0));
      const disposed = kandinsky.dispose();
      const [result, flash] = await Promise.all([call, second]);
      await disposed;
      expect(result.images).toHaveLength(1);
      expect(flash.images).toHaveLength(1);
      expect(backend.liveSessions).toBe(0);
      // The pipeline stays usable: sessions load again on demand.
      await kandinsky.textToImage({ prompt: 'x', seed: 1, steps: 1 });
      await kandinsky.dispose();
      expect(backend.liveSessions).toBe(0);
    }
  });
});
