/**
 * Named errors. The class name is what the state machine's Retry/Catch match
 * (Lambda reports `errorType` = error.name), so never rename one without the ASL.
 */
export class PipelineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad config or execution input: one line per bad field, each naming the fix. */
export class ConfigError extends PipelineError {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export class InvalidInputError extends ConfigError {}

/** The plan cannot be carried out as configured (missing ASG, unpublished variant, incompatible image…). */
export class PlanError extends PipelineError {}

export class ImageBuildFailedError extends PipelineError {}
export class ImageBuildTimedOutError extends PipelineError {}
/** The build finished, its AMI exists, but it could not be tagged: never reported as a failed build. */
export class AmiTaggingFailedError extends PipelineError {}
export class FastLaunchFailedError extends PipelineError {}
export class LaunchTemplateError extends PipelineError {}
/** Retention turned Fast Launch off on AMIs it deletes: they are deregistered once its snapshots are gone (the state machine retries). */
export class RetentionPendingError extends PipelineError {}

/** The run's stored plan or wave outcome is missing or unreadable (lib/store/run-store.ts). */
export class RunStoreError extends PipelineError {}
