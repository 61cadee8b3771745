import { describeAmis } from '../amis.js';
import type { PipelineConfig } from '../config.js';
import { executionName } from '../names.js';
import { lastBuildParameter, readParameters } from '../parameters.js';
import { dateIn, dueMonthlyRun, isoDate } from './patch-tuesday.js';
import { startRun, type StartOutcome } from './start.js';

export type GateOutcome = { due: false } | ({ due: true; name: string; variants: string[] } & StartOutcome);

/**
 * Daily tick: on Patch Tuesday + N (in the configured time zone) start the month's
 * run, once (the name is the month). Variants already built from a source AMI
 * created after that Patch Tuesday are left out unless config forces a rebuild.
 */
export async function monthlyGate(config: PipelineConfig, now: Date, prefix: string, stateMachineArn: string): Promise<GateOutcome> {
  const { patchTuesdayOffsetDays, timeZone, forceMonthlyRebuild } = config.triggers;
  const due = dueMonthlyRun(dateIn(now, timeZone), patchTuesdayOffsetDays);
  if (!due) return { due: false };
  const patchDay = isoDate(due);
  const variants = forceMonthlyRebuild ? config.variants.map((v) => v.id) : await variantsBuiltBefore(config, prefix, patchDay);
  const name = executionName('monthly', patchDay.slice(0, 7));
  if (!variants.length) return { due: true, name, variants, started: false, reason: `every variant was already built from a source newer than Patch Tuesday ${patchDay}` };
  const outcome = await startRun(stateMachineArn, name, { trigger: 'monthly', variants, reason: `monthly run for Patch Tuesday ${patchDay}` });
  return { due: true, name, variants, ...outcome };
}

async function variantsBuiltBefore(config: PipelineConfig, prefix: string, patchDay: string): Promise<string[]> {
  const last = await readParameters(config.variants.map((v) => lastBuildParameter(prefix, v.id)));
  const amis = await describeAmis([...last.values()]);
  return config.variants
    .filter((v) => {
      const ami = last.get(lastBuildParameter(prefix, v.id));
      // An AMI that is gone (or no longer visible) counts as old: build again.
      const created = ami ? amis.get(ami)?.creationDate : undefined;
      return !created || created.slice(0, 10) <= patchDay;
    })
    .map((v) => v.id);
}
