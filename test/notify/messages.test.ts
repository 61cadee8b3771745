import { AutoScalingClient, DescribeAutoScalingGroupsCommand, DescribeInstanceRefreshesCommand, type AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { subject } from '../../lib/notice.js';
import { waveFailure } from '../../lib/notify/cause.js';
import { describeVariantFailure, runFailure, variantFailureNotice } from '../../lib/notify/failure.js';
import { skippedNotice, startNotice } from '../../lib/notify/messages.js';
import { runSummary, summarySubject } from '../../lib/notify/summary.js';
import { plan, REGION, rolledBackWave, RUN_ARN, START, variant } from './fixtures.js';

const where = { region: REGION, executionArn: RUN_ARN, startTime: START };
const SUBJECT = /^[\x20-\x7e]{1,100}$/;

describe('notifications', () => {
  it('start: scope in the subject, the plan and links in the body', () => {
    const notice = startNotice(plan, where);
    expect(notice.subject).toMatch(SUBJECT);
    expect(notice).toMatchSnapshot();
  });

  it('dry-run: the whole plan, marked as changing nothing', () => {
    const notice = startNotice({ ...plan, dryRun: true, executionName: 'dry-run-20261114T1000Z' }, where);
    expect(notice.subject).toBe('Dry-run plan: 1 variant(s), 3 node group(s), 1 warning(s) (win2022-core-131)');
    expect(notice).toMatchSnapshot();
  });

  it('success: timeline, AMI, node groups by state', () => {
    const { succeeded, notice } = runSummary(
      'monthly-2026-11',
      [{ variantId: variant.id, output: { variantId: variant.id, sourceAmi: variant.sourceAmi, amiId: 'ami-0c2022c0000000042', patched: ['eks-win2022-canary', 'eks-win2022-apps-a', 'eks-win2022-apps-b'], current: [], skipped: [], warnings: [] } }],
      REGION,
      RUN_ARN,
      { startTime: START, endTime: '2026-11-15T10:29:00.000Z' },
    );
    expect(succeeded).toBe(true);
    expect(notice.subject).toBe('All nodes patched: 3 node group(s) on new AMIs');
    expect(notice).toMatchSnapshot();
  });

  it('failure of a rollout step without a wave report: every group as read from AWS, none claimed untouched', () => {
    const notice = variantFailureNotice({
      run: { executionName: 'monthly-2026-11', startTime: START, reason: '' },
      variant,
      executionArn: RUN_ARN,
      region: REGION,
      error: { Error: 'RequestLimitExceeded', Cause: JSON.stringify({ errorType: 'RequestLimitExceeded', errorMessage: 'Request limit exceeded.' }) },
      stage: 'rollout',
      amiId: 'ami-0c2022c0000000042',
      checkedWaves: variant.waves.length,
      versionsNow: new Map([['eks-win2022-canary', '5'], ['eks-win2022-apps-a', '7'], ['eks-win2022-apps-b', '2']]),
    });

    expect(notice.message).toContain('eks-win2022-canary: on the new AMI ami-0c2022c0000000042 (launch template version 5)');
    expect(notice.message).toContain('eks-win2022-apps-a: not moved (still on version 7)');
    expect(notice.message).toContain('eks-win2022-apps-b: not moved (still on version 2)');
    expect(notice.message).toContain('Cause: Request limit exceeded.');
    expect(notice.message).toContain('AMI: ami-0c2022c0000000042');
    expect(notice.message).not.toContain('never touched');
  });

  it('failure before an AMI exists: no AMI line', () => {
    const notice = variantFailureNotice({
      run: { executionName: 'monthly-2026-11', startTime: START, reason: '' },
      variant,
      executionArn: RUN_ARN,
      region: REGION,
      error: { Error: 'ImageBuildFailedError', Cause: 'build failed' },
      stage: 'image build',
      amiId: null,
      checkedWaves: 0,
      versionsNow: new Map(),
    });

    expect(notice.message).not.toContain('AMI:');
  });

  it('failure of a wave whose report was cut short: every group read from AWS instead of no e-mail', async () => {
    const autoScaling = mockClient(AutoScalingClient);
    const lt = (name: string, version: string) => ({ AutoScalingGroupName: name, LaunchTemplate: { LaunchTemplateId: `lt-${name}`, Version: version } }) as AutoScalingGroup;
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [lt('eks-win2022-canary', '5'), lt('eks-win2022-apps-a', '7'), lt('eks-win2022-apps-b', '3')] });
    autoScaling.on(DescribeInstanceRefreshesCommand).resolves({ InstanceRefreshes: [{ Status: 'Successful', PercentageComplete: 100 }] });
    const cut = { Error: 'RolloutWaveFailed', Cause: JSON.stringify(rolledBackWave).slice(0, 120) };

    try {
      const { notice } = await describeVariantFailure(
        { run: { executionName: 'monthly-2026-11', startTime: START, reason: '' }, variant, image: { ready: true, amiId: 'ami-0c2022c0000000042' }, fastLaunch: { ready: true }, error: cut },
        RUN_ARN,
        REGION,
      );

      expect(waveFailure(cut)).toBeUndefined();
      expect(notice.subject).toBe('FAILED rollout for win2022-core-131, 0 untouched');
      expect(notice.message).toContain('eks-win2022-apps-a: not moved (still on version 7)');
      expect(notice.message).toContain('eks-win2022-apps-b: on the new AMI ami-0c2022c0000000042 (launch template version 3)');
      expect(notice.message).toContain('AMI: ami-0c2022c0000000042');
    } finally {
      autoScaling.restore();
    }
  });

  it('failure of a rollout step without a wave report: a refresh still running is said to run, not "not moved"', () => {
    const notice = variantFailureNotice({
      run: { executionName: 'monthly-2026-11', startTime: START, reason: '' },
      variant,
      executionArn: RUN_ARN,
      region: REGION,
      error: { Error: 'Throttling', Cause: JSON.stringify({ errorType: 'Throttling', errorMessage: 'Rate exceeded' }) },
      stage: 'rollout',
      amiId: 'ami-0c2022c0000000042',
      checkedWaves: variant.waves.length,
      versionsNow: new Map([['eks-win2022-canary', '5'], ['eks-win2022-apps-a', '7'], ['eks-win2022-apps-b', '2']]),
      refreshingNow: new Map([['eks-win2022-apps-a', { status: 'InProgress', percent: 40 }]]),
    });

    expect(notice.message).toContain('eks-win2022-apps-a: instance refresh still InProgress (40%), no longer watched by this run');
    expect(notice.message).toContain('eks-win2022-apps-b: not moved (still on version 2)');
  });

  it('failure of a wave: where every group stands and what to do next', () => {
    const notice = variantFailureNotice({
      run: { executionName: 'monthly-2026-11', startTime: START, reason: '' },
      variant,
      executionArn: `${RUN_ARN}-win2022-core-131`.replace('patch-run', 'patch-variant'),
      region: REGION,
      error: { Error: 'RolloutWaveFailed', Cause: JSON.stringify(rolledBackWave) },
      stage: 'rollout',
      amiId: 'ami-0c2022c0000000042',
      checkedWaves: rolledBackWave.waveIndex,
      versionsNow: new Map([['eks-win2022-canary', '5']]),
    });
    expect(notice.severity).toBe('error');
    expect(notice.subject).toMatch(SUBJECT);
    expect(notice).toMatchSnapshot();
  });

  it('failure of the input: each bad field, nothing changed', () => {
    const cause = JSON.stringify({ errorType: 'InvalidInputError', errorMessage: 'execution input is invalid:\n  - input.baseAmi: use an AMI id: "ami-" and 8 or 17 hex digits (got "ami-XYZ")\n  - input.whenBusy: use "wait" or "skip" (got "later")' });
    const failure = runFailure({ error: { Error: 'InvalidInputError', Cause: cause } }, 'manual-20261115T090000Z', REGION, RUN_ARN);
    expect(failure.cause).toContain('input.baseAmi');
    expect(failure).toMatchSnapshot();
  });

  it('skipped: another run holds the variant', () => {
    const notice = skippedNotice({ ...plan, busyWith: [{ executionName: 'release-win2022-core-131-ami-0a2022c0000000001', variants: [variant.id] }], proceed: 'skip' }, where);
    expect(notice).toMatchSnapshot();
  });

  it('carry the severity and variant attributes subscribers filter on', () => {
    for (const n of [startNotice(plan), startNotice({ ...plan, warnings: [] }), skippedNotice({ ...plan, upToDate: [{ variantId: 'a', sourceAmi: 'ami-1' }], variants: [] })]) {
      expect(['info', 'warning', 'error']).toContain(n.severity);
      // SNS String.Array: a subscriber's filter policy on one variant id matches.
      expect(JSON.parse(n.variant)).toEqual(expect.arrayContaining([expect.stringMatching(/^[\w-]+$/)]));
    }
  });
});

