import FakeTimers from '@sinonjs/fake-timers';
import { AsyncResource } from 'node:async_hooks';

/**
 * The simulated clock: fake Date and timers, advanced as a discrete-event simulation.
 * Whenever every branch of every execution is waiting (nothing left to run but
 * timers), time jumps to the earliest wake-up. Parallel waits overlap instead of
 * adding up, and an hour-long image build costs no real time.
 */
const realSetImmediate = globalThis.setImmediate;
const settle = () => new Promise<void>((resolve) => realSetImmediate(resolve));

export interface SimulatedClock {
  /** Runs the work to completion, jumping the clock whenever everything waits. */
  drive<T>(work: Promise<T>): Promise<T>;
  now(): number;
  uninstall(): void;
}

export function installClock(startIso: string): SimulatedClock {
  const clock = FakeTimers.install({ now: Date.parse(startIso), toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  // Timer callbacks keep the async context of whoever set them (the local runner
  // attributes AWS calls to the Lambda that made them, across retries' sleeps).
  const fakeSetTimeout = globalThis.setTimeout;
  globalThis.setTimeout = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) =>
    fakeSetTimeout(AsyncResource.bind(fn), ms, ...args)) as typeof setTimeout;

  return {
    now: () => clock.now,
    uninstall: () => clock.uninstall(),
    async drive<T>(work: Promise<T>): Promise<T> {
      let done = false;
      const tracked = work.finally(() => {
        done = true;
      });
      tracked.catch(() => undefined);
      while (!done) {
        // Two macrotask turns: every microtask chain (mocked AWS calls, state transitions) runs out first.
        await settle();
        await settle();
        if (done) break;
        if (clock.countTimers() > 0) clock.next();
        else await new Promise<void>((resolve) => realSetImmediate(resolve));
      }
      return tracked;
    },
  };
}
