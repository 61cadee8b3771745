/** A notification as the state machine publishes it (sns:publish task); built by lib/notify/*. */
export interface Notice {
  subject: string;
  message: string;
  severity: 'info' | 'warning' | 'error';
  variant: string;
}

/** SNS subjects: ≤ 100 printable ASCII characters, no line breaks (anything else fails the publish). */
export function subject(text: string): string {
  const ascii = text.replace(/[\u2013\u2014]/g, '-').replace(/[^\x20-\x7e]/g, '').replace(/\s+/g, ' ').trim();
  return ascii.length <= 100 ? ascii : `${ascii.slice(0, 97)}...`;
}
