import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probePublicApi } from '../../core/src/test-support/public-api-probe.js';
import * as cli from './index.js';

// The CLI's programmatic entry (`main`, and whatever else index.ts exports later), called with
// null, undefined and wrong-type arguments, throws only typed KandinskyErrors (issue 20). Run in
// an empty folder so that no bad value can write into the repository.
const cwd = process.cwd();
beforeAll(() => process.chdir(mkdtempSync(join(tmpdir(), 'kandinsky-cli-probe-'))));
afterAll(() => process.chdir(cwd));

describe('@kandinsky/cli public API with bad arguments', () => {
  it('throws only KandinskyErrors with stable codes', { timeout: 120_000 }, async () => {
    const report = await probePublicApi({ exports: cli, sourceDir: import.meta.dirname });
    console.log(`cli: ${report.targets.length} public functions probed with ${report.calls} calls`);
    if (report.findings.length > 0) console.log(report.findings.join('\n'));
    expect(report.findings).toEqual([]);
    expect(report.targets).toContain('main');
  });
});
