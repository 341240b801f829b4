// Zod schemas for the resources around bookings (SPEC §2, §5, §10): artists, their availability
// preferences and schedule, slots, projects, tenant settings, and the test clock.
import { z } from "zod";

import { cursorPage } from "./booking.ts";
import { Instant, Int, Uuid } from "./wire.ts";

export const Artist = z.strictObject({
  id: Uuid,
  name: z.string(),
  /** IANA time zone name. */
  timezone: z.string(),
  email: z.string().nullable(),
  /** The login (token sub) of the artist-role user who may edit this artist's availability. */
  userId: z.string().nullable(),
  createdAt: Instant,
  updatedAt: Instant,
});
export type Artist = z.infer<typeof Artist>;

export const ArtistPage = cursorPage(Artist);
export type ArtistPage = z.infer<typeof ArtistPage>;

export const Project = z.strictObject({
  id: Uuid,
  name: z.string(),
  code: z.string().nullable(),
  description: z.string().nullable(),
  createdBy: z.string().nullable(),
  createdAt: Instant,
  updatedAt: Instant,
});
export type Project = z.infer<typeof Project>;

export const ProjectPage = cursorPage(Project);
export type ProjectPage = z.infer<typeof ProjectPage>;

/** Local wall-clock time HH:MM (24:00 only as an end). */
const WallTime = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, "not a wall-clock time HH:MM");

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export const Weekday = z.enum(WEEKDAYS);
export type Weekday = z.infer<typeof Weekday>;

/** [start, end) in the artist's local time; end <= start means the next day. */
export const WallWindow = z.strictObject({ start: WallTime, end: WallTime });
export type WallWindow = z.infer<typeof WallWindow>;

export const WeeklyWindow = z.strictObject({ day: Weekday, start: WallTime, end: WallTime });
export type WeeklyWindow = z.infer<typeof WeeklyWindow>;

/** Replaces the windows starting on that local date; [] = unavailable all day. */
export const DateOverride = z.strictObject({
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "not a date YYYY-MM-DD"),
  windows: z.array(WallWindow),
});
export type DateOverride = z.infer<typeof DateOverride>;

/** GET /artists/{id}/availability; weekly null = no weekly restriction, [] = no regular windows. */
export const Availability = z.strictObject({
  timezone: z.string(),
  weekly: z.array(WeeklyWindow).nullable(),
  overrides: z.array(DateOverride),
});
export type Availability = z.infer<typeof Availability>;

export const SEGMENT_STATES = ["unavailable", "available", "held", "pencilled", "booked"] as const;
export const SegmentState = z.enum(SEGMENT_STATES);
export type SegmentState = z.infer<typeof SegmentState>;

export const ScheduleSegment = z.strictObject({
  startTime: Instant,
  endTime: Instant,
  state: SegmentState,
  /** Active bookings overlapping the segment, by (startTime, id); [] when none. */
  bookingIds: z.array(Uuid),
});
export type ScheduleSegment = z.infer<typeof ScheduleSegment>;

/** GET /artists/{id}/schedule: ordered segments covering exactly [from, to). */
export const Schedule = z.strictObject({
  artistId: Uuid,
  timezone: z.string(),
  from: Instant,
  to: Instant,
  data: z.array(ScheduleSegment),
});
export type Schedule = z.infer<typeof Schedule>;

/** GET /artists/{id}/slots: bookable start instants; duration/step in canonical ISO 8601. */
export const Slots = z.strictObject({
  artistId: Uuid,
  duration: z.string(),
  step: z.string(),
  data: z.array(Instant),
});
export type Slots = z.infer<typeof Slots>;

/** GET /tenant: the tenant's settings (SPEC §2). */
export const Tenant = z.strictObject({
  id: Uuid,
  name: z.string(),
  holdTtlMinutes: Int.min(1).max(120),
  holdMaxMinutes: Int.min(1).max(10080),
  pencilTtlHours: Int.min(24).max(48),
  challengeWindowHours: Int.min(1).max(72),
});
export type Tenant = z.infer<typeof Tenant>;

/** POST /test/clock (only with `ptool serve --test-clock`). */
export const TestClock = z.strictObject({ now: Instant });
export type TestClock = z.infer<typeof TestClock>;
