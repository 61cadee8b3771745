import { StateMachine } from 'aws-local-stepfunctions';

/**
 * In Step Functions, once one iteration of a Map fails the Map state fails and no
 * further iteration starts. aws-local-stepfunctions 3.0 aborts the iterations already
 * running but leaves its p-limit queue alone, so with MaxConcurrency 1 every later item
 * still runs after the failure: the rehearsal would roll out wave 2 after a failed canary
 * wave, which AWS never does. A Map runs all its items on one iterator StateMachine
 * instance, so once a run of an instance has failed, later runs of it end at once.
 * Local runner only.
 */
type Run = StateMachine['run'];
const failed = new WeakSet<StateMachine>();
const original: Run = StateMachine.prototype.run;

async function* noEvents(): AsyncGenerator<never> {}

StateMachine.prototype.run = function run(this: StateMachine, ...args: Parameters<Run>): ReturnType<Run> {
  if (failed.has(this)) {
    const result = Promise.reject(new Error('Map state already failed: iteration not started'));
    result.catch(() => undefined);
    return { abort: () => undefined, result, eventLogs: noEvents() } as unknown as ReturnType<Run>;
  }
  const execution = original.apply(this, args);
  // Registered before the Map's own handlers, so the flag is set before p-limit starts the next item.
  execution.result.catch(() => failed.add(this));
  return execution;
};
