// Payloads of the Socket.IO channel (SPEC §7, §10 "Real time"): what the server emits besides the
// booking events (those are BookingEvent, named by their `type`), and the acks of client emits.
import { z } from "zod";

import { BOOKING_EVENT_TYPES } from "./booking.ts";
import { ProblemCode } from "./problem.ts";
import { Instant, Int, Uuid } from "./wire.ts";

/** Names of the events the server emits: one per booking event type, plus these two. */
export const AVAILABILITY_CHANGED = "availability.changed";
export const RESYNC_REQUIRED = "resync.required";
export const SERVER_EVENTS = [...BOOKING_EVENT_TYPES, AVAILABILITY_CHANGED, RESYNC_REQUIRED] as const;
export type ServerEventName = (typeof SERVER_EVENTS)[number];

/** Client emits (with an ack). */
export const HOLD_HEARTBEAT = "hold.heartbeat";
export const SUBSCRIBE = "subscribe";
export const UNSUBSCRIBE = "unsubscribe";

/** The artist's free/busy changed in [from, to); both null = everything (a preference change). */
export const AvailabilityChanged = z.strictObject({
  artistId: Uuid,
  from: Instant.nullable(),
  to: Instant.nullable(),
});
export type AvailabilityChanged = z.infer<typeof AvailabilityChanged>;

/** More events were missed than the server replays: refetch, then go on from latestSeq. */
export const ResyncRequired = z.strictObject({
  lastSeq: Int.min(0),
  latestSeq: Int.min(0),
});
export type ResyncRequired = z.infer<typeof ResyncRequired>;

/** The failure form of every ack: a SPEC code (forbidden, not_found, invalid_transition, ...). */
export const AckError = z.strictObject({
  error: z.strictObject({ code: ProblemCode, detail: z.string().optional() }),
});
export type AckError = z.infer<typeof AckError>;

/** The ack of `hold.heartbeat {bookingId}`: the hold's new expiresAt, or an error. */
export const HoldHeartbeatAck = z.union([z.strictObject({ expiresAt: Instant.nullable() }), AckError]);
export type HoldHeartbeatAck = z.infer<typeof HoldHeartbeatAck>;

/** The ack of `subscribe`/`unsubscribe {artistIds}`: the socket's current set ([] = whole tenant). */
export const SubscribeAck = z.union([z.strictObject({ ok: z.literal(true), artistIds: z.array(Uuid) }), AckError]);
export type SubscribeAck = z.infer<typeof SubscribeAck>;

/** The handshake payload (`io({auth})`): lastSeq replays the events after it. */
export interface HandshakeAuth {
  token: string;
  lastSeq?: number;
}
