export { ErrorCodes, type ErrorCode } from './error-codes.js';
export { KandinskyError, describeValue, type KandinskyErrorOptions } from './kandinsky-error.js';
export {
  kandinskyError,
  invalidArgument,
  invalidSchedulerConfig,
  shapeMismatch,
  dtypeMismatch,
} from './error-constructors.js';
