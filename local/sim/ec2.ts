import { awsError, arr, iso, obj, str, type Ctx, type Handlers, type Input, type LtRec, type LtVersionRec, idempotent } from './context.js';
import { builtAmis } from './imagebuilder.js';
import { fastLaunchState, temporaryInstances } from './fastlaunch.js';
import { vcpusOfVersion } from './quotas.js';

export interface AmiView {
  id: string;
  name: string;
  platform: 'windows' | 'linux';
  createdAt: number;
  /** 'amazon', 'self' or an account id; absent = 'amazon' for EKS_Optimized names, else this account. */
  owner?: string;
  /** Size of the root snapshot; absent = 50 GiB (the stock EKS-optimized Windows root volume). */
  rootGiB?: number;
  /** The Image Builder image that made it. */
  imageBuilderArn?: string;
}

/**
 * The root snapshot of an AMI: one per AMI, its id derived from the AMI's (EC2 User Guide, "Amazon EBS-backed AMIs":
 * an EBS-backed AMI's root device is a snapshot, listed in the image's BlockDeviceMappings). Knowingly simplified: one
 * device per AMI.
 */
export const rootSnapshotOf = (amiId: string): string => `snap-${amiId.slice(4)}`;
const SNAP_RE = /^snap-([0-9a-f]{8}|[0-9a-f]{17})$/;

/** Amazon's account for its Windows AMIs (EKS-optimized Windows included): the owner of the ec2-windows-ami-update topic. */
export const AMAZON_WINDOWS_OWNER = '801119661308';

/**
 * OwnerId and ImageOwnerAlias as DescribeImages returns them
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Image.html): the alias is
 * "amazon" only for Amazon's own images; tags never change either field.
 */
function ownerOf(ctx: Ctx, a: AmiView): { OwnerId: string; ImageOwnerAlias?: string } {
  const owner = a.owner ?? (a.name.includes('EKS_Optimized') ? 'amazon' : 'self');
  if (owner === 'amazon') return { OwnerId: AMAZON_WINDOWS_OWNER, ImageOwnerAlias: 'amazon' };
  return { OwnerId: owner === 'self' ? ctx.accountId : owner };
}

// Amazon EC2 API Reference, "Error codes for the Amazon EC2 API": a malformed id is InvalidAMIID.Malformed /
// InvalidLaunchTemplateId.Malformed, an unknown one InvalidAMIID.NotFound / InvalidLaunchTemplateId.NotFound
// (resource ids have 8 or 17 hex digits: EC2 User Guide, "Resource IDs").
const AMI_RE = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;
const LT_RE = /^lt-([0-9a-f]{8}|[0-9a-f]{17})$/;

/** Every AMI visible now: the fleet's plus Image Builder outputs that have become AVAILABLE. */
export function allAmis(ctx: Ctx): Map<string, AmiView> {
  const m = new Map<string, AmiView>(Object.values(ctx.state.amis).map((a) => [a.id, a]));
  for (const a of builtAmis(ctx)) m.set(a.id, a);
  for (const id of Object.keys(ctx.state.deregistered)) m.delete(id);
  return m;
}

export function requireAmi(ctx: Ctx, id: unknown): AmiView {
  if (typeof id !== 'string' || !AMI_RE.test(id)) throw awsError('InvalidAMIID.Malformed', `Invalid id: "${String(id)}"`);
  // "Error codes for the Amazon EC2 API": InvalidAMIID.Unavailable, "The specified AMI has been deregistered".
  if (ctx.state.deregistered[id] !== undefined) throw awsError('InvalidAMIID.Unavailable', `The image id '[${id}]' is no longer available`);
  const a = allAmis(ctx).get(id);
  if (!a) throw awsError('InvalidAMIID.NotFound', `The image id '[${id}]' does not exist`);
  return a;
}

