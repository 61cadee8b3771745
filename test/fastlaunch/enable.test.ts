import { DescribeFastLaunchImagesCommand, EC2Client, EnableFastLaunchCommand } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FastLaunchFailedError } from '../../lib/errors.js';
import { checkFastLaunch, enableFastLaunch, FAST_LAUNCH_TIMEOUT_SECONDS, type FastLaunchSettings, type FastLaunchState } from '../../lib/fastlaunch/enable.js';
import { fastLaunchQuotaProblem } from '../../lib/fastlaunch/quota.js';

const AMI = 'ami-0123456789abcdef0';
const ec2 = mockClient(EC2Client);
const settings = (over: Partial<FastLaunchSettings> = {}): FastLaunchSettings => ({ maxParallelLaunches: 6, targetResourceCount: 5, onFailure: 'warn', pollSeconds: 120, ...over });
const started = (over: Partial<FastLaunchState> = {}): FastLaunchState => ({ amiId: AMI, startedAt: new Date().toISOString(), state: 'enabling', ready: false, waitSeconds: 120, warning: null, ...over });
const describeAs = (State: string, StateTransitionReason = 'Client.UserInitiated') =>
  ec2.on(DescribeFastLaunchImagesCommand).resolves({ FastLaunchImages: [{ ImageId: AMI, State: State as never, StateTransitionReason }] });

beforeEach(() => ec2.reset());
afterEach(() => {
  ec2.reset();
  vi.unstubAllEnvs();
});

