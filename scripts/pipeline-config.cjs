// Serverless variable source: `${file(./scripts/pipeline-config.cjs):...}`.
// Loads the operator's config file, validates it with the same zod schema the Lambdas use
// (lib/config.ts, through tsx), and fails `serverless package` with one line per bad field.
const { readFileSync } = require('node:fs');
const { resolve } = require('node:path');
const { parse } = require('yaml');
const tsx = require('tsx/cjs/api');

async function load(resolveVariable) {
  const file = resolve(await resolveVariable('self:custom.configFile'));
  const { parseConfig } = tsx.require('../lib/config.ts', __filename);
  const raw = parse(readFileSync(file, 'utf8'));
  return parseConfig(raw, file);
}

/**
 * What the plan may DescribeCluster: the clusters config names when every node group has one
 * (node group's, else variant's); otherwise cluster/* because a group's cluster then comes
 * from its ASG's tags, which are only read at plan time.
 */
function eksClusterArns(config) {
  const named = new Set();
  let everyGroup = true;
  for (const v of config.variants)
    for (const g of v.nodeGroups) {
      const cluster = g.cluster ?? v.cluster;
      if (cluster) named.add(cluster);
      else everyGroup = false;
    }
  const names = everyGroup ? [...named].sort() : ['*'];
  return names.map((n) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:eks:\${AWS::Region}:\${AWS::AccountId}:cluster/${n}` }));
}

module.exports.config = async ({ resolveVariable }) => {
  const config = await load(resolveVariable);
  return {
    ...config,
    // Inlined into every bundle by esbuild's `define` (a JS string literal).
    inline: JSON.stringify(JSON.stringify(config)),
    subscribeToAwsTopic: String(config.triggers.subscribeToAwsTopic),
    fastLaunchInstanceType: config.imageBuilder.instanceTypes[0],
    eksClusterArns: eksClusterArns(config),
  };
};

/** Each admin's e-mail subscriptions to the run notifications and to the alarms (CloudFormation has no loops). */
module.exports.subscriptions = async ({ resolveVariable }) => {
  const config = await load(resolveVariable);
  const Resources = {};
  config.admins.forEach((email, i) => {
    for (const topic of ['AdminTopic', 'AlarmTopic'])
      Resources[`${topic}EmailSubscription${i}`] = {
        Type: 'AWS::SNS::Subscription',
        Properties: { TopicArn: { Ref: topic }, Protocol: 'email', Endpoint: email },
      };
  });
  return { Resources };
};
