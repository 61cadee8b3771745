import { awsError, MINUTE, obj, type Ctx, type FastLaunchRec, type Handlers, type Input } from './context.js';
import { findLt, findVersion, requireAmi } from './ec2.js';
import { reserveLaunches } from './ec2-limits.js';

/**
 * AWS's default quota: parallel pre-provisioning launches per region, summed over all Fast Launch AMIs
 * that are enabling or enabled ("The default quota for Max parallel launches across all AMIs in an AWS
 * account is 40 per Region": EC2 User Guide, EC2 Fast Launch prerequisites for Windows). Summing the
 * configured MaxParallelLaunches of every live AMI is the stricter reading.
 */
export const FAST_LAUNCH_PARALLEL_QUOTA = 40;
// Not documented how long disabling takes; the simulation takes 5 minutes (EC2 API Reference, DisableFastLaunch: the
// pre-provisioned snapshots must be removed first).
const DISABLE_MS = 5 * MINUTE;

export function fastLaunchState(ctx: Ctx, r: FastLaunchRec, now = ctx.now()): { state: string; reason: string; since: number } | undefined {
  if (r.disabledAt !== undefined) {
    return now < r.disabledAt + DISABLE_MS ? { state: 'disabling', reason: 'Client.UserInitiated', since: r.disabledAt } : undefined;
  }
  const done = r.enabledAt + ctx.durations.fastLaunchEnable * MINUTE;
  // EC2 API Reference, "DescribeFastLaunchImagesSuccessItem" / "FastLaunchStateCode": enabling, enabling-failed, enabled,
  // enabled-failed, disabling, disabling-failed. The enabling time is durations.fastLaunchEnable (not documented).
  if (now < done) return { state: 'enabling', reason: 'Client.UserInitiated', since: r.enabledAt };
  if (r.failure) return { state: r.failure.state, reason: r.failure.reason, since: done };
  return { state: 'enabled', reason: 'Client.UserInitiated - Lifecycle state transition', since: done };
}

/**
 * How long one launch of `imageId` starting at `at` takes. EC2 API Reference, EnableFastLaunch: with Windows fast launch
 * "images are pre-provisioned, using snapshots to launch instances up to 65% faster". durations.instanceLaunch and
 * instanceBoot are the scenario's launch times; while an AMI's Fast Launch is enabling (or failed: enabling-failed,
 * enabled-failed) there are no pre-provisioned snapshots yet, and the stricter reading of "up to 65%" is the whole 65%:
 * such a launch takes 1 / 0.35 times as long. No page says a launch waits for Fast Launch: it goes ahead, slower.
 * Knowingly simplified: an AMI whose Fast Launch was never enabled (or was disabled) launches in the scenario's times.
 */
export const WITHOUT_FAST_LAUNCH = 1 / 0.35;
const WITHOUT_SNAPSHOTS = new Set(['enabling', 'enabling-failed', 'enabled-failed']);
export function launchMs(ctx: Ctx, imageId: string, at: number): { launchMs: number; bootMs: number } {
  const base = { launchMs: ctx.durations.instanceLaunch * MINUTE, bootMs: ctx.durations.instanceBoot * MINUTE };
  const rec = ctx.state.fastLaunch[imageId];
  // Replays (lifecycle.ts, nodegroups.ts) ask about launches in the past: before the enable the AMI had no Fast Launch.
  const state = rec && at >= rec.enabledAt ? fastLaunchState(ctx, rec, at)?.state : undefined;
  return state !== undefined && WITHOUT_SNAPSHOTS.has(state) ? { launchMs: Math.round(base.launchMs * WITHOUT_FAST_LAUNCH), bootMs: Math.round(base.bootMs * WITHOUT_FAST_LAUNCH) } : base;
}

function render(ctx: Ctx, r: FastLaunchRec, s: { state: string; reason: string; since: number }): Record<string, unknown> {
  return {
    ImageId: r.imageId,
    ResourceType: r.resourceType,
    ...(r.snapshotConfiguration ? { SnapshotConfiguration: structuredClone(r.snapshotConfiguration) } : {}),
    ...(r.launchTemplate ? { LaunchTemplate: structuredClone(r.launchTemplate) } : {}),
    MaxParallelLaunches: r.maxParallelLaunches,
    OwnerId: ctx.accountId,
    State: s.state,
    StateTransitionReason: s.reason,
    StateTransitionTime: new Date(s.since),
  };
}

