import { describe, expect, it } from 'vitest';
import { probePublicApi } from '../../core/src/test-support/public-api-probe.js';
import * as web from './index.js';

// Every public function and method of @kandinsky/web that can run in Node, called with null,
// undefined and wrong-type arguments, throws only typed KandinskyErrors (issue 20). The browser
// paths (WebGPU, CacheStorage, workers) are reached the same way; where Node lacks the browser API
// the function must still fail typed (DEVICE_UNAVAILABLE, INVALID_ARGUMENT), not with a TypeError.

/**
 * Public targets that still throw untyped errors: each entry would be a bug. Empty: the 18 the
 * probe first found (TypeErrors on null/undefined/wrong types, "Invalid URL", SubtleCrypto's
 * TypeError) are fixed; the test fails as soon as a new one appears.
 */
const knownBugs: string[] = [];

describe('@kandinsky/web public API with bad arguments (in Node)', () => {
  it('throws only KandinskyErrors with stable codes', { timeout: 300_000 }, async () => {
    const report = await probePublicApi({
      exports: web,
      sourceDir: import.meta.dirname,
      instances: { WebBackend: () => web.createWebBackend({ device: 'wasm' }) },
      knownBugs,
      allow: {
        encodePng: 'browser-only: draws on OffscreenCanvas, which Node lacks (the playground e2e test runs it)',
        encodePngBlob: 'browser-only: draws on OffscreenCanvas, which Node lacks (the playground e2e test runs it)',
      },
    });
    console.log(`web: ${report.targets.length} public functions, constructors and methods probed with ${report.calls} calls`);
    if (report.findings.length > 0) console.log(report.findings.join('\n'));
    if (report.fixedKnownBugs.length > 0) console.log(`fixed, remove from knownBugs: ${report.fixedKnownBugs.join(', ')}`);
    expect(report.unprobedClasses).toEqual([]);
    expect(report.findings).toEqual([]);
    expect(report.fixedKnownBugs).toEqual([]);
  });
});
