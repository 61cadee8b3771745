/**
 * Names the stack generates from the service, stage, region and config, against AWS's limits, so that a long
 * stage or region fails `serverless package` with one line naming the stage and the fix instead of an internal
 * name from a plugin or CloudFormation halfway through a deploy. Pure: the caller passes the function names
 * (serverless.yml's `functions`).
 */

export interface NameTarget {
  service: string;
  stage: string;
  region: string;
  /** serverless.yml's function keys. */
  functions: readonly string[];
  /** The variant ids (Image Builder component and recipe names carry them). */
  variantIds: readonly string[];
}

interface NameRule {
  what: string;
  limit: number;
  /** The AWS page that sets the limit. */
  source: string;
  names: (t: NameTarget) => string[];
}

const RULES: NameRule[] = [
  {
    // Serverless names each function <service>-<stage>-<function> (osls lib/classes/service.js).
    what: 'Lambda function name',
    limit: 64,
    source: 'Lambda API Reference, CreateFunction: FunctionName (a name without ARN is at most 64 characters)',
    names: (t) => t.functions.map((f) => `${t.service}-${t.stage}-${f}`),
  },
  {
    // serverless-iam-roles-per-function: <service>-<stage>-<function>-<region>-lambdaRole, dropping "-lambdaRole" when
    // that is over 64; osls's shared role is <service>-<stage>-<region>-lambdaRole.
    what: 'IAM role name',
    limit: 64,
    source: 'IAM API Reference, CreateRole: RoleName (1-64 characters)',
    names: (t) => [
      `${t.service}-${t.stage}-${t.region}-lambdaRole`,
      ...t.functions.map((f) => {
        const full = `${t.service}-${t.stage}-${f}-${t.region}-lambdaRole`;
        return full.length > 64 ? `${t.service}-${t.stage}-${f}-${t.region}` : full;
      }),
    ],
  },
  {
    what: 'Step Functions state machine name',
    limit: 80,
    source: 'Step Functions API Reference, CreateStateMachine: name (1-80 characters)',
    names: (t) => ['patch-run', 'patch-variant', 'lifecycle-action'].map((m) => `${t.service}-${t.stage}-${m}`),
  },
  {
    what: 'CloudFormation stack name',
    limit: 128,
    source: 'CloudFormation API Reference, CreateStack: StackName (at most 128 characters)',
    names: (t) => [`${t.service}-${t.stage}`],
  },
  {
    // resources/stack.yml: LaunchTemplateName <service>-<stage>-fast-launch.
    what: 'EC2 launch template name',
    limit: 128,
    source: 'EC2 API Reference, CreateLaunchTemplate: LaunchTemplateName (3-128 characters)',
    names: (t) => [`${t.service}-${t.stage}-fast-launch`],
  },
  {
    // lib/imagebuilder/build.ts: <stage>-<variant>-image-cache and <stage>-<variant>-patched; the infrastructure configuration <service>-<stage>.
    what: 'Image Builder resource name',
    limit: 128,
    source: 'EC2 Image Builder API Reference, CreateComponent/CreateImageRecipe: name (pattern ^[-_A-Za-z-0-9][-_A-Za-z0-9 ]{1,126}[-_A-Za-z-0-9]$)',
    names: (t) => [`${t.service}-${t.stage}`, ...t.variantIds.flatMap((id) => [`${t.stage}-${id}-image-cache`, `${t.stage}-${id}-patched`])],
  },
];

/** osls's stage pattern (lib/config-schema/utils/stage-pattern.js) — and every name above takes only these characters. */
const STAGE = /^[A-Za-z0-9-]+$/;

/** One line per rule that a name breaks: the longest offending name, its length, and the longest stage that fits. */
export function generatedNameProblems(t: NameTarget): string[] {
  if (!STAGE.test(t.stage)) return [`stage "${t.stage}": use letters, digits and "-" only (Serverless and the AWS names made from it take no other characters)`];
  const problems: string[] = [];
  // Image Builder lowercases names in its ARNs (API Reference: ARN pattern .../[a-z0-9-_]+/...), and IAM compares ARNs
  // case-sensitively: the stack's Image Builder grants (image/<stage>-*) would match nothing.
  if (t.stage !== t.stage.toLowerCase()) problems.push(`stage "${t.stage}": use lowercase, e.g. "${t.stage.toLowerCase()}" (Image Builder's ARNs lowercase names, so the stack's grants on <stage>-* would match nothing)`);
  for (const rule of RULES) {
    const over = rule.names(t).filter((n) => n.length > rule.limit);
    if (!over.length) continue;
    const longest = over.reduce((a, b) => (b.length > a.length ? b : a));
    // Each name grows one character per stage character: the stage may shrink by the overshoot.
    const fits = t.stage.length - (longest.length - rule.limit);
    const fix = fits >= 1 ? `use a stage of at most ${fits} characters` : 'shorten the variant id';
    problems.push(
      `stage "${t.stage}" in ${t.region}: the ${rule.what} ${longest} is ${longest.length} characters, over AWS's ${rule.limit} (${rule.source})${over.length > 1 ? ` and ${over.length - 1} more` : ''}: ${fix}`,
    );
  }
  return problems;
}
