export { ErrorCodes, type ErrorCode } from './error-codes.js';
export { KandinskyError, describeValue, type KandinskyErrorOptions } from './kandinsky-error.js';
