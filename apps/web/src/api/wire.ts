// Wire shapes of the API as the web app uses them: the Zod schemas of @ptool/shared-types (one source of
// truth with the server's OpenAPI document), plus a lenient parser for error bodies.
import { z } from "zod";
import {
  ArtistPage,
  AvailabilityChanged,
  BookingEvent,
  BookingPage,
  BookingStatus as BookingStatusZ,
  Booking as BookingZ,
  HoldHeartbeatAck,
  Schedule as ScheduleZ,
  type Artist as ArtistT,
  type Booking as BookingT,
  type BookingStatus as BookingStatusT,
  type ScheduleSegment as ScheduleSegmentT,
  type Schedule as ScheduleT,
  type BookingEvent as BookingEventT,
  type HoldHeartbeatAck as HoldHeartbeatAckT,
} from "@ptool/shared-types";

export type Booking = BookingT;
export type BookingStatus = BookingStatusT;
export type Artist = ArtistT;
export type ScheduleSegment = ScheduleSegmentT;
export type Schedule = ScheduleT;
export type LiveBookingEvent = BookingEventT;
export type HeartbeatAck = HoldHeartbeatAckT | { error: { code: string } };

export const BookingSchema = BookingZ;
export const BookingPageSchema = BookingPage;
export const ArtistPageSchema = ArtistPage;
export const ScheduleSchema = ScheduleZ;
export const LiveBookingEventSchema = BookingEvent;
export const AvailabilityChangedSchema = AvailabilityChanged;
export const HeartbeatAckSchema = HoldHeartbeatAck;

/** Problem details, read leniently: an error body may come from a proxy or a newer server, and any
 * message is better than none. */
export const ProblemSchema = z.object({
  type: z.string().optional(),
  title: z.string().optional(),
  status: z.number().optional(),
  code: z.string().optional(),
  detail: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  conflicts: z
    .array(z.object({ id: z.string(), status: BookingStatusZ, startTime: z.string(), endTime: z.string() }))
    .optional(),
  outrankedBy: z
    .array(z.object({ id: z.string(), priority: z.number(), createdAt: z.string(), expiresAt: z.string().nullable() }))
    .optional(),
  currentStatus: BookingStatusZ.optional(),
  currentVersion: z.number().optional(),
  windows: z.array(z.object({ startTime: z.string(), endTime: z.string() })).optional(),
});
export type ProblemBody = z.infer<typeof ProblemSchema>;
