import { awsError, MINUTE, obj, type Ctx, type FastLaunchRec, type Handlers, type Input } from './context.js';
import { findLt, findVersion, requireAmi } from './ec2.js';
import { reserveLaunches } from './ec2-limits.js';
import { VCPUS_PER_INSTANCE, vcpuLimitMessage, vcpusOfType, vcpuUsage } from './quotas.js';

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
 * instanceBoot are the scenario's times of a launch from a pre-provisioned snapshot (`snapshot`: takeSnapshot gave it
 * one, and the AMI's Fast Launch is still enabled at `at`). Every other launch (an AMI whose Fast Launch is enabling,
 * failed, disabled or was never enabled; an enabled AMI whose pool had no snapshot to spare) goes through Windows setup
 * from scratch, and the stricter reading of "up to 65%" is the whole 65%: it takes 1 / 0.35 times as long. No page says
 * a launch waits for Fast Launch: it goes ahead, slower.
 */
export const WITHOUT_FAST_LAUNCH = 1 / 0.35;
export function launchMs(ctx: Ctx, imageId: string, at: number, snapshot: boolean): { launchMs: number; bootMs: number } {
  const base = { launchMs: ctx.durations.instanceLaunch * MINUTE, bootMs: ctx.durations.instanceBoot * MINUTE };
  const rec = ctx.state.fastLaunch[imageId];
  // Replays (lifecycle.ts, nodegroups.ts) ask about launches in the past: the snapshot was taken then, if Fast Launch was on.
  const fast = snapshot && rec !== undefined && at >= rec.enabledAt && fastLaunchState(ctx, rec, at)?.state === 'enabled';
  return fast ? base : { launchMs: Math.round(base.launchMs * WITHOUT_FAST_LAUNCH), bootMs: Math.round(base.bootMs * WITHOUT_FAST_LAUNCH) };
}

/**
 * The pool of pre-provisioned snapshots of a Fast Launch enabled AMI. EC2 User Guide, "Use EC2 Fast Launch for your
 * Windows instances" / "Configure Windows fast launch": EC2 launches temporary instances that go through Sysprep and
 * OOBE, snapshots each, and "the next time Amazon EC2 launches an instance from the EC2 Fast Launch enabled AMI, it uses
 * one of the snapshots"; "Amazon EC2 automatically replenishes the snapshots you have on hand as it uses them".
 * SnapshotConfiguration.TargetResourceCount is the number kept on hand (its default is not documented: MaxParallelLaunches
 * here, as the enable's launches above), MaxParallelLaunches the temporary instances EC2 runs at once. AWS documents no
 * time per snapshot: each takes durations.fastLaunchEnable (the time the enable takes here), the initial set made
 * MaxParallelLaunches at a time from the enable on. A launch that takes one is fast; EC2 starts a temporary instance to
 * replace it at once, or when one of the MaxParallelLaunches is free, and the snapshot is back durations.fastLaunchEnable
 * after that instance started.
 *
 * Launch frequency: EC2 User Guide, "Configure your Windows AMI for faster launching", key terms: "Launch frequency –
 * Controls the number of pre-provisioned snapshots that Amazon EC2 can launch within the specified timeframe" (default
 * five launches per hour, which creates an initial set of five snapshots), and EnableFastLaunch (EC2 API Reference): the
 * reserved snapshots "are automatically replenished as they are used, depending on your settings for launch frequency".
 * The API sets it only through TargetResourceCount; the stricter reading: at most TargetResourceCount fast launches per
 * rolling hour per AMI, so a taken snapshot's slot stays busy until max(its replacement's end, the take + 60 min).
 *
 * The replenishing temporary instance is a RunInstances launch of the account like the enable's (below): it books a
 * RunInstances token (ec2-limits.ts reserveLaunches) and starts when that allows. When the account's vCPU usage at its
 * start plus its vCPUs would exceed the On-Demand vCPU quota (quotas.ts), AWS documents no behaviour; the stricter
 * reading: that snapshot is never replaced (its slot stays out of the pool for good), and the request's token is spent.
 *
 * A refresh's or node group update's launches are booked when it starts (like ec2-limits.ts's RunInstances ledger), so
 * the pool is a booking ledger: `busy` holds, per snapshot slot taken, the interval from the take to its replacement's
 * end, `temp` each temporary instance's run. A booking takes a snapshot only if fewer than TargetResourceCount are busy at
 * every moment of its own interval (and its temporary instance finds fewer than MaxParallelLaunches running): a later
 * booking never takes a snapshot promised to an earlier-booked launch, whenever that launch is (the stricter reading:
 * snapshots are not handed out first come first served at launch time, where a later booking of an earlier launch
 * would win). Knowingly simplified: a changed TargetResourceCount of an enabled AMI does not resize its pool.
 */
