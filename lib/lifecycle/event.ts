import type { LifecycleAction } from './action.js';

/**
 * "EC2 Instance-launch Lifecycle Action" / "EC2 Instance-terminate Lifecycle Action" as EventBridge delivers them
 * (Amazon EC2 Auto Scaling User Guide, "Amazon EventBridge events for Auto Scaling"): the fields we read.
 */
export interface LifecycleEvent {
  time: string;
  detail: LifecycleAction & {
    LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING' | 'autoscaling:EC2_INSTANCE_TERMINATING' | string;
    NotificationMetadata?: string;
  };
}

/** What one pass of a lifecycle action hands the state machine: wait and call again, or done (with a notice for admins, if any). */
export interface ActionStep<Carry> {
  done: boolean;
  waitSeconds: number;
  /** What the next pass needs (the drain's progress); null when done. */
  carry: Carry | null;
  /** The decision, for the timeline and the logs: continue, abandon, wait, draining… */
  decision: string;
  reason: string;
}

/** What the lifecycle state machine hands its Lambdas: the event's detail and time, and the execution's name. */
export interface LifecycleTaskInput<Carry = null> {
  action: LifecycleEvent['detail'];
  time: string;
  executionName: string;
  carry: Carry | null;
}
