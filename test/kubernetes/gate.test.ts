import { describe, expect, it } from 'vitest';
import { expectationFor, gateVerdict, kubeletMinor, sharedLabelsAndTaints } from '../../lib/kubernetes/gate.js';
import type { Node } from '../../lib/kubernetes/types.js';

const NOW = Date.parse('2026-12-08T18:00:00Z');
const DEADLINE = NOW + 15 * 60_000;

function node(instanceId: string, o: { ready?: boolean; build?: string; kubelet?: string; labels?: Record<string, string>; taints?: Node['spec']['taints'] } = {}): Node {
  return {
    metadata: {
      name: `ip-10-0-1-${instanceId.slice(-2)}.us-west-2.compute.internal`,
      labels: { 'kubernetes.io/os': 'windows', 'kubernetes.io/hostname': `h-${instanceId}`, 'topology.kubernetes.io/zone': 'us-west-2a', ...(o.build === '' ? {} : { 'node.kubernetes.io/windows-build': o.build ?? '10.0.20348' }), ...(o.labels ?? { role: 'app' }) },
    },
    spec: { providerID: `aws:///us-west-2a/${instanceId}`, taints: o.taints ?? [{ key: 'os', value: 'windows', effect: 'NoSchedule' }] },
    status: { conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }], nodeInfo: { kubeletVersion: o.kubelet ?? 'v1.31.4-eks-1a2b3c4' } },
  };
}

const old = [node('i-0000000000000aa01'), node('i-0000000000000aa02', { labels: { role: 'app', extra: 'only-here' } })];
const expected = expectationFor({ windows: '2022', kubernetes: '1.31' }, old);
const verdict = (nodes: Node[], now = NOW) => gateVerdict({ instanceId: 'i-0000000000000bb01', nodes, expected, now, deadline: DEADLINE });

describe('readiness gate', () => {
  it('continues when the new Node is Ready with the variant build, kubelet minor and the shared labels and taints', () => {
    expect(verdict([...old, node('i-0000000000000bb01')])).toEqual({ verdict: 'continue', nodeName: 'ip-10-0-1-01.us-west-2.compute.internal' });
  });

  it('waits while no Node carries a providerID ending in the instance id, then abandons at the deadline', () => {
    const before = verdict(old);
    expect(before.verdict).toBe('wait');
    expect(before).toMatchObject({ reason: expect.stringContaining('no Node has registered for i-0000000000000bb01'), waitSeconds: 15 });
    const at = verdict(old, DEADLINE);
    expect(at).toEqual({ verdict: 'abandon', reason: expect.stringMatching(/no Node has registered.*at the deadline/) });
  });

  it('waits on a NotReady node and abandons it at the deadline naming the condition', () => {
    expect(verdict([node('i-0000000000000bb01', { ready: false })]).verdict).toBe('wait');
    expect(verdict([node('i-0000000000000bb01', { ready: false })], DEADLINE + 1)).toMatchObject({ verdict: 'abandon', reason: expect.stringContaining('is not Ready (False)') });
  });

  it('abandons at once a node with another Windows build, naming both builds', () => {
    expect(verdict([node('i-0000000000000bb01', { build: '10.0.17763' })])).toEqual({
      verdict: 'abandon',
      reason: expect.stringContaining('runs Windows build 10.0.17763, the variant needs 10.0.20348'),
    });
  });

  it('abandons at once a node whose kubelet minor is not the variant Kubernetes minor', () => {
    expect(verdict([node('i-0000000000000bb01', { kubelet: 'v1.30.9-eks-abc' })])).toMatchObject({ verdict: 'abandon', reason: expect.stringContaining('kubelet v1.30.9-eks-abc, the variant needs 1.31') });
  });

  it('waits for a label or taint the old nodes all share and names it', () => {
    const v = verdict([node('i-0000000000000bb01', { labels: {}, taints: [] })]);
    expect(v).toMatchObject({ verdict: 'wait', reason: expect.stringContaining('label role=app, taint os=windows:NoSchedule') });
  });

  it('does not wait for the Windows build label until the deadline when the node is Ready without it', () => {
    expect(verdict([node('i-0000000000000bb01', { build: '' })], DEADLINE)).toMatchObject({ verdict: 'abandon', reason: expect.stringContaining('has no node.kubernetes.io/windows-build') });
  });

  it('never sleeps past the deadline', () => {
    expect(verdict(old, DEADLINE - 4_000)).toMatchObject({ verdict: 'wait', waitSeconds: 4 });
  });
});

describe('sharedLabelsAndTaints', () => {
  it('keeps what every old node carries, minus per-node labels and the taints cordon and autoscalers add', () => {
    const cordoned = old.map((n) => ({ ...n, spec: { ...n.spec, unschedulable: true, taints: [...(n.spec.taints ?? []), { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' as const }] } }));
    expect(sharedLabelsAndTaints(cordoned)).toEqual({ labels: { 'kubernetes.io/os': 'windows', role: 'app' }, taints: [{ key: 'os', value: 'windows', effect: 'NoSchedule' }] });
  });

  it('asks for nothing when the group has no old nodes', () => {
    expect(sharedLabelsAndTaints([])).toEqual({ labels: {}, taints: [] });
  });
});

describe('kubeletMinor', () => {
  it('reads the minor from an EKS kubelet version', () => {
    expect(kubeletMinor('v1.31.4-eks-1a2b3c4')).toBe('1.31');
    expect(kubeletMinor('1.29.0')).toBe('1.29');
    expect(kubeletMinor('garbage')).toBeUndefined();
  });
});
