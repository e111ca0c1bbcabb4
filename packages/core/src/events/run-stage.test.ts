import { describe, expect, it } from 'vitest';
import { KandinskyError } from '../errors/kandinsky-error.js';
import type { ProgressEvent } from './progress-event.js';
import { runStage } from './run-stage.js';

function recorder() {
  const events: ProgressEvent[] = [];
  return { events, onProgress: (event: ProgressEvent) => void events.push(event) };
}

describe('runStage', () => {
  it('emits start then end with the elapsed time and returns the result', async () => {
    const { events, onProgress } = recorder();
    const result = await runStage(onProgress, 'decode', async () => {
      expect(events).toEqual([{ type: 'stage', stage: 'decode', status: 'start', component: 'movq_decoder' }]);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return 'image';
    }, { component: 'movq_decoder' });
    expect(result).toBe('image');
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ type: 'stage', stage: 'decode', status: 'end', component: 'movq_decoder', outcome: 'completed' });
    expect((events[1] as { elapsedMs: number }).elapsedMs).toBeGreaterThanOrEqual(4);
  });

  it('emits the end event with outcome "failed" and rethrows the error unchanged', async () => {
    const { events, onProgress } = recorder();
    const failure = new KandinskyError({ code: 'RUNTIME_ERROR', message: 'boom', hint: 'h' });
    await expect(
      runStage(onProgress, 'denoise', () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(events.map((event) => (event.type === 'stage' ? `${event.status}:${event.outcome ?? ''}` : ''))).toEqual([
      'start:',
      'end:failed',
    ]);
    expect(events[0]).not.toHaveProperty('component');
  });

  it('reports an abort as outcome "aborted"', async () => {
    const { events, onProgress } = recorder();
    const aborted = new KandinskyError({ code: 'ABORTED', message: 'stopped', hint: 'h' });
    await expect(runStage(onProgress, 'encode-prompt', async () => Promise.reject(aborted))).rejects.toBe(aborted);
    expect(events[1]).toMatchObject({ status: 'end', outcome: 'aborted' });
  });

  it('runs the work without a callback', async () => {
    await expect(runStage(undefined, 'beautify', () => 3)).resolves.toBe(3);
  });
});
