// Zod schemas for bookings and their events as the server sends them (SPEC §2, §6, §10), strict
// so that a member the server adds or drops fails the parse (apps/api/tests/e2e/shared-types.test.ts).
import { z } from "zod";

import { Instant, Int, Uuid } from "./wire.ts";

export const BOOKING_STATUSES = ["hold", "pencil", "confirmed", "released", "expired", "cancelled"] as const;
/** Effective status: a lapsed hold or pencil reads as `expired`. */
export const BookingStatus = z.enum(BOOKING_STATUSES);
export type BookingStatus = z.infer<typeof BookingStatus>;

/** Statuses that take part in the calendar (the others are terminal and never change again). */
export const ACTIVE_STATUSES = ["hold", "pencil", "confirmed"] as const satisfies readonly BookingStatus[];
export const TERMINAL_STATUSES = ["released", "expired", "cancelled"] as const satisfies readonly BookingStatus[];

/** On a challenged pencil (SPEC §3.3). */
export const Challenge = z.strictObject({
  byBookingId: Uuid,
  deadline: Instant,
});
export type Challenge = z.infer<typeof Challenge>;

export const Booking = z.strictObject({
  id: Uuid,
  artistId: Uuid,
  projectId: Uuid.nullable(),
  startTime: Instant,
  endTime: Instant,
  status: BookingStatus,
  priority: Int.min(0).max(100),
  /** null for confirmed and terminal bookings. */
  expiresAt: Instant.nullable(),
  version: Int.min(1),
  title: z.string().nullable(),
  notes: z.string().nullable(),
  createdBy: z.string(),
  createdAt: Instant,
  updatedAt: Instant,
  challenge: Challenge.nullable(),
  /** Why it was released or cancelled: the caller's reason, `challenge_lost` or `superseded`. */
  statusReason: z.string().nullable(),
});
export type Booking = z.infer<typeof Booking>;

export const BOOKING_EVENT_TYPES = [
  "booking.held",
  "booking.pencilled",
  "booking.confirmed",
  "booking.extended",
  "booking.rescheduled",
  "booking.updated",
  "booking.released",
  "booking.expired",
  "booking.cancelled",
  "booking.challenged",
  "booking.challenge_won",
  "booking.challenge_failed",
  "booking.challenge_withdrawn",
] as const;
export const BookingEventType = z.enum(BOOKING_EVENT_TYPES);
export type BookingEventType = z.infer<typeof BookingEventType>;

/** An event's `previous`: every booking member whose value changed, with its old value. */
export const BookingChanges = Booking.partial();
export type BookingChanges = z.infer<typeof BookingChanges>;

/** One booking event, in the event feeds and as the payload of the Socket.IO event named by `type`. */
export const BookingEvent = z.strictObject({
  seq: Int.min(1),
  type: BookingEventType,
  bookingId: Uuid,
  artistId: Uuid,
  /** The token's sub of the request that caused it. */
  actor: z.string(),
  occurredAt: Instant,
  /** The booking as it is after the change. */
  booking: Booking,
  /** null for a creation. */
  previous: BookingChanges.nullable(),
  /** The release/cancel/challenge reason, or "overrideAvailability". */
  reason: z.string().nullable(),
});
export type BookingEvent = z.infer<typeof BookingEvent>;

/** A cursor page `{data, nextCursor}` (SPEC §10); nextCursor is null on the last page. */
export function cursorPage<T extends z.ZodType>(item: T) {
  return z.strictObject({ data: z.array(item), nextCursor: z.string().nullable() });
}

export const BookingPage = cursorPage(Booking);
export type BookingPage = z.infer<typeof BookingPage>;

/** GET /bookings/{id}/events. */
export const BookingEventPage = cursorPage(BookingEvent);
export type BookingEventPage = z.infer<typeof BookingEventPage>;

/** GET /events?afterSeq=&limit=: nextAfterSeq is the last returned seq, or the given afterSeq. */
export const EventPage = z.strictObject({
  data: z.array(BookingEvent),
  nextAfterSeq: Int.min(0),
});
export type EventPage = z.infer<typeof EventPage>;
