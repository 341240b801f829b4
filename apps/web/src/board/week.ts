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

/** A local date as the value of an `<input type="date">`: "2026-11-24". */
export function isoDate(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The instants of a hold typed as a local date and "HH:MM" times; an end before the start means
 * the next day (a night session), an equal one is an error in plain words. */
export function holdRangeFromForm(date: string, from: string, to: string): { start: Date; end: Date } | { error: string } {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const f = /^(\d{2}):(\d{2})$/.exec(from);
  const t = /^(\d{2}):(\d{2})$/.exec(to);
  if (!d) return { error: "Choose a date." };
  if (!f || !t) return { error: "Choose a start and an end time." };
  const [y, m, day] = [Number(d[1]), Number(d[2]) - 1, Number(d[3])];
  const start = new Date(y, m, day, Number(f[1]), Number(f[2]));
  let end = new Date(y, m, day, Number(t[1]), Number(t[2]));
  if (end.getTime() === start.getTime()) return { error: "The end time must differ from the start time." };
  if (end < start) end = new Date(y, m, day + 1, Number(t[1]), Number(t[2]));
  return { start, end };
}
