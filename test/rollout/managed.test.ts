import { DescribeUpdateCommand, EKSClient, ResourceInUseException, UpdateNodegroupVersionCommand } from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RolloutSchema, type Rollout } from '../../lib/config.js';
import { pollNodegroupUpdate, startNodegroupUpdate } from '../../lib/rollout/managed.js';
import { startWaiting, type GroupProgress } from '../../lib/rollout/refresh.js';

const eks = mockClient(EKSClient);
const rollout = (over: Partial<Rollout> = {}): Rollout => ({ ...RolloutSchema.parse({}), ...over });
const m = { cluster: 'prod-eks', nodegroup: 'win-web' };
const group = (over: Partial<GroupProgress> = {}): GroupProgress => ({
  asgName: 'eks-win-web-1', launchTemplateId: 'lt-0123456789abcdef0', fromVersion: '4', toVersion: '5', managed: m,
  state: 'busy', refreshId: null, status: null, percent: 0, reason: null, busyAttempts: 0, ...over,
});
const inUse = () => new ResourceInUseException({ message: 'Nodegroup win-web is currently being updated', $metadata: {} });

beforeEach(() => eks.reset());

describe('starting the EKS update of a managed node group', () => {
  it('names the explicit new version, without force unless configured', async () => {
    eks.on(UpdateNodegroupVersionCommand).resolves({ update: { id: 'u-1', status: 'InProgress' } });
    const g = await startNodegroupUpdate(group(), m, rollout());
    expect(g).toMatchObject({ state: 'refreshing', refreshId: 'u-1' });
    const input = eks.commandCalls(UpdateNodegroupVersionCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ clusterName: 'prod-eks', nodegroupName: 'win-web', launchTemplate: { id: 'lt-0123456789abcdef0', version: '5' }, force: false });
    // The same update asked again (a retry after a lost answer) carries the same token: EKS answers with the first.
    await startNodegroupUpdate(group(), m, rollout());
    expect(eks.commandCalls(UpdateNodegroupVersionCommand)[1]?.args[0].input.clientRequestToken).toBe(input?.clientRequestToken);
    expect(input?.clientRequestToken).toMatch(/^\w{32}$/);
    await startNodegroupUpdate(group(), m, rollout({ forceManagedNodeGroupUpdates: true }));
    expect(eks.commandCalls(UpdateNodegroupVersionCommand)[2]?.args[0].input.force).toBe(true);
  });

  it('waits while another update runs (ResourceInUseException), then skips the group with a warning', async () => {
    eks.on(UpdateNodegroupVersionCommand).rejects(inUse());
    const waiting = await startNodegroupUpdate(group(), m, rollout({ busyRetries: 1 }));
    expect(waiting).toMatchObject({ state: 'busy', busyAttempts: 1 });
    const skipped = await startNodegroupUpdate(waiting, m, rollout({ busyRetries: 1 }));
    expect(skipped.state).toBe('skipped');
    expect(skipped.reason).toMatch(/another update of managed node group win-web was still running after 2 attempts; left on version 4/);
  });
});

describe('a managed node group another update holds, in a wave', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['Date'] }));
  afterEach(() => vi.useRealTimers());

  it('tries again five minutes after its last try, however often the wave is checked', async () => {
    eks.on(UpdateNodegroupVersionCommand).rejectsOnce(inUse()).resolves({ update: { id: 'u-1', status: 'InProgress' } });
    const wave = { status: 'InProgress' as const, startedAt: new Date().toISOString(), groups: [group()], waitSeconds: 0, percent: 0 };

    const busy = await startWaiting(wave, rollout());
    vi.setSystemTime(Date.now() + 120_000);
    const early = await startWaiting(busy, rollout());
    vi.setSystemTime(Date.now() + 180_000);
    const due = await startWaiting(early, rollout());

    expect(busy.groups[0]).toMatchObject({ state: 'busy', busyAttempts: 1 });
    expect(early.groups[0]).toMatchObject({ state: 'busy', busyAttempts: 1 });
    expect(due.groups[0]).toMatchObject({ state: 'refreshing', refreshId: 'u-1' });
    expect(due.groups[0]?.retryAt).toBeUndefined();
    expect(eks.commandCalls(UpdateNodegroupVersionCommand)).toHaveLength(2);
  });
});

describe('polling the update', () => {
  it('quotes EKS errors and updates back to the previous version by default', async () => {
    eks.on(DescribeUpdateCommand).resolves({ update: { status: 'Failed', errors: [{ errorCode: 'PodEvictionFailure', errorMessage: 'Reached max retries while trying to evict pods' }] } });
    eks.on(UpdateNodegroupVersionCommand).resolves({ update: { id: 'u-back' } });
    const g = await pollNodegroupUpdate(group({ state: 'refreshing', refreshId: 'u-1' }), m, rollout());
    expect(g.state).toBe('failed');
    expect(g.reason).toBe('update back to launch template version 4 started (EKS has no rollback); EKS update Failed: PodEvictionFailure: Reached max retries while trying to evict pods');
    expect(eks.commandCalls(UpdateNodegroupVersionCommand)[0]?.args[0].input.launchTemplate).toEqual({ id: 'lt-0123456789abcdef0', version: '4' });
  });

  it('leaves the group as EKS left it with rollBackManagedNodeGroups: false, and says so', async () => {
    eks.on(DescribeUpdateCommand).resolves({ update: { status: 'Cancelled', errors: [] } });
    const g = await pollNodegroupUpdate(group({ state: 'refreshing', refreshId: 'u-1' }), m, rollout({ rollBackManagedNodeGroups: false }));
    expect(g.reason).toBe('not updated back (rollout.rollBackManagedNodeGroups: false); EKS update Cancelled: no error given');
    expect(eks.commandCalls(UpdateNodegroupVersionCommand)).toHaveLength(0);
  });

  it('is patched on Successful and still refreshing while InProgress', async () => {
    eks.on(DescribeUpdateCommand).resolvesOnce({ update: { status: 'InProgress' } }).resolves({ update: { status: 'Successful' } });
    expect((await pollNodegroupUpdate(group({ state: 'refreshing', refreshId: 'u-1' }), m, rollout())).state).toBe('refreshing');
    expect((await pollNodegroupUpdate(group({ state: 'refreshing', refreshId: 'u-1' }), m, rollout())).state).toBe('patched');
  });
});
