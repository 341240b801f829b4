// Date and time wording for the UI, in a given IANA zone (the browser's, passed in so tests are deterministic).

function parts(iso: string, tz: string, opts: Intl.DateTimeFormatOptions): string {
  return new Intl.DateTimeFormat("en-GB", { timeZone: tz, ...opts }).format(new Date(iso));
}

/** "14:32" */
export function formatTime(iso: string, tz: string): string {
  return parts(iso, tz, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
}

/** "Tue 24 Nov" */
export function formatDay(iso: string, tz: string): string {
  return parts(iso, tz, { weekday: "short", day: "numeric", month: "short" }).replace(",", "");
}

const sameDay = (a: string, b: string, tz: string): boolean =>
  parts(a, tz, { year: "numeric", month: "2-digit", day: "2-digit" }) ===
  parts(b, tz, { year: "numeric", month: "2-digit", day: "2-digit" });

/** "Tue 24 Nov, 14:00–16:00", or "Tue 24 Nov 22:00 – Wed 25 Nov 02:00" across midnight. */
export function formatRange(start: string, end: string, tz: string): string {
  // An end at midnight belongs to the day before, as people read it.
  const endForDay = new Date(Date.parse(end) - 1).toISOString();
  if (sameDay(start, endForDay, tz)) {
    return `${formatDay(start, tz)}, ${formatTime(start, tz)}–${formatTime(end, tz)}`;
  }
  return `${formatDay(start, tz)} ${formatTime(start, tz)} – ${formatDay(end, tz)} ${formatTime(end, tz)}`;
}

/** A moment relative to today: "10:02" today, else "Tue 24 Nov 10:02". */
export function formatWhen(iso: string, tz: string, nowMs: number): string {
  const now = new Date(nowMs).toISOString();
  return sameDay(iso, now, tz) ? formatTime(iso, tz) : `${formatDay(iso, tz)} ${formatTime(iso, tz)}`;
}
