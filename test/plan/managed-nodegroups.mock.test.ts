import { DescribeLaunchTemplatesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { Nodegroup } from '@aws-sdk/client-eks';
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeGroupSelector } from '../../lib/config.js';
import { PlanError } from '../../lib/errors.js';
import { parseExecutionInput } from '../../lib/input.js';
import { checkAccess } from '../../lib/plan/access.js';
import { readAccount } from '../../lib/plan/account.js';
import { readFleet } from '../../lib/plan/fleet.js';
import { planRun } from '../../lib/plan/plan.js';
import type { RunPlan } from '../../lib/plan/types.js';
import { SimulatedAccount } from '../../local/sim/account.js';
import { SimulatedServiceError } from '../../local/sim/context.js';
import { installSimulation } from '../../local/sim/install.js';
import { generateScenario, type Scenario } from '../support/rehearse.js';

/**
 * The plan's managed node group checks with DescribeNodegroup answered here, in the shape of the Amazon EKS API
 * Reference (nodegroup { status, amiType, launchTemplate { id, name, version }, resources.autoScalingGroups }, unknown
 * node group: ResourceNotFoundException), because some answers are ones the simulated EKS never gives (a node group
 * without a launch template, status DELETING). Everything else comes from the simulated account; the rehearsals with
 * real simulated node groups (fleet.managedNodeGroups) are in test/rollout/managed-node-groups.test.ts.
 */
const G0 = 'ng-win2022-core-131-0000';
const ASG_A = 'eks-win-a-4ec7a1b2-0c1d-2e3f-4a5b-6c7d8e9f0a1b';
const ASG_B = 'eks-win-b-5fd8b2c3-1d2e-3f4a-5b6c-7d8e9f0a1b2c';

interface FakeNodegroup {
  cluster: string;
  name: string;
  asgName: string;
  /** Launch template name in the fleet; absent: a node group without launch template. */
  launchTemplate?: string;
  version?: string;
  amiType?: string;
  status?: string;
}

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

/** One 2022 variant: G0 (a self-managed ASG, canary) and the scenario's ASGs 1 and 2 turned into the ASGs of managed node groups win-a and win-b of cluster prod. */
function mixedScenario(): Scenario {
  const s = generateScenario({ variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }], nodeGroups: 3 });
  const [, one, two] = s.fleet.autoScalingGroups;
  // EKS names a managed node group's ASG eks-<nodegroup>-<uuid> and tags it (K11 contract, "Managed node group ASG tags").
  for (const [asg, name, ng] of [[one, ASG_A, 'win-a'], [two, ASG_B, 'win-b']] as const) {
    asg!.name = name;
    asg!.tags = { 'eks:cluster-name': 'prod', 'eks:nodegroup-name': ng, 'k8s.io/cluster-autoscaler/prod': 'owned', 'kubernetes.io/cluster/prod': 'owned' };
  }
  return s;
}

