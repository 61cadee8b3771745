import { describe, expect, it } from 'vitest';
import { rehearseFleet } from './support/rehearse.js';

describe('the local runner', () => {
  it("fails an execution whose state data exceeds Step Functions' 256 KB, as AWS does (States.DataLimitExceeded)", async () => {
    const report = await rehearseFleet({ nodeGroups: 3000, variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }], waveSize: 100, input: { dryRun: true } });

    expect(report.status).toBe('FAILED');
    expect(report.run.error?.Error).toBe('States.DataLimitExceeded');
    expect(report.run.error?.Cause).toMatch(/over the 262144-byte limit/);
  }, 120_000);

  it('fits a run of 1,000 node groups in one variant within those 256 KB, wave outcomes kept small', async () => {
    const report = await rehearseFleet({ nodeGroups: 1000, variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }], waveSize: 100 });

    expect(report.status).toBe('SUCCEEDED');
    for (const e of report.executions) expect(e.maxStateBytes, e.label).toBeLessThan(262_144);
  }, 120_000);
});
