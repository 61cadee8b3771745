import { describe, expect, it } from 'vitest';
import { decideRetention, type BuiltImage, type LtVersionFacts, type RetentionFacts } from '../../lib/retention/decide.js';

const ARN = 'arn:aws:imagebuilder:us-west-2:111122223333';
const month = (m: number) => `2026-${String(m).padStart(2, '0')}-15T10:00:00.000Z`;
const ami = (m: number) => `ami-0000000000000000${m}`;
const image = (m: number, over: Partial<BuiltImage> = {}): BuiltImage => ({
  imageArn: `${ARN}:image/prod-win-patched/2026.${m}.0/1`,
  recipeArn: `${ARN}:image-recipe/prod-win-patched/2026.${m}.0`,
  createdAt: month(m),
  amiId: ami(m),
  registered: true,
  snapshots: [{ snapshotId: `snap-0000000000000000${m}`, sizeGiB: 100 }],
  fastLaunch: 'off',
  ...over,
});
const version = (n: number, m: number, over: Partial<LtVersionFacts> = {}): LtVersionFacts => ({
  launchTemplateId: 'lt-00000001',
  launchTemplateName: 'ng-a',
  versionNumber: n,
  amiId: ami(m),
  isDefault: false,
  createdAt: month(m),
  ours: true,
  ...over,
});
const facts = (over: Partial<RetentionFacts> = {}): RetentionFacts => ({
  variantId: 'win',
  keepImages: 2,
  images: [1, 2, 3, 4].map((m) => image(m)),
  recipes: [1, 2, 3, 4].map((m) => ({ arn: `${ARN}:image-recipe/prod-win-patched/2026.${m}.0`, createdAt: month(m), componentArns: [`${ARN}:component/prod-win-image-cache/2026.${m}.0/1`] })),
  components: [1, 2, 3, 4].map((m) => ({ arn: `${ARN}:component/prod-win-image-cache/2026.${m}.0/1`, createdAt: month(m) })),
  versions: [],
  versionsInUse: {},
  references: {},
  ...over,
});

describe('decideRetention', () => {
  it('keeps the newest keepImages AMIs and deletes the older ones with their snapshots, images, recipes and components', () => {
    const plan = decideRetention(facts());

    expect(plan.kept.map((k) => k.amiId)).toEqual([ami(4), ami(3)]);
    expect(plan.kept[0]?.reasons).toEqual(['the newest patched AMI']);
    expect(plan.amis.map((a) => a.amiId)).toEqual([ami(2), ami(1)]);
    expect(plan.freedGiB).toBe(200);
    expect(plan.images).toEqual([image(1).imageArn, image(2).imageArn]);
    expect(plan.recipes).toEqual([image(1).recipeArn, image(2).recipeArn]);
    expect(plan.components).toHaveLength(2);
    expect(plan.components.join()).not.toContain('2026.3.0');
  });

  it('keeps an older AMI that a group, the AMI parameter or a rollback still needs, and says why', () => {
    const plan = decideRetention(facts({ references: { [ami(1)]: ['a launch template version in use by node group ng-b'] } }));

    expect(plan.kept).toContainEqual({ amiId: ami(1), reasons: ['a launch template version in use by node group ng-b'] });
    expect(plan.amis.map((a) => a.amiId)).toEqual([ami(2)]);
    // Its image and recipe stay with it; the component its recipe lists too.
    expect(plan.images).toEqual([image(2).imageArn]);
    expect(plan.recipes).toEqual([image(2).recipeArn]);
    expect(plan.components.join()).not.toContain('2026.1.0');
  });

  it('keeps an AMI whose Fast Launch someone else set up, and turns ours off before deleting', () => {
    const plan = decideRetention(facts({ images: [image(1, { fastLaunch: 'theirs' }), image(2, { fastLaunch: 'ours' }), image(3), image(4)] }));

    expect(plan.kept.map((k) => k.amiId)).toContain(ami(1));
    expect(plan.amis).toEqual([expect.objectContaining({ amiId: ami(2), fastLaunch: 'turnOff' })]);
  });

  it('deletes only pipeline launch template versions of deleted AMIs that nobody uses, never the default', () => {
    const versions = [
      version(2, 1),
      version(3, 2, { isDefault: true }),
      version(4, 2),
      version(5, 2, { ours: false }),
      version(6, 4),
      version(7, 1, { launchTemplateId: 'lt-00000002', launchTemplateName: 'ng-b' }),
      version(8, 1, { amiId: 'ami-0ffffffffffffffff' }),
    ];
    const plan = decideRetention(facts({ versions, versionsInUse: { 'lt-00000002:7': ['ng-b launches from it'] } }));

    expect(plan.launchTemplateVersions).toEqual([{ launchTemplateId: 'lt-00000001', launchTemplateName: 'ng-a', versions: [2, 4] }]);
  });

  it('deletes nothing while the variant has no more than keepImages AMIs, and failed builds only once older than the kept ones', () => {
    const few = decideRetention(facts({ images: [image(3), image(4, { amiId: null, registered: false, snapshots: [] })] }));
    expect(few.amis).toEqual([]);
    expect(few.images).toEqual([]);

    const failedOld = decideRetention(facts({ images: [image(1, { amiId: null, registered: false, snapshots: [] }), image(3), image(4)] }));
    expect(failedOld.images).toEqual([image(1).imageArn]);
  });

  it('finishes an AMI an interrupted run deregistered: its snapshots go, no second DeregisterImage', () => {
    const plan = decideRetention(facts({ images: [image(1, { registered: false }), image(3), image(4)] }));

    expect(plan.amis).toEqual([expect.objectContaining({ amiId: ami(1), registered: false, snapshots: [expect.objectContaining({ snapshotId: 'snap-00000000000000001' })] })]);
  });
});