export interface SnapshotPool {
  enabledAt: number;
  target: number;
  parallel: number;
  /** One temporary instance's type and vCPUs (quotas.ts counts them). */
  instanceType: string;
  vcpus: number;
  /** [from, to) per snapshot slot out of the pool, sorted by `from`. */
  busy: [number, number][];
  /** [from, to) per temporary instance, sorted by `from`. */
  temp: [number, number][];
  /** The longest `busy` interval (bounds the search). */
  longest: number;
  /** Take times of snapshots never replaced (their replenishment did not fit the vCPU quota): out of the pool from then on. */
  lost: number[];
}

/** Launch frequency (above): a taken snapshot's slot is busy for at least an hour. */
const LAUNCH_FREQUENCY_WINDOW_MS = 60 * MINUTE;

/**
 * EC2 User Guide, "Configure Windows fast launch": without a launch template (or an InstanceType in it) EC2 uses
 * "temporary t3 instances" and names no size; the largest, t3.2xlarge (8 vCPUs), is the stricter reading (it spends the
 * most of the vCPU quota).
 */
export const DEFAULT_TEMPORARY_TYPE = 't3.2xlarge';

function newPool(ctx: Ctx, rec: FastLaunchRec, target: number): SnapshotPool {
  const e = ctx.durations.fastLaunchEnable * MINUTE;
  const instanceType = temporaryType(ctx, rec);
  const vcpus = vcpusOfType(instanceType) ?? VCPUS_PER_INSTANCE;
  const pool: SnapshotPool = { enabledAt: rec.enabledAt, target, parallel: rec.maxParallelLaunches, instanceType, vcpus, busy: [], temp: [], longest: 0, lost: [] };
  for (let k = 0; k < target; k++) {
    const from = rec.enabledAt + Math.floor(k / rec.maxParallelLaunches) * e;
    insert(pool.temp, [from, from + e]);
    insert(pool.busy, [rec.enabledAt, from + e]);
    pool.longest = Math.max(pool.longest, from + e - rec.enabledAt);
  }
  return pool;
}

/** A scenario's AMI with Fast Launch enabled at `at` by an earlier run (fleet.amis[].fastLaunch), without a launch template. */
export function seedFastLaunch(ctx: Ctx, imageId: string, at: number, s: { targetResourceCount: number; maxParallelLaunches: number }): void {
  const rec: FastLaunchRec = { imageId, resourceType: 'snapshot', maxParallelLaunches: s.maxParallelLaunches, snapshotConfiguration: { TargetResourceCount: s.targetResourceCount }, enabledAt: at };
  ctx.state.fastLaunch[imageId] = rec;
  (ctx.state.fastLaunchPools ??= {})[imageId] = newPool(ctx, rec, s.targetResourceCount);
}

/** The enable's temporary instance type: its launch template version's InstanceType, else t3 (above). */
function temporaryType(ctx: Ctx, rec: FastLaunchRec): string {
  const lt = rec.launchTemplate;
  if (!lt) return DEFAULT_TEMPORARY_TYPE;
  const type = findVersion(findLt(ctx, { id: lt.LaunchTemplateId, name: lt.LaunchTemplateName }), lt.Version as string).data.InstanceType;
  return typeof type === 'string' ? type : DEFAULT_TEMPORARY_TYPE;
}

function insert(list: [number, number][], iv: [number, number]): void {
  let i = list.length;
  while (i > 0 && (list[i - 1] as [number, number])[0] > iv[0]) i--;
  list.splice(i, 0, iv);
}

/**
 * The most intervals of `list` (sorted by start, none longer than `longest`) covering one moment of [a, b), counting
 * also the open-ended intervals starting at each of `open` (sorted).
 */
