import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { linkSignals } from './link-signals.js';

const abortListeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

describe('linkSignals', () => {
  it('fires with the reason of the first parent that fires and detaches from all parents', () => {
    const first = new AbortController();
    const second = new AbortController();
    const linked = linkSignals(first.signal, undefined, second.signal);
    expect(linked.signal.aborted).toBe(false);
    expect(abortListeners(first.signal)).toBe(1);
    expect(abortListeners(second.signal)).toBe(1);
    second.abort('second');
    expect(linked.signal.aborted).toBe(true);
    expect(linked.signal.reason).toBe('second');
    expect(abortListeners(first.signal)).toBe(0);
    expect(abortListeners(second.signal)).toBe(0);
    first.abort('first');
    expect(linked.signal.reason).toBe('second');
  });

  it('is born aborted when a parent already fired, without registering listeners', () => {
    const live = new AbortController();
    const dead = new AbortController();
    dead.abort('earlier');
    const linked = linkSignals(live.signal, dead.signal);
    expect(linked.signal.aborted).toBe(true);
    expect(linked.signal.reason).toBe('earlier');
    expect(abortListeners(live.signal)).toBe(0);
  });

  it('dispose() removes the links, idempotently, and a later parent abort no longer propagates', () => {
    const parent = new AbortController();
    const linked = linkSignals(parent.signal);
    linked.dispose();
    linked.dispose();
    expect(abortListeners(parent.signal)).toBe(0);
    parent.abort();
    expect(linked.signal.aborted).toBe(false);
  });

  it('abort() fires only the linked signal and detaches', () => {
    const parent = new AbortController();
    const linked = linkSignals(parent.signal);
    linked.abort('internal');
    expect(linked.signal.aborted).toBe(true);
    expect(linked.signal.reason).toBe('internal');
    expect(parent.signal.aborted).toBe(false);
    expect(abortListeners(parent.signal)).toBe(0);
  });

  it('works with no parents at all, and the result is a real AbortSignal', () => {
    const linked = linkSignals();
    expect(linked.signal).toBeInstanceOf(AbortSignal);
    linked.abort();
    expect(linked.signal.aborted).toBe(true);
  });

  it('leaves no listener on a long-lived parent after many linked calls', () => {
    const parent = new AbortController();
    for (let call = 0; call < 100; call++) linkSignals(parent.signal).dispose();
    expect(abortListeners(parent.signal)).toBe(0);
  });
});
