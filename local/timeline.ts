/**
 * The rehearsal's timeline: what changed in the account, when, in which execution and
 * for which node group — one line per write, notification or failure. State entries are
 * recorded too (kind "state") for progress displays, but not printed.
 */
export interface TimelineEntry {
  t: string;
  kind: 'state' | 'change' | 'notification' | 'failure';
  /** The variant of a child execution, "run" for the parent. */
  execution: string;
  nodeGroup: string;
  text: string;
}

type Input = Record<string, unknown>;
const str = (v: unknown) => (v === undefined ? '' : String(v));
const lastPart = (arn: unknown) => str(arn).split('/').slice(-2).join(' ');

/** How each write an operator cares about reads in the timeline. */
const CHANGES: Record<string, (i: Input) => { nodeGroup?: string; text: string }> = {
  CreateComponent: (i) => ({ text: `image cache component ${str(i.name)} ${str(i.semanticVersion)}` }),
  CreateImageRecipe: (i) => ({ text: `image recipe ${str(i.name)} ${str(i.semanticVersion)} from ${str(i.parentImage)}` }),
  CreateImage: (i) => ({ text: `image build started (${lastPart(i.imageRecipeArn)})` }),
  CancelImageCreation: (i) => ({ text: `image build cancelled (${lastPart(i.imageBuildVersionArn)})` }),
  CreateTags: (i) => ({ text: `AMI ${str((i.Resources as unknown[] | undefined)?.[0])} tagged` }),
  EnableFastLaunch: (i) => ({ text: `Fast Launch enabling on ${str(i.ImageId)} (${str(i.MaxParallelLaunches)} parallel launches)` }),
  DisableFastLaunch: (i) => ({ text: `Fast Launch disabled on retired ${str(i.ImageId)}` }),
  CreateLaunchTemplateVersion: (i) => ({ text: `launch template ${str(i.LaunchTemplateId)}: new version from ${str(i.SourceVersion)} with ${str((i.LaunchTemplateData as Input | undefined)?.ImageId)}` }),
  ModifyLaunchTemplate: (i) => ({ text: `launch template ${str(i.LaunchTemplateId)}: default version ${str(i.DefaultVersion)}` }),
  StartInstanceRefresh: (i) => {
    const d = i.DesiredConfiguration as { LaunchTemplate?: Input; MixedInstancesPolicy?: { LaunchTemplate?: { LaunchTemplateSpecification?: Input } } } | undefined;
    const lt = d?.LaunchTemplate ?? d?.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
    return { nodeGroup: str(i.AutoScalingGroupName), text: `instance refresh started to launch template version ${str(lt?.Version)}` };
  },
  PutLifecycleHook: (i) => ({ nodeGroup: str(i.AutoScalingGroupName), text: `lifecycle hook ${str(i.LifecycleHookName)} put for the refresh` }),
  DeleteLifecycleHook: (i) => ({ nodeGroup: str(i.AutoScalingGroupName), text: `lifecycle hook ${str(i.LifecycleHookName)} removed` }),
  CompleteLifecycleAction: (i) => ({
    nodeGroup: str(i.AutoScalingGroupName),
    text: `${/-ready$/.test(str(i.LifecycleHookName)) ? 'readiness gate' : 'drain'}: ${str(i.LifecycleActionResult)} ${str(i.InstanceId)}`,
  }),
  RollbackInstanceRefresh: (i) => ({ nodeGroup: str(i.AutoScalingGroupName), text: 'instance refresh rolled back by the pipeline' }),
  CreateOrUpdateTags: (i) => {
    const tag = (i.Tags as Input[] | undefined)?.[0];
    return { nodeGroup: str(tag?.ResourceId), text: `verdict: ${str(tag?.Value).replace(/^[^|]*\|/, '')}` };
  },
  PatchNode: (i) => ({ text: `node ${str(i.path).split('/').pop()} cordoned` }),
  CreateEviction: (i) => {
    const parts = str(i.path).split('/');
    return { text: `pod ${parts[4] ?? '?'}/${parts[6] ?? '?'} evicted` };
  },
  UpdateNodegroupVersion: (i) => ({ text: `managed node group ${str(i.clusterName)}/${str(i.nodegroupName)}: EKS update to launch template version ${str((i.launchTemplate as Input | undefined)?.version)}${i.force === true ? ' (force)' : ''}` }),
  DeleteParameter: (i) => ({ text: `deleted ${str(i.Name)}` }),
  PutParameter: (i) => ({ text: `recorded ${str(i.Name)} = ${str(i.Value)}` }),
  StartExecution: (i) => ({ text: `execution ${str(i.name)} started` }),
};

export function changeEntry(operation: string, input: Input): { nodeGroup: string; text: string } | undefined {
  const describe = CHANGES[operation];
  if (!describe) return undefined;
  const { nodeGroup, text } = describe(input);
  return { nodeGroup: nodeGroup ?? '', text };
}