/** The snapshots of this account: the root snapshot of each AMI it owns, until DeleteSnapshot. */
function ownSnapshots(ctx: Ctx): Map<string, { snapshotId: string; amiId: string; sizeGiB: number; registered: boolean }> {
  const amis = new Map<string, AmiView>(Object.values(ctx.state.amis).map((a) => [a.id, a]));
  for (const a of builtAmis(ctx)) amis.set(a.id, a);
  const out = new Map<string, { snapshotId: string; amiId: string; sizeGiB: number; registered: boolean }>();
  for (const a of amis.values()) {
    if (ownerOf(ctx, a).OwnerId !== ctx.accountId) continue;
    const snapshotId = rootSnapshotOf(a.id);
    if (ctx.state.deletedSnapshots[snapshotId] !== undefined) continue;
    out.set(snapshotId, { snapshotId, amiId: a.id, sizeGiB: a.rootGiB ?? 50, registered: ctx.state.deregistered[a.id] === undefined });
  }
  return out;
}

// EC2 API Reference, DescribeLaunchTemplateVersions / CreateLaunchTemplateVersion: "You must specify either the launch
// template ID or launch template name" (else MissingParameter); unknown name: InvalidLaunchTemplateName.NotFoundException.
export function findLt(ctx: Ctx, spec: { id?: unknown; name?: unknown }): LtRec {
  if (typeof spec.id === 'string') {
    if (!LT_RE.test(spec.id)) throw awsError('InvalidLaunchTemplateId.Malformed', `The launch template ID '${spec.id}' is malformed.`);
    const lt = ctx.state.launchTemplates[spec.id];
    if (!lt) throw awsError('InvalidLaunchTemplateId.NotFound', `The specified launch template, with template ID ${spec.id}, does not exist.`);
    return lt;
  }
  if (typeof spec.name === 'string') {
    const lt = Object.values(ctx.state.launchTemplates).find((l) => l.name === spec.name);
    if (!lt) throw awsError('InvalidLaunchTemplateName.NotFoundException', `The specified launch template, with template name ${spec.name}, does not exist.`);
    return lt;
  }
  throw awsError('MissingParameter', 'The request must contain the parameter LaunchTemplateName or LaunchTemplateId');
}

export function latestVersion(lt: LtRec): number {
  return lt.versions[lt.versions.length - 1]?.versionNumber ?? 1;
}

/** Resolves "3", "$Latest" or "$Default" to a stored version. */
// EC2 User Guide, "Modify a launch template (manage launch template versions)": $Latest, $Default or a number; an
// unknown version is InvalidLaunchTemplateId.VersionNotFound ("Error codes for the Amazon EC2 API").
export function findVersion(lt: LtRec, version: string | number | undefined): LtVersionRec {
  const v = version === undefined || version === '$Default' ? lt.defaultVersion : version === '$Latest' ? latestVersion(lt) : Number(version);
  const rec = lt.versions.find((x) => x.versionNumber === v);
  if (!rec) throw awsError('InvalidLaunchTemplateId.VersionNotFound', `Could not find launch template version ${String(version)} for ${lt.id}.`);
  return rec;
}

// EC2 API Reference, "Image" data type: Platform is "windows" for Windows AMIs and absent otherwise; PlatformDetails.
// Knowingly simplified: State is always available, x86_64, one EBS root /dev/sda1 (its snapshot: rootSnapshotOf).
function renderImage(ctx: Ctx, a: AmiView): Record<string, unknown> {
  // Image Builder User Guide, "Tag Image Builder output resources": output AMIs get CreatedBy and Ec2ImageBuilderArn.
  const builder = a.imageBuilderArn ? { CreatedBy: 'EC2 Image Builder', Ec2ImageBuilderArn: a.imageBuilderArn } : {};
  const tags = { ...builder, ...(ctx.state.tags[a.id] ?? {}) };
  return {
    ImageId: a.id,
    Name: a.name,
    State: 'available',
    ...ownerOf(ctx, a),
    CreationDate: iso(a.createdAt),
    Architecture: 'x86_64',
    ImageType: 'machine',
    RootDeviceType: 'ebs',
    RootDeviceName: '/dev/sda1',
    BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { SnapshotId: rootSnapshotOf(a.id), VolumeSize: a.rootGiB ?? 50, VolumeType: 'gp3', DeleteOnTermination: true, Encrypted: false } }],
    VirtualizationType: 'hvm',
    ...(a.platform === 'windows' ? { Platform: 'windows', PlatformDetails: 'Windows' } : { PlatformDetails: 'Linux/UNIX' }),
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  };
}

