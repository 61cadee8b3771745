import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { bundleText, packageApp, templateIn, type Resource, type Template } from './package-app.js';

let template: Template;
let outDir: string;

const ofType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

beforeAll(() => {
  outDir = inject('packagedDir');
  template = templateIn(outDir);
}, 240_000);

describe('the packaged CloudFormation template', () => {
  it('holds the three state machines, every function, the admin topic, both schedules and the lifecycle rule', () => {
    expect(ofType('AWS::StepFunctions::StateMachine').map(([id]) => id).sort()).toEqual(['LifecycleActionStateMachine', 'PatchRunStateMachine', 'PatchVariantStateMachine']);
    const handlers = ofType('AWS::Lambda::Function').map(([id]) => id);
    // One Lambda per handler file in functions/.
    expect(handlers).toHaveLength(readdirSync(resolve(import.meta.dirname, '../../functions')).filter((f) => f.endsWith('.ts')).length);
    const topic = template.Resources.AdminTopic as Resource;
    expect(topic.Properties.KmsMasterKeyId).toBe('alias/aws/sns');
    const rules = ofType('AWS::Events::Rule');
    expect(rules.flatMap(([, r]) => (r.Properties.ScheduleExpression ? [r.Properties.ScheduleExpression] : [])).sort()).toEqual(['rate(1 hour)', 'rate(1 hour)']);
    // Our two hooks' lifecycle actions, of this stage only, start the lifecycle state machine.
    const patterns = rules.flatMap(([, r]) => (r.Properties.EventPattern ? [r.Properties.EventPattern] : []));
    expect(patterns).toEqual([
      {
        source: ['aws.autoscaling'],
        'detail-type': ['EC2 Instance-launch Lifecycle Action', 'EC2 Instance-terminate Lifecycle Action'],
        detail: { LifecycleHookName: ['eks-windows-patch-ci-ready', 'eks-windows-patch-ci-drain'] },
      },
    ]);
    const emails = ofType('AWS::SNS::Subscription').filter(([, r]) => r.Properties.Protocol === 'email');
    expect(emails.map(([, r]) => [r.Properties.Endpoint, r.Properties.TopicArn])).toEqual([
      ['windows-platform@example.com', { Ref: 'AdminTopic' }],
      ['windows-platform@example.com', { Ref: 'AlarmTopic' }],
    ]);
  });

  it('sends failed and timed-out executions to an alarm topic CloudWatch can publish to (its own KMS key, not aws/sns)', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThanOrEqual(4);
    for (const [id, alarm] of alarms) expect(alarm.Properties.AlarmActions, id).toEqual([{ Ref: 'AlarmTopic' }]);
    const topic = template.Resources.AlarmTopic as Resource;
    expect(topic.Properties.KmsMasterKeyId).toEqual({ Ref: 'AlarmTopicKey' });
    const key = template.Resources.AlarmTopicKey as Resource;
    const statements = (key.Properties.KeyPolicy as { Statement: { Principal: unknown; Action: unknown }[] }).Statement;
    expect(statements).toContainEqual(expect.objectContaining({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }));
  });

  it('runs every function on nodejs22.x, arm64', () => {
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      expect(fn.Properties.Runtime, id).toBe('nodejs22.x');
      expect(fn.Properties.Architectures, id).toEqual(['arm64']);
    }
  });

  it('gives Fast Launch a dedicated launch template with IMDSv2 and no user data', () => {
    const [[, lt]] = ofType('AWS::EC2::LaunchTemplate') as [[string, Resource]];
    const data = lt.Properties.LaunchTemplateData as Record<string, unknown>;
    expect(data.UserData).toBeUndefined();
    expect(data.MetadataOptions).toMatchObject({ HttpTokens: 'required' });
    expect(data.NetworkInterfaces).toEqual([{ DeviceIndex: 0, SubnetId: 'subnet-0123456789abcdef0', Groups: ['sg-0123456789abcdef0'] }]);
  });

  it('inlines the validated config into each bundle and keeps error class names', () => {
    const bundle = bundleText(join(outDir, 'checkImage.zip'));
    const contains = (text: string) => bundle.includes(text);
    expect(contains('win2022-core-131') && contains('subnet-0123456789abcdef0'), 'the config is inlined').toBe(true);
    expect(contains('"ImageBuildFailedError"'), 'error class names survive minification').toBe(true);
    expect(contains('process.env.PIPELINE_CONFIG'), 'no config read from the environment at run time').toBe(false);
    expect(statSync(join(outDir, 'planRun.zip')).size).toBeLessThan(1_000_000);
  });

  it('holds the CloudWatch dashboard, its body resolved for the stage and region (README "Dashboard")', () => {
    const dashboards = ofType('AWS::CloudWatch::Dashboard');
    expect(dashboards.map(([id, r]) => [id, r.Properties.DashboardName])).toEqual([['PipelineDashboard', 'eks-windows-patch-ci']]);
    const body = JSON.parse(String(dashboards[0]?.[1].Properties.DashboardBody)) as { widgets: { properties: { region: string; metrics: { expression: string }[][] } }[] };
    expect(body.widgets).toHaveLength(8);
    expect(body.widgets.every((w) => w.properties.region === 'us-west-2' && w.properties.metrics.flat().every((m) => m.expression.includes('stage="ci"')))).toBe(true);
  });
});

describe('an invalid config', () => {
  it('fails packaging with a message naming the bad field and the fix', () => {
    const run = packageApp('test/fixtures/bad-kubernetes.config.yml');
    expect(run.status).not.toBe(0);
    expect(run.output).toContain('variants[0].kubernetes');
    expect(run.output).toContain('use the EKS minor version as a quoted string');
  });
});
