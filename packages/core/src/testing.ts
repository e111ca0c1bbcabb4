/**
 * @kandinsky/core/testing — test doubles for code written against the backend contract, kept out
 * of the main entry so that applications do not ship them (like `ai/test` in vercel/ai).
 *
 * ```ts
 * import { MockBackend } from '@kandinsky/core/testing';
 * ```
 */
export {
  MockBackend,
  type MockBackendOptions,
  type MockLoadRecord,
  type MockModel,
  type MockModelSession,
  type MockRunContext,
  type MockRunRecord,
} from './backend/mock-backend.js';