function maxOverlap(list: [number, number][], a: number, b: number, longest: number, open: number[] = []): number {
  const events: [number, number][] = [];
  for (const from of open) {
    if (from >= b) break;
    events.push([Math.max(from, a), 1]);
  }
  for (let i = list.length - 1; i >= 0; i--) {
    const [from, to] = list[i] as [number, number];
    if (from < a - longest) break;
    if (from < b && to > a) events.push([Math.max(from, a), 1], [to, -1]);
  }
  // Half-open intervals: an end at t comes before a start at t.
  events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let n = 0;
  let most = 0;
  for (const [, d] of events) most = Math.max(most, (n += d));
  return most;
}

/**
 * Takes a pre-provisioned snapshot for one launch of `imageId` at `at` when the pool can spare one for it (a write: the
 * caller books it when its launch is fixed). False: the launch goes without one (slow, launchMs).
 */
export function takeSnapshot(ctx: Ctx, imageId: string, at: number): boolean {
  const rec = ctx.state.fastLaunch[imageId];
  const pool = ctx.state.fastLaunchPools?.[imageId];
  if (!rec || !pool || pool.enabledAt !== rec.enabledAt || at < rec.enabledAt || fastLaunchState(ctx, rec, at)?.state !== 'enabled') return false;
  const e = ctx.durations.fastLaunchEnable * MINUTE;
  const until = (from: number) => Math.max(from + e, at + LAUNCH_FREQUENCY_WINDOW_MS);
  // The slot is busy at least until(at): no snapshot to spare then, none later (a cheap first check).
  if (maxOverlap(pool.busy, at, until(at), pool.longest, pool.lost) >= pool.target) return false;
  // The replacing temporary instance: at once, or when fewer than MaxParallelLaunches run (only binds above TargetResourceCount).
  let start = pool.parallel < pool.target ? firstFree(pool.temp, at, e, pool.parallel) : at;
  if (maxOverlap(pool.busy, at, until(start), pool.longest, pool.lost) >= pool.target) return false;
  // Its RunInstances token (a write: booked even if the vCPU quota then refuses the launch, as the request was made).
  start = reserveLaunches(ctx, start, 1);
  const quota = ctx.state.vcpuQuota;
  const fits = quota === undefined || vcpuUsage(ctx, start) + pool.vcpus <= quota;
  // The slot as finally booked: later (the token) or for good (not replenished) must still leave earlier bookings theirs;
  // if not, the launch goes without a snapshot (the token stays spent: the stricter reading).
  if (!fits) {
    if (maxOverlap(pool.busy, at, Infinity, pool.longest, pool.lost) >= pool.target) return false;
    insert1(pool.lost, at);
    return true;
  }
  if (maxOverlap(pool.busy, at, until(start), pool.longest, pool.lost) >= pool.target) return false;
  insert(pool.busy, [at, until(start)]);
  insert(pool.temp, [start, start + e]);
  pool.longest = Math.max(pool.longest, until(start) - at);
  return true;
}

function insert1(list: number[], t: number): void {
  let i = list.length;
  while (i > 0 && (list[i - 1] as number) > t) i--;
  list.splice(i, 0, t);
}

/**
 * The earliest moment from `at` on, or an end of one of `temp` (sorted by start, each `e` long), from which a temporary
 * instance of `e` never finds `parallel` others running. One sweep: the temporary instances still running at `at` or
 * later, their running count as a step function, and a sliding-window maximum over [s, s + e) as s moves forward.
 */
function firstFree(temp: [number, number][], at: number, e: number, parallel: number): number {
  const events: [number, number][] = [];
  const ends: number[] = [];
  for (let i = temp.length - 1; i >= 0; i--) {
    const [from, to] = temp[i] as [number, number];
    if (from <= at - e) break;
    if (to <= at) continue;
    events.push([Math.max(from, at), 1], [to, -1]);
    ends.push(to);
  }
  events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  ends.sort((x, y) => x - y);
  // Distinct moments and the count running from each until the next.
  const times: number[] = [];
  const levels: number[] = [];
  let n = 0;
  for (const [t, d] of events) {
    n += d;
    if (times.length > 0 && times[times.length - 1] === t) levels[levels.length - 1] = n;
    else {
      times.push(t);
      levels.push(n);
    }
  }
  const deque: number[] = [];
  let head = 0;
  let added = 0;
  let last = -1;
  for (const s of [at, ...ends]) {
    while (added < times.length && (times[added] as number) < s + e) {
      while (deque.length > head && (levels[deque[deque.length - 1] as number] as number) <= (levels[added] as number)) deque.pop();
      deque.push(added++);
    }
    while (last + 1 < times.length && (times[last + 1] as number) <= s) last++;
    while (deque.length > head && (deque[head] as number) < last) head++;
    const most = deque.length > head ? (levels[deque[head] as number] as number) : 0;
    if (most < parallel) return s;
  }
  return ends[ends.length - 1] ?? at;
}

