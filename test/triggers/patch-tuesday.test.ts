import { describe, expect, it } from 'vitest';
import { dateIn, dueMonthlyRun, isoDate, monthlyRunDate, patchTuesday } from '../../lib/triggers/patch-tuesday.js';

/** Independent of the code under test: walk the month day by day and count Tuesdays. */
function secondTuesdayByWalking(year: number, month: number): number {
  let tuesdays = 0;
  for (let day = 1; day <= 31; day++) {
    const d = new Date(Date.UTC(year, month - 1, day));
    if (d.getUTCMonth() !== month - 1) break;
    if (d.getUTCDay() === 2 && ++tuesdays === 2) return day;
  }
  throw new Error('no second Tuesday');
}

const MONTHS = Array.from({ length: 6 * 12 }, (_, i) => ({ year: 2025 + Math.floor(i / 12), month: (i % 12) + 1 }));

describe('Patch Tuesday', () => {
  it.each(MONTHS)('is the second Tuesday of $year-$month', ({ year, month }) => {
    expect(patchTuesday(year, month)).toEqual({ year, month, day: secondTuesdayByWalking(year, month) });
  });

  it('plus N days lands on the day a calendar walk gives, for every month 2025-2030 and N from 0 to 20', () => {
    for (const { year, month } of MONTHS)
      for (let n = 0; n <= 20; n++) {
        const expected = new Date(Date.UTC(year, month - 1, secondTuesdayByWalking(year, month)) + n * 86_400_000).toISOString().slice(0, 10);
        expect(isoDate(monthlyRunDate(year, month, n))).toBe(expected);
      }
  });

  it('is due on exactly one day per month with the default offset of 5, and that day is Patch Tuesday + 5', () => {
    const dueDays: string[] = [];
    for (let t = Date.UTC(2025, 0, 1); t < Date.UTC(2031, 0, 1); t += 86_400_000) {
      const d = new Date(t);
      const today = { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
      if (dueMonthlyRun(today, 5)) dueDays.push(isoDate(today));
    }
    expect(dueDays).toHaveLength(72);
    expect(dueDays).toEqual(MONTHS.map(({ year, month }) => isoDate(monthlyRunDate(year, month, 5))));
  });

  it('with a 20-day offset, a run day that spills into the next month still belongs to its Patch Tuesday month', () => {
    // December 2026: Patch Tuesday is the 8th; + 20 days is the 28th. January 2025: 14th + 20 = February 3rd.
    expect(dueMonthlyRun({ year: 2025, month: 2, day: 3 }, 20)).toEqual({ year: 2025, month: 1, day: 14 });
    expect(dueMonthlyRun({ year: 2025, month: 2, day: 4 }, 20)).toBeUndefined();
  });
});

describe('the calendar date in the configured time zone', () => {
  it('is the day before in Los Angeles early on a UTC morning', () => {
    expect(dateIn(new Date('2026-11-15T03:00:00Z'), 'America/Los_Angeles')).toEqual({ year: 2026, month: 11, day: 14 });
  });

  it('is the next day in Auckland on a UTC afternoon', () => {
    expect(dateIn(new Date('2026-11-14T12:00:00Z'), 'Pacific/Auckland')).toEqual({ year: 2026, month: 11, day: 15 });
  });

  it('makes the same instant due in one zone and not in another', () => {
    const instant = new Date('2026-11-14T12:00:00Z'); // Nov 2026: Patch Tuesday the 10th, run day the 15th
    expect(dueMonthlyRun(dateIn(instant, 'Pacific/Auckland'), 5)).toEqual({ year: 2026, month: 11, day: 10 });
    expect(dueMonthlyRun(dateIn(instant, 'UTC'), 5)).toBeUndefined();
  });
});
