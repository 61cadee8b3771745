import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../lib/config.js';
import { generatedNameProblems } from '../lib/config/aws-names.js';
import { scheduleExpressionProblem } from '../lib/config/schedule.js';
import { closestKey } from '../lib/config/unknown-keys.js';
import { ConfigError } from '../lib/errors.js';
import { checkImagesForVariant } from '../lib/images.js';
import { problemsOf, sample } from './support/config.js';

/** Everything checkable offline is checked when the config is read: one line per problem, naming the field and the fix. */
describe('config checks at read time', () => {
  it('says to quote a Kubernetes version YAML read as a number (1.30 becomes 1.3)', () => {
    const raw = parse('variants:\n  - id: v\n    windows: "2022"\n    edition: Core\n    kubernetes: 1.30\n    nodeGroups: []\nimageBuilder: { subnetId: subnet-0123456789abcdef0, securityGroupIds: [sg-0123456789abcdef0] }\n');

    expect(problemsOf(raw)).toEqual(['variants[0].kubernetes: write the version in quotes, kubernetes: "1.30" (unquoted, YAML reads it as the number 1.3) (got 1.3)']);
  });

  it('names an unknown key with the closest known one, once, without also calling the key it meant missing', () => {
    const raw = sample();
    const { nodeGroups, ...rest } = raw.variants[0] as Record<string, unknown>;
    raw.variants[0] = { ...rest, nodeGroup: nodeGroups };
    raw.imagebuilder = raw.imageBuilder;
    delete raw.imageBuilder;

    expect(problemsOf(raw)).toEqual(['variants[0].nodeGroup: unknown key: did you mean "nodeGroups"?', 'imagebuilder: unknown key: did you mean "imageBuilder"?']);
  });

  it('lists the keys an object takes when no known key is close', () => {
    const raw = sample();
    raw.triggers = { ...(raw.triggers as object), pagerDuty: true };

    expect(problemsOf(raw)).toEqual(['triggers.pagerDuty: unknown key: the keys here are detectSchedule, patchTuesdayOffsetDays, timeZone, subscribeToAwsTopic, forceMonthlyRebuild']);
  });

  it('suggests keys by edit distance, transpositions included, and nothing for a stranger', () => {
    expect(closestKey('canray', ['canary', 'cluster'])).toBe('canary');
    expect(closestKey('waveSzie', ['waveSize', 'bakeTimeSeconds'])).toBe('waveSize');
    expect(closestKey('colour', ['canary', 'cluster'])).toBeUndefined();
  });

  it.each([
    'rate(1 hour)',
    'rate(30 minutes)',
    'rate(2 days)',
    'cron(0 * * * ? *)',
    'cron(15 10 ? * MON-FRI *)',
    'cron(0/15 * * * ? *)',
    'cron(0 8 1 JAN,JUL ? 2027)',
    'cron(0 18 L * ? *)',
    'cron(0 9 15W * ? *)',
    'cron(0 10 ? * 3#2 *)',
  ])('accepts the EventBridge schedule expression %s', (expression) => {
    expect(scheduleExpressionProblem(expression)).toBeUndefined();
  });

  it.each([
    ['rate(1 hours)', /singular exactly when the value is 1\): rate\(1 hour\)$/],
    ['rate(5 minute)', /: rate\(5 minutes\)$/],
    ['rate(0 minutes)', /positive whole number/],
    ['rate(1 week)', /one of minute, hour, day/],
    ['every hour', /use an EventBridge schedule expression/],
    ['cron(0 * * * *)', /six fields .* this one has 5/],
    ['cron(0 * * * * *)', /exactly one of Day-of-month and Day-of-week must be "\?"/],
    ['cron(0 * ? * ? *)', /exactly one of Day-of-month and Day-of-week/],
    ['cron(60 * * * ? *)', /Minutes field's "60" is not 0-59/],
    ['cron(0 24 * * ? *)', /Hours field's "24"/],
    ['cron(0 0 * 13 ? *)', /Month field's "13" is not 1-12 or JAN-DEC/],
    ['cron(0 0 ? * 1/2 *)', /Day-of-week field takes no "\/"/],
    ['cron(0 0 ? * 3#2,5#1 *)', /"#" expression stands alone/],
    ['cron(0 0 * * ? 1969)', /Year field's "1969"/],
    ['cron(? 0 * * ? *)', /Minutes field takes no "\?"/],
  ])('refuses %s with the reason', (expression, reason) => {
    expect(scheduleExpressionProblem(expression)).toMatch(reason);
  });

  it('checks triggers.detectSchedule when the config is read, naming the field', () => {
    const raw = sample();
    raw.triggers = { detectSchedule: 'rate(1 hours)' };

    expect(problemsOf(raw)).toEqual([expect.stringMatching(/^triggers\.detectSchedule: with the value 1 the unit is one of minute, hour, day .*: rate\(1 hour\) \(got "rate\(1 hours\)"\)$/)]);
  });

  it('checks every image reference and its Windows build per variant, one line per image entry', () => {
    const raw = sample();
    raw.images = [
      { ref: 'mcr.microsoft.com/windows/servercore:ltsc2022' },
      { ref: 'contoso/app:1.4.0' },
      { ref: 'contoso/App:ltsc2022' },
      { ref: 'mcr.microsoft.com/oss/kubernetes/pause:3.9', multiPlatform: true },
    ];
    (raw.variants[1] as Record<string, unknown>).images = [{ ref: 'contoso/legacy@sha256:' + 'a'.repeat(64) }];

    expect(problemsOf(raw)).toEqual([
      expect.stringMatching(/^images\[0\]\.ref: mcr\.microsoft\.com\/windows\/servercore:ltsc2022 is built for Windows 10\.0\.20348, so it cannot run under process isolation on variant win2019-core-131 \(Windows Server 2019, 10\.0\.17763\) \(images are cached in every variant\): cache it only in the variants of its Windows version/),
      expect.stringMatching(/^images\[1\]\.ref: the Windows build of contoso\/app:1\.4\.0 cannot be judged \(tag "1\.4\.0" names no Windows build\): declare the Windows Server version it is built for with windows: "2022" on this image/),
      expect.stringMatching(/^images\[2\]\.ref: invalid image reference "contoso\/App:ltsc2022": the repository name must be lowercase/),
      expect.stringMatching(/^variants\[1\]\.images\[0\]\.ref: the Windows build of contoso\/legacy@sha256:a+ cannot be judged \(a digest names no Windows build\): declare .* windows: "2019"/),
    ]);
  });

  it('takes a declared windows for a tag that names no build, at config read and in the plan, and refuses one the tag contradicts', () => {
    const raw = sample();
    raw.images = [];
    (raw.variants[0] as Record<string, unknown>).images = [{ ref: 'contoso/app:1.4.0', windows: '2022' }];
    (raw.variants[1] as Record<string, unknown>).images = [{ ref: 'contoso/app:1.4.0', windows: '2022' }];

    expect(problemsOf(raw)).toEqual([expect.stringMatching(/^variants\[1\]\.images\[0\]\.windows: contoso\/app:1\.4\.0 is built for Windows 10\.0\.20348, so it cannot run under process isolation on variant win2019-core-131/)]);

    (raw.variants[1] as Record<string, unknown>).images = [{ ref: 'contoso/app:1.4.0-ltsc2019', windows: '2022' }];
    expect(problemsOf(raw)).toEqual([expect.stringMatching(/^variants\[1\]\.images\[0\]\.windows: the tag "1\.4\.0-ltsc2019" says Windows 10\.0\.17763 but windows: "2022" says 10\.0\.20348/)]);

    (raw.variants[1] as Record<string, unknown>).images = [];
    const config = parseConfig(raw);
    const [variant] = config.variants;
    expect(variant?.images).toEqual([{ ref: 'contoso/app:1.4.0', windows: '2022', multiPlatform: false }]);
    expect(checkImagesForVariant(variant?.images ?? [], variant!)).toEqual([]);
    expect(checkImagesForVariant([{ ref: 'contoso/app:1.4.0', multiPlatform: false, windows: '2019' }], variant!)).toEqual([expect.stringMatching(/is built for Windows 10\.0\.17763 but variant win2022-core-131 runs Windows Server 2022/)]);
  });
});

const FUNCTIONS = ['validateInput', 'planRun', 'startInstanceRefreshes', 'reportVariantFailure', 'monthlyGate'];

describe('generated AWS names for the stage and region', () => {
  it('refuses a stage whose IAM role names go over 64 characters in ap-southeast-2, naming the role and the longest stage that fits', () => {
    expect(generatedNameProblems({ service: 'eks-windows-patch', stage: 'production', region: 'ap-southeast-2', functions: FUNCTIONS, variantIds: ['win2022-core-131'] })).toEqual([
      'stage "production" in ap-southeast-2: the IAM role name eks-windows-patch-production-startInstanceRefreshes-ap-southeast-2 is 66 characters, over AWS\'s 64 (IAM API Reference, CreateRole: RoleName (1-64 characters)): use a stage of at most 8 characters',
    ]);
  });

  it('accepts the same stage where the region name is short enough, and the longest stage it suggests', () => {
    expect(generatedNameProblems({ service: 'eks-windows-patch', stage: 'production', region: 'us-west-2', functions: FUNCTIONS, variantIds: [] })).toEqual([]);
    expect(generatedNameProblems({ service: 'eks-windows-patch', stage: 'producti', region: 'ap-southeast-2', functions: FUNCTIONS, variantIds: [] })).toEqual([]);
  });

  it('refuses a stage with capitals, which Image Builder lowercases in its ARNs', () => {
    expect(generatedNameProblems({ service: 'eks-windows-patch', stage: 'Prod', region: 'us-west-2', functions: FUNCTIONS, variantIds: [] })).toEqual([
      'stage "Prod": use lowercase, e.g. "prod" (Image Builder\'s ARNs lowercase names, so the stack\'s grants on <stage>-* would match nothing)',
    ]);
  });

  it('names a Lambda function name over 64 characters and a stage with characters Serverless refuses', () => {
    const long = 'a'.repeat(30);
    expect(generatedNameProblems({ service: 'eks-windows-patch', stage: long, region: 'us-east-1', functions: ['startInstanceRefreshes'], variantIds: [] })).toEqual(
      expect.arrayContaining([expect.stringMatching(new RegExp(`^stage "${long}" in us-east-1: the Lambda function name eks-windows-patch-${long}-startInstanceRefreshes is 71 characters, over AWS's 64 .*: use a stage of at most 23 characters$`))]),
    );
    expect(generatedNameProblems({ service: 'eks-windows-patch', stage: 'my_stage', region: 'us-east-1', functions: FUNCTIONS, variantIds: [] })).toEqual([expect.stringMatching(/^stage "my_stage": use letters, digits and "-" only/)]);
  });

  it('runs with the config when a deploy target is given, as one ConfigError', () => {
    const error = (() => {
      try {
        parseConfig(sample(), 'cfg.yml', { service: 'eks-windows-patch', stage: 'production', region: 'ap-southeast-2', functions: FUNCTIONS });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toHaveLength(1);
  });
});

describe('under serverless package (scripts/pipeline-config.cjs)', () => {
  const generators = createRequire(import.meta.url)('../scripts/pipeline-config.cjs') as Record<string, (arg: { resolveVariable: (v: string) => Promise<string> }) => Promise<{ Resources?: object }>>;
  const resolver = (file: string, stage: string, region: string) => ({
    resolveVariable: async (v: string) => ({ 'self:custom.configFile': file, 'sls:stage': stage, 'self:provider.region': region })[v] ?? Promise.reject(new Error(v)),
  });

  it('reports a bad config once, from the config source, without a stack trace; the other sources add nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'bad.config.yml');
    const raw = sample();
    raw.triggers = { detectSchedule: 'rate(1 hours)' };
    (raw.variants[0] as Record<string, unknown>).kubernetes = 1.3;
    writeFileSync(file, JSON.stringify(raw));
    const target = resolver(file, 'ci', 'us-west-2');

    const rejection = await generators.config?.(target).then(() => undefined, (e: unknown) => e);
    expect(rejection).toBeInstanceOf(Error);
    const { stack = '', message } = rejection as Error;
    expect(stack).toBe(message);
    expect(message.split('\n')).toEqual([
      `${file} is invalid:`,
      '  - variants[0].kubernetes: write the version in quotes, kubernetes: "1.30" (unquoted, YAML reads it as the number 1.3) (got 1.3)',
      expect.stringMatching(/^ {2}- triggers\.detectSchedule: with the value 1 /),
    ]);
    expect(await generators.subscriptions?.(target)).toEqual({ Resources: {} });
    expect(await generators.accessEntries?.(target)).toEqual({ Resources: {} });
  });

  it('checks the names of serverless.yml\'s own functions for the stage and region', async () => {
    const rejection = await generators.config?.(resolver(join(import.meta.dirname, '../events/ci.config.yml'), 'production', 'ap-southeast-2')).then(() => undefined, (e: unknown) => e);
    expect((rejection as Error).message).toMatch(/stage "production" in ap-southeast-2: the IAM role name eks-windows-patch-production-startInstanceRefreshes-ap-southeast-2 is 66 characters/);
  });
});
