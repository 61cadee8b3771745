// Serverless variable source: `${file(./scripts/pipeline-config.cjs):...}`.
// Loads the operator's config file, validates it with the same zod schema the Lambdas use
// (lib/config.ts, through tsx), and fails `serverless package` with one line per bad field.
const { readFileSync } = require('node:fs');
const { resolve } = require('node:path');
const { parse } = require('yaml');
const tsx = require('tsx/cjs/api');

/** serverless.yml's service and function names: the names the stack generates are checked against AWS's limits. */
function stackNames() {
  const text = readFileSync(resolve(__dirname, '../serverless.yml'), 'utf8');
  const service = /^service: *(\S+)/m.exec(text)?.[1] ?? 'eks-windows-patch';
  const block = /^functions:\n([\s\S]*?)^\S/m.exec(text)?.[1] ?? '';
  const functions = [...block.matchAll(/^ {2}([A-Za-z0-9_-]+):\s*$/gm)].map((m) => m[1]);
  return { service, functions };
}

// One read per file, stage and region: three variable sources load the config, and a bad one is reported once.
const loaded = new Map();

async function load(resolveVariable) {
  const file = resolve(await resolveVariable('self:custom.configFile'));
  const stage = String(await resolveVariable('sls:stage'));
  const region = String(await resolveVariable('self:provider.region'));
  const key = `${file}|${stage}|${region}`;
  if (!loaded.has(key))
    loaded.set(
      key,
      (async () => {
        const { parseConfig } = tsx.require('../lib/config.ts', __filename);
        const raw = parse(readFileSync(file, 'utf8'));
        try {
          return parseConfig(raw, file, { ...stackNames(), stage, region });
        } catch (error) {
          // Serverless prints a variable source's rejection with its stack: the problems, one line each, are the whole story.
          if (error instanceof Error && error.name === 'ConfigError') error.stack = error.message;
          throw error;
        }
      })(),
    );
  return loaded.get(key);
}

/**
 * For the sources other than `config`: a bad config is reported once, by `config` (custom.pipeline, which every
 * stack resolves), so these give nothing rather than the same lines again.
 */
async function loadQuietly(resolveVariable) {
  try {
    return await load(resolveVariable);
  } catch (error) {
    if (error instanceof Error && error.name === 'ConfigError') return undefined;
    throw error;
  }
}

/**
 * The EKS clusters the config names for self-managed groups (the selector's `cluster:`, else the variant's): those
 * the Lambdas talk to Kubernetes in. A managed node group's cluster is EKS's business (no access entry needed).
 */
function clustersOf(config) {
  const names = new Set();
  for (const v of config.variants)
    for (const g of v.nodeGroups) {
      const cluster = g.cluster ?? v.cluster;
      if (!g.managedNodeGroup && cluster) names.add(cluster);
    }
  return [...names].sort();
}

const sub = (text) => ({ 'Fn::Sub': text });

const asgArn = (name) => sub(`arn:\${AWS::Partition}:autoscaling:\${AWS::Region}:\${AWS::AccountId}:autoScalingGroup:*:autoScalingGroupName/${name}`);

/**
 * The self-managed node groups' Auto Scaling writes (lifecycle hooks, StartInstanceRefresh, lifecycle actions, our
 * verdict tag), as two statements' Resource and Condition. Auto Scaling's write actions take the autoScalingGroup
 * resource (the group name is part of its ARN) and aws:ResourceTag (Service Authorization Reference, Amazon EC2 Auto
 * Scaling). `named`: the groups config names by asgName. `tagged`: a group chosen by tag has no name before the
 * plan runs, so every group of the account and region, on condition that it carries the selector's tag. IAM ANDs
 * the keys of one condition, so the tag selectors must share one key (their values are ORed). A statement that has
 * nothing to grant repeats the other; with neither (managed node groups or Karpenter only), a group name no run
 * selects stands in ("-").
 * A managed node group's ASG is EKS's: the run never writes on it, so it adds nothing.
 */
