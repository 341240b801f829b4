// Wall-clock arithmetic for the browser suites: the pages run in TZ, so dates and times read off
// the calendar are local to TZ and must be turned into the UTC instants the API speaks.

/** The zone every test page runs in (the board shows times in the browser's zone). */
export const TZ = "Europe/Berlin";

const parts = new Intl.DateTimeFormat("en-US", {
  timeZone: TZ,
  hourCycle: "h23",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

function fields(ms: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of parts.formatToParts(new Date(ms))) if (p.type !== "literal") out[p.type] = Number(p.value);
  return out;
}

/** TZ's offset from UTC at instant `ms`, in ms. */
function offsetAt(ms: number): number {
  const f = fields(ms);
  return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second) - Math.floor(ms / 1000) * 1000;
}

/** The instant of local date "YYYY-MM-DD" at "HH:MM" in TZ (ms since the epoch). */
export function zoned(date: string, hhmm: string): number {
  const [y, m, d] = date.split("-").map(Number);
  const [hh, mm] = hhmm.split(":").map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  // Twice, so an offset that changes between the guess and the answer (DST) settles.
  const first = wall - offsetAt(wall);
  return wall - offsetAt(first);
}

/** The local date "YYYY-MM-DD" of instant `ms` in TZ. */
export function localDate(ms: number): string {
  const f = fields(ms);
  return `${f.year}-${String(f.month).padStart(2, "0")}-${String(f.day).padStart(2, "0")}`;
}

/** `days` days after local date `date`. */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** The API's instant form: UTC, no fractional seconds when they are zero. */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.?0+Z$/, "Z");
}

/** A pattern for the local time of `ms` in TZ as a page may print it: "14:32", "2:32 PM", "2:32pm". */
export function localTimePattern(ms: number): RegExp {
  const f = fields(ms);
  const mm = String(f.minute).padStart(2, "0");
  const h12 = f.hour % 12 === 0 ? 12 : f.hour % 12;
  const ampm = f.hour < 12 ? "am" : "pm";
  return new RegExp(`(\\b0?${f.hour}:${mm}\\b)|(\\b${h12}:${mm}\\s*${ampm}\\b)`, "i");
}

/** "HH:MM" → minutes after midnight. */
export function minutes(hhmm: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm);
  if (!m) throw new Error(`not a time of day: ${hhmm}`);
  return Number(m[1]) * 60 + Number(m[2]);
}
