import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_VARIANTS, variantId } from '../../local/generate.js';
import { isValidExecutionName, executionName } from '../../lib/names.js';
import { lastBuildParameter } from '../../lib/parameters.js';
import { releaseRunName } from '../../lib/triggers/detect.js';
import { generateScenario, rehearse, type RehearsalReport, type Scenario } from '../support/rehearse.js';

const event = (file: string): unknown => JSON.parse(readFileSync(`events/${file}`, 'utf8'));
const VARIANT = DEFAULT_VARIANTS[0] as (typeof DEFAULT_VARIANTS)[number];
const ID = variantId(VARIANT);

function oneVariant(lastBuilt?: string): Scenario {
  const s = generateScenario({ variants: [VARIANT], nodeGroups: 2 });
  if (lastBuilt) s.fleet.ssmParameters[lastBuildParameter(`/eks-windows-patch/${s.stage}`, ID)] = lastBuilt;
  return s;
}
const published = (s: Scenario) => Object.entries(s.fleet.ssmParameters).find(([k]) => k.startsWith('/aws/'))?.[1] as string;
const runs = (r: RehearsalReport) => r.account.executions.filter((e) => e.stateMachineArn.endsWith('patch-run'));

describe('release detection', () => {
  it('starts exactly one execution for three identical checks', async () => {
    const scenario = oneVariant();
    const report = await rehearse(scenario, {
      start: (runner) => Promise.all([1, 2, 3].map(() => runner.invoke('detectRelease', event('scheduled-detection.json')))),
    });

    expect(runs(report).map((e) => e.name)).toEqual([releaseRunName({ variantId: ID, sourceAmi: published(scenario), lastBuilt: null })]);
    expect(report.status).toBe('SUCCEEDED');
    const starts = report.calls.filter((c) => c.operation === 'StartExecution' && String((c.input as { stateMachineArn: string }).stateMachineArn).endsWith('patch-run'));
    expect(starts).toHaveLength(3);
  });

  it('starts exactly one execution for an SNS nudge and a schedule tick together', async () => {
    const report = await rehearse(oneVariant(), {
      start: (runner) => Promise.all([runner.invoke('detectRelease', event('sns-nudge.json')), runner.invoke('detectRelease', event('scheduled-detection.json'))]),
    });

    expect(runs(report)).toHaveLength(1);
    expect(JSON.parse(runs(report)[0]?.input ?? '{}')).toMatchObject({ trigger: 'release', variants: [ID] });
  });

  it('does nothing when the release was built, and a tick after the run finished starts nothing either', async () => {
    const built = oneVariant();
    const already = oneVariant(published(built));
    let second: unknown;
    const report = await rehearse(already, {
      start: async (runner) => {
        await runner.invoke('detectRelease', event('scheduled-detection.json'));
        second = await runner.invoke('detectRelease', event('scheduled-detection.json'));
      },
    });

    expect(runs(report)).toHaveLength(0);
    expect(second).toEqual({ releases: [] });
  });

  it('a tick after a successful run starts nothing: the run recorded its source AMI', async () => {
    let later: unknown;
    const report = await rehearse(oneVariant(), {
      start: async (runner) => {
        await runner.invoke('detectRelease', event('scheduled-detection.json'));
        await runner.settled();
        later = await runner.invoke('detectRelease', event('scheduled-detection.json'));
      },
    });

    expect(report.status).toBe('SUCCEEDED');
    expect(runs(report)).toHaveLength(1);
    expect(later).toEqual({ releases: [] });
  });

  it('starts a new execution with a new name when the parameter names another AMI', async () => {
    const first = oneVariant();
    const changed = oneVariant(published(first));
    const newer = 'ami-0c00000000000000a';
    changed.fleet.amis.push({ id: newer, name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.12.10', platform: 'windows' });
    const param = Object.keys(changed.fleet.ssmParameters).find((k) => k.startsWith('/aws/')) as string;
    changed.fleet.ssmParameters[param] = newer;

    const report = await rehearse(changed, { start: (runner) => runner.invoke('detectRelease', event('scheduled-detection.json')) });

    expect(runs(report).map((e) => e.name)).toEqual([`release-${ID}-${newer}`]);
    expect(report.status).toBe('SUCCEEDED');
  });
});

describe('execution names', () => {
  it('always follow Step Functions rules (1-80 of 0-9A-Za-z_-), whatever the parts', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 120 }), { maxLength: 6 }), (parts) => {
        expect(isValidExecutionName(executionName(...parts))).toBe(true);
      }),
    );
  });

  it('are the same for the same parts and differ for different long parts', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 81, maxLength: 200 }), fc.string({ minLength: 81, maxLength: 200 }), (a, b) => {
        expect(executionName(a)).toBe(executionName(a));
        fc.pre(a.replace(/[^0-9A-Za-z_-]+/g, '-') !== b.replace(/[^0-9A-Za-z_-]+/g, '-'));
        expect(executionName(a)).not.toBe(executionName(b));
      }),
    );
  });

  it('give one valid, distinct run name per variant and source AMI', () => {
    const variantIds = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,29}$/);
    const amiIds = fc.oneof(fc.stringMatching(/^ami-[0-9a-f]{17}$/), fc.stringMatching(/^ami-[0-9a-f]{8}$/));
    fc.assert(
      fc.property(variantIds, amiIds, amiIds, (v, a, b) => {
        const name = releaseRunName({ variantId: v, sourceAmi: a, lastBuilt: null });
        expect(isValidExecutionName(name)).toBe(true);
        expect(name === releaseRunName({ variantId: v, sourceAmi: b, lastBuilt: a })).toBe(a === b);
      }),
    );
  });
});
