import { AutoScalingClient, DescribeInstanceRefreshesCommand, StartInstanceRefreshCommand } from '@aws-sdk/client-auto-scaling';
import { install } from '@sinonjs/fake-timers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedAccount } from '../../local/sim/account.js';
import { WITHOUT_FAST_LAUNCH } from '../../local/sim/fastlaunch.js';
import { ScenarioFleetSchema } from '../../local/sim/fleet.js';
import { installSimulation } from '../../local/sim/install.js';

const AMI = 'ami-0000000000000a001';
const T0 = Date.parse('2026-10-20T09:00:00Z');
// The AMI's Fast Launch was never enabled: every launch takes 1 / 0.35 of the scenario's 8 minutes (fastlaunch.ts).
const LAUNCH = Math.round(8 * 60_000 * WITHOUT_FAST_LAUNCH);
const fleet = ScenarioFleetSchema.parse({
  amis: [{ id: AMI, name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.09.10' }],
  launchTemplates: ['ng-a', 'ng-b'].map((name) => ({ name, versions: [{ imageId: AMI }, { imageId: AMI }] })),
  autoScalingGroups: [
    { name: 'ng-a', launchTemplate: 'ng-a', instances: 800 },
    { name: 'ng-b', launchTemplate: 'ng-b', instances: 400 },
  ],
});

let clock: ReturnType<typeof install>;
let sim: { restore(): void };
const asg = new AutoScalingClient({ region: 'us-west-2' });
// MaxHealthyPercentage 200 with MinHealthy 100: the whole group in one batch (launch all, then terminate).
const start = (name: string) =>
  asg.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: name, DesiredConfiguration: { LaunchTemplate: { LaunchTemplateName: name, Version: '2' } }, Preferences: { MinHealthyPercentage: 100, MaxHealthyPercentage: 200, SkipMatching: true } }));
const endOf = async (name: string) => (await asg.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: name }))).InstanceRefreshes?.[0];

beforeEach(() => {
  clock = install({ now: T0, toFake: ['Date'] });
  sim = installSimulation(new SimulatedAccount({ fleet, faults: [], durations: { instanceLaunch: 8 } }));
});
afterEach(() => {
  sim.restore();
  clock.uninstall();
});

describe("EC2's RunInstances resource token bucket as Auto Scaling meets it", () => {
  it('launches 1,000 instances at once, then 2 per second: the refresh past the bucket starts late and still succeeds', async () => {
    await start('ng-a');
    await start('ng-b');
    clock.tick(4 * 3600_000);

    const a = await endOf('ng-a');
    const b = await endOf('ng-b');

    expect(a?.Status).toBe('Successful');
    expect(b?.Status).toBe('Successful');
    // ng-a: 800 tokens, 30 s Pending + a launch. ng-b: 400 more, 200 of them beyond the bucket at 2/s = 100 s later.
    expect((a?.EndTime?.getTime() ?? 0) - T0).toBe(30_000 + LAUNCH);
    expect((b?.EndTime?.getTime() ?? 0) - T0).toBe(30_000 + 100_000 + LAUNCH);
  });
});

describe("EC2's RunInstances request token bucket as Auto Scaling meets it", () => {
  const names = ['ng-r1', 'ng-r2', 'ng-r3', 'ng-r4', 'ng-r5', 'ng-r6', 'ng-r7', 'ng-r8'];
  const small = ScenarioFleetSchema.parse({
    amis: [{ id: AMI, name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.09.10' }],
    launchTemplates: names.map((name) => ({ name, versions: [{ imageId: AMI }, { imageId: AMI }] })),
    autoScalingGroups: names.map((name) => ({ name, launchTemplate: name, instances: 1 })),
  });

  it('takes one request per batch launch: 5 at once, then 2 per second, however few instances each launches', async () => {
    sim.restore();
    sim = installSimulation(new SimulatedAccount({ fleet: small, faults: [], durations: { instanceLaunch: 8 } }));
    for (const n of names) await start(n);
    clock.tick(3600_000);

    const ends = await Promise.all(names.map(async (n) => ((await endOf(n))?.EndTime?.getTime() ?? 0) - T0 - 30_000 - LAUNCH));
    // 8 instances are far inside the 1,000-instance bucket; the requests are not: the 6th and 7th wait 1 s, the 8th 2 s.
    expect(ends).toEqual([0, 0, 0, 0, 0, 1000, 1000, 2000]);
    for (const n of names) expect((await endOf(n))?.Status).toBe('Successful');
  });
});

describe('a batch reserved later for an earlier second', () => {
  const later = ScenarioFleetSchema.parse({
    amis: [{ id: AMI, name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.09.10' }],
    launchTemplates: ['ng-a', 'ng-b'].map((name) => ({ name, versions: [{ imageId: AMI }, { imageId: AMI }] })),
    autoScalingGroups: [
      { name: 'ng-a', launchTemplate: 'ng-a', instances: 2000 },
      { name: 'ng-b', launchTemplate: 'ng-b', instances: 100 },
    ],
  });
  /** The token bucket itself, second by second from the ledger: level(t) = min(size, level(t - 1) + refill) - launches(t). */
  const lowestLevel = (ledger: Record<string, number>, size: number, refill: number) => {
    const secs = Object.keys(ledger).map(Number);
    let level = size;
    let lowest = size;
    for (let t = Math.min(...secs); t <= Math.max(...secs); t++) {
      level = Math.min(size, level + refill) - (ledger[t] ?? 0);
      lowest = Math.min(lowest, level);
    }
    return lowest;
  };

  it('does not take the tokens a batch reserved before it counted on: it starts late, the earlier batch keeps its time', async () => {
    sim.restore();
    // Fast Launch was never enabled: each launch takes 1 / 0.35 of 2.8 minutes, 8 minutes (fastlaunch.ts).
    const account = new SimulatedAccount({ fleet: later, faults: [], durations: { instanceLaunch: 2.8 } });
    sim = installSimulation(account);
    // ng-a: 2 batches of 1,000 (MaxHealthy 150). The first empties the bucket at +30 s; the second, reserved now, waits
    // until the bucket holds 1,000 again: +530 s, leaving it empty.
    await asg.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: 'ng-a', DesiredConfiguration: { LaunchTemplate: { LaunchTemplateName: 'ng-a', Version: '2' } }, Preferences: { MinHealthyPercentage: 100, MaxHealthyPercentage: 150, SkipMatching: true } }));
    clock.tick(60_000);
    // ng-b's 100 launches at +90 s find 120 tokens there; taking them would leave 900 at +530 s for ng-a's 1,000.
    await start('ng-b');
    clock.tick(4 * 3600_000);

    const a = await endOf('ng-a');
    const b = await endOf('ng-b');
    expect(a?.Status).toBe('Successful');
    expect(b?.Status).toBe('Successful');
    expect((a?.EndTime?.getTime() ?? 0) - T0).toBe(530_000 + 8 * 60_000);
    const state = account.snapshot() as { launches: Record<string, number>; launchRequests: Record<string, number> };
    expect(state.launches[T0 / 1000 + 530]).toBe(1000);
    // Never overdrawn (ng-b at +90 s would leave ng-a's second batch 100 short: -100).
    expect(lowestLevel(state.launches, 1000, 2)).toBe(0);
    expect(lowestLevel(state.launchRequests, 5, 2)).toBeGreaterThanOrEqual(0);
    // ng-b goes after ng-a's second batch: at +531 s the bucket holds 2 tokens, 100 at +580 s.
    expect((b?.EndTime?.getTime() ?? 0) - T0).toBe(580_000 + 8 * 60_000);
  });
});
