import { subject, type Notice, variantsAttribute } from '../notice.js';
import type { VariantRun } from '../plan/types.js';
import { links } from './links.js';
import { groupLine } from './messages.js';
import { activeRefreshes, versionsInUse, type ActiveRefresh } from '../rollout/standing.js';
import { isRetryable } from '../aws/retry.js';
import type { PipelineConfig } from '../config.js';
import { runVariants, type RunScope } from './run-variants.js';
import { imageParameterLine, type ImageParameterState } from './image-parameter.js';
import { causeText, DEADLINE_PASSED, firstUntouchedWave, NO_CANARY_RAN, waveFailure, wavesSettledBefore, type CaughtError } from './cause.js';

export interface VariantFailureFacts extends VariantRun {
  executionArn: string;
  region: string;
  error: CaughtError;
  stage: string;
  amiId: string | null;
  /** Waves whose groups' standing was read from AWS: those before the failed wave, or all of them when no wave reported. */
  checkedWaves: number;
  /** Version in use now, for the groups of the checked waves. */
  versionsNow: Map<string, string>;
  /** Refreshes still running on groups that have not moved (only read when no wave report says where they are). */
  refreshingNow?: Map<string, ActiveRefresh>;
  /** Further lines before "What to do" (e.g. what became of the new AMI's Fast Launch). */
  notes?: string[];
  /** Set when AWS could not be read (throttling, 5xx): each group is then named with what the run last knew of it. */
  unreadable?: string;
}

const NEXT_STEPS: Record<string, string> = {
  'image build': 'Read the build log named above, fix the cause (often a pending reboot or a full disk: raise imageBuilder.rootVolumeGiB), then start the run again. No node group was changed.',
  'AMI tagging': 'The image was built and its AMI (named above) exists, but it could not be tagged. Check ec2:CreateTags for the check-image function, then start a run with stages ["fastLaunch", "rollout"] and this amiId, or deregister the AMI. No node group was changed.',
  'fast launch': 'Check the Fast Launch settings (subnet, security group, quota of 40 parallel launches). Set fastLaunch.onFailure: warn to roll out without it. No node group was changed.',
  rollout: 'Look at the failed group\'s instance refresh in the console (link below) and the new nodes\' logs. Groups that rolled back are on their previous launch template version; fix the cause and start a run with stages ["rollout"] and the same amiId to continue.',
};

/** Where every node group of the variant stands after a failure: new AMI, rolled back, or never touched. */
export function variantFailureNotice(f: VariantFailureFacts): Notice {
  const l = links(f.region);
  const failedWave = waveFailure(f.error);
  const lines = [
    `Variant ${f.variant.id}: the ${f.stage} stage failed in run ${f.run.executionName}.`,
    `Cause: ${failedWave ? (failedWave.cause ?? 'an instance refresh failed or rolled back') : causeText(f.error)} (${f.error.Error})`,
    // The next step is a rerun with the same amiId: it must be in the e-mail.
    ...(f.amiId ? [`AMI: ${f.amiId}`] : []),
    '',
    'Where the node groups stand:',
  ];
  const untouchedFrom = failedWave ? firstUntouchedWave(failedWave) : f.checkedWaves;
  // A group an earlier wave handed over still refreshing (lib/rollout/hand-over.ts) has its line in the failed wave's report,
  // and so has a group of a failed wave beside passed ones in its round.
  const inFailedWave = new Set(failedWave?.groups.map((g) => g.asgName));
  f.variant.waves.slice(0, f.checkedWaves).forEach((wave, w) => wave.forEach((g) => {
    if (inFailedWave.has(g.asgName)) return;
    if (f.unreadable) return lines.push(`  ${g.asgName}: ${lastKnown(f, g, w)}`);
    const now = f.versionsNow.get(g.asgName);
    const running = f.refreshingNow?.get(g.asgName);
    const standing =
      now && now !== g.version ? `on the new AMI ${f.amiId} (launch template version ${now})`
      : running ? `instance refresh still ${running.status} (${running.percent}%), no longer watched by this run: follow it at ${l.asg(g.asgName)}`
      : `not moved (still on version ${g.version})`;
    return lines.push(`  ${g.asgName}: ${standing}`);
  }));
  failedWave?.groups.forEach((g) => lines.push(groupLine(g)));
  const untouched = f.variant.waves.slice(untouchedFrom).flat();
  // Untouched: the waves the failure kept from starting, and the groups of the failed one(s) that never started (their lines above).
  const notStarted = failedWave?.groups.filter((g) => g.state === 'queued').length ?? 0;
  if (untouched.length) lines.push(`  never touched (${untouched.length + notStarted}): ${untouched.map((g) => g.asgName).join(', ')}${notStarted ? `, and the ${notStarted} not started above` : ''}`);
  if (f.notes?.length) lines.push('', ...f.notes);
  lines.push('', `What to do: ${NEXT_STEPS[f.stage] ?? 'Read the cause above and the execution history, fix it, and start the run again.'}`, '', `Execution: ${l.execution(f.executionArn)}`);
  failedWave?.groups.filter((g) => g.state === 'failed' || g.state === 'rolledBack').forEach((g) => lines.push(`ASG ${g.asgName}: ${l.asg(g.asgName)}`));
  const rolledBack = failedWave?.groups.filter((g) => g.state === 'rolledBack').length ?? 0;
  return {
    subject: subject(`FAILED ${f.stage} for ${f.variant.id}${headline(failedWave, rolledBack)}, ${untouched.length + notStarted} untouched`),
    message: lines.join('\n'),
    severity: 'error',
    variant: variantsAttribute([f.variant.id]),
  };
}

