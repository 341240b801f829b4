// application/problem+json errors (RFC 9457 plus the SPEC's stable `code` and per-code members, §4).
// Strict: the server's problems are closed, so an unexpected member is drift, not an extension.
import { z } from "zod";

import { BookingStatus } from "./booking.ts";
import { Instant, Int, Uuid } from "./wire.ts";

export const PROBLEM_CODES = [
  "malformed_json",
  "unauthenticated",
  "forbidden",
  "not_found",
  "method_not_allowed",
  "booking_conflict",
  "outranked",
  "invalid_transition",
  "idempotency_in_progress",
  "version_mismatch",
  "payload_too_large",
  "unsupported_media_type",
  "validation_failed",
  "outside_availability",
  "idempotency_key_mismatch",
  "precondition_required",
  "unavailable",
  "internal_error",
  "malformed_request",
] as const;
export const ProblemCode = z.enum(PROBLEM_CODES);
export type ProblemCode = z.infer<typeof ProblemCode>;

/** validation_failed: one offending field; `path` is a JSON pointer ("" = the body) or /<query name>. */
export const FieldError = z.strictObject({ path: z.string(), message: z.string() });
export type FieldError = z.infer<typeof FieldError>;

/** booking_conflict: a blocking booking. */
export const ConflictingBooking = z.strictObject({
  id: Uuid,
  status: BookingStatus,
  startTime: Instant,
  endTime: Instant,
});
export type ConflictingBooking = z.infer<typeof ConflictingBooking>;

/** outranked: a hold ranking above the caller. */
export const OutrankingBooking = z.strictObject({
  id: Uuid,
  priority: Int,
  createdAt: Instant,
  expiresAt: Instant.nullable(),
});
export type OutrankingBooking = z.infer<typeof OutrankingBooking>;

/** [startTime, endTime) in UTC; outside_availability lists the nearest available ones. */
export const TimeWindow = z.strictObject({ startTime: Instant, endTime: Instant });
export type TimeWindow = z.infer<typeof TimeWindow>;

export const Problem = z.strictObject({
  type: z.string(),
  title: z.string(),
  status: Int,
  code: ProblemCode,
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(FieldError).optional(),
  conflicts: z.array(ConflictingBooking).optional(),
  outrankedBy: z.array(OutrankingBooking).optional(),
  currentStatus: BookingStatus.optional(),
  currentVersion: Int.optional(),
  windows: z.array(TimeWindow).optional(),
});
export type Problem = z.infer<typeof Problem>;
