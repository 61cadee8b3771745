import { describe, expect, it } from 'vitest';
import { retentionCommand } from '../../lib/retention/command.js';
import type { RetentionOutcome } from '../../lib/retention/apply.js';
import { summarize } from '../../local/summary.js';
import { callsOf, generateScenario, rehearse, type RehearsalReport, type Scenario } from '../support/rehearse.js';

const DAY = 86_400_000;
const VARIANTS = [
  { windows: '2022' as const, edition: 'Core' as const, kubernetes: '1.31' },
  { windows: '2019' as const, edition: 'Core' as const, kubernetes: '1.31' },
];
const IDS = ['win2022-core-131', 'win2019-core-131'];
const MONTHS = ['2026.11.12', '2026.12.10', '2027.01.14', '2027.02.11'];

/** AWS's AMI of variant v in month m (month 0 is the generated scenario's own). */
const awsAmi = (v: number, m: number) => (m === 0 ? `ami-a0${(v + 1).toString(16).padStart(15, '0')}` : `ami-c${m}${(v + 1).toString(16).padStart(15, '0')}`);

/** Two variants, four node groups, and AWS's AMI of each of the next three months. */
function fleet(config: Record<string, unknown> = {}, faults: Scenario['faults'] = []): Scenario {
  const scenario = generateScenario({ nodeGroups: 4, variants: VARIANTS, waveSize: 1, config, faults });
  VARIANTS.forEach((v, i) => {
    for (let m = 1; m < MONTHS.length; m++)
      scenario.fleet.amis.push({ id: awsAmi(i, m), name: `Windows_Server-${v.windows}-English-${v.edition}-EKS_Optimized-${v.kubernetes}-${MONTHS[m]}`, platform: 'windows' });
  });
  return scenario;
}

/** 28 days on the simulated clock, in two waits: a timer longer than 2^31-1 ms (24.8 days) fires at once, as in Node. */
const nextMonth = async () => {
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setTimeout(resolve, 14 * DAY));
};

/** Our built AMIs per variant still registered at the end (DescribeImages answers for registered ones only). */
async function registeredBuilt(report: RehearsalReport): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const img of report.account.images()) {
    if (!img.amiId) continue;
    const variant = IDS.find((id) => img.recipeArn.includes(`/rehearsal-${id}-patched/`)) as string;
    try {
      await report.account.call('EC2', 'DescribeImages', { ImageIds: [img.amiId] });
      (out[variant] ??= []).push(img.amiId);
    } catch {
      /* deregistered */
    }
  }
  return out;
}

