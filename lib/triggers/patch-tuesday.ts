/**
 * Patch Tuesday is the second Tuesday of the month. "Second Tuesday + N days" can fall
 * in the 2nd or 3rd week, which no EventBridge cron expresses: a daily tick asks this.
 */
export interface CalendarDate {
  year: number;
  month: number; // 1–12
  day: number;
}

export function patchTuesday(year: number, month: number): CalendarDate {
  const firstWeekday = new Date(Date.UTC(year, month - 1, 1)).getUTCDay(); // 0 = Sunday
  const firstTuesday = 1 + ((2 - firstWeekday + 7) % 7);
  return { year, month, day: firstTuesday + 7 };
}

export function addDays(d: CalendarDate, days: number): CalendarDate {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + days));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

/** The monthly run day: Patch Tuesday of that month + offset days (may spill into the next month). */
export function monthlyRunDate(year: number, month: number, offsetDays: number): CalendarDate {
  return addDays(patchTuesday(year, month), offsetDays);
}

/** The calendar date of an instant in an IANA time zone. */
export function dateIn(instant: Date, timeZone: string): CalendarDate {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day') };
}

export const sameDate = (a: CalendarDate, b: CalendarDate) => a.year === b.year && a.month === b.month && a.day === b.day;

/**
 * Which month's run is due today, if any. With a large offset the run day of the
 * previous month can fall in this month, so both are checked.
 */
export function dueMonthlyRun(today: CalendarDate, offsetDays: number): CalendarDate | undefined {
  const previous = addDays({ year: today.year, month: today.month, day: 1 }, -1);
  for (const m of [{ year: today.year, month: today.month }, { year: previous.year, month: previous.month }])
    if (sameDate(monthlyRunDate(m.year, m.month, offsetDays), today)) return { ...m, day: patchTuesday(m.year, m.month).day };
  return undefined;
}

export const isoDate = (d: CalendarDate) => `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