describe('enabling Fast Launch', () => {
  it("uses the stack's dedicated launch template, snapshots, and the configured launch counts", async () => {
    ec2.on(EnableFastLaunchCommand).resolves({ State: 'enabling' });

    const state = await enableFastLaunch(AMI, 'lt-0fa57000000000001', settings({ maxParallelLaunches: 10, targetResourceCount: 8 }));

    expect(ec2.commandCalls(EnableFastLaunchCommand).map((c) => c.args[0].input)).toEqual([
      {
        ImageId: AMI,
        ResourceType: 'snapshot',
        SnapshotConfiguration: { TargetResourceCount: 8 },
        LaunchTemplate: { LaunchTemplateId: 'lt-0fa57000000000001', Version: '$Default' },
        MaxParallelLaunches: 10,
      },
    ]);
    expect(state).toMatchObject({ amiId: AMI, state: 'enabling', ready: false, waitSeconds: 120, warning: null });
  });

  it('takes the launch template from the deployment (FAST_LAUNCH_TEMPLATE_ID), never from a node group', async () => {
    ec2.on(EnableFastLaunchCommand).resolves({ State: 'enabling' });
    vi.stubEnv('FAST_LAUNCH_TEMPLATE_ID', 'lt-0fa57000000000002');
    vi.stubEnv(
      'PIPELINE_CONFIG',
      JSON.stringify({
        variants: [{ id: 'win2022-core-131', windows: '2022', edition: 'Core', kubernetes: '1.31', nodeGroups: [{ asgName: 'ng-a' }] }],
        imageBuilder: { subnetId: 'subnet-0123456789abcdef0', securityGroupIds: ['sg-0123456789abcdef0'] },
        fastLaunch: { maxParallelLaunches: 7, targetResourceCount: 3 },
      }),
    );
    const { handler } = await import('../../functions/enable-fast-launch.js');

    await handler({ amiId: AMI, executionName: 'run-1', variantId: 'win2022-core-131' });

    const input = ec2.commandCalls(EnableFastLaunchCommand)[0]?.args[0].input;
    expect(input?.LaunchTemplate).toEqual({ LaunchTemplateId: 'lt-0fa57000000000002', Version: '$Default' });
    expect(input).toMatchObject({ MaxParallelLaunches: 7, SnapshotConfiguration: { TargetResourceCount: 3 } });
  });

  it('adopts its own enable in progress when a retry after a lost answer is refused, and refuses one with another template', async () => {
    ec2.on(EnableFastLaunchCommand).rejects(Object.assign(new Error('Fast Launch is enabling'), { name: 'IncorrectState' }));
    ec2.on(DescribeFastLaunchImagesCommand).resolves({ FastLaunchImages: [{ ImageId: AMI, State: 'enabling', LaunchTemplate: { LaunchTemplateId: 'lt-0fa57000000000001' } }] });

    await expect(enableFastLaunch(AMI, 'lt-0fa57000000000001', settings())).resolves.toMatchObject({ amiId: AMI, state: 'enabling', ready: false, warning: null });
    await expect(enableFastLaunch(AMI, 'lt-0fa57000000000099', settings())).rejects.toMatchObject({ name: 'IncorrectState' });
    expect(ec2.commandCalls(DescribeFastLaunchImagesCommand).map((c) => c.args[0].input)).toEqual([{ ImageIds: [AMI] }, { ImageIds: [AMI] }]);
  });

  it('goes on with a warning when the regional quota refuses it and onFailure is warn', async () => {
    ec2.on(EnableFastLaunchCommand).rejects(Object.assign(new Error('Fast Launch parallel launches quota (40) exceeded'), { name: 'ResourceLimitExceeded' }));

    const state = await enableFastLaunch(AMI, 'lt-0fa57000000000001', settings());
    const checked = await checkFastLaunch(state, settings());

    expect(state.ready).toBe(true);
    expect(state.warning).toMatch(/^Fast Launch for ami-0123456789abcdef0 was refused: Fast Launch parallel launches quota \(40\) exceeded; new nodes launch without/);
    expect(checked).toEqual({ ...state, waitSeconds: 0 });
    expect(ec2.commandCalls(DescribeFastLaunchImagesCommand)).toHaveLength(0);
  });

  it('fails with FastLaunchFailedError when the quota refuses it and onFailure is fail', async () => {
    ec2.on(EnableFastLaunchCommand).rejects(Object.assign(new Error('quota exceeded'), { name: 'ResourceLimitExceeded' }));

    await expect(enableFastLaunch(AMI, 'lt-0fa57000000000001', settings({ onFailure: 'fail' }))).rejects.toThrow(FastLaunchFailedError);
  });

  it('lets other errors (a bad template, a non-Windows AMI) reach the state machine', async () => {
    ec2.on(EnableFastLaunchCommand).rejects(Object.assign(new Error('not Windows'), { name: 'InvalidParameterValue' }));
    ec2.on(DescribeFastLaunchImagesCommand).resolves({ FastLaunchImages: [] });

    await expect(enableFastLaunch(AMI, 'lt-0fa57000000000001', settings())).rejects.toThrow('not Windows');
  });

  it('goes on with a warning, per onFailure, when an earlier run\'s DisableFastLaunch is still removing the snapshots', async () => {
    ec2.on(EnableFastLaunchCommand).rejects(Object.assign(new Error('still disabling'), { name: 'IncorrectState' }));
    ec2.on(DescribeFastLaunchImagesCommand).resolves({ FastLaunchImages: [{ ImageId: AMI, State: 'disabling' }] });

    const state = await enableFastLaunch(AMI, 'lt-0fa57000000000001', settings());

    expect(state).toMatchObject({ ready: true, state: 'not-enabled' });
    expect(state.warning).toContain(`Fast Launch for ${AMI} was refused: it is still being disabled`);
    expect(ec2.commandCalls(DescribeFastLaunchImagesCommand)[0]?.args[0].input).toEqual({ ImageIds: [AMI] });
    await expect(enableFastLaunch(AMI, 'lt-0fa57000000000001', settings({ onFailure: 'fail' }))).rejects.toThrow(FastLaunchFailedError);
  });

  it('lets the enable\'s own error through when the state cannot be read either', async () => {
    ec2.on(EnableFastLaunchCommand).rejects(Object.assign(new Error('bad template'), { name: 'InvalidLaunchTemplateId.NotFound' }));
    ec2.on(DescribeFastLaunchImagesCommand).rejects(Object.assign(new Error('denied'), { name: 'UnauthorizedOperation' }));

    await expect(enableFastLaunch(AMI, 'lt-0fa57000000000001', settings())).rejects.toThrow('bad template');
  });
});