async function plan(s: Scenario, selectors: NodeGroupSelector[], nodegroups: FakeNodegroup[], input: Record<string, unknown> = { dryRun: true }): Promise<RunPlan> {
  s.config.variants[0]!.nodeGroups = selectors;
  const account = new SimulatedAccount({ fleet: s.fleet });
  const call = account.call.bind(account);
  const ids = new Map<string, string>();
  account.call = async (service, operation, input) => {
    if (service !== 'EKS' || operation !== 'DescribeNodegroup') return call(service, operation, input);
    const ng = nodegroups.find((n) => n.cluster === input.clusterName && n.name === input.nodegroupName);
    if (!ng) throw new SimulatedServiceError('ResourceNotFoundException', `No node group found for name: ${String(input.nodegroupName)}.`, 404);
    const nodegroup: Nodegroup = {
      nodegroupName: ng.name,
      clusterName: ng.cluster,
      status: (ng.status ?? 'ACTIVE') as Nodegroup['status'],
      amiType: (ng.amiType ?? 'CUSTOM') as Nodegroup['amiType'],
      ...(ng.launchTemplate ? { launchTemplate: { id: ids.get(ng.launchTemplate), name: ng.launchTemplate, version: ng.version ?? '1' } } : {}),
      resources: { autoScalingGroups: [{ name: ng.asgName }] },
    };
    return { nodegroup } as never;
  };
  const sim = installSimulation(account);
  restore = () => sim.restore();
  const lts = await new EC2Client({ region: 'us-west-2' }).send(new DescribeLaunchTemplatesCommand({}));
  for (const lt of lts.LaunchTemplates ?? []) ids.set(lt.LaunchTemplateName as string, lt.LaunchTemplateId as string);
  const parsed = parseExecutionInput(input, s.config);
  const parameterPrefix = '/eks-windows-patch/rehearsal';
  // The four planning functions in a row, as the state machine calls them (ReadAccount, ReadFleet, CheckAccess, PlanRun).
  const read = await readAccount(parsed, s.config, { parameterPrefix });
  const { facts, questions } = await readFleet(parsed, s.config, read, { parameterPrefix, stage: 'rehearsal', region: 'us-west-2' });
  return planRun(parsed, s.config, { executionName: 'mng-test', parameterPrefix, stage: 'rehearsal' }, read, facts, await checkAccess(questions, s.config));
}

async function problems(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    if (error instanceof PlanError) return error.message;
    throw error;
  }
  throw new Error('the plan succeeded');
}

const both = (overrides: Partial<FakeNodegroup> = {}): FakeNodegroup[] => [
  { cluster: 'prod', name: 'win-a', asgName: ASG_A, launchTemplate: 'ng-win2022-core-131-0001', ...overrides },
  { cluster: 'prod', name: 'win-b', asgName: ASG_B, launchTemplate: 'ng-win2022-core-131-0002' },
];
const SELECTORS: NodeGroupSelector[] = [
  { asgName: G0, canary: true },
  { managedNodeGroup: 'win-a', cluster: 'prod', canary: false },
  { managedNodeGroup: 'win-b', cluster: 'prod', canary: false },
];

