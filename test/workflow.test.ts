import { describe, expect, it } from 'vitest';
import { callsOf, loadScenario, rehearse, rehearseFleet } from './support/rehearse.js';

describe('the sample rehearsal', () => {
  it('patches every node group of both variants and says so', async () => {
    const report = await rehearse(loadScenario('local/scenarios/sample.yml'));

    expect(report.status).toBe('SUCCEEDED');
    for (const g of ['eks-win2022-canary', 'eks-win2022-apps-a', 'eks-win2022-apps-b', 'eks-win2019-canary', 'eks-win2019-legacy']) {
      const instances = report.account.instances(g);
      const ami = report.account.asg(g).imageId;
      expect(instances.length).toBeGreaterThan(0);
      expect(new Set(instances.map((i) => i.imageId))).toEqual(new Set([ami]));
      expect(ami).not.toMatch(/^ami-0b20/); // not the old node AMI any more
    }
    const subjects = report.notifications.map((n) => n.subject);
    expect(subjects[0]).toMatch(/^Patch run started: 2 variant\(s\), 5 node group\(s\)/);
    expect(subjects.at(-1)).toMatch(/^All nodes patched: 5 node group\(s\)/);
    expect(callsOf(report, 'CreateImage')).toHaveLength(2);
  });
});

describe('an injected image build failure', () => {
  it('fails the run, names the stage and the cause, and changes no launch template or ASG', async () => {
    const report = await rehearseFleet({
      nodeGroups: 4,
      faults: [{ kind: 'imageBuildFailure', recipe: 'win2022-core-131', reason: 'update-windows exited with 0x80070643', at: 'BUILDING' }],
    });

    expect(report.status).toBe('FAILED');
    const failure = report.notifications.find((n) => n.subject?.startsWith('FAILED image build for win2022-core-131'));
    expect(failure?.message).toContain('update-windows exited with 0x80070643');
    expect(failure?.message).toContain('never touched (2)');
    for (const name of ['ng-win2022-core-131-0000', 'ng-win2022-core-131-0002']) {
      expect(report.account.launchTemplateVersions(name)).toHaveLength(1);
      expect(report.account.asg(name).version).toBe('1');
      expect(report.account.asg(name).refreshStatus).toBeUndefined();
    }
  });
});