function renderVersion(lt: LtRec, v: LtVersionRec): Record<string, unknown> {
  return {
    LaunchTemplateId: lt.id,
    LaunchTemplateName: lt.name,
    VersionNumber: v.versionNumber,
    ...(v.description !== undefined ? { VersionDescription: v.description } : {}),
    CreateTime: new Date(v.createTime),
    DefaultVersion: v.versionNumber === lt.defaultVersion,
    LaunchTemplateData: structuredClone(v.data),
  };
}

// EC2 API Reference, LaunchTemplate: Tags, "The tags for the launch template".
function renderLt(ctx: Ctx, lt: LtRec): Record<string, unknown> {
  return {
    LaunchTemplateId: lt.id,
    LaunchTemplateName: lt.name,
    CreateTime: new Date(lt.createTime),
    DefaultVersionNumber: lt.defaultVersion,
    LatestVersionNumber: latestVersion(lt),
    Tags: Object.entries(ctx.state.tags[lt.id] ?? {}).map(([Key, Value]) => ({ Key, Value })),
  };
}

// EC2 API Reference, DescribeImages, Filters: name, image-id, platform ("windows"), state, tag:<key>, tag-key, with
// * and ? wildcards. NOTE more forgiving than AWS: any other filter name is ignored (matches everything) instead of
// refused, and Owners / ExecutableUsers / pagination are not modelled (see README).
function matchesFilters(ctx: Ctx, a: AmiView, filters: unknown[]): boolean {
  return filters.every((f) => {
    const { Name, Values } = (obj(f) ?? {}) as { Name?: string; Values?: string[] };
    const values = Values ?? [];
    const glob = (s: string) => values.some((v) => new RegExp(`^${v.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(s));
    if (Name === 'name') return glob(a.name);
    if (Name === 'image-id') return glob(a.id);
    if (Name === 'platform') return a.platform === 'windows' && values.includes('windows');
    if (Name === 'state') return values.includes('available');
    if (Name?.startsWith('tag:')) {
      const t = ctx.state.tags[a.id]?.[Name.slice(4)];
      return t !== undefined && glob(t);
    }
    if (Name === 'tag-key') return Object.keys(ctx.state.tags[a.id] ?? {}).some(glob);
    return true;
  });
}

export function ec2Handlers(ctx: Ctx): Handlers {
  return {
    // EC2 API Reference, DescribeImages: an id in ImageIds that does not exist fails the whole call (InvalidAMIID.NotFound).
    DescribeImages(input: Input) {
      const ids = arr(input.ImageIds) as string[];
      const amis = allAmis(ctx);
      const picked = ids.length > 0 ? ids.map((id) => requireAmi(ctx, id)) : [...amis.values()];
      return { Images: picked.filter((a) => matchesFilters(ctx, a, arr(input.Filters))).map((a) => renderImage(ctx, a)) };
    },
    CreateTags(input: Input) {
      const resources = arr(input.Resources) as string[];
      // EC2 API Reference, CreateTags: Resources is required; "adds or overwrites only the specified tags"; an AMI must
      // exist. NOTE more forgiving than AWS: the 50-tags-per-resource limit, key/value lengths (128/256) and the reserved
      // aws: prefix are not checked, nor do non-AMI resource ids have to exist (see README).
      if (resources.length === 0) throw awsError('MissingParameter', 'The request must contain the parameter resourceIdSet');
      for (const r of resources) if (typeof r === 'string' && r.startsWith('ami-')) requireAmi(ctx, r);
      for (const r of resources) {
        const tags = (ctx.state.tags[r] ??= {});
        for (const t of arr(input.Tags)) {
          const { Key, Value } = (obj(t) ?? {}) as { Key?: string; Value?: string };
          if (typeof Key === 'string') tags[Key] = Value ?? '';
        }
      }
      return {};
    },
    // EC2 API Reference, DescribeLaunchTemplates: unknown ids or names fail the call. Not paginated here (knowingly simplified).
    // EC2 API Reference, DescribeInstances: Reservations[].Instances[] with InstanceType, State and CpuOptions (CoreCount x
    // ThreadsPerCore = vCPUs); InstanceLifecycle only for Spot and Scheduled instances; MaxResults 5-1000, not with
    // InstanceIds; NextToken. Lists the fleet's instances, the account's other On-Demand instances
    // (fleet.otherOnDemandVcpus, as m5.xlarge) and Fast Launch's temporary instances, all running. Filters: only
    // instance-state-name is understood; any other filter is refused (InvalidParameterValue), stricter than AWS, so the
    // product cannot lean on one the sim ignores.
    DescribeInstances(input: Input) {
      const filters = arr(input.Filters).map((f) => obj(f) ?? {});
      for (const f of filters) if (f.Name !== 'instance-state-name') throw awsError('InvalidParameterValue', `The filter '${String(f.Name)}' is not understood by the simulated account`);
      const states = filters.flatMap((f) => arr(f.Values) as string[]);
      if (input.MaxResults !== undefined && input.InstanceIds !== undefined) throw awsError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
      const max = input.MaxResults === undefined ? Number.POSITIVE_INFINITY : Number(input.MaxResults);
      if (input.MaxResults !== undefined && (max < 5 || max > 1000)) throw awsError('InvalidParameterValue', `Value ( ${String(input.MaxResults)} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`);
      const all: Record<string, unknown>[] = [];
      if (states.length === 0 || states.includes('running')) {
        for (const asg of Object.values(ctx.state.asgs))
          for (const i of asg.instances) {
            const vcpus = vcpusOfVersion(ctx, i.ltId, i.versionNumber);
            const type = ctx.state.launchTemplates[i.ltId]?.versions.find((v) => v.versionNumber === i.versionNumber)?.data.InstanceType;
            all.push({ InstanceId: i.instanceId, ImageId: i.imageId, InstanceType: typeof type === 'string' ? type : 'm5.large', State: { Code: 16, Name: 'running' }, CpuOptions: { CoreCount: Math.max(1, vcpus / 2), ThreadsPerCore: vcpus >= 2 ? 2 : 1 } });
          }
        for (let n = 0; n < (ctx.state.otherVcpus ?? 0) / 4; n++)
          all.push({ InstanceId: `i-0ther${n.toString(16).padStart(12, '0')}`, InstanceType: 'm5.xlarge', State: { Code: 16, Name: 'running' }, CpuOptions: { CoreCount: 2, ThreadsPerCore: 2 } });
        // Fast Launch's temporary instances run in the account too (fastlaunch.ts).
        for (const t of temporaryInstances(ctx, ctx.now()))
          all.push({ InstanceId: t.instanceId, ImageId: t.imageId, InstanceType: t.instanceType, State: { Code: 16, Name: 'running' }, CpuOptions: { CoreCount: Math.max(1, t.vcpus / 2), ThreadsPerCore: t.vcpus >= 2 ? 2 : 1 } });
      }
      if (input.InstanceIds !== undefined) throw awsError('InvalidParameterValue', 'InstanceIds is not modelled by the simulated account');
      const from = typeof input.NextToken === 'string' ? Number(input.NextToken) : 0;
      if (!Number.isInteger(from) || from < 0) throw awsError('InvalidParameterValue', `Invalid NextToken: ${String(input.NextToken)}`);
      const page = all.slice(from, from + max);
      const next = from + page.length < all.length ? String(from + page.length) : undefined;
      return { Reservations: page.length ? [{ Instances: page }] : [], ...(next ? { NextToken: next } : {}) };
    },
    DescribeLaunchTemplates(input: Input) {
      const ids = arr(input.LaunchTemplateIds);
      const names = arr(input.LaunchTemplateNames);
      const lts =
        ids.length + names.length === 0
          ? Object.values(ctx.state.launchTemplates)
          : [...ids.map((id) => findLt(ctx, { id })), ...names.map((name) => findLt(ctx, { name }))];
      return { LaunchTemplates: lts.map((lt) => renderLt(ctx, lt)) };
    },
    DescribeLaunchTemplateVersions(input: Input) {
      const lt = findLt(ctx, { id: input.LaunchTemplateId, name: input.LaunchTemplateName });
      const versions = arr(input.Versions) as string[];
      // EC2 API Reference, DescribeLaunchTemplateVersions: Versions takes numbers, $Latest, $Default. Not paginated here.
      const picked = versions.length === 0 ? lt.versions : versions.map((v) => findVersion(lt, v));
      return { LaunchTemplateVersions: picked.map((v) => renderVersion(lt, v)) };
    },
    CreateLaunchTemplateVersion(input: Input) {
      const lt = findLt(ctx, { id: input.LaunchTemplateId, name: input.LaunchTemplateName });
      const data = obj(input.LaunchTemplateData);
      if (!data) throw awsError('MissingParameter', 'The request must contain the parameter LaunchTemplateData');
      // EC2 API Reference, CreateLaunchTemplateVersion: ClientToken "to ensure the idempotency of the request" (EC2 Developer
      // Guide, "Ensuring idempotency": same token + other parameters is IdempotentParameterMismatch). Versions are numbered in
      // the order created. NOTE more forgiving than AWS: LaunchTemplateData is not validated and the 10,000-version quota is
      // not modelled.
      const number = idempotent(ctx, 'CreateLaunchTemplateVersion', input.ClientToken, input, 'IdempotentParameterMismatch', () => {
        // Without SourceVersion the new version holds only what is given; with it, given top-level keys override the source.
        const source = input.SourceVersion === undefined ? {} : findVersion(lt, str(input.SourceVersion)).data;
        const rec: LtVersionRec = {
          // Version numbers are never reused, even after DeleteLaunchTemplateVersions took the latest (the stricter reading).
          versionNumber: Math.max(latestVersion(lt), lt.highestVersion ?? 0) + 1,
          ...(typeof input.VersionDescription === 'string' ? { description: input.VersionDescription } : {}),
          createTime: ctx.now(),
          data: { ...structuredClone(source), ...structuredClone(data) },
        };
        lt.versions.push(rec);
        return rec.versionNumber;
      });
      return { LaunchTemplateVersion: renderVersion(lt, findVersion(lt, number)) };
    },
    // EC2 API Reference, DeregisterImage: "you can't use it to launch new instances"; snapshots stay ("By default,
    // deregistering an AMI also has no effect on any snapshots": EC2 User Guide, "Deregister an AMI"). Only the owner
    // may deregister (the stricter reading: AuthFailure for anyone else's). With Windows Fast Launch on, or still being
    // turned off, AWS documents no behaviour: the stricter reading refuses (IncorrectState) until DisableFastLaunch has
    // removed the pre-provisioned snapshots.
    DeregisterImage(input: Input) {
      const ami = requireAmi(ctx, input.ImageId);
      if (ownerOf(ctx, ami).OwnerId !== ctx.accountId) throw awsError('AuthFailure', `Not authorized for image:${ami.id}`);
      const fl = ctx.state.fastLaunch[ami.id];
      const flState = fl ? fastLaunchState(ctx, fl)?.state : undefined;
      if (flState) throw awsError('IncorrectState', `Image ${ami.id} has Windows fast launch ${flState}: disable it and wait for its pre-provisioned snapshots to be removed first.`);
      ctx.state.deregistered[ami.id] = ctx.now();
      return { Return: true };
    },
    // EC2 API Reference, DeleteSnapshot: "You cannot delete a snapshot of the root device of an EBS volume used by a
    // registered AMI" (InvalidSnapshot.InUse); unknown: InvalidSnapshot.NotFound; bad id: InvalidSnapshotID.Malformed
    // ("Error codes for the Amazon EC2 API").
    DeleteSnapshot(input: Input) {
      const id = input.SnapshotId;
      if (typeof id !== 'string' || !SNAP_RE.test(id)) throw awsError('InvalidSnapshotID.Malformed', `Invalid id: "${String(id)}"`);
      const snap = ownSnapshots(ctx).get(id);
      if (!snap) throw awsError('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
      if (snap.registered) throw awsError('InvalidSnapshot.InUse', `The snapshot ${id} is currently in use by ${snap.amiId}`);
      ctx.state.deletedSnapshots[id] = ctx.now();
      return { Return: true };
    },
    // EC2 API Reference, DeleteLaunchTemplateVersions: up to 200 versions a request; "You can't delete the default
    // version"; each refused version comes back in UnsuccessfullyDeletedLaunchTemplateVersions with a ResponseError
    // (LaunchTemplateErrorCode: launchTemplateVersionDoesNotExist, unexpectedError, …). AWS does not check whether an
    // Auto Scaling group still uses the version (the pipeline must): neither does the simulation.
    DeleteLaunchTemplateVersions(input: Input) {
      const lt = findLt(ctx, { id: input.LaunchTemplateId, name: input.LaunchTemplateName });
      const versions = arr(input.Versions).map((v) => String(v));
      if (versions.length === 0) throw awsError('MissingParameter', 'The request must contain the parameter LaunchTemplateVersion');
      if (versions.length > 200) throw awsError('InvalidParameterValue', 'You can delete up to 200 launch template versions in a single request.');
      const ok: Record<string, unknown>[] = [];
      const failed: Record<string, unknown>[] = [];
      for (const v of versions) {
        const n = Number(v);
        const item = { LaunchTemplateId: lt.id, LaunchTemplateName: lt.name, VersionNumber: n };
        const index = lt.versions.findIndex((x) => x.versionNumber === n);
        if (index < 0) failed.push({ ...item, ResponseError: { Code: 'launchTemplateVersionDoesNotExist', Message: 'The launch template version does not exist.' } });
        else if (n === lt.defaultVersion) failed.push({ ...item, ResponseError: { Code: 'unexpectedError', Message: 'You cannot delete the default version of a launch template.' } });
        else {
          lt.highestVersion = Math.max(lt.highestVersion ?? 0, latestVersion(lt));
          lt.versions.splice(index, 1);
          ok.push(item);
        }
      }
      return { SuccessfullyDeletedLaunchTemplateVersions: ok, UnsuccessfullyDeletedLaunchTemplateVersions: failed };
    },
    ModifyLaunchTemplate(input: Input) {
      const lt = findLt(ctx, { id: input.LaunchTemplateId, name: input.LaunchTemplateName });
      // EC2 API Reference, ModifyLaunchTemplate: DefaultVersion must name an existing version.
      if (input.DefaultVersion !== undefined) lt.defaultVersion = findVersion(lt, str(input.DefaultVersion) ?? String(input.DefaultVersion)).versionNumber;
      return { LaunchTemplate: renderLt(ctx, lt) };
    },
  };
}
