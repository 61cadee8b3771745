import { describe, expect, it } from 'vitest';
import { sourceParameter } from '../lib/parameters.js';
import { callsOf, generateScenario, loadScenario, rehearse, type RehearsalReport, type Scenario } from './support/rehearse.js';

/** Every Image Builder write, failed ones included: "builds nothing" means not even an attempt. */
const BUILD_WRITES = ['CreateComponent', 'CreateImageRecipe', 'CreateImage'];
const buildAttempts = (report: RehearsalReport) => report.calls.filter((c) => BUILD_WRITES.includes(c.operation));

async function amiTags(report: RehearsalReport, amiId: string): Promise<Record<string, string>> {
  const out = (await report.account.call('EC2', 'DescribeImages', { ImageIds: [amiId] })) as { Images: { Tags: { Key: string; Value: string }[] }[] };
  return Object.fromEntries((out.Images[0]?.Tags ?? []).map((t) => [t.Key, t.Value]));
}

/** The run's output: one entry per variant, `{ variantId, output }` when the variant succeeded. */
const outcomes = (report: RehearsalReport) => report.run.output as { variantId: string; output?: { sourceAmi: string; amiId: string } }[];

const planFailure = (report: RehearsalReport) => report.notifications.find((n) => n.subject?.startsWith('FAILED plan'));

describe('one patched image per variant', () => {
  it('builds exactly three images for three variants, each from its own published source AMI, and tags each AMI', async () => {
    const scenario = loadScenario('local/scenarios/three-variants.yml');

    const report = await rehearse(scenario);

    expect(report.status).toBe('SUCCEEDED');
    const images = report.account.images();
    expect(images).toHaveLength(3);
    expect(callsOf(report, 'CreateImage')).toHaveLength(3);
    const recipes = callsOf(report, 'CreateImageRecipe');
    expect(recipes.map((r) => r.parentImage).sort()).toEqual(['ami-0a2019c0000000001', 'ami-0a2022c0000000001', 'ami-0a2025c0000000001']);
    for (const r of recipes) expect(r.blockDeviceMappings).toEqual([expect.objectContaining({ ebs: expect.objectContaining({ volumeSize: 150 }) })]);
    for (const { variantId, output } of outcomes(report)) {
      const variant = scenario.config.variants.find((v) => v.id === variantId);
      expect(output?.sourceAmi).toBe(scenario.fleet.ssmParameters[sourceParameter(variant as NonNullable<typeof variant>)]);
      const tags = await amiTags(report, output?.amiId as string);
      expect(tags).toMatchObject({ 'eks-windows-patch:variant': variantId, 'eks-windows-patch:source-ami': output?.sourceAmi, 'eks-windows-patch:kubernetes': variant?.kubernetes });
    }
  });

  it("caches each variant's own images in its component and nothing of another variant", async () => {
    const report = await rehearse(loadScenario('local/scenarios/three-variants.yml'));

    const data = Object.fromEntries(callsOf(report, 'CreateComponent').map((c) => [String(c.name), String(c.data)]));
    expect(Object.keys(data)).toHaveLength(3);
    expect(data['rehearsal-win2019-core-131-image-cache']).toContain("'windows/servercore:ltsc2019'");
    expect(data['rehearsal-win2019-core-131-image-cache']).not.toContain('ltsc2022');
    expect(data['rehearsal-win2022-core-131-image-cache']).toContain('payments/api:4.2.0-ltsc2022');
    expect(data['rehearsal-win2025-core-132-image-cache']).toContain("'oss/kubernetes/pause:3.9'");
  });

  it('still makes exactly one image per variant when a throttling burst on CreateImage makes the step retry', async () => {
    const scenario = generateScenario({ nodeGroups: 4, faults: [{ kind: 'throttle', rate: 0.9, operations: ['CreateImage'] }] });

    const report = await rehearse(scenario);

    expect(report.status).toBe('SUCCEEDED');
    // More recipe calls than variants: BuildPatchedImage really ran again and got its recipe back by client token.
    expect(callsOf(report, 'CreateImageRecipe').length).toBeGreaterThan(2);
    expect(report.calls.filter((c) => c.operation === 'CreateImageRecipe' && c.error)).toEqual([]);
    expect(report.account.images()).toHaveLength(2);
    expect(new Set(report.account.images().map((i) => i.recipeArn)).size).toBe(2);
  });
});

