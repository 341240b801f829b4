// Week arithmetic and wording for the toolbar.

export function addDays(d: Date, days: number): Date {
  const r = new Date(d.getTime());
  r.setDate(r.getDate() + days);
  return r;
}

/** "23–29 Nov 2026" for the range [start, end). */
export function weekTitle(start: Date, end: Date, tz?: string): string {
  const last = new Date(end.getTime() - 1);
  const fmt = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: tz });
  return fmt.formatRange(start, last);
}

/** The Monday-to-Monday local week containing `d` (what the calendar shows with firstDay 1). */
export function weekOf(d: Date): { start: Date; end: Date } {
  const start = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  start.setDate(start.getDate() - ((start.getDay() + 6) % 7));
  return { start, end: addDays(start, 7) };
}
