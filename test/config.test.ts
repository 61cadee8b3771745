import { describe, expect, it } from 'vitest';
import { parseConfig } from '../lib/config.js';
import { problemsOf, sample } from './support/config.js';

describe('the pipeline config', () => {
  it('accepts the sample config (events/ci.config.yml) and fills the defaults', () => {
    const config = parseConfig(sample());

    expect(config.rollout).toMatchObject({ waveSize: 10, allowUnpinnedVersions: false, scaleInProtectedInstances: 'Ignore' });
    expect(config.fastLaunch).toMatchObject({ maxParallelLaunches: 6, onFailure: 'warn', regionalQuota: 40 });
    expect(config.triggers.patchTuesdayOffsetDays).toBe(5);
  });

  it('names a bad Kubernetes version, with the fix and the value given', () => {
    const raw = sample();
    (raw.variants[0] as Record<string, unknown>).kubernetes = '1.x';

    expect(problemsOf(raw)).toEqual(['variants[0].kubernetes: use the EKS minor version as a quoted string, e.g. "1.31" (got "1.x")']);
  });

  it('reports every bad field at once', () => {
    const raw = sample();
    raw.variants[0] = { ...raw.variants[0], windows: '2016', edition: 'Nano' };
    raw.imageBuilder = { subnetId: 'vpc-1', securityGroupIds: [] };
    raw.admins = ['not-an-address'];

    const problems = problemsOf(raw);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^variants\[0\]\.windows: use "2019", "2022" or "2025"/),
        expect.stringMatching(/^variants\[0\]\.edition: use "Core" or "Full"/),
        expect.stringMatching(/^imageBuilder\.subnetId: use a subnet id/),
        expect.stringMatching(/^imageBuilder\.securityGroupIds/),
        expect.stringMatching(/^admins\[0\]: use an e-mail address/),
      ]),
    );
  });

  it('refuses a node group that belongs to two variants, and a duplicate variant id', () => {
    const raw = sample();
    raw.variants[1] = { ...raw.variants[1], id: raw.variants[0]?.id, nodeGroups: [{ asgName: 'eks-win2022-canary' }] };

    const problems = problemsOf(raw);
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^variants\[1\]\.id: variant id "win2022-core-131" is used twice/), expect.stringMatching(/^variants\[1\]\.nodeGroups\[0\]\.asgName: ASG "eks-win2022-canary" already belongs to variant/)]),
    );
  });

  it('refuses a node group selector with both or neither of asgName and tag', () => {
    const raw = sample();
    raw.variants[0] = { ...raw.variants[0], nodeGroups: [{ asgName: 'a', tag: { key: 'k', value: 'v' } }, { canary: true }] };

    expect(problemsOf(raw).filter((p) => p.includes('give exactly one of asgName'))).toHaveLength(2);
  });

  it('refuses Fast Launch settings over the regional quota of 40 parallel launches across variants, old and new AMI each', () => {
    const raw = sample();
    raw.fastLaunch = { maxParallelLaunches: 11 };

    expect(problemsOf(raw)).toEqual([expect.stringMatching(/^fastLaunch\.maxParallelLaunches: 2 variant\(s\) x 2 AMIs x 11 = 44 parallel launches, over the regional Fast Launch quota of 40.*lower fastLaunch\.maxParallelLaunches to 10/)]);
  });

  it('refuses a healthy-percentage spread Auto Scaling would refuse at refresh time', () => {
    const raw = sample();
    raw.rollout = { minHealthyPercentage: 90, maxHealthyPercentage: 200 };

    expect(problemsOf(raw)).toEqual(['rollout.maxHealthyPercentage: must be at most 100 above minHealthyPercentage (90): use 190 or less (got 200)']);
  });

  it('defaults to launch before terminate and leaves the warm-up to the group', () => {
    const raw = sample();
    const { minHealthyPercentage: _min, maxHealthyPercentage: _max, instanceWarmupSeconds: _w, ...rest } = (raw.rollout ?? {}) as Record<string, unknown>;
    raw.rollout = rest;

    const config = parseConfig(raw);

    expect(config.rollout).toMatchObject({ minHealthyPercentage: 100, maxHealthyPercentage: 110 });
    expect(config.rollout.instanceWarmupSeconds).toBeUndefined();
  });

  it('refuses checkpointPercentages whose last value is not 100', () => {
    const raw = sample();
    raw.rollout = { checkpointPercentages: [20, 50] };

    expect(problemsOf(raw)).toEqual([expect.stringMatching(/^rollout\.checkpointPercentages: the last checkpoint must be 100.*add 100 at the end/)]);
  });

  it('refuses minHealthyPercentage 100 with maxHealthyPercentage 100 (nothing could be replaced)', () => {
    const raw = sample();
    raw.rollout = { minHealthyPercentage: 100, maxHealthyPercentage: 100 };

    expect(problemsOf(raw)).toEqual([expect.stringMatching(/^rollout\.maxHealthyPercentage: with minHealthyPercentage 100 it must be above 100/)]);
  });

  it('refuses a time zone Intl does not know', () => {
    const raw = sample();
    raw.triggers = { timeZone: 'Europe/Atlantis' };

    expect(problemsOf(raw)).toEqual(['triggers.timeZone: use an IANA time zone such as "UTC" or "Europe/Berlin" (got "Europe/Atlantis")']);
  });

  it('refuses unknown fields instead of ignoring a typo', () => {
    const raw = sample();
    raw.rolout = { waveSize: 3 };

    expect(problemsOf(raw)).toEqual(['rolout: unknown key: did you mean "rollout"?']);
  });
});