describe('retention over four monthly runs', () => {
  it('leaves exactly retention.keepImages patched AMIs per variant, Fast Launch off and snapshots deleted first, in-use and rollback versions kept; a dry run lists the same and changes nothing', async () => {
    const scenario = fleet();
    let dry: RetentionOutcome[] = [];
    let applied: RetentionOutcome[] = [];
    let unchanged = false;
    const printed: string[] = [];
    const report = await rehearse(scenario, {
      start: async (runner) => {
        await runner.startRun('month-0', {});
        for (let m = 1; m < MONTHS.length; m++) {
          await nextMonth();
          for (const [i, id] of IDS.entries()) await runner.startRun(`month-${m}-${id}`, { variants: [id], baseAmi: awsAmi(i, m) });
        }
        // A month later, the operator tightens retention to 1: the dry run first, then for real.
        await nextMonth();
        const account = (runner as unknown as { account: { snapshot(): unknown } }).account;
        const before = JSON.stringify(account.snapshot());
        // What `npm run retention -- --keep 1` and then `… --apply` do.
        dry = await retentionCommand({ config: scenario.config, stage: 'rehearsal', variants: [], keepImages: 1, apply: false }, (line) => printed.push(line));
        unchanged = JSON.stringify(account.snapshot()) === before;
        applied = await retentionCommand({ config: scenario.config, stage: 'rehearsal', variants: [], keepImages: 1, apply: true }, () => undefined);
      },
    });

    expect(report.executions.filter((e) => e.stateMachine.endsWith('patch-variant')).map((e) => e.status)).toEqual(Array(2 + 2 * 3).fill('SUCCEEDED'));

    // After the fourth run (before the operator's keepImages 1): each variant had exactly 3 of its 4 patched AMIs.
    const retentionDeregistered = callsOf(report, 'DeregisterImage').map((c) => c.ImageId as string);
    const built = report.account.images().filter((i) => i.amiId);
    expect(built).toHaveLength(8);
    const byVariant = (amiIds: string[]) => IDS.map((id) => amiIds.filter((a) => built.find((b) => b.amiId === a)?.recipeArn.includes(`/rehearsal-${id}-patched/`)).length);
    const deregisteredByPipeline = report.calls.filter((c) => c.operation === 'DeregisterImage' && !c.error && c.fn === 'applyRetention').map((c) => String((c.input as { ImageId: string }).ImageId));
    expect(byVariant(deregisteredByPipeline)).toEqual([1, 1]);
    // … and the oldest one went: month 0's build.
    const oldest = IDS.map((id) => built.filter((b) => b.recipeArn.includes(`/rehearsal-${id}-patched/`)).sort((a, b) => a.createdAt.localeCompare(b.createdAt))[0]?.amiId);
    expect(deregisteredByPipeline.sort()).toEqual([...oldest].sort());

    // Every deregistration came after Fast Launch was turned off on that AMI, and its snapshot was deleted after it.
    for (const amiId of retentionDeregistered) {
      const at = report.calls.findIndex((c) => c.operation === 'DeregisterImage' && !c.error && (c.input as { ImageId: string }).ImageId === amiId);
      const off = report.calls.findIndex((c) => c.operation === 'DisableFastLaunch' && !c.error && (c.input as { ImageId: string }).ImageId === amiId);
      expect(off, amiId).toBeGreaterThanOrEqual(0);
      expect(off).toBeLessThan(at);
      const snap = report.calls.findIndex((c) => c.operation === 'DeleteSnapshot' && !c.error && (c.input as { SnapshotId: string }).SnapshotId === `snap-${amiId.slice(4)}`);
      expect(snap, amiId).toBeGreaterThan(at);
    }
    expect(report.calls.filter((c) => c.operation === 'DeregisterImage' && c.error)).toEqual([]);

    // The dry run listed exactly what the real one then deleted, and changed nothing.
    expect(unchanged).toBe(true);
    expect(printed).toContain('win2022-core-131 (dry run: nothing changed):');
    expect(printed.filter((l) => /^ {2}would delete ami-/.test(l))).toHaveLength(2);
    const lists = (o: RetentionOutcome) => ({ amis: o.deregistered, snapshots: o.snapshotsDeleted, images: o.images, recipes: o.recipes, components: o.components, versions: o.launchTemplateVersions });
    expect(dry.map(lists)).toEqual(applied.map(lists));
    expect(applied.every((o) => o.skipped.length === 0 && o.pending.length === 0)).toBe(true);
    // keepImages 1 keeps the newest and its groups' rollback target (the month before): one more AMI per variant goes.
    expect(byVariant(applied.flatMap((o) => o.deregistered))).toEqual([1, 1]);

    // Left: per variant the AMI its groups run, and their rollback target (the month before).
    const left = await registeredBuilt(report);
    for (const id of IDS) expect(left[id], id).toHaveLength(2);
    expect(applied.flatMap((o) => o.kept.map((k) => k.reasons.join('; ')))).toEqual(expect.arrayContaining([expect.stringMatching(/rollback target of/)]));

    // No launch template version in use, nor any group's rollback target, was deleted.
    for (const g of scenario.fleet.autoScalingGroups) {
      const asg = report.account.asg(g.name);
      const versions = report.account.launchTemplateVersions(asg.launchTemplateName);
      const inUse = versions.find((v) => String(v.versionNumber) === asg.version);
      expect(inUse?.data.ImageId, g.name).toBe(asg.imageId);
      const older = versions.filter((v) => v.versionNumber < Number(asg.version));
      expect(older.at(-1)?.data.ImageId, `${g.name} rollback target`).not.toBe(asg.imageId);
      expect(left[IDS.find((id) => g.name.includes(id)) as string]).toContain(older.at(-1)?.data.ImageId);
      expect(versions.some((v) => v.default), g.name).toBe(true);
    }
    // Image Builder: a recipe or component still used by an image was never deleted (the account refuses it: none refused).
    expect(report.calls.filter((c) => /^Delete(ImageRecipe|Component|Image)$/.test(c.operation) && c.error)).toEqual([]);
  }, 120_000);
});