/** A group whose standing AWS would not tell: what the run itself knew of it, and where to look. */
function lastKnown(f: VariantFailureFacts, g: VariantFailureFacts['variant']['waves'][number][number], wave: number): string {
  const failed = failedWave(f);
  const known = failed && wave < wavesSettledBefore(failed) ? `its wave ${wave + 1} finished earlier in this run (see that wave's message)` : `in the plan it ran launch template version ${g.version} (${g.imageId}); it may have moved since`;
  return `standing could not be read from AWS (${f.unreadable}); ${known}: check ${links(f.region).asg(g.asgName)}`;
}
const failedWave = (f: VariantFailureFacts) => waveFailure(f.error);

/** What the subject says went wrong in a failed wave: no canary ran, its deadline passed, or how many groups rolled back. */
function headline(failedWave: ReturnType<typeof waveFailure>, rolledBack: number): string {
  if (failedWave?.cause?.startsWith(NO_CANARY_RAN)) return ': no canary ran';
  if (failedWave?.cause?.startsWith(DEADLINE_PASSED)) return `: wave ${failedWave.waveIndex + 1} passed its deadline`;
  return rolledBack ? `: ${rolledBack} group(s) rolled back` : '';
}

/** The parent's state when ValidateInput or PlanRun failed: the validated input exists only after validation. */
export interface RunState extends RunScope {
  input?: { stages?: unknown; variants?: unknown; nodeGroups?: unknown };
  plan?: unknown;
  error: CaughtError;
}

const RUN_NEXT_STEPS: Record<string, string> = {
  'input validation': 'correct each field named above in the execution input (samples in events/), then start the run again.',
  plan: 'fix what is named above (the config file, the node groups, or the execution input), then start the run again. A dry-run ("dryRun": true) shows the plan without changing anything.',
};

/**
 * A run that failed before any variant started (bad input, failed plan): nothing was changed.
 * The cause names every bad field; it becomes the execution's Cause, so the console and
 * `npm run status` show it too, not only the e-mail.
 */
export function runFailure(state: RunState, executionName: string, region: string, executionArn: string, config?: Pick<PipelineConfig, 'variants'>): { notice: Notice; cause: string } {
  const error = state.error;
  const stage =
    error.Error === 'InvalidInputError' ? 'input validation'
    : error.Error === 'PlanError' ? 'plan'
    : state.plan ? 'start notification'
    : Array.isArray(state.input?.stages) ? 'plan'
    : 'input validation';
  const text = causeText(error);
  return {
    notice: {
      subject: subject(`FAILED ${stage} for run ${executionName}: nothing was changed`),
      message: [
        `Run ${executionName} stopped in the ${stage} stage before changing anything (${error.Error}).`,
        '',
        text,
        '',
        `What to do: ${RUN_NEXT_STEPS[stage] ?? 'read the cause above, fix it, and start the run again.'}`,
        `Execution: ${links(region).execution(executionArn)}`,
      ].join('\n'),
      severity: 'error',
      variant: variantsAttribute(runVariants(state, config)),
    },
    cause: `${stage} failed, nothing was changed. ${text}`,
  };
}

/** The child's state when a Catch fired: what it carried so far, and the error. */
export interface VariantState extends VariantRun {
  image?: { ready: boolean; amiId: string | null };
  fastLaunch?: { ready: boolean };
  /** Present once the rollout began (the parameter was read before it): see image-parameter.ts. */
  imageParameter?: ImageParameterState;
  error: CaughtError;
}

/** The furthest stage the variant reached is the one that failed (Catch output carries only Error and Cause). */
export function failedStage(state: VariantState): string {
  if (waveFailure(state.error) || state.fastLaunch?.ready || (state.image?.ready && !state.variant.stages.fastLaunch)) return 'rollout';
  if (state.image?.ready) return 'fast launch';
  // A finished build whose AMI could not be tagged: the AMI exists, the build did not fail.
  if (state.image?.amiId) return 'AMI tagging';
  return 'image build';
}

/** The notice for a failed variant, with each node group's standing read from AWS. */
export async function describeVariantFailure(state: VariantState, executionArn: string, region: string, notes: string[] = []): Promise<{ notice: Notice; cause: string }> {
  const failedWave = waveFailure(state.error);
  const stage = failedStage(state);
  // Without a wave report (a Lambda of the rollout failed), every group's standing is read from AWS.
  const checkedWaves = failedWave ? wavesSettledBefore(failedWave) : stage === 'rollout' ? state.variant.waves.length : 0;
  const reported = new Set(failedWave?.groups.map((g) => g.asgName));
  const earlier = state.variant.waves.slice(0, checkedWaves).flat().map((g) => g.asgName).filter((name) => !reported.has(name));
  let versionsNow = new Map<string, string>();
  let refreshingNow = new Map<string, ActiveRefresh>();
  let unreadable: string | undefined;
  try {
    if (earlier.length) versionsNow = await versionsInUse(earlier);
    const notMoved = failedWave ? [] : earlier.filter((name) => versionsNow.get(name) === state.variant.waves.flat().find((g) => g.asgName === name)?.version);
    if (notMoved.length) refreshingNow = await activeRefreshes(notMoved);
  } catch (error) {
    // A report that cannot read AWS still goes out, naming every group with what the run knew of it.
    if (!isRetryable(error)) throw error;
    unreadable = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
  const amiId = state.image?.amiId ?? null;
  const parameterLine = imageParameterLine(state.imageParameter, amiId);
  const allNotes = [...notes, ...(parameterLine ? [parameterLine] : [])];
  const notice = variantFailureNotice({ ...state, executionArn, region, stage, amiId, checkedWaves, versionsNow, refreshingNow, notes: allNotes, ...(unreadable && { unreadable }) });
  return { notice, cause: `${stage} failed: ${failedWave ? notice.subject : causeText(state.error)}` };
}
