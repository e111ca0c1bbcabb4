import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probePublicApi } from '../../core/src/test-support/public-api-probe.js';
import * as node from './index.js';

// Every public function and method of @kandinsky/node, called with null, undefined and wrong-type
// arguments, throws only typed KandinskyErrors (issue 20). Run in an empty folder: a bad value
// such as "seven" used as a path must not touch the repository.
const cwd = process.cwd();
beforeAll(() => process.chdir(mkdtempSync(join(tmpdir(), 'kandinsky-node-probe-'))));
afterAll(() => process.chdir(cwd));

/** Public targets that still throw untyped errors (issue 20 follow-up); each entry is a bug. */
const knownBugs: string[] = [
];

describe('@kandinsky/node public API with bad arguments', () => {
  it('throws only KandinskyErrors with stable codes', { timeout: 300_000 }, async () => {
    const report = await probePublicApi({
      exports: node,
      sourceDir: import.meta.dirname,
      instances: { NodeBackend: () => node.createNodeBackend({ device: 'cpu' }) },
      knownBugs,
    });
    console.log(`node: ${report.targets.length} public functions, constructors and methods probed with ${report.calls} calls`);
    if (report.findings.length > 0) console.log(report.findings.join('\n'));
    if (report.fixedKnownBugs.length > 0) console.log(`fixed, remove from knownBugs: ${report.fixedKnownBugs.join(', ')}`);
    expect(report.unprobedClasses).toEqual([]);
    expect(report.findings).toEqual([]);
    expect(report.fixedKnownBugs).toEqual([]);
  });
});
