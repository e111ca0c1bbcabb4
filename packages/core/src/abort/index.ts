export type { AbortSignalLike } from './abort-signal-like.js';
export { createAbortError, isAbortError } from './abort-error.js';
export { throwIfAborted } from './throw-if-aborted.js';
export { abortable, type AbortableOptions } from './abortable.js';