describe('waiting for Fast Launch', () => {
  it('is ready once the AMI is enabled', async () => {
    describeAs('enabled');
    expect(await checkFastLaunch(started(), settings())).toMatchObject({ ready: true, state: 'enabled', waitSeconds: 0, warning: null });
    expect(ec2.commandCalls(DescribeFastLaunchImagesCommand)[0]?.args[0].input).toEqual({ ImageIds: [AMI] });
  });

  it('keeps waiting while enabling, within the poll bounds', async () => {
    describeAs('enabling');
    const s = await checkFastLaunch(started(), settings());
    expect(s).toMatchObject({ ready: false, state: 'enabling' });
    expect(s.waitSeconds).toBeGreaterThanOrEqual(30);
    expect(s.waitSeconds).toBeLessThanOrEqual(480);
  });

  it.each(['enabling-failed', 'enabled-failed'])('continues with a warning on %s when onFailure is warn', async (state) => {
    describeAs(state, 'Client.LaunchTemplateNotFound');
    const s = await checkFastLaunch(started(), settings());
    expect(s).toMatchObject({ ready: true, state, waitSeconds: 0 });
    expect(s.warning).toContain(`Fast Launch for ${AMI} is ${state}: Client.LaunchTemplateNotFound`);
  });

  it.each(['enabling-failed', 'enabled-failed'])('throws FastLaunchFailedError on %s when onFailure is fail', async (state) => {
    describeAs(state);
    await expect(checkFastLaunch(started(), settings({ onFailure: 'fail' }))).rejects.toThrow(FastLaunchFailedError);
    await expect(checkFastLaunch(started(), settings({ onFailure: 'fail' }))).rejects.toThrow(/onFailure is "fail"/);
  });

  it('gives up on an AMI stuck in enabling, per onFailure', async () => {
    describeAs('enabling');
    const longAgo = started({ startedAt: new Date(Date.now() - FAST_LAUNCH_TIMEOUT_SECONDS * 1000).toISOString() });

    const s = await checkFastLaunch(longAgo, settings());

    expect(s).toMatchObject({ ready: true, state: 'enabling' });
    expect(s.warning).toMatch(/was still enabling after 90 minutes/);
    await expect(checkFastLaunch(longAgo, settings({ onFailure: 'fail' }))).rejects.toThrow(FastLaunchFailedError);
  });
});

describe('the regional quota of 40 parallel launches', () => {
  const cfg = (variants: number, maxParallelLaunches: number, enabled = true) => ({ variants: Array.from({ length: variants }), fastLaunch: { enabled, maxParallelLaunches } });

  it('counts two AMIs per variant during a rollout: the new one and last month\'s, which keeps Fast Launch until the rollout ends', () => {
    expect(fastLaunchQuotaProblem(cfg(3, 6))).toBeNull();
    expect(fastLaunchQuotaProblem(cfg(2, 10))).toBeNull();
    expect(fastLaunchQuotaProblem(cfg(1, 20))).toBeNull();
    expect(fastLaunchQuotaProblem(cfg(1, 21))).toContain('1 variant(s) x 2 AMIs x 21 = 42 parallel launches');
  });

  it('refuses a config that fitted one AMI per variant but not the old and new AMIs of a rollout', () => {
    // 4 x 6 = 24 fits a first run; every later month needs 4 x 2 x 6 = 48.
    expect(fastLaunchQuotaProblem(cfg(4, 6))).toContain('4 variant(s) x 2 AMIs x 6 = 48 parallel launches, over the regional Fast Launch quota of 40');
    expect(fastLaunchQuotaProblem(cfg(2, 20))).not.toBeNull();
  });

  it('refuses more, naming the value that fits', () => {
    expect(fastLaunchQuotaProblem(cfg(2, 20))).toBe(
      "2 variant(s) x 2 AMIs x 20 = 80 parallel launches, over the regional Fast Launch quota of 40 (variants run side by side, and each variant's last AMI keeps Fast Launch until its rollout ends): lower fastLaunch.maxParallelLaunches to 10 or less",
    );
  });

  it('says when even the minimum of 6 per AMI cannot fit, and how to declare a raised quota', () => {
    const problem = fastLaunchQuotaProblem(cfg(4, 6));

    expect(problem).toContain("even EC2's minimum of 6 per AMI does not fit");
    expect(problem).toContain('then set fastLaunch.regionalQuota to it');
  });

  it('ignores the quota when Fast Launch is off, and honours a raised quota', () => {
    expect(fastLaunchQuotaProblem(cfg(10, 6, false))).toBeNull();
    expect(fastLaunchQuotaProblem(cfg(5, 6), 60)).toBeNull();
    expect(fastLaunchQuotaProblem(cfg(6, 6), 60)).not.toBeNull();
  });
});