function groupStatements(config) {
  const selectors = config.variants.flatMap((v) => v.nodeGroups);
  const names = [...new Set(selectors.filter((g) => g.asgName).map((g) => g.asgName))].sort();
  const tags = selectors.filter((g) => g.tag).map((g) => g.tag);
  const keys = [...new Set(tags.map((t) => t.key))].sort();
  if (keys.length > 1)
    throw new Error(`variants[].nodeGroups[].tag: the tag selectors use the keys ${keys.join(', ')}; IAM can scope Auto Scaling writes to one tag key only: select every tagged group by the same key (values may differ)`);
  // aws:ResourceAccount (global condition key) is this account for every group ARN above: a condition that names
  // nothing more than the Resource does, so the two statements have the same shape.
  const own = { StringEquals: { 'aws:ResourceAccount': sub('${AWS::AccountId}') } };
  const named = names.length ? { Resource: names.map(asgArn), Condition: own } : undefined;
  const tagged = keys.length ? { Resource: [asgArn('*')], Condition: { StringEquals: { [`aws:ResourceTag/${keys[0]}`]: [...new Set(tags.map((t) => t.value))].sort() } } } : undefined;
  const none = { Resource: [asgArn('-')], Condition: own };
  return { named: named ?? tagged ?? none, tagged: tagged ?? named ?? none };
}

/**
 * Launch template writes (CreateLaunchTemplateVersion, ModifyLaunchTemplate: resource launch-template, condition
 * aws:ResourceTag, Service Authorization Reference for Amazon EC2): the templates iam.launchTemplateIds names, else
 * any template of the account and region that carries iam.launchTemplateTag (the plan refuses a group whose
 * template does not).
 */
function launchTemplateStatement(config) {
  const arn = (id) => sub(`arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:launch-template/${id}`);
  const { launchTemplateIds: ids, launchTemplateTag: tag } = config.iam;
  if (ids) return { Resource: ids.map(arn), Condition: { StringEquals: { 'aws:ResourceAccount': sub('${AWS::AccountId}') } } };
  return { Resource: [arn('*')], Condition: { StringEquals: { [`aws:ResourceTag/${tag.key}`]: tag.value } } };
}

/**
 * What RunInstances may launch when Auto Scaling checks the caller for StartInstanceRefresh: only from a launch
 * template (ec2:LaunchTemplate, which every resource type of RunInstances supports: Service Authorization Reference
 * for Amazon EC2; "Launch instances from a launch template" examples in the EC2 User Guide), the configured ones when
 * iam.launchTemplateIds names them.
 */
function launchFromTemplates(config) {
  const ids = config.iam.launchTemplateIds ?? ['*'];
  return ids.map((id) => sub(`arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:launch-template/${id}`));
}

