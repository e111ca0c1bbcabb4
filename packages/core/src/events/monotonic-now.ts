interface PlatformClock {
  performance?: { now?: () => number };
}

/**
 * Milliseconds from an arbitrary origin, for measuring durations (`elapsedMs` in stage events,
 * result timings): `performance.now()` where the platform has it (browsers, Node, workers),
 * which never goes backwards, else `Date.now()`. Use differences only.
 */
export function monotonicNow(): number {
  const performance = (globalThis as PlatformClock).performance;
  return typeof performance?.now === 'function' ? performance.now() : Date.now();
}
