import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  CreateOrUpdateTagsCommand,
  DescribeInstanceRefreshesCommand,
  RecordLifecycleActionHeartbeatCommand,
  RollbackInstanceRefreshCommand,
} from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { drainOldNode, type DrainCarry } from '../../lib/lifecycle/drain-action.js';
import type { LifecycleEvent } from '../../lib/lifecycle/event.js';
import { checkNewNode } from '../../lib/lifecycle/gate-action.js';
import { encodeMetadata, hookNames, type HookMetadata } from '../../lib/lifecycle/metadata.js';
import { AMI_NEW, cluster, facts } from '../kubernetes/support.js';

const asg = mockClient(AutoScalingClient);
const LT = 'lt-0123456789abcdef0:8';
const meta: HookMetadata = { v: 1, run: 'run-1', variant: 'win2022-core-131', cluster: 'prod-windows', lt: LT, build: '10.0.20348', k8s: '1.31', labels: { os: 'windows' }, taints: [{ key: 'os', value: 'windows', effect: 'NoSchedule' }] };

function event(instanceId: string, transition: 'LAUNCHING' | 'TERMINATING', at: number): LifecycleEvent {
  const names = hookNames('ci');
  return {
    time: new Date(at).toISOString(),
    detail: {
      AutoScalingGroupName: 'win-a',
      LifecycleHookName: transition === 'LAUNCHING' ? names.ready : names.drain,
      LifecycleActionToken: `token-${instanceId}`,
      EC2InstanceId: instanceId,
      LifecycleTransition: `autoscaling:EC2_INSTANCE_${transition}`,
      NotificationMetadata: encodeMetadata(meta),
    },
  };
}

function ourRefreshRunning(version = '8') {
  asg.on(DescribeInstanceRefreshesCommand).resolves({
    InstanceRefreshes: [{ InstanceRefreshId: 'ir-1', Status: 'InProgress', DesiredConfiguration: { LaunchTemplate: { LaunchTemplateId: 'lt-0123456789abcdef0', Version: version } } }],
  });
}

const completions = () => asg.commandCalls(CompleteLifecycleActionCommand).map((c) => c.args[0].input.LifecycleActionResult);

