import { subject, variantsAttribute, type Notice } from '../notice.js';

/**
 * What an admin hears from a lifecycle action: only what needs a person. A node the gate refused (the group's refresh
 * is rolled back; the variant's failure notice follows) and a drain that ran out of time (pods named, with the budgets
 * that held them). A node that joined or drained well is news for the wave notice, not a mail of its own.
 */
export function lifecycleNotice(kind: 'abandon' | 'timedOut', asgName: string, variant: string, text: string): Notice {
  const what = kind === 'abandon' ? 'New node refused' : 'Drain timed out';
  return {
    subject: subject(`${what} in ${asgName} (${variant})`),
    message: [`${what} in node group ${asgName} (variant ${variant}).`, '', text, ''].join('\n'),
    severity: kind === 'abandon' ? 'error' : 'warning',
    variant: variantsAttribute([variant]),
  };
}
