import { describe, expect, it } from 'vitest';
import { DEFAULT_VARIANTS } from '../../local/generate.js';
import { storedVariant } from '../../local/stored.js';
import { generateScenario, rehearse, type FleetSpec, type RehearsalReport } from '../support/rehearse.js';

/** One variant, 1 canary and 20 others of 2 to 9 instances, progressive waves (no rollout.waveSize). */
const VARIANT = 'win2022-core-131';
const ng = (i: number) => `ng-${VARIANT}-${String(i).padStart(4, '0')}`;
const spec = (rollout: Record<string, unknown>, over: Partial<FleetSpec> = {}): FleetSpec => ({
  variants: [DEFAULT_VARIANTS[0] as NonNullable<FleetSpec['variants']>[number]],
  nodeGroups: 21,
  instances: (i) => 2 + ((i * 5) % 8),
  config: { rollout },
  ...over,
});
const started = (report: RehearsalReport) => report.calls.filter((c) => c.operation === 'StartInstanceRefresh' && !c.error);
const wavesOf = (report: RehearsalReport) => {
  const child = report.account.executions.find((e) => e.stateMachineArn.endsWith('patch-variant'));
  // The child's input carries the variant's header; its waves are in the run-state bucket.
  const variant = storedVariant(report.account, (JSON.parse(child?.input ?? '{}') as { variant: Parameters<typeof storedVariant>[1] }).variant);
  return (variant?.waves ?? []) as { asgName: string; maxHealthyPercentage?: number }[][];
};

describe('progressive waves', () => {
  it('grows the waves after the canary four-fold by default and patches every group', async () => {
    const report = await rehearse(generateScenario(spec({})));

    expect(report.status).toBe('SUCCEEDED');
    expect(wavesOf(report).map((w) => w.length)).toEqual([1, 4, 16]);
    expect(started(report)).toHaveLength(21);
  });

  it('stops at a failed canary: no other group is touched', async () => {
    const report = await rehearse(generateScenario(spec({}, { faults: [{ kind: 'refreshFailure', asgName: ng(0), atPercent: 50, reason: 'Instances failed to pass health checks', times: 1 }] })));

    expect(report.status).toBe('FAILED');
    expect(started(report).map((c) => (c.input as { AutoScalingGroupName: string }).AutoScalingGroupName)).toEqual([ng(0)]);
    expect(report.calls.filter((c) => c.operation === 'CreateLaunchTemplateVersion')).toHaveLength(1);
  });

  it('under rollout.surge replaces each group in one batch, its extra instances within the budget of every wave', async () => {
    const report = await rehearse(generateScenario(spec({ surge: { maxExtraInstances: 20 } })));

    expect(report.status).toBe('SUCCEEDED');
    const prefs = started(report).map((c) => (c.input as { Preferences: { MaxHealthyPercentage: number } }).Preferences.MaxHealthyPercentage);
    expect(new Set(prefs)).toEqual(new Set([200]));
    const sizes = new Map(Array.from({ length: 21 }, (_, i) => [ng(i), 2 + ((i * 5) % 8)]));
    for (const wave of wavesOf(report).slice(1)) expect(wave.reduce((n, g) => n + (sizes.get(g.asgName) ?? 0), 0)).toBeLessThanOrEqual(20);
  });
});