beforeEach(() => {
  asg.reset();
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => vi.useRealTimers());

describe('the readiness gate on a launching instance', () => {
  it('continues the launch once its Node is Ready with the variant build and the shared taint', async () => {
    const c = cluster({ nodes: 3 });
    const launched = 'i-0bbbbbbbbbbbbbb01';
    const t0 = c.now();
    c.cluster.registerNode(launched, facts('win-a', AMI_NEW), t0);
    vi.setSystemTime(c.advance(30));
    const settings = { stage: 'ci', readinessTimeoutMinutes: 15, kubernetes: async () => c.client };

    const first = await checkNewNode(event(launched, 'LAUNCHING', t0), settings);
    expect(first).toMatchObject({ done: false, decision: 'wait' });
    expect(first.reason).toMatch(/not Ready/);
    expect(completions()).toEqual([]);

    vi.setSystemTime(c.advance(90));
    const second = await checkNewNode(event(launched, 'LAUNCHING', t0), settings);
    expect(second).toMatchObject({ done: true, decision: 'continue' });
    expect(completions()).toEqual(['CONTINUE']);
    expect(asg.commandCalls(CompleteLifecycleActionCommand)[0]?.args[0].input).toMatchObject({ LifecycleActionToken: `token-${launched}`, AutoScalingGroupName: 'win-a' });
  });

  it('abandons a node of another Windows build at once, rolls our refresh back and leaves the verdict on the group', async () => {
    const c = cluster({ nodes: 3, faults: [{ kind: 'wrongWindowsBuild', amiId: AMI_NEW }] });
    ourRefreshRunning();
    const launched = 'i-0bbbbbbbbbbbbbb02';
    c.cluster.registerNode(launched, facts('win-a', AMI_NEW), c.now());
    vi.setSystemTime(c.advance(5));

    const step = await checkNewNode(event(launched, 'LAUNCHING', c.now()), { stage: 'ci', readinessTimeoutMinutes: 15, kubernetes: async () => c.client });

    expect(step).toMatchObject({ done: true, decision: 'abandon' });
    expect(step.reason).toMatch(/refused: Node .* runs Windows build 10\.0\.17763, the variant needs 10\.0\.20348/);
    expect(asg.commandCalls(RollbackInstanceRefreshCommand)).toHaveLength(1);
    const tag = asg.commandCalls(CreateOrUpdateTagsCommand)[0]?.args[0].input.Tags?.[0];
    expect(tag).toMatchObject({ ResourceId: 'win-a', Key: 'eks-windows-patch/ci/verdict', PropagateAtLaunch: false });
    expect(tag?.Value).toMatch(/^ir-1\|readiness gate: new node i-0bbbbbbbbbbbbbb02 refused/);
    expect(completions()).toEqual(['ABANDON']);
  });

  it('abandons at the deadline a node that never registered, naming the timeout', async () => {
    const c = cluster({ nodes: 2 });
    ourRefreshRunning();
    const t0 = c.now();
    vi.setSystemTime(c.advance(15 * 60));

    const step = await checkNewNode(event('i-0bbbbbbbbbbbbbb03', 'LAUNCHING', t0), { stage: 'ci', readinessTimeoutMinutes: 15, kubernetes: async () => c.client });

    expect(step.reason).toMatch(/^new node i-0bbbbbbbbbbbbbb03 never became Ready within 15 min: no Node has registered/);
    expect(completions()).toEqual(['ABANDON']);
    expect(asg.commandCalls(RollbackInstanceRefreshCommand)).toHaveLength(1);
  });

  it('still abandons the launch when the group cannot roll back (IrreversibleInstanceRefresh: $Latest allowed by config)', async () => {
    const c = cluster({ nodes: 2 });
    ourRefreshRunning();
    asg.on(RollbackInstanceRefreshCommand).rejects(Object.assign(new Error('The instance refresh cannot be rolled back'), { name: 'IrreversibleInstanceRefreshFault' }));
    const t0 = c.now();
    vi.setSystemTime(c.advance(16 * 60));
    const step = await checkNewNode(event('i-0bbbbbbbbbbbbbb05', 'LAUNCHING', t0), { stage: 'ci', readinessTimeoutMinutes: 15, kubernetes: async () => c.client });
    expect(step.decision).toBe('abandon');
    expect(completions()).toEqual(['ABANDON']);
  });

  it('does not roll back a refresh that is not ours', async () => {
    const c = cluster({ nodes: 2 });
    ourRefreshRunning('9');
    const t0 = c.now();
    vi.setSystemTime(c.advance(16 * 60));
    await checkNewNode(event('i-0bbbbbbbbbbbbbb04', 'LAUNCHING', t0), { stage: 'ci', readinessTimeoutMinutes: 15, kubernetes: async () => c.client });
    expect(asg.commandCalls(RollbackInstanceRefreshCommand)).toHaveLength(0);
    expect(asg.commandCalls(CreateOrUpdateTagsCommand)).toHaveLength(0);
    expect(completions()).toEqual(['ABANDON']);
  });
});

describe('the drain of a terminating instance', () => {
  const workloads = [{ name: 'web', kind: 'Deployment', replicas: 3, nodeGroup: 'win-a', terminationGracePeriodSeconds: 20, pdb: { minAvailable: 2 } }];

  async function drainToEnd(c: ReturnType<typeof cluster>, instanceId: string, onTimeout: 'rollback' | 'terminate', timeoutMinutes = 30) {
    const t0 = c.now();
    const settings = { stage: 'ci', timeoutMinutes, onTimeout, kubernetes: async () => c.client };
    let carry: DrainCarry | null = null;
    for (let pass = 0; pass < 500; pass++) {
      vi.setSystemTime(c.now());
      const step = await drainOldNode(event(instanceId, 'TERMINATING', t0), carry, settings);
      if (step.done) return step;
      carry = step.carry;
      c.advance(step.waitSeconds);
    }
    throw new Error('drain never ended');
  }

  it('evicts every pod through the Eviction API, with a heartbeat per pass, then continues', async () => {
    asg.on(RecordLifecycleActionHeartbeatCommand).resolves({});
    const c = cluster({ nodes: 4, workloads });
    const victim = c.instances[0] as string;

    const step = await drainToEnd(c, victim, 'rollback');

    expect(step).toMatchObject({ done: true, decision: 'continue' });
    expect(step.evicted).toBeGreaterThan(0);
    expect(completions()).toEqual(['CONTINUE']);
    expect(asg.commandCalls(RecordLifecycleActionHeartbeatCommand).length).toBeGreaterThanOrEqual(2);
    expect(c.cluster.deletedWithoutEviction()).toEqual([]);
    expect(c.cluster.events.filter((e) => e.kind === 'pdbViolated')).toEqual([]);
  });

  it('names the pod and the budget at the deadline and rolls our refresh back under onTimeout: rollback', async () => {
    asg.on(RecordLifecycleActionHeartbeatCommand).resolves({});
    ourRefreshRunning();
    const c = cluster({ nodes: 3, workloads, faults: [{ kind: 'evictionBlocked', pdb: 'web-pdb' }] });

    const step = await drainToEnd(c, c.instances[0] as string, 'rollback', 5);

    expect(step.decision).toBe('timedOut');
    expect(step.reason).toMatch(/timed out after 5 min with \d+ pod\(s\) left: default\/web-[^ ]+ held by PDB web-pdb/);
    expect(step.reason).toMatch(/rolled back/);
    expect(asg.commandCalls(RollbackInstanceRefreshCommand)).toHaveLength(1);
    expect(asg.commandCalls(CreateOrUpdateTagsCommand)[0]?.args[0].input.Tags?.[0]?.Value).toMatch(/^ir-1\|drain of .* held by PDB web-pdb/);
    expect(completions()).toEqual(['CONTINUE']);
  });

  it('terminates anyway under onTimeout: terminate, without touching the refresh', async () => {
    asg.on(RecordLifecycleActionHeartbeatCommand).resolves({});
    ourRefreshRunning();
    const c = cluster({ nodes: 3, workloads, faults: [{ kind: 'evictionBlocked', pdb: 'web-pdb' }] });

    const step = await drainToEnd(c, c.instances[0] as string, 'terminate', 5);

    expect(step.reason).toMatch(/onTimeout: terminate/);
    expect(asg.commandCalls(RollbackInstanceRefreshCommand)).toHaveLength(0);
    expect(completions()).toEqual(['CONTINUE']);
  });

  it('stops when the lifecycle action is already over', async () => {
    const over = Object.assign(new Error('No active Lifecycle Action found with token token-x'), { name: 'ValidationError' });
    asg.on(RecordLifecycleActionHeartbeatCommand).rejects(over);
    const c = cluster({ nodes: 2, workloads });
    vi.setSystemTime(c.now());
    const step = await drainOldNode(event(c.instances[0] as string, 'TERMINATING', c.now()), null, { stage: 'ci', timeoutMinutes: 30, onTimeout: 'rollback', kubernetes: async () => c.client });
    expect(step).toMatchObject({ done: true, decision: 'over' });
    expect(completions()).toEqual([]);
    expect(c.cluster.events.filter((e) => e.kind === 'podDeleted')).toEqual([]);
  });
});