describe('subjects', () => {
  it('are at most 100 printable ASCII characters whatever the text', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => {
      const s = subject(`Run ${text}`);
      expect(s).toMatch(SUBJECT);
    }));
  });

  it('keep the outcome and scope for a run over many variants', () => {
    const many = { ...plan, variants: Array.from({ length: 12 }, (_, i) => ({ ...variant, id: `win2022-core-131-pool-${i}` })) };
    expect(startNotice(many).subject).toBe('Patch run started: 12 variant(s), 36 node group(s), 1 warning(s)');
  });
});

describe('summarySubject', () => {
  it('claims "All nodes patched" only when no group was skipped and none failed', () => {
    expect(summarySubject(2, 0, 5, 0, 0)).toBe('All nodes patched: 5 node group(s) on new AMIs');
    expect(summarySubject(2, 0, 4, 0, 1)).toBe('All nodes patched: 4 node group(s) on new AMIs, 1 already current');
    expect(summarySubject(2, 0, 4, 1, 0)).toBe('Patched 4 node group(s), 1 SKIPPED: another refresh was running');
    expect(summarySubject(2, 1, 3, 0, 0)).toBe("FAILED for 1 of 2 variant(s): see each failed variant's message");
    expect(summarySubject(1, 0, 0, 0, 0)).toBe('Images ready for 1 variant(s): no node group was rolled out');
  });
});

describe('summarySubject with partly patched groups', () => {
  it('does not say "All nodes patched" while a group keeps instances on the old AMI', () => {
    expect(summarySubject(1, 0, 4, 0, 0, 1)).toBe('NOT all nodes patched: 1 node group(s) not fully patched');
  });
});
