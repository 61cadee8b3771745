import { describe, expect, it } from 'vitest';
import { DEFAULT_VARIANTS } from '../../local/generate.js';
import { generateScenario, rehearse, type FleetSpec, type RehearsalReport } from '../support/rehearse.js';

/** One variant, 21 groups of 2 to 9 instances (launch templates of m6i.xlarge, 4 vCPUs), rollout.surge with a budget of 20 extra instances. */
const size = (i: number) => 2 + ((i * 5) % 8);
const FLEET_VCPUS = Array.from({ length: 21 }, (_, i) => size(i)).reduce((a, b) => a + b, 0) * 4;
const spec: FleetSpec = {
  variants: [DEFAULT_VARIANTS[0] as NonNullable<FleetSpec['variants']>[number]],
  nodeGroups: 21,
  instances: size,
  config: { rollout: { surge: { maxExtraInstances: 20 } } },
};
const scenario = (fleet: Record<string, unknown>) => {
  const s = generateScenario(spec);
  Object.assign(s.fleet, fleet);
  return s;
};
const surges = (report: RehearsalReport) =>
  report.calls.filter((c) => c.operation === 'StartInstanceRefresh' && !c.error).map((c) => (c.input as { Preferences: { MaxHealthyPercentage: number } }).Preferences.MaxHealthyPercentage);
const failedRefreshes = (report: RehearsalReport) => report.account.asgNames().filter((n) => report.account.asg(n).refreshStatus !== 'Successful');
const text = (report: RehearsalReport) => JSON.stringify([report.logs, report.notifications]);

describe('rollout.surge within the On-Demand vCPU quota L-1216C47A', () => {
  // Every group (2 to 9 instances, MinHealthy 100 / MaxHealthy 110) launches one extra 4-vCPU instance first: 84 vCPUs at once.
  const REFRESHES = 21 * 4;
  // Held back for the run's image build (one m6i.xlarge) and Fast Launch's temporary instances (6 parallel m6i.xlarge
  // launches for the new AMI and 6 for last month's: both replenish their snapshots during the rollout).
  const RESERVED = 4 + 2 * 6 * 4;
  it('reduces the surge to what the refreshes leave, warns with the quota and the fix, and no refresh fails', async () => {
    // Room for the refreshes' own extra instances and 6 surge instances.
    const report = await rehearse(scenario({ onDemandVcpuQuota: FLEET_VCPUS + RESERVED + REFRESHES + 24 }));

    expect(report.status).toBe('SUCCEEDED');
    expect(failedRefreshes(report)).toHaveLength(0);
    expect(surges(report)).toHaveLength(21);
    expect(surges(report).some((p) => p > 110)).toBe(true);
    expect(surges(report).some((p) => p < 200)).toBe(true);
    expect(text(report)).toContain(`L-1216C47A is ${FLEET_VCPUS + RESERVED + REFRESHES + 24} vCPUs and the account uses ${FLEET_VCPUS + RESERVED + REFRESHES} (with the refreshes' own extra instances): maxExtraInstances reduced from 20 to 6`);
  });

  it("counts the account's other instances (DescribeInstances), not only the run's groups", async () => {
    const report = await rehearse(scenario({ onDemandVcpuQuota: FLEET_VCPUS + RESERVED + REFRESHES + 24, otherOnDemandVcpus: 16 }));

    expect(report.status).toBe('SUCCEEDED');
    expect(failedRefreshes(report)).toHaveLength(0);
    expect(text(report)).toContain(`the account uses ${FLEET_VCPUS + 16 + RESERVED + REFRESHES} (with the refreshes' own extra instances): maxExtraInstances reduced from 20 to 2`);
  });

  it('refreshes fewer groups at once when even their own extra instances do not fit, and no refresh fails', async () => {
    // Room for 6 groups' extra instances at once, none for surge.
    const report = await rehearse(scenario({ onDemandVcpuQuota: FLEET_VCPUS + RESERVED + 24 }));

    expect(report.status).toBe('SUCCEEDED');
    expect(failedRefreshes(report)).toHaveLength(0);
    expect(new Set(surges(report))).toEqual(new Set([110]));
    expect(text(report)).toContain(`L-1216C47A is ${FLEET_VCPUS + RESERVED + 24} vCPUs and the account uses ${FLEET_VCPUS + RESERVED}: maxConcurrentGroups reduced to 6`);
  });

  it('surges nothing when Service Quotas refuses the read, and says so', async () => {
    const report = await rehearse(scenario({ serviceQuotasAccessDenied: true }));

    expect(report.status).toBe('SUCCEEDED');
    expect(failedRefreshes(report)).toHaveLength(0);
    // rollout.maxHealthyPercentage's default (110), not the surge's 200.
    expect(new Set(surges(report))).toEqual(new Set([110]));
    expect(text(report)).toContain('could not be read (AccessDeniedException)');
  });
});
