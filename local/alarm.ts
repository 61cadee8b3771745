import type { SimulatedAccount } from './sim/account.js';

/**
 * The stack's last resort: the CloudWatch alarms serverless.yml puts on each state machine
 * (`alarms: metrics [executionsFailed, executionsTimedOut]`, compiled by serverless-step-functions
 * to Namespace AWS/States, Statistic Sum, Threshold 1, GreaterThanOrEqualToThreshold,
 * Period 60, EvaluationPeriods 1, TreatMissingData notBreaching, AlarmActions [AlarmTopic]).
 *
 * Modelled after the CloudWatch User Guide, "Using Amazon CloudWatch alarms" (alarm states and
 * evaluation; "Alarm actions": an alarm runs its actions only when its state changes, so a
 * second failure while it is already in ALARM sends nothing) and "Monitoring Step Functions
 * metrics using Amazon CloudWatch" (ExecutionsFailed / ExecutionsTimedOut, dimension
 * StateMachineArn). The message is CloudWatch's own JSON with the subject
 * `ALARM: "<name>" in <region name>`. Stricter readings: the publish comes one minute after the
 * end of the period that breached (CloudWatch evaluates a closed period, with some delay); with
 * notBreaching, a period without failures returns the alarm to OK.
 *
 * CloudWatch publishes as the service principal cloudwatch.amazonaws.com, not through this
 * stack's Lambdas or state machines: the rehearsal's throttle fault (which models our own
 * calls) does not apply to it, so it goes straight to the simulated SNS.
 */
const PERIOD_MS = 60_000;
const EVALUATION_DELAY_MS = 60_000;

const REGION_NAMES: Record<string, string> = {
  'us-east-1': 'US East (N. Virginia)',
  'us-east-2': 'US East (Ohio)',
  'us-west-1': 'US West (N. California)',
  'us-west-2': 'US West (Oregon)',
  'eu-west-1': 'EU (Ireland)',
  'eu-central-1': 'EU (Frankfurt)',
};

export type AlarmMetric = 'ExecutionsFailed' | 'ExecutionsTimedOut';

export class ExecutionAlarms {
  /** Per alarm: the end of the last period that breached (the alarm is in ALARM through it). */
  private readonly breachedUntil = new Map<string, number>();
  private readonly publishes: Promise<void>[] = [];

  constructor(
    private readonly account: SimulatedAccount,
    private readonly names: { stage: string; region: string; accountId: string },
    private readonly topicArn: string,
  ) {}

  /** An execution of `stateMachineArn` ended with this metric's status at `at` (ms). */
  executionEnded(stateMachineArn: string, metric: AlarmMetric, at: number): void {
    const machine = stateMachineArn.split(':').pop() as string;
    // serverless-step-functions names the alarm resource <state machine id><metric>Alarm; CloudFormation prefixes the stack name.
    const kind = machine.endsWith('-patch-run') ? 'PatchRun' : machine.endsWith('-lifecycle-action') ? 'LifecycleAction' : 'PatchVariant';
    const logicalId = `${kind}StateMachine${metric}Alarm`;
    const alarmName = `eks-windows-patch-${this.names.stage}-${logicalId}`;
    const periodStart = Math.floor(at / PERIOD_MS) * PERIOD_MS;
    const periodEnd = periodStart + PERIOD_MS;
    const until = this.breachedUntil.get(alarmName);
    this.breachedUntil.set(alarmName, Math.max(until ?? 0, periodEnd));
    // Still in ALARM (this period or the one just before breached): no state change, no action.
    if (until !== undefined && until >= periodStart) return;
    const publishAt = periodEnd + EVALUATION_DELAY_MS;
    this.publishes.push(
      new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, publishAt - Date.now()))).then(async () => {
        await this.account.call('SNS', 'Publish', this.message(alarmName, machine, stateMachineArn, metric, periodStart));
      }),
    );
  }

  /** Every alarm publish scheduled so far, done. */
  async settled(): Promise<void> {
    await Promise.all(this.publishes);
  }

  private message(alarmName: string, machine: string, stateMachineArn: string, metric: AlarmMetric, periodStart: number): Record<string, unknown> {
    const region = REGION_NAMES[this.names.region] ?? this.names.region;
    const when = new Date(periodStart).toISOString();
    const body = {
      AlarmName: alarmName,
      AlarmDescription: `${machine}[${this.names.stage}][${this.names.region}]: ${metric === 'ExecutionsFailed' ? 'executions failed' : 'executions timed out'}`,
      AWSAccountId: this.names.accountId,
      NewStateValue: 'ALARM',
      NewStateReason: `Threshold Crossed: 1 out of the last 1 datapoints [1.0 (${when})] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).`,
      StateChangeTime: new Date(Date.now()).toISOString(),
      Region: region,
      AlarmArn: `arn:aws:cloudwatch:${this.names.region}:${this.names.accountId}:alarm:${alarmName}`,
      OldStateValue: 'OK',
      AlarmActions: [this.topicArn],
      Trigger: {
        MetricName: metric,
        Namespace: 'AWS/States',
        StatisticType: 'Statistic',
        Statistic: 'SUM',
        Unit: null,
        Dimensions: [{ value: stateMachineArn, name: 'StateMachineArn' }],
        Period: PERIOD_MS / 1000,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1.0,
        TreatMissingData: 'notBreaching',
      },
    };
    return { TopicArn: this.topicArn, Subject: `ALARM: "${alarmName}" in ${region}`.slice(0, 100), Message: JSON.stringify(body) };
  }
}
