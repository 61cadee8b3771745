import type { $ZodIssue } from 'zod/v4/core';

/** Turns zod issues into one line per bad field: `variants[0].kubernetes: use … (got "1.x")`. */
export function describeIssues(issues: readonly $ZodIssue[], root: unknown, prefix = ''): string[] {
  return issues.map((issue) => {
    const path = prefix + formatPath(issue.path);
    // A custom issue with params.hideValue names the value itself (or it is a whole object): no "(got …)".
    const got = issue.code === 'custom' && issue.params?.hideValue === true ? undefined : valueAt(root, issue.path);
    const shown = got === undefined ? '' : ` (got ${JSON.stringify(got)?.slice(0, 80)})`;
    return `${path || '(root)'}: ${issue.message}${shown}`;
  });
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/** The value at a zod issue's path in the raw input (undefined where the path leaves it). */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}
