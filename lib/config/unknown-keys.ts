import type { $ZodIssue } from 'zod/v4/core';
import { valueAt } from '../issues.js';

/**
 * Unknown keys, named one per line with the closest known key ("did you mean `nodeGroups`?"), instead of zod's
 * one "Unrecognized keys" line per object. When the key meant is a required one, its "missing" line is
 * dropped: a typo is one problem, said once.
 */

interface Def {
  type: string;
  shape?: Record<string, unknown>;
  element?: unknown;
  innerType?: unknown;
  in?: unknown;
}

function defOf(schema: unknown): Def | undefined {
  return (schema as { _zod?: { def?: Def } } | undefined)?._zod?.def;
}

/** Through default/optional/nullable/pipe wrappers to the schema that checks the value. */
function unwrap(schema: unknown): unknown {
  let current = schema;
  for (let i = 0; i < 20; i++) {
    const def = defOf(current);
    if (!def) return current;
    if (def.innerType !== undefined) current = def.innerType;
    else if (def.type === 'pipe' && def.in !== undefined) current = def.in;
    else return current;
  }
  return current;
}

/** The keys the object schema at `path` knows, or undefined when the path leads to no object schema. */
export function knownKeysAt(schema: unknown, path: readonly PropertyKey[]): string[] | undefined {
  let current = unwrap(schema);
  for (const key of path) {
    const def = defOf(current);
    if (def?.type === 'object' && typeof key === 'string') current = unwrap(def.shape?.[key]);
    else if (def?.type === 'array' && typeof key === 'number') current = unwrap(def.element);
    else return undefined;
  }
  const def = defOf(current);
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
}

/** Optimal string alignment distance, case-insensitive (a transposition counts one). */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= s.length; i++)
    for (let j = 1; j <= t.length; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  return (d[s.length] as number[])[t.length] as number;
}

/** The known key a typo most likely meant, if one is close enough. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(key, name);
    if (!best || distance < best.distance) best = { name, distance };
  }
  if (!best) return undefined;
  const allowed = Math.max(2, Math.floor(Math.max(key.length, best.name.length) / 3));
  return best.distance <= allowed || best.name.toLowerCase().startsWith(key.toLowerCase()) || key.toLowerCase().startsWith(best.name.toLowerCase()) ? best.name : undefined;
}

const samePath = (a: readonly PropertyKey[], b: readonly PropertyKey[]) => a.length === b.length && a.every((p, i) => p === b[i]);

/** zod's issues with each unknown key as its own issue (path ending in the key) and the missing key it stands for dropped. */
export function explainUnknownKeys(issues: readonly $ZodIssue[], schema: unknown, raw: unknown): $ZodIssue[] {
  const meant: PropertyKey[][] = [];
  const out: $ZodIssue[] = [];
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') {
      out.push(issue);
      continue;
    }
    const known = knownKeysAt(schema, issue.path) ?? [];
    for (const key of issue.keys) {
      const guess = closestKey(key, known);
      if (guess) meant.push([...issue.path, guess]);
      out.push({
        code: 'custom',
        path: [...issue.path, key],
        params: { hideValue: true },
        message: guess ? `unknown key: did you mean "${guess}"?` : `unknown key: the keys here are ${known.join(', ')}`,
      } as $ZodIssue);
    }
  }
  // The missing required key a typo meant is the same problem: say it once, at the typo.
  return out.filter((issue) => !(issue.code === 'invalid_type' && valueAt(raw, issue.path) === undefined && meant.some((p) => samePath(p, issue.path))));
}
