import { describe, expect, it } from 'vitest';
import { parseConfig } from '../lib/config.js';
import { managedNodeGroupsOf } from '../lib/config/kubernetes.js';
import { problemsOf, sample } from './support/config.js';


describe('managed node groups in config (issue 11)', () => {
  it('defaults: roll managed node groups back, never force their updates', () => {
    expect(parseConfig(sample()).rollout).toMatchObject({ rollBackManagedNodeGroups: true, forceManagedNodeGroupUpdates: false });
  });

  it('takes the cluster from the selector, else from the variant', () => {
    const raw = sample();
    raw.variants[0] = { ...raw.variants[0], cluster: 'prod', nodeGroups: [{ managedNodeGroup: 'win-a', canary: true }, { managedNodeGroup: 'win-b', cluster: 'staging' }, { asgName: 'ng-1' }] };

    const [variant] = parseConfig(raw).variants;
    expect(managedNodeGroupsOf(variant!)).toEqual([
      { cluster: 'prod', nodegroup: 'win-a', canary: true },
      { cluster: 'staging', nodegroup: 'win-b', canary: false },
    ]);
  });

  it('refuses a managed node group without a cluster, naming the field and the fix', () => {
    const raw = sample();
    raw.variants[0] = { ...raw.variants[0], cluster: undefined, nodeGroups: [{ managedNodeGroup: 'win-a' }] };

    expect(problemsOf(raw)).toEqual([
      `variants[0].nodeGroups[0].cluster: the managed node group "win-a" needs its EKS cluster: add cluster: <name> to this node group ({ managedNodeGroup: win-a, cluster: <name> }) or to variant "${String(raw.variants[0]!.id)}"`,
    ]);
  });

  it('refuses a selector with managedNodeGroup and asgName or tag', () => {
    const raw = sample();
    raw.variants[0] = { ...raw.variants[0], cluster: 'prod', nodeGroups: [{ managedNodeGroup: 'win-a', asgName: 'ng-1' }] };

    expect(problemsOf(raw)).toEqual([
      expect.stringContaining('variants[0].nodeGroups[0]: give exactly one of asgName (an Auto Scaling group name), tag ({ key, value }) or managedNodeGroup (an EKS managed node group name, with cluster)'),
    ]);
  });

  it('refuses a node group name EKS would refuse, and the same managed node group in two variants', () => {
    const raw = sample();
    const first = raw.variants[0] as Record<string, unknown>;
    raw.variants = [
      { ...first, cluster: 'prod', nodeGroups: [{ managedNodeGroup: '-bad' }] },
      { ...first, id: 'other', cluster: 'prod', nodeGroups: [{ managedNodeGroup: 'win-a' }] },
      { ...first, id: 'third', nodeGroups: [{ managedNodeGroup: 'win-a', cluster: 'prod' }] },
    ];

    const problems = problemsOf(raw);
    expect(problems).toContainEqual(expect.stringMatching(/^variants\[0\]\.nodeGroups\[0\]\.managedNodeGroup: use the managed node group name as EKS shows it/));
    expect(problems).toContainEqual(expect.stringContaining('variants[2].nodeGroups[0].managedNodeGroup: managed node group prod/win-a already belongs to variant "other": a node group runs one AMI'));
  });

  it('accepts nodeGroups: [] (a Karpenter-only variant) and still requires the key', () => {
    const raw = sample();
    raw.variants[0] = { ...raw.variants[0], nodeGroups: [] };
    expect(parseConfig(raw).variants[0]?.nodeGroups).toEqual([]);

    const { nodeGroups: _, ...without } = raw.variants[0] as Record<string, unknown>;
    raw.variants[0] = without;
    expect(problemsOf(raw)).toEqual([expect.stringMatching(/^variants\[0\]\.nodeGroups: /)]);
  });

  it('names a non-boolean rollBackManagedNodeGroups', () => {
    const raw = sample();
    raw.rollout = { rollBackManagedNodeGroups: 'yes' };
    expect(problemsOf(raw)).toEqual([expect.stringMatching(/^rollout\.rollBackManagedNodeGroups: /)]);
  });
});