/** Fast Launch's temporary instances running at `now` (quotas.ts vcpuUsage, ec2.ts DescribeInstances). */
export function temporaryInstances(ctx: Ctx, now: number): { instanceId: string; imageId: string; instanceType: string; vcpus: number }[] {
  const out: { instanceId: string; imageId: string; instanceType: string; vcpus: number }[] = [];
  const running = (imageId: string, pool: SnapshotPool, prefix: string) =>
    pool.temp.forEach(([from, to], n) => {
      if (from <= now && now < to) out.push({ instanceId: `i-${prefix}${imageId.slice(-9)}${n.toString(16).padStart(6, '0')}`, imageId, instanceType: pool.instanceType, vcpus: pool.vcpus });
    });
  for (const [imageId, pool] of Object.entries(ctx.state.fastLaunchPools ?? {})) {
    const rec = ctx.state.fastLaunch[imageId];
    if (!rec || rec.enabledAt !== pool.enabledAt) continue;
    // A failed enable's instances ran until it failed (durations.fastLaunchEnable).
    if (rec.failure && now >= rec.enabledAt + ctx.durations.fastLaunchEnable * MINUTE) continue;
    // Disabling removes the snapshots; no page says EC2 stops a temporary instance already running: it runs to its end.
    running(imageId, pool, 'f1');
  }
  // The same for the pools of earlier enables of a re-enabled AMI: their instances still run to their end.
  (ctx.state.retiredFastLaunchPools ?? []).forEach(({ imageId, pool, until }, k) => {
    if (now < until) running(imageId, pool, (0xe0 - (k % 0x20)).toString(16));
  });
  return out;
}

/** vCPUs of Fast Launch's temporary instances running at `now`. */
export function temporaryInstanceVcpus(ctx: Ctx, now: number): number {
  return temporaryInstances(ctx, now).reduce((n, i) => n + i.vcpus, 0);
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
        // The earlier enable's pool, if any, is replaced; its temporary instances still run (temporaryInstances).
        const old = ctx.state.fastLaunchPools?.[ami.id];
        if (old && existing && old.enabledAt === existing.enabledAt) {
          const until = existing.failure ? existing.enabledAt + ctx.durations.fastLaunchEnable * MINUTE : Infinity;
          (ctx.state.retiredFastLaunchPools ??= []).push({ imageId: ami.id, pool: old, until });
          delete ctx.state.fastLaunchPools?.[ami.id];
        }
        // EC2 API Reference, EnableFastLaunch: "Amazon EC2 launches an instance and runs through Sysprep steps" for each
        // reserved snapshot: those are RunInstances launches in this account and take tokens from the same bucket as
        // Auto Scaling's (ec2-limits.ts). One launch per snapshot (SnapshotConfiguration.TargetResourceCount; its default
        // is not documented: MaxParallelLaunches here), all taken at the start (the stricter reading).
        const target = typeof snapshotConfiguration?.TargetResourceCount === 'number' ? snapshotConfiguration.TargetResourceCount : max;
        reserveLaunches(ctx, now, target);
        // The temporary instances are On-Demand instances of the account: they count against the vCPU quota L-1216C47A
        // (quotas.ts) while they run. AWS documents no behaviour for an enable whose instances do not fit; the stricter
        // reading: Fast Launch fails (enabling, then enabling-failed) with EC2's VcpuLimitExceeded, and no snapshot is made.
        const pool = newPool(ctx, rec, target);
        const quota = ctx.state.vcpuQuota;
        if (!rec.failure && quota !== undefined && vcpuUsage(ctx, now) + Math.min(target, max) * pool.vcpus > quota)
          rec.failure = { state: 'enabling-failed', reason: `VcpuLimitExceeded: ${vcpuLimitMessage(quota)} Launching EC2 instance failed.` };
        else (ctx.state.fastLaunchPools ??= {})[ami.id] = pool;
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
