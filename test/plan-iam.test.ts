import { describe, expect, it } from 'vitest';
import { generateScenario, rehearse, touched, type RehearsalReport } from './support/rehearse.js';
import { launchTemplateGrantProblems, matchesRolePattern, passRoleProblems } from '../lib/plan/iam.js';
import { IamSchema } from '../lib/config.js';

const planFailure = (report: RehearsalReport) => report.notifications.find((n) => n.subject?.startsWith('FAILED plan'))?.message ?? '';
const WIN2022 = [{ windows: '2022' as const, edition: 'Core' as const, kubernetes: '1.31' }];
const G1 = 'ng-win2022-core-131-0001';

describe('launch templates the stack may not write (issue 14 item 1)', () => {
  it('refuses a group whose launch template lacks iam.launchTemplateTag, naming template and tag, and writes nothing', async () => {
    const s = generateScenario({ variants: WIN2022, nodeGroups: 2 });
    const lt = s.fleet.launchTemplates.find((l) => l.name === G1);
    if (!lt) throw new Error('no template');
    lt.tags = { team: 'web' };
    const report = await rehearse(s);

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)).toMatch(new RegExp(`ASG ${G1} runs launch template lt-[0-9a-f]+, which has no tag eks-windows-patch:node-template, so the stack may not write it \\(iam.launchTemplateTag\\): tag the template eks-windows-patch:node-template=true`));
    expect(touched(report)).toEqual([]);
  });

  it('with iam.launchTemplateIds, refuses a template the list leaves out', () => {
    const iam = IamSchema.parse({ launchTemplateIds: ['lt-0123456789abcdef0'] });
    expect(launchTemplateGrantProblems('ASG a', 'lt-0123456789abcdef0', {}, iam)).toEqual([]);
    expect(launchTemplateGrantProblems('ASG a', 'lt-0fffffffffffffff0', { 'eks-windows-patch:node-template': 'true' }, iam)).toEqual([
      'ASG a runs launch template lt-0fffffffffffffff0, which iam.launchTemplateIds does not list, so the stack may not write it: add lt-0fffffffffffffff0 to iam.launchTemplateIds and deploy',
    ]);
  });

  it('names a wrong tag value', () => {
    const iam = IamSchema.parse({});
    expect(launchTemplateGrantProblems('ASG a', 'lt-1', { 'eks-windows-patch:node-template': 'false' }, iam)[0]).toContain('which is tagged eks-windows-patch:node-template=false');
  });
});

describe('roles the stack may pass (issue 14 item 1)', () => {
  it("refuses a group whose instance profile's role the stack may not pass, naming profile and role, and writes nothing", async () => {
    const s = generateScenario({ variants: WIN2022, nodeGroups: 2, config: { iam: { nodeRoleNamePattern: 'eks-windows-node-*' } } });
    s.fleet.instanceProfiles.push({ name: 'admin-profile', role: 'Admin' });
    const lt = s.fleet.launchTemplates.find((l) => l.name === G1);
    if (!lt?.versions[0]) throw new Error('no template');
    lt.versions[0].instanceProfile = 'admin-profile';
    const report = await rehearse(s);

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)).toContain(`ASG ${G1} launches with instance profile admin-profile, whose role Admin does not match iam.nodeRoleNamePattern "eks-windows-node-*", so the stack may not pass it`);
    expect(planFailure(report)).not.toContain('ng-win2022-core-131-0000 launches');
    expect(touched(report)).toEqual([]);
  });

  it('passes the node role the pattern names: the run succeeds', async () => {
    const report = await rehearse(generateScenario({ variants: WIN2022, nodeGroups: 2, config: { iam: { nodeRoleNamePattern: 'eks-windows-node-*' } } }));
    expect(report.status).toBe('SUCCEEDED');
    expect(report.calls.filter((c) => c.operation === 'GetInstanceProfile').map((c) => (c.input as { InstanceProfileName: string }).InstanceProfileName)).toEqual(['eks-windows-node']);
  });

  it('a profile that does not exist is refused by name', async () => {
    const s = generateScenario({ variants: WIN2022, nodeGroups: 1, config: { iam: { nodeRoleArns: ['arn:aws:iam::111122223333:role/eks-windows-node-role'] } } });
    const v = s.fleet.launchTemplates[0]?.versions[0];
    if (!v) throw new Error('no template');
    v.instanceProfile = 'gone';
    const report = await rehearse(s);
    expect(planFailure(report)).toContain('launches with instance profile gone, which has no role or does not exist');
  });

  it("matches IAM's * and ? wildcards, literally otherwise", () => {
    expect(matchesRolePattern('eks-win-node-a', 'eks-win-node-*')).toBe(true);
    expect(matchesRolePattern('eks-win-nodeXa', 'eks-win-node.?')).toBe(false);
    expect(matchesRolePattern('eks-win-node.a', 'eks-win-node.?')).toBe(true);
    expect(matchesRolePattern('admin', 'eks-win-node-*')).toBe(false);
  });

  it('refuses a role outside iam.nodeRoleArns or iam.nodeRoleNamePattern, naming profile and role', () => {
    const arns = IamSchema.parse({ nodeRoleArns: ['arn:aws:iam::123456789012:role/eks-win-node'] });
    expect(passRoleProblems('ASG a', 'p', 'arn:aws:iam::123456789012:role/eks-win-node', arns)).toEqual([]);
    expect(passRoleProblems('ASG a', 'admin-profile', 'arn:aws:iam::123456789012:role/Admin', arns)).toEqual([
      'ASG a launches with instance profile admin-profile, whose role arn:aws:iam::123456789012:role/Admin iam.nodeRoleArns does not list, so the stack may not pass it: add it to iam.nodeRoleArns and deploy',
    ]);
    const pattern = IamSchema.parse({ nodeRoleNamePattern: 'eks-win-node-*' });
    expect(passRoleProblems('ASG a', 'admin-profile', 'arn:aws:iam::123456789012:role/Admin', pattern)[0]).toContain('whose role Admin does not match iam.nodeRoleNamePattern "eks-win-node-*"');
    expect(passRoleProblems('ASG a', 'gone', undefined, pattern)[0]).toContain('instance profile gone, which has no role or does not exist');
  });

  it('refuses both keys at once', () => {
    const r = IamSchema.safeParse({ nodeRoleArns: ['arn:aws:iam::123456789012:role/x'], nodeRoleNamePattern: 'x*' });
    expect(r.success).toBe(false);
  });
});
