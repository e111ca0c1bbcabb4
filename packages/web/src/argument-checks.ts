import { invalidArgument } from '@kandinsky/core';

// Entry checks of @kandinsky/web's public functions: a wrong argument is INVALID_ARGUMENT naming
// it, never the TypeError of its first property read (public-api-bad-input.test.ts probes them).

/** An options object that may be left out, never null or a primitive. */
export function checkOptions(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw invalidArgument(name, value, 'an options object or undefined', 'Pass an options object, or leave it out.');
  }
}

/** A non-null object with the given function members (a Worker, a worker scope, a session…). */
export function checkObjectWith(name: string, value: unknown, members: readonly string[], expected: string, hint: string): void {
  const record = value as Record<string, unknown> | null;
  if (typeof record !== 'object' || record === null || members.some((member) => typeof record[member] !== 'function')) {
    throw invalidArgument(name, value, expected, hint);
  }
}

/**
 * The absolute URL of a model folder, ending in `/`: `baseUrl` resolved against the page (or
 * worker) location, so `/models/x/` works where there is one and `https://…/x` everywhere.
 */
export function folderUrl(baseUrl: unknown): string {
  const hint = 'Pass the folder as a URL, e.g. "/models/kandinsky3-tiny/" on a page or "https://host/models/kandinsky3-tiny/".';
  if (typeof baseUrl !== 'string' || baseUrl.trim() === '') throw invalidArgument('baseUrl', baseUrl, 'a model folder URL', hint);
  const withSlash = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  try {
    return new URL(withSlash, (globalThis as { location?: { href: string } }).location?.href).href;
  } catch {
    const where = (globalThis as { location?: unknown }).location === undefined ? ' (there is no page location to resolve a relative URL against)' : '';
    throw invalidArgument('baseUrl', baseUrl, `a URL${where}`, hint);
  }
}