describe('the kubernetes config', () => {
  it('defaults: gate and drain follow the cluster, 15 and 30 minutes, rollback on a drain timeout, no VPC', () => {
    const config = parseConfig(sample());

    expect(config.kubernetes).toEqual({ readinessTimeoutMinutes: 15, drain: { timeoutMinutes: 30, onTimeout: 'rollback' } });
  });

  it('accepts a cluster on a variant and on a node group selector', () => {
    const raw = sample();
    raw.variants[0] = { ...raw.variants[0], cluster: 'prod-eks', nodeGroups: [{ asgName: 'eks-win2022-canary', canary: true, cluster: 'prod_eks2' }] };

    const config = parseConfig(raw);

    expect(config.variants[0]).toMatchObject({ cluster: 'prod-eks', nodeGroups: [{ cluster: 'prod_eks2' }] });
  });

  it('refuses a cluster name EKS would refuse, on the variant and on the node group, with the field path', () => {
    const raw = sample();
    raw.variants[0] = { ...raw.variants[0], cluster: '-prod', nodeGroups: [{ asgName: 'eks-win2022-canary', cluster: 'x'.repeat(101) }] };

    expect(problemsOf(raw)).toEqual([
      expect.stringMatching(/^variants\[0\]\.cluster: use the EKS cluster name: letters, digits, "-" and "_", starting with a letter or digit .*\(got "-prod"\)$/),
      expect.stringMatching(/^variants\[0\]\.nodeGroups\[0\]\.cluster: an EKS cluster name has at most 100 characters/),
    ]);
  });

  it('refuses a readiness timeout the launch hook could not wait for (heartbeat at most 7200 s)', () => {
    const raw = sample();
    raw.kubernetes = { readinessTimeoutMinutes: 111 };

    expect(problemsOf(raw)).toEqual(["kubernetes.readinessTimeoutMinutes: at most 110: the launch hook waits this + 5 minutes, and Auto Scaling caps a hook's heartbeat at 7200 s (got 111)"]);
  });

  it('names bad drain settings', () => {
    const raw = sample();
    raw.kubernetes = { drain: { timeoutMinutes: 0, onTimeout: 'kill', enabled: 'yes' } };

    expect(problemsOf(raw)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^kubernetes\.drain\.timeoutMinutes: give at least 1 minute/),
        expect.stringMatching(/^kubernetes\.drain\.onTimeout: use "rollback" \(stop the refresh and roll back\) or "terminate"/),
        expect.stringMatching(/^kubernetes\.drain\.enabled: /),
      ]),
    );
    expect(problemsOf({ ...sample(), kubernetes: { drain: { timeoutMinutes: 481 } } })).toEqual(['kubernetes.drain.timeoutMinutes: at most 480 (8 h): Auto Scaling ends a lifecycle action after 100 heartbeats of 300 s (got 481)']);
  });

  it('names bad VPC settings and unknown keys', () => {
    const raw = sample();
    raw.kubernetes = { vpc: { subnetIds: ['vpc-1'], securityGroupIds: [] }, readinesGate: true };

    expect(problemsOf(raw)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^kubernetes\.vpc\.subnetIds\[0\]: use a subnet id like subnet-/),
        expect.stringMatching(/^kubernetes\.vpc\.securityGroupIds: list at least one security group/),
        'kubernetes.readinesGate: unknown key: did you mean "readinessGate"?',
      ]),
    );
  });
});