describe('managed node groups in the plan (DescribeNodegroup answered by the test until the simulation has it)', () => {
  it('plans one ASG and two managed node groups: the node group\'s ASG, launch template and version, no lifecycle hooks', async () => {
    const s = mixedScenario();
    const result = await plan(s, SELECTORS, both());

    const [canary, rest] = result.variants[0]!.waves;
    expect(canary?.map((g) => [g.asgName, g.managed])).toEqual([[G0, undefined]]);
    expect(rest).toEqual([
      { asgName: ASG_A, managed: { cluster: 'prod', nodegroup: 'win-a' }, launchTemplateId: expect.stringMatching(/^lt-/), version: '1', canary: false, imageId: s.fleet.launchTemplates[1]!.versions[0]!.imageId },
      { asgName: ASG_B, managed: { cluster: 'prod', nodegroup: 'win-b' }, launchTemplateId: expect.stringMatching(/^lt-/), version: '1', canary: false, imageId: s.fleet.launchTemplates[2]!.versions[0]!.imageId },
    ]);
    // EKS drains a managed node group: no gate, no drain of ours, no hooks.
    expect(rest?.every((g) => g.kubernetes === undefined)).toBe(true);
    expect(result.lifecycleHooks).toBeUndefined();
    expect(result.notice.message).toContain(`asg ${G0}: launch template`);
    expect(result.notice.message).toContain(`managed node group prod/win-a (ASG ${ASG_A}; EKS updates and drains it): launch template`);
    expect(result.warnings.join('\n')).not.toContain('belongs to the EKS managed node group');
  });

  it('keeps config order across kinds: a managed canary first, then the ASG', async () => {
    const result = await plan(mixedScenario(), [{ managedNodeGroup: 'win-b', cluster: 'prod', canary: true }, { asgName: G0, canary: false }, { managedNodeGroup: 'win-a', cluster: 'prod', canary: false }], both());

    expect(result.variants[0]!.waves.map((w) => w.map((g) => g.managed?.nodegroup ?? g.asgName))).toEqual([['win-b'], [G0, 'win-a']]);
  });

  it('input.nodeGroups names a managed node group by its name', async () => {
    const result = await plan(mixedScenario(), SELECTORS, both(), { dryRun: true, nodeGroups: ['win-b'] });

    expect(result.variants[0]!.waves.flat().map((g) => g.asgName)).toEqual([ASG_B]);
    expect(result.variants[0]!.nodeGroupsLimited).toBe(true);
  });

  it('refuses a node group EKS does not know, naming cluster and node group', async () => {
    const text = await problems(plan(mixedScenario(), [...SELECTORS, { managedNodeGroup: 'win-c', cluster: 'prod', canary: false }], both()));

    expect(text).toContain('managed node group prod/win-c was not found in this region (DescribeNodegroup: ResourceNotFoundException): check managedNodeGroup and cluster in config (aws eks list-nodegroups --cluster-name prod)');
  });

  it('refuses a node group on an AWS AMI type (its template sets no ImageId), with the way to a node group that can carry our AMI', async () => {
    const text = await problems(plan(mixedScenario(), SELECTORS, both({ amiType: 'WINDOWS_CORE_2022_x86_64' })));

    expect(text).toContain(
      "managed node group prod/win-a runs on AMI type WINDOWS_CORE_2022_x86_64 (its launch template ng-win2022-core-131-0001 sets no ImageId): it runs AWS's AMI and cannot carry ours (EKS keeps a node group's AMI type and launch template for its life). Create a new managed node group from a launch template whose ImageId is an AMI (AMI type CUSTOM",
    );
    expect(text).toContain('then configure the new one here: { managedNodeGroup: <new name>, cluster: prod }');
  });

  it('refuses a node group without a launch template', async () => {
    const text = await problems(plan(mixedScenario(), SELECTORS, both({ launchTemplate: undefined, amiType: 'WINDOWS_FULL_2022_x86_64' })));

    expect(text).toContain("managed node group prod/win-a runs on AMI type WINDOWS_FULL_2022_x86_64 without a launch template: it runs AWS's AMI and cannot carry ours");
  });

  it('applies the AMI check to the node group\'s launch template version', async () => {
    const s = mixedScenario();
    s.fleet.amis.push({ id: 'ami-0e0e0000000000019', name: 'Windows_Server-2019-English-Core-EKS_Optimized-1.31-2026.10.08', platform: 'windows' });
    s.fleet.launchTemplates[1]!.versions[0]!.imageId = 'ami-0e0e0000000000019';
    const text = await problems(plan(s, SELECTORS, both()));

    expect(text).toContain(`managed node group prod/win-a: ASG ${ASG_A} runs AMI ami-0e0e0000000000019 (Windows_Server-2019-English-Core-EKS_Optimized-1.31-2026.10.08), which is Windows Server 2019 Core, but variant win2022-core-131 is Windows Server 2022 Core`);
  });

  it('refuses a node group that is being deleted', async () => {
    const text = await problems(plan(mixedScenario(), SELECTORS, both({ status: 'DELETING' })));

    expect(text).toContain('managed node group prod/win-a is DELETING: EKS updates only an ACTIVE node group');
  });

  it('plans a Karpenter-only variant (nodeGroups: []) with no waves and no canary warning', async () => {
    const result = await plan(mixedScenario(), [], []);

    expect(result.variants[0]?.waves).toEqual([]);
    expect(result.warnings.join('\n')).not.toContain('no canary group');
    expect(result.notice.message).toContain('no node groups (Karpenter-only or none configured): the AMI is built, no rollout');
  });
});
