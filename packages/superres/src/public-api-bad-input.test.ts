import { describe, expect, it } from 'vitest';
import { probePublicApi } from '../../core/src/test-support/public-api-probe.js';
import * as superres from './index.js';
import { lowresEchoBackend, mockSuperResFolder } from './test-support/mock-sr.js';

// Every public function and method of @kandinsky/superres, called with null, undefined and
// wrong-type arguments, throws only typed KandinskyErrors (issue 20).

/** Public targets that still throw untyped errors (issue 20 follow-up); each entry is a bug. */
const knownBugs: string[] = [
];

describe('@kandinsky/superres public API with bad arguments', () => {
  it('throws only KandinskyErrors with stable codes', async () => {
    const report = await probePublicApi({
      exports: superres,
      sourceDir: import.meta.dirname,
      instances: { KandiSuperRes: async () => superres.KandiSuperRes.create({ backend: lowresEchoBackend(), folder: await mockSuperResFolder() }) },
      knownBugs,
    });
    console.log(`superres: ${report.targets.length} public functions, constructors and methods probed with ${report.calls} calls`);
    if (report.findings.length > 0) console.log(report.findings.join('\n'));
    if (report.fixedKnownBugs.length > 0) console.log(`fixed, remove from knownBugs: ${report.fixedKnownBugs.join(', ')}`);
    expect(report.unprobedClasses).toEqual([]);
    expect(report.findings).toEqual([]);
    expect(report.fixedKnownBugs).toEqual([]);
  });
});