/** The roles iam:PassRole may pass to EC2: iam.nodeRoleArns, else roles named like iam.nodeRoleNamePattern, else any role of the account. */
function nodeRoleArns(config) {
  const { nodeRoleArns: arns, nodeRoleNamePattern: pattern } = config.iam;
  if (arns) return arns;
  if (pattern === undefined) return [sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*')];
  // IAM matches the whole role ARN, path included (role/<path>/<name>), and the plan matches the name: any path.
  return [sub(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${pattern}`), sub(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/*/${pattern}`)];
}

/** The AMIs this pipeline built: our variant tag with one of the configured variant ids (CreateTags in check-image puts it). */
function ownImages(config) {
  return { 'aws:ResourceTag/eks-windows-patch:variant': config.variants.map((v) => v.id) };
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
      // A managed node group's cluster is EKS's business (DescribeNodegroup): no DescribeCluster, no Kubernetes connection.
      if (g.managedNodeGroup) continue;
      const cluster = g.cluster ?? v.cluster;
      if (cluster) named.add(cluster);
      else everyGroup = false;
    }
  // No self-managed group at all (managed node groups only, or Karpenter-only): IAM refuses a statement without
  // resources, so a name no cluster can have ("-" cannot start a cluster name) stands in.
  const names = everyGroup ? (named.size ? [...named].sort() : ['-']) : ['*'];
  return names.map((n) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:eks:\${AWS::Region}:\${AWS::AccountId}:cluster/${n}` }));
}

/**
 * What the plan may DescribeNodegroup: each configured managed node group (Amazon EKS Service Authorization
 * Reference: resource type nodegroup, arn:…:nodegroup/<cluster>/<name>/<uuid>). Empty: no statement is needed, but
 * IAM refuses a statement without resources, so the ARN of a node group no cluster can have ("-" is not a valid
 * first character of a node group name) stands in.
 */
/** The clusters of the configured managed node groups. */
function managedClusterArns(config) {
  const names = new Set();
  for (const v of config.variants) for (const g of v.nodeGroups) if (g.managedNodeGroup) names.add(g.cluster ?? v.cluster);
  const list = names.size ? [...names].sort() : ['-'];
  return list.map((n) => sub(`arn:\${AWS::Partition}:eks:\${AWS::Region}:\${AWS::AccountId}:cluster/${n}`));
}

function nodegroupArns(config) {
  const names = new Set();
  for (const v of config.variants) for (const g of v.nodeGroups) if (g.managedNodeGroup) names.add(`${g.cluster ?? v.cluster}/${g.managedNodeGroup}`);
  const list = names.size ? [...names].sort() : ['-/-'];
  return list.map((n) => sub(`arn:\${AWS::Partition}:eks:\${AWS::Region}:\${AWS::AccountId}:nodegroup/${n}/*`));
}

module.exports.config = async ({ resolveVariable }) => {
  const config = await load(resolveVariable);
  return {
    ...config,
    groups: groupStatements(config),
    launchTemplates: launchTemplateStatement(config),
    launchFromTemplates: launchFromTemplates(config),
    nodeRoleArns: nodeRoleArns(config),
    ownImages: ownImages(config),
    variantIds: config.variants.map((v) => v.id),
    // The Lambdas that talk to Kubernetes run in the cluster's VPC when its endpoint is private only.
    kubernetesVpc: config.kubernetes.vpc ? { subnetIds: config.kubernetes.vpc.subnetIds, securityGroupIds: config.kubernetes.vpc.securityGroupIds } : null,
    // Inlined into every bundle by esbuild's `define` (a JS string literal).
    inline: JSON.stringify(JSON.stringify(config)),
    subscribeToAwsTopic: String(config.triggers.subscribeToAwsTopic),
    fastLaunchInstanceType: config.imageBuilder.instanceTypes[0],
    eksClusterArns: eksClusterArns(config),
    eksNodegroupArns: nodegroupArns(config),
    // DescribeUpdate requires the cluster as a resource (nodegroup optional): Service Authorization Reference for EKS.
    eksUpdateArns: [...nodegroupArns(config), ...managedClusterArns(config)],
  };
};

/** Each admin's e-mail subscriptions to the run notifications and to the alarms (CloudFormation has no loops). */
module.exports.subscriptions = async ({ resolveVariable }) => {
  const config = await loadQuietly(resolveVariable);
  const Resources = {};
  if (!config) return { Resources };
  config.admins.forEach((email, i) => {
    for (const topic of ['AdminTopic', 'AlarmTopic'])
      Resources[`${topic}EmailSubscription${i}`] = {
        Type: 'AWS::SNS::Subscription',
        Properties: { TopicArn: { Ref: topic }, Protocol: 'email', Endpoint: email },
      };
  });
  return { Resources };
};

/** The Lambda roles that talk to Kubernetes, mapped to the RBAC group of resources/kubernetes-rbac.yaml. */
const KUBERNETES_ROLES = ['CheckAccess', 'StartInstanceRefreshes', 'CheckWave', 'CheckNewNode', 'DrainOldNode'];

/**
 * One EKS access entry per cluster the config names and role (EKS User Guide, "Grant IAM users access to Kubernetes
 * with EKS access entries"): type STANDARD, Kubernetes group eks-windows-patch. A cluster found only from ASG tags
 * gets none: README says how to create it by hand.
 */
module.exports.accessEntries = async ({ resolveVariable }) => {
  const config = await loadQuietly(resolveVariable);
  const Resources = {};
  if (!config) return { Resources };
  clustersOf(config).forEach((cluster, i) => {
    for (const role of KUBERNETES_ROLES)
      Resources[`${role}AccessEntry${i}`] = {
        Type: 'AWS::EKS::AccessEntry',
        Properties: {
          ClusterName: cluster,
          PrincipalArn: { 'Fn::GetAtt': [`${role}IamRoleLambdaExecution`, 'Arn'] },
          KubernetesGroups: ['eks-windows-patch'],
          Type: 'STANDARD',
        },
      };
  });
  return { Resources };
};
