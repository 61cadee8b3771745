/**
 * EventBridge schedule expressions, as scheduled rules take them (Amazon EventBridge User Guide, "Setting a
 * schedule pattern for scheduled rules": https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html).
 * rate(value unit): a positive whole number and minute(s)/hour(s)/day(s), singular exactly when the value is 1.
 * cron(6 fields): Minutes 0-59 `, - * /`; Hours 0-23 `, - * /`; Day-of-month 1-31 `, - * ? / L W`;
 * Month 1-12 or JAN-DEC `, - * /`; Day-of-week 1-7 or SUN-SAT `, - * ? L #`; Year 1970-2199 `, - * /`.
 * One of Day-of-month and Day-of-week must be `?`; a `#` makes the Day-of-week field a single expression.
 * Where the page is unclear the stricter reading is taken: names in upper case, `L` and `W` only in the
 * documented forms (`L`, `nW` in Day-of-month; `L` in Day-of-week), no `/` in Day-of-week.
 */

const EXAMPLE = 'e.g. rate(1 hour), rate(30 minutes) or cron(0 * * * ? *)';

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface Field {
  name: string;
  min: number;
  max: number;
  names?: string[];
  slash: boolean;
}

const FIELDS: Field[] = [
  { name: 'Minutes', min: 0, max: 59, slash: true },
  { name: 'Hours', min: 0, max: 23, slash: true },
  { name: 'Day-of-month', min: 1, max: 31, slash: true },
  { name: 'Month', min: 1, max: 12, names: MONTHS, slash: true },
  { name: 'Day-of-week', min: 1, max: 7, names: DAYS, slash: false },
  { name: 'Year', min: 1970, max: 2199, slash: true },
];

function valueOf(token: string, field: Field): number | undefined {
  if (/^\d+$/.test(token)) {
    const n = Number(token);
    return n >= field.min && n <= field.max ? n : undefined;
  }
  const i = field.names?.indexOf(token) ?? -1;
  return i === -1 ? undefined : i + 1;
}

function rangeText(field: Field): string {
  return `${field.min}-${field.max}${field.names ? ` or ${field.names[0]}-${field.names.at(-1)}` : ''}`;
}

/** One item of a comma list: value, a-b, start/step (start a value, a range or *). */
function itemProblem(item: string, field: Field): string | undefined {
  const bad = `the ${field.name} field's "${item}" is not ${rangeText(field)}, a range a-b, *${field.slash ? ' or start/step' : ''}`;
  const [base = '', step, extra] = item.split('/');
  if (extra !== undefined) return bad;
  if (step !== undefined) {
    if (!field.slash) return `the ${field.name} field takes no "/" increments`;
    if (!/^\d+$/.test(step) || Number(step) < 1) return `the ${field.name} field's increment "/${step}" is not a positive whole number`;
  }
  if (base === '*') return undefined;
  const [from = '', to, more] = base.split('-');
  if (more !== undefined) return bad;
  if (valueOf(from, field) === undefined) return bad;
  if (to !== undefined && valueOf(to, field) === undefined) return bad;
  return undefined;
}

function fieldProblem(text: string, field: Field): string | undefined {
  if (text === '?') return field.name === 'Day-of-month' || field.name === 'Day-of-week' ? undefined : `the ${field.name} field takes no "?"`;
  if (field.name === 'Day-of-month' && (text === 'L' || /^([1-9]|[12]\d|3[01])W$/.test(text))) return undefined;
  if (field.name === 'Day-of-week') {
    if (text === 'L') return undefined;
    if (text.includes('#')) {
      if (!/^([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)#[1-5]$/.test(text)) return `the Day-of-week field's "${text}" is not day#n (n 1-5, e.g. 3#2 for the second Tuesday), and a "#" expression stands alone`;
      return undefined;
    }
  }
  for (const item of text.split(',')) {
    const problem = itemProblem(item, field);
    if (problem) return problem;
  }
  return undefined;
}

/** The problem with an expression, or undefined when EventBridge would take it. */
export function scheduleExpressionProblem(expression: string): string | undefined {
  const rate = /^rate\((.*)\)$/.exec(expression);
  if (rate) {
    const parts = (rate[1] ?? '').trim().split(/\s+/);
    const [value = '', unit = ''] = parts;
    if (parts.length !== 2 || !/^[1-9]\d*$/.test(value)) return `a rate expression is rate(<positive whole number> <unit>), ${EXAMPLE}`;
    const units = Number(value) === 1 ? ['minute', 'hour', 'day'] : ['minutes', 'hours', 'days'];
    if (!units.includes(unit)) {
      const base = unit.replace(/s$/, '');
      const fix = ['minute', 'hour', 'day'].includes(base) ? `: rate(${value} ${Number(value) === 1 ? base : `${base}s`})` : `, ${EXAMPLE}`;
      return `with the value ${value} the unit is one of ${units.join(', ')} (EventBridge wants the singular exactly when the value is 1)${fix}`;
    }
    return undefined;
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) return `use an EventBridge schedule expression, ${EXAMPLE}`;
  const fields = (cron[1] ?? '').trim().split(/\s+/);
  if (fields.length !== 6) return `a cron expression has six fields (Minutes Hours Day-of-month Month Day-of-week Year), this one has ${fields.length}: e.g. cron(0 * * * ? *)`;
  for (const [i, field] of FIELDS.entries()) {
    const problem = fieldProblem(fields[i] as string, field);
    if (problem) return `${problem}: e.g. cron(0 * * * ? *)`;
  }
  const [, , dom, , dow] = fields;
  if ((dom === '?') === (dow === '?')) return 'exactly one of Day-of-month and Day-of-week must be "?" (EventBridge takes one of the two): e.g. cron(0 6 * * ? *) or cron(0 6 ? * MON *)';
  return undefined;
}
