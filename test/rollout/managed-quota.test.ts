import { describe, expect, it } from 'vitest';
import { callsOf, loadScenario, rehearse, type RehearsalReport } from '../support/rehearse.js';

/**
 * local/scenarios/managed-node-groups.yml without Fast Launch: a self-managed canary (1 x 2 vCPUs) and managed node groups
 * win2022-web and win2022-api (2 x 2 vCPUs each): 10 vCPUs; the run's image build holds 4 more. Each managed update scales
 * up by 2 x the ASG's 2 Availability Zones = 4 instances (8 vCPUs) beside its group until it ends.
 */
const FLEET = 10;
const BUILD = 4;
const scenario = (fleet: Record<string, unknown>) => {
  const s = loadScenario('local/scenarios/managed-node-groups.yml');
  s.config = { ...s.config, fastLaunch: { ...s.config.fastLaunch, enabled: false } };
  Object.assign(s.fleet, fleet);
  return s;
};
const text = (r: RehearsalReport) => JSON.stringify([r.logs, r.notifications]);
const updateStatuses = async (r: RehearsalReport, nodegroupName: string) => {
  const { updateIds } = (await r.account.call('EKS', 'ListUpdates', { name: 'prod-eks', nodegroupName })) as { updateIds: string[] };
  const out: { status: string; errors: { errorCode: string; errorMessage: string }[] }[] = [];
  for (const updateId of updateIds) out.push(((await r.account.call('EKS', 'DescribeUpdate', { name: 'prod-eks', nodegroupName, updateId })) as { update: (typeof out)[number] }).update);
  return out;
};

describe('managed node group updates within the On-Demand vCPU quota L-1216C47A', () => {
  // Room for one managed update's scale-up at a time (8 of the 8 left), not two side by side.
  const QUOTA = FLEET + BUILD + 8;

  it('updates one group at a time when the plan fits their scale-up, and no update fails', async () => {
    const r = await rehearse(scenario({ onDemandVcpuQuota: QUOTA }), { logLevel: 'SILENT' });

    expect(r.status).toBe('SUCCEEDED');
    expect(text(r)).toContain(`L-1216C47A is ${QUOTA} vCPUs and the account uses ${FLEET + BUILD}: maxConcurrentGroups reduced to 1`);
    expect(text(r)).toContain("fit their extra instances (managed node group updates' scale-up)");
    expect(callsOf(r, 'UpdateNodegroupVersion').map((u) => u.nodegroupName)).toEqual(['win2022-web', 'win2022-api']);
    for (const ng of ['win2022-web', 'win2022-api']) expect((await updateStatuses(r, ng)).map((u) => u.status)).toEqual(['Successful']);
  });

  it('without the fit (the quota cannot be read), the updates side by side fail in the simulated account with AsgInstanceLaunchFailures', async () => {
    const r = await rehearse(scenario({ onDemandVcpuQuota: QUOTA, serviceQuotasAccessDenied: true }), { logLevel: 'SILENT' });

    expect(r.status).toBe('FAILED');
    expect(text(r)).toContain('the refreshes and managed node group updates are not fitted into the On-Demand vCPU quota');
    const api = await updateStatuses(r, 'win2022-api');
    expect(api[0]).toMatchObject({ status: 'Failed', errors: [{ errorCode: 'AsgInstanceLaunchFailures', errorMessage: expect.stringContaining(`VcpuLimitExceeded: You have requested more vCPU capacity than your current vCPU limit of ${QUOTA}`) }] });
    expect(text(r)).toContain('AsgInstanceLaunchFailures: VcpuLimitExceeded');
  });

  it('refuses the run before any build when one managed update alone does not fit, and says why', async () => {
    const r = await rehearse(scenario({ onDemandVcpuQuota: QUOTA - 1 }), { logLevel: 'SILENT' });

    expect(r.status).toBe('FAILED');
    expect(callsOf(r, 'CreateImage')).toHaveLength(0);
    expect(callsOf(r, 'UpdateNodegroupVersion')).toHaveLength(0);
    expect(text(r)).toContain('need more than the 7 vCPUs left');
    expect(text(r)).toContain("a managed node group update first scales up by max(2 x its Availability Zones");
  });
});