describe('the plan refuses before anything is built', () => {
  it('refuses an ltsc2019 image on a 2022 variant when the config is read, naming the field, the image and the variant', () => {
    expect(() => loadScenario('local/scenarios/ltsc-mismatch.yml')).toThrow(
      /variants\[0\]\.images\[0\]\.ref: mcr\.microsoft\.com\/windows\/servercore:ltsc2019 is built for Windows 10\.0\.17763, so it cannot run under process isolation on variant win2022-core-131 \(Windows Server 2022/,
    );
  });

  it('refuses it again in the plan, for a config that reached the stack without the read-time check', async () => {
    // The deployed config is inlined at package time; the plan does not trust that it was checked.
    const scenario = loadScenario('local/scenarios/sample.yml');
    const variant = scenario.config.variants.find((v) => v.id === 'win2022-core-131');
    if (!variant) throw new Error('sample.yml has variant win2022-core-131');
    variant.images = [{ ref: 'mcr.microsoft.com/windows/servercore:ltsc2019', multiPlatform: false }];

    const report = await rehearse(scenario);

    expect(report.status).toBe('FAILED');
    const message = planFailure(report)?.message ?? '';
    expect(message).toContain('mcr.microsoft.com/windows/servercore:ltsc2019');
    expect(message).toContain('variant win2022-core-131');
    expect(message).toContain('Windows Server 2022');
    expect(buildAttempts(report)).toEqual([]);
  });

  it('refuses an explicit baseAmi that does not exist, naming it', async () => {
    const scenario = generateScenario({ nodeGroups: 2, input: { baseAmi: 'ami-0deadbeef00000001', variants: ['win2022-core-131'] } });

    const report = await rehearse(scenario);

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)?.message).toMatch(/baseAmi: AMI ami-0deadbeef00000001 does not exist/);
    expect(buildAttempts(report)).toEqual([]);
  });

  it('refuses an explicit baseAmi that is not a Windows AMI, naming it', async () => {
    const scenario = generateScenario({ nodeGroups: 2, input: { baseAmi: 'ami-0c1a0000000000001', variants: ['win2022-core-131'] } });
    scenario.fleet.amis.push({ id: 'ami-0c1a0000000000001', name: 'amazon-eks-node-1.31-v20261112', platform: 'linux' });

    const report = await rehearse(scenario);

    expect(planFailure(report)?.message).toContain('ami-0c1a0000000000001 (amazon-eks-node-1.31-v20261112) is not a Windows AMI');
    expect(buildAttempts(report)).toEqual([]);
  });

  it('refuses a variant whose public SSM parameter AWS does not publish, naming the parameter', async () => {
    const scenario = generateScenario({ nodeGroups: 2, variants: [{ windows: '2019', edition: 'Full', kubernetes: '1.33' }] });
    const param = '/aws/service/ami-windows-latest/Windows_Server-2019-English-Full-EKS_Optimized-1.33/image_id';
    delete scenario.fleet.ssmParameters[param];

    const report = await rehearse(scenario);

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)?.message).toContain(param);
    expect(buildAttempts(report)).toEqual([]);
  });

  it('refuses an image list whose cache component would exceed 16,000 characters', async () => {
    const ecr = '111122223333.dkr.ecr.us-west-2.amazonaws.com';
    const images = Array.from({ length: 300 }, (_, i) => ({ ref: `${ecr}/team-${i}/${'windows-service-'.repeat(5)}${i}:2026.11.${i}-ltsc2022` }));
    const scenario = generateScenario({ nodeGroups: 2, variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }] });
    const variant = scenario.config.variants[0] as Scenario['config']['variants'][number];
    variant.images = images.map((i) => ({ ...i, multiPlatform: false }));

    const report = await rehearse(scenario);

    expect(report.status).toBe('FAILED');
    expect(planFailure(report)?.message).toContain('limit of 16000');
    expect(buildAttempts(report)).toEqual([]);
  });
});

describe('a build that does not end AVAILABLE', () => {
  it('ends a FAILED build in the failure path with the reason and the log group in the notification', async () => {
    const report = await rehearse(loadScenario('local/scenarios/build-failure.yml'));

    expect(report.status).toBe('FAILED');
    const failure = report.notifications.find((n) => n.subject?.startsWith('FAILED image build for win2022-core-131'));
    expect(failure?.message).toContain('update-windows exited with 0x80070643');
    expect(failure?.message).toContain('/aws/imagebuilder/rehearsal-win2022-core-131-patched');
    expect(report.account.images().map((i) => i.status).sort()).toEqual(['AVAILABLE', 'FAILED']);
    expect(report.account.asg('eks-win2022-canary').version).toBe('1');
  });

  it('cancels a build that runs past imageBuilder.timeoutMinutes and reports it', async () => {
    const scenario = generateScenario({
      nodeGroups: 2,
      variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }],
      config: { imageBuilder: { subnetId: 'subnet-0123456789abcdef0', securityGroupIds: ['sg-0123456789abcdef0'], timeoutMinutes: 60 } },
      durations: { imageBuild: 300 },
    });

    const report = await rehearse(scenario);

    expect(report.status).toBe('FAILED');
    expect(callsOf(report, 'CancelImageCreation')).toHaveLength(1);
    expect(report.account.images().map((i) => i.status)).toEqual(['CANCELLED']);
    const failure = report.notifications.find((n) => n.subject?.startsWith('FAILED image build'));
    expect(failure?.message).toContain('after 60 minutes: cancelled');
    const [created, cancelled] = ['CreateImage', 'CancelImageCreation'].map((op) => Date.parse(report.calls.find((c) => c.operation === op && !c.error)?.t ?? ''));
    // Cancelled at the deadline, not a long poll later and certainly not when the 5-hour build would end.
    expect(((cancelled as number) - (created as number)) / 60_000).toBeGreaterThanOrEqual(60);
    expect(((cancelled as number) - (created as number)) / 60_000).toBeLessThan(62);
  });

  it('builds from an explicit baseAmi and records it as the source', async () => {
    const scenario = generateScenario({ nodeGroups: 2, variants: [{ windows: '2022', edition: 'Core', kubernetes: '1.31' }] });
    scenario.fleet.amis.push({ id: 'ami-0e0e000000000000a', name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.10.15', platform: 'windows' });
    scenario.input = { baseAmi: 'ami-0e0e000000000000a', variants: ['win2022-core-131'] };

    const report = await rehearse(scenario);

    expect(report.status).toBe('SUCCEEDED');
    expect(callsOf(report, 'CreateImageRecipe').map((r) => r.parentImage)).toEqual(['ami-0e0e000000000000a']);
    expect(outcomes(report)[0]?.output?.sourceAmi).toBe('ami-0e0e000000000000a');
    expect((await amiTags(report, outcomes(report)[0]?.output?.amiId as string))['eks-windows-patch:source-ami']).toBe('ami-0e0e000000000000a');
  });
});