export function fastLaunchHandlers(ctx: Ctx): Handlers {
  return {
    EnableFastLaunch(input: Input) {
      const ami = requireAmi(ctx, input.ImageId);
      // EC2 API Reference, EnableFastLaunch: "When you enable Windows fast launch for a Windows AMI" — only Windows AMIs.
      // The error name is not documented; the stricter reading refuses with InvalidParameterValue.
      if (ami.platform !== 'windows') throw awsError('InvalidParameterValue', `Fast Launch is only supported for Windows AMIs; ${ami.id} is not one.`);
      // EC2 API Reference, EnableFastLaunch: ResourceType "Supported values include: snapshot, which is the default value".
      const resourceType = input.ResourceType ?? 'snapshot';
      if (resourceType !== 'snapshot') throw awsError('InvalidParameterValue', `Value (${String(resourceType)}) for parameter ResourceType is invalid.`);
      // EC2 API Reference, EnableFastLaunch: MaxParallelLaunches "Value must be 6 or greater" (default 6 here).
      const max = typeof input.MaxParallelLaunches === 'number' ? input.MaxParallelLaunches : 6;
      if (!Number.isInteger(max) || max < 6) throw awsError('InvalidParameterValue', 'MaxParallelLaunches must be at least 6.');
      const lt = obj(input.LaunchTemplate);
      // EC2 API Reference, EnableFastLaunch / "FastLaunchLaunchTemplateSpecificationRequest": Version is required and the
      // template must exist.
      if (lt) {
        if (typeof lt.Version !== 'string') throw awsError('MissingParameter', 'The request must contain the parameter LaunchTemplate.Version');
        findVersion(findLt(ctx, { id: lt.LaunchTemplateId, name: lt.LaunchTemplateName }), lt.Version);
      }
      const now = ctx.now();
      const existing = ctx.state.fastLaunch[ami.id];
      // EC2 API Reference, DisableFastLaunch: "Amazon EC2 must remove all pre-provisioned snapshots
      // before you can enable Windows fast launch again." The error name is not documented: the
      // stricter reading refuses with EC2's generic IncorrectState.
      if (existing && fastLaunchState(ctx, existing, now)?.state === 'disabling')
        throw awsError('IncorrectState', `Fast Launch for image ${ami.id} is still being disabled; it can be enabled again once its pre-provisioned snapshots are removed.`);
      const live = (state: string | undefined) => state === 'enabling' || state === 'enabled';
      const used = Object.values(ctx.state.fastLaunch)
        .filter((r) => r.imageId !== ami.id && live(fastLaunchState(ctx, r, now)?.state))
        .reduce((sum, r) => sum + r.maxParallelLaunches, 0);
      if (used + max > FAST_LAUNCH_PARALLEL_QUOTA)
        throw awsError('ResourceLimitExceeded', `Fast Launch parallel launches quota (${FAST_LAUNCH_PARALLEL_QUOTA}) exceeded: ${used} in use, ${max} requested.`);
      const snapshotConfiguration = obj(input.SnapshotConfiguration);
      const settings = {
        resourceType,
        maxParallelLaunches: max,
        ...(snapshotConfiguration ? { snapshotConfiguration: structuredClone(snapshotConfiguration) } : {}),
        ...(lt ? { launchTemplate: structuredClone(lt) } : {}),
      };
      let rec: FastLaunchRec;
      // EnableFastLaunch (EC2 API reference) changes the settings of an enabled image; what it does while the image is
      // still `enabling` is not documented, so the simulation takes the stricter reading: the transition must end first.
      // A caller whose first answer was lost finds its own enable in progress through DescribeFastLaunchImages.
      if (existing && fastLaunchState(ctx, existing, now)?.state === 'enabling')
        throw awsError('IncorrectState', `Fast Launch for image ${ami.id} is enabling; wait until it is enabled or failed.`);
      if (existing && live(fastLaunchState(ctx, existing, now)?.state)) {
        // Re-enabling an enabling/enabled image changes its settings and keeps its progress.
        rec = { ...existing, ...settings };
      } else {
        const fi = ctx.faults.findIndex((f) => f.kind === 'fastLaunchFailure' && (f.imageId === undefined || f.imageId === ami.id));
        const fault = ctx.faults[fi];
        const failure = fault?.kind === 'fastLaunchFailure' && ctx.takeFault(fi) ? { state: fault.state, reason: fault.reason } : undefined;
        rec = { imageId: ami.id, ...settings, enabledAt: now, ...(failure ? { failure } : {}) };
        // EC2 API Reference, EnableFastLaunch: "Amazon EC2 launches an instance and runs through Sysprep steps" for each
        // reserved snapshot: those are RunInstances launches in this account and take tokens from the same bucket as
        // Auto Scaling's (ec2-limits.ts). One launch per snapshot (SnapshotConfiguration.TargetResourceCount; its default
        // is not documented: MaxParallelLaunches here), all taken at the start (the stricter reading). Replenishing
        // snapshots as launches use them is not modelled.
        const target = typeof snapshotConfiguration?.TargetResourceCount === 'number' ? snapshotConfiguration.TargetResourceCount : max;
        reserveLaunches(ctx, now, target);
      }
      ctx.state.fastLaunch[ami.id] = rec;
      const s = fastLaunchState(ctx, rec, now);
      return render(ctx, rec, s ?? { state: 'enabling', reason: '', since: now });
    },
    // EC2 API Reference, DescribeFastLaunchImages: one item per image that has Fast Launch settings; a disabled image
    // disappears once disabling ends. Not paginated here (knowingly simplified).
    DescribeFastLaunchImages(input: Input) {
      const ids = Array.isArray(input.ImageIds) ? (input.ImageIds as string[]) : undefined;
      const now = ctx.now();
      const out: Record<string, unknown>[] = [];
      for (const r of Object.values(ctx.state.fastLaunch)) {
        if (ids && !ids.includes(r.imageId)) continue;
        const s = fastLaunchState(ctx, r, now);
        if (s) out.push(render(ctx, r, s));
      }
      return { FastLaunchImages: out };
    },
    DisableFastLaunch(input: Input) {
      const ami = requireAmi(ctx, input.ImageId);
      const rec = ctx.state.fastLaunch[ami.id];
      const s = rec && fastLaunchState(ctx, rec);
      // EC2 API Reference, DisableFastLaunch: the error for an image without Fast Launch is not documented; the stricter
      // reading refuses with InvalidParameterValue. Disabling while enabling is accepted, as AWS documents no restriction.
      if (!rec || !s || s.state === 'disabling') throw awsError('InvalidParameterValue', `Fast Launch is not enabled for image ${ami.id}.`);
      rec.disabledAt = ctx.now();
      return render(ctx, rec, { state: 'disabling', reason: 'Client.UserInitiated', since: rec.disabledAt });
    },
  };
}
