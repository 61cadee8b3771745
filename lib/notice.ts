/** A notification as the state machine publishes it (sns:publish task); built by lib/notify/*. */
export interface Notice {
  subject: string;
  message: string;
  severity: 'info' | 'warning' | 'error';
  /** The variants concerned, as SNS String.Array text (`["win2022-core-131"]`): a filter policy on one variant matches. */
  variant: string;
}

/** The `variant` message attribute: every variant id, so subscribers can filter on one. */
export function variantsAttribute(ids: readonly string[]): string {
  return JSON.stringify(ids.length ? ids : ['none']);
}

/** SNS subjects: ≤ 100 printable ASCII characters, no line breaks (anything else fails the publish). */
export function subject(text: string): string {
  const ascii = text.replace(/[\u2013\u2014]/g, '-').replace(/[^\x20-\x7e]/g, '').replace(/\s+/g, ' ').trim();
  return ascii.length <= 100 ? ascii : `${ascii.slice(0, 97)}...`;
}
