/**
 * EventBridge's delivery of the stack's rules, for the local runner: an event goes to every rule whose pattern matches
 * it (Amazon EventBridge User Guide, "Event patterns": each field in the pattern lists the values it accepts; nested
 * objects match nested fields; a field the event lacks never matches). Only exact values are modelled: the stack's
 * patterns use nothing else.
 */
export type EventPattern = { [key: string]: unknown[] | EventPattern };

export function matches(pattern: EventPattern, event: unknown): boolean {
  if (!event || typeof event !== 'object') return false;
  const e = event as Record<string, unknown>;
  return Object.entries(pattern).every(([key, want]) => (Array.isArray(want) ? want.includes(e[key]) : matches(want, e[key])));
}

/** The EventBridge patterns of a state machine's events in serverless.yml, with `${sls:stage}` resolved. */
export function statemachinePatterns(events: { eventBridge?: { event?: EventPattern } }[] | undefined, stage: string): EventPattern[] {
  return (events ?? []).flatMap((e) => (e.eventBridge?.event ? [JSON.parse(JSON.stringify(e.eventBridge.event).replaceAll('${sls:stage}', stage)) as EventPattern] : []));
}
