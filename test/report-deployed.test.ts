import { AutoScalingClient, DescribeInstanceRefreshesCommand } from '@aws-sdk/client-auto-scaling';
import { GetExecutionHistoryCommand, ListExecutionsCommand, ListStateMachinesCommand, SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../scripts/report.js';

/**
 * npm run report: the picture of a deployed run from GetExecutionHistory (events as the API Reference,
 * "GetExecutionHistory" and "HistoryEvent", shows them) and DescribeInstanceRefreshes.
 */
const machine = 'arn:aws:states:us-west-2:111122223333:stateMachine:eks-windows-patch-dev-patch-run';
const runArn = 'arn:aws:states:us-west-2:111122223333:execution:eks-windows-patch-dev-patch-run:monthly-2026-11-15';
const childArn = 'arn:aws:states:us-west-2:111122223333:execution:eks-windows-patch-dev-patch-variant:monthly-2026-11-15-win2022';
const t0 = Date.parse('2026-11-15T09:00:00Z');
const at = (min: number) => new Date(t0 + min * 60_000);
let id = 0;
const ev = (min: number, type: string, details: Partial<HistoryEvent> = {}): HistoryEvent => ({ id: ++id, timestamp: at(min), type: type as HistoryEvent['type'], ...details });
const entered = (min: number, name: string, type = 'TaskStateEntered') => ev(min, type, { stateEnteredEventDetails: { name } });
const publish = (min: number, subject: string) => ev(min, 'TaskScheduled', { taskScheduledEventDetails: { resourceType: 'sns', resource: 'publish', region: 'us-west-2', parameters: JSON.stringify({ TopicArn: 'arn:aws:sns:us-west-2:111122223333:t', Subject: subject, Message: '...' }) } });

const runEvents: HistoryEvent[] = [
  ev(0, 'ExecutionStarted', { executionStartedEventDetails: { input: JSON.stringify({ reason: 'monthly' }) } }),
  entered(0, 'PlanRun'),
  entered(1, 'NotifyRunStarted'),
  publish(1, 'Patch run started: 1 variant(s), 3 node group(s)'),
  entered(1, 'PatchVariants', 'MapStateEntered'),
  entered(1, 'PatchVariant'),
  ev(1, 'TaskSubmitted', { taskSubmittedEventDetails: { resourceType: 'states', resource: 'startExecution.sync:2', output: JSON.stringify({ ExecutionArn: childArn, StartDate: at(1) }) } }),
  ev(150, 'TaskFailed', { taskFailedEventDetails: { resourceType: 'states', resource: 'startExecution.sync:2', error: 'States.TaskFailed', cause: JSON.stringify({ ExecutionArn: childArn, Status: 'FAILED' }) } }),
  entered(151, 'NotifySummary'),
  publish(151, 'FAILED for 1 of 1 variant(s)'),
  ev(152, 'ExecutionFailed', { executionFailedEventDetails: { error: 'RunFailed', cause: 'win2022-core-131 failed' } }),
];
const variant = { id: 'win2022-core-131', waves: [[{ asgName: 'eks-canary', canary: true }], [{ asgName: 'eks-web' }, { asgName: 'eks-c-ng', managed: { cluster: 'c', nodegroup: 'ng' } }]] };
const childEvents: HistoryEvent[] = [
  ev(1, 'ExecutionStarted', { executionStartedEventDetails: { input: JSON.stringify({ variant }) } }),
  entered(1, 'BuildPatchedImage'),
  entered(2, 'WaitBeforeCheckingImage', 'WaitStateEntered'),
  entered(60, 'CheckImage'),
  entered(61, 'NotifyImageReady'),
  publish(61, 'Image ready for win2022-core-131'),
  entered(62, 'EnableFastLaunch'),
  entered(90, 'CheckFastLaunch'),
  entered(92, 'ReadCurrentImageParameter'),
  entered(93, 'RollOutWaves', 'MapStateEntered'),
  entered(93, 'UpdateLaunchTemplates'),
  entered(94, 'StartInstanceRefreshes'),
  entered(110, 'CheckWave'),
  entered(120, 'UpdateLaunchTemplates'),
  entered(121, 'StartInstanceRefreshes'),
  entered(140, 'CheckWave'),
  ev(141, 'FailStateEntered', { stateEnteredEventDetails: { name: 'WaveFailed' } }),
  ev(141, 'MapStateFailed'),
  entered(142, 'ReportVariantFailure'),
  entered(143, 'NotifyVariantFailure'),
  publish(143, 'FAILED rollout for win2022-core-131: 1 group(s) rolled back'),
  ev(144, 'ExecutionFailed', { executionFailedEventDetails: { error: 'VariantFailed', cause: 'eks-web rolled back' } }),
];

describe('npm run report (a deployed run)', () => {
  it('reads the run and its variant executions, and each planned group\'s refreshes, into the page', async () => {
    const sfn = mockClient(SFNClient);
    const asg = mockClient(AutoScalingClient);
    sfn.on(ListStateMachinesCommand).resolves({ stateMachines: [{ name: 'eks-windows-patch-dev-patch-run', stateMachineArn: machine, type: 'STANDARD', creationDate: at(-1000) }] });
    sfn.on(ListExecutionsCommand).resolves({ executions: [{ executionArn: runArn, stateMachineArn: machine, name: 'monthly-2026-11-15', status: 'FAILED', startDate: at(0) }] });
    // Histories come in pages: the CLI follows nextToken.
    sfn.on(GetExecutionHistoryCommand, { executionArn: runArn }).resolves({ events: runEvents.slice(0, 5), nextToken: 'p2' });
    sfn.on(GetExecutionHistoryCommand, { executionArn: runArn, nextToken: 'p2' }).resolves({ events: runEvents.slice(5) });
    sfn.on(GetExecutionHistoryCommand, { executionArn: childArn }).resolves({ events: childEvents });
    asg.on(DescribeInstanceRefreshesCommand, { AutoScalingGroupName: 'eks-canary' }).resolves({ InstanceRefreshes: [{ AutoScalingGroupName: 'eks-canary', Status: 'Successful', StartTime: at(94), EndTime: at(108) }] });
    asg.on(DescribeInstanceRefreshesCommand, { AutoScalingGroupName: 'eks-web' }).resolves({
      InstanceRefreshes: [
        { AutoScalingGroupName: 'eks-web', Status: 'RollbackSuccessful', StartTime: at(121), EndTime: at(139), RollbackDetails: { RollbackReason: 'Instance health check failed', RollbackStartTime: at(130) } },
        // Last month's refresh is not this run's.
        { AutoScalingGroupName: 'eks-web', Status: 'Successful', StartTime: new Date(t0 - 30 * 86_400_000), EndTime: new Date(t0 - 30 * 86_400_000 + 600_000) },
      ],
    });
    const out = join(mkdtempSync(join(tmpdir(), 'report-')), 'deployed.html');
    const lines: string[] = [];

    const code = await main(['--out', out], (l) => lines.push(l), { sfn: sfn as unknown as SFNClient, autoScaling: asg as unknown as AutoScalingClient });

    expect(code).toBe(0);
    expect(lines).toEqual([`Picture of monthly-2026-11-15 written to ${out}`]);

    const html = readFileSync(out, 'utf8');
    expect(html).toContain('Deployed run FAILED, 1 variant(s), 3 node group(s)');
    const rows = [...html.matchAll(/data-row="([^"]+)" data-level/g)].map((m) => m[1]);
    expect(rows).toEqual(['run', 'variant:win2022-core-131', 'group:win2022-core-131:eks-canary', 'group:win2022-core-131:eks-web', 'group:win2022-core-131:c/ng']);
    const bars = (row: string) => [...html.matchAll(new RegExp(`class="bar k-(\\w+)( failed)?" data-kind="\\w+" data-row="${row}"`, 'g'))].map((m) => `${m[1]}${m[2] ? '!' : ''}`);
    expect(bars('variant:win2022-core-131')).toEqual(['image', 'fastlaunch', 'rollout!', 'recover', 'wave', 'wave']);
    expect(bars('group:win2022-core-131:eks-canary')).toEqual(['refresh']);
    expect(bars('group:win2022-core-131:eks-web')).toEqual(['refresh!', 'rollback']);
    expect([...html.matchAll(/data-marker="notification"/g)]).toHaveLength(4);
    expect([...html.matchAll(/data-marker="failure"/g)]).toHaveLength(2);
    expect(asg.commandCalls(DescribeInstanceRefreshesCommand).map((c) => c.args[0].input.AutoScalingGroupName)).toEqual(['eks-canary', 'eks-web']);
  });
});