describe('a group still on the oldest AMI', () => {
  it('keeps that AMI through retention, and says why', async () => {
    // keepImages 1: only the newest is kept for its age; the failed group's AMI must survive on its own account.
    const failing = 'ng-win2022-core-131-0002';
    const scenario = fleet({ retention: { keepImages: 1 } });
    const others = scenario.config.variants[0]?.nodeGroups.map((g) => g.asgName as string).filter((n) => n !== failing) as string[];
    let firstBuild = '';
    const report = await rehearse(scenario, {
      start: async (runner) => {
        await runner.startRun('month-0', { variants: [IDS[0]] });
        firstBuild = (runner as unknown as { account: { asg(n: string): { imageId: string } } }).account.asg(failing).imageId;
        await nextMonth();
        // Month 1: the group's refresh fails and rolls back: it stays on month 0's AMI; the variant fails.
        // (The account reads its faults as they come: this one arrives with month 1.)
        scenario.faults.push({ kind: 'refreshFailure', asgName: failing, atPercent: 50, reason: 'Instances failed to pass health checks', times: 1 });
        await runner.startRun('month-1', { variants: [IDS[0]], baseAmi: awsAmi(0, 1) });
        // Months 2 and 3: the operator patches the other groups while the failed one is looked into.
        for (let m = 2; m < MONTHS.length; m++) {
          await nextMonth();
          await runner.startRun(`month-${m}`, { variants: [IDS[0]], baseAmi: awsAmi(0, m), nodeGroups: others });
        }
      },
    });

    const variantRuns = report.executions.filter((e) => e.stateMachine.endsWith('patch-variant'));
    expect(variantRuns.map((e) => e.status)).toEqual(['SUCCEEDED', 'FAILED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(report.account.asg(failing).imageId).toBe(firstBuild);
    const deregistered = callsOf(report, 'DeregisterImage').map((c) => c.ImageId);
    expect(deregistered).not.toContain(firstBuild);
    // Month 1's AMI: no group runs it (the failed group rolled back), nor is it a rollback target: deleted.
    const monthOneBuild = report.account.images().sort((a, b) => a.createdAt.localeCompare(b.createdAt))[1]?.amiId;
    expect(deregistered).toEqual([monthOneBuild]);
    // Runs limited to some groups retire no Fast Launch: retention turned it off itself, and deregistered once it was off.
    const byRetention = report.calls.filter((c) => c.fn === 'applyRetention' && !c.error && c.operation === 'DisableFastLaunch').map((c) => (c.input as { ImageId: string }).ImageId);
    expect(byRetention).toEqual([monthOneBuild]);
    expect(report.calls.filter((c) => c.fn === 'applyRetention' && c.operation === 'DeregisterImage' && c.error)).toEqual([]);
    // The rehearsal summary of the last month says why it stayed.
    const last = summarize(report).variants.at(-1);
    expect(last?.retention).toContainEqual(expect.stringMatching(new RegExp(`^kept ${firstBuild}: .*in use by node group ${failing}`)));
    expect(last?.retention).toContainEqual(`deleted ${monthOneBuild} (Fast Launch off first)`);
    // The launch template versions made for month 1's AMI went with it (the failed group's too: it rolled back off it).
    const deletedVersions = callsOf(report, 'DeleteLaunchTemplateVersions').map((c) => `${String(c.LaunchTemplateId)}:${(c.Versions as string[]).join(',')}`);
    expect(deletedVersions).toHaveLength(2);
    for (const g of scenario.fleet.autoScalingGroups) expect(report.account.launchTemplateVersions(g.name).some((v) => v.data.ImageId === monthOneBuild), g.name).toBe(false);
  }, 120_000);
});

describe('npm run retention', () => {
  it('refuses an unknown variant and a keep below 1 in one line each, before any AWS call', async () => {
    const { config } = fleet();
    await expect(retentionCommand({ config, stage: 'prod', variants: ['win2016'], apply: false }, () => undefined)).rejects.toThrow(/--variant is invalid:\n {2}- no variant "win2016" in the config: use one of win2022-core-131, win2019-core-131$/);
    await expect(retentionCommand({ config, stage: 'prod', variants: [], keepImages: 0, apply: false }, () => undefined)).rejects.toThrow(/--keep is invalid:\n {2}- 0 is not a whole number of at least 1/);
  });
});

/** Three months of one variant with keepImages 1 and the given faults. */
async function threeMonths(faults: Scenario['faults']): Promise<RehearsalReport> {
  return rehearse(fleet({ retention: { keepImages: 1 } }, faults), {
    start: async (runner) => {
      await runner.startRun('month-0', { variants: [IDS[0]] });
      for (const m of [1, 2]) {
        await nextMonth();
        await runner.startRun(`month-${m}`, { variants: [IDS[0]], baseAmi: awsAmi(0, m) });
      }
    },
  });
}

describe('retention that cannot finish', () => {
  it('reports what AWS refused and leaves it for the next run; the variant succeeds', async () => {
    const report = await threeMonths([{ kind: 'throttle', rate: 1, operations: ['DeregisterImage'] }]);

    const variants = summarize(report).variants;
    expect(variants.map((v) => v.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    const [monthZero] = report.account.images().sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    expect(variants.at(-1)?.retention).toContain(`left ${monthZero?.amiId}: RequestLimitExceeded: Rate exceeded`);
    // Its snapshot, image and recipe stay with it: nothing of it was touched.
    expect(report.calls.filter((c) => c.fn === 'applyRetention' && /^Delete(Snapshot|Image|ImageRecipe)$/.test(c.operation))).toEqual([]);
    expect(Object.values(await registeredBuilt(report)).flat()).toHaveLength(3);
  }, 120_000);

  it('never fails the variant when retention itself fails: the outcome says so', async () => {
    const report = await threeMonths([{ kind: 'throttle', rate: 1, operations: ['ListImages'] }]);

    const variants = summarize(report).variants;
    expect(variants.map((v) => v.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(variants.at(-1)?.retention).toEqual([expect.stringMatching(/^retention did not finish \(nothing else is affected; the next run tries again\): TooManyRequestsException/)]);
    expect(callsOf(report, 'DeregisterImage')).toEqual([]);
  }, 120_000);
});
