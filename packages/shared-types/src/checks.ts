// Compile-time guard (tsc --noEmit, never imported at run time): every Zod schema's inferred type
// must be the very type openapi-typescript generates for the same component, so regenerating
// src/openapi.ts after an OpenAPI change that the Zod schemas do not mirror breaks the typecheck.
import type { z } from "zod";

import type { components } from "./openapi.ts";
import type * as B from "./booking.ts";
import type * as P from "./problem.ts";
import type * as R from "./realtime.ts";
import type * as X from "./resources.ts";

type S = components["schemas"];

/** Identical types (modifiers and optionality included), not merely mutually assignable. */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/**
 * `check<ZodType, OpenApiType>("agree")` compiles only when both are the same type; otherwise the
 * error shows the parameter type, which names the differing members (or only-one-side members) and both sides.
 */
type Verdict<A, B> =
  Same<A, B> extends true
    ? "agree"
    : {
        differingMembers: {
          [K in keyof A | keyof B]: K extends keyof A ? (K extends keyof B ? (Same<A[K], B[K]> extends true ? never : K) : K) : K;
        }[keyof A | keyof B];
        zod: A;
        openapi: B;
      };
function check<A, B>(_verdict: Verdict<A, B>): void {}

// Bookings ---------------------------------------------------------------------------------
check<B.Booking, S["Booking"]>("agree");
check<B.Challenge, S["Challenge"]>("agree");
check<B.BookingStatus, S["Booking"]["status"]>("agree");
check<B.BookingPage, S["BookingPage"]>("agree");

// Events: `previous` is an open object in the document (openapi-typescript renders it as
// Record<string, never>); the Zod side is sharper (the booking members that changed), so it is
// compared apart: nullable on both sides and an object on the OpenAPI side.
type Event = Omit<B.BookingEvent, "previous">;
type ApiEvent = Omit<S["BookingEvent"], "previous">;
check<Event, ApiEvent>("agree");
check<B.BookingEventType, S["BookingEvent"]["type"]>("agree");
check<null extends B.BookingEvent["previous"] ? true : false, true>("agree");
check<null extends S["BookingEvent"]["previous"] ? true : false, true>("agree");
check<NonNullable<S["BookingEvent"]["previous"]> extends object ? true : false, true>("agree");
check<keyof B.BookingChanges, keyof S["Booking"]>("agree");
check<Omit<B.BookingEventPage, "data">, Omit<S["BookingEventPage"], "data">>("agree");
check<Omit<B.BookingEventPage["data"][number], "previous">, Omit<S["BookingEventPage"]["data"][number], "previous">>("agree");
check<Omit<B.EventPage, "data">, Omit<S["EventPage"], "data">>("agree");
check<Omit<B.EventPage["data"][number], "previous">, Omit<S["EventPage"]["data"][number], "previous">>("agree");

// Problems -----------------------------------------------------------------------------------
check<P.Problem, S["Problem"]>("agree");
check<P.ProblemCode, S["Problem"]["code"]>("agree");
check<P.FieldError, S["FieldError"]>("agree");
check<P.ConflictingBooking, S["ConflictingBooking"]>("agree");
check<P.OutrankingBooking, S["OutrankingBooking"]>("agree");
check<P.TimeWindow, S["TimeWindow"]>("agree");

// Artists, availability, schedule, projects, tenant -----------------------------------------------
check<X.Artist, S["Artist"]>("agree");
check<X.ArtistPage, S["ArtistPage"]>("agree");
check<X.Project, S["Project"]>("agree");
check<X.ProjectPage, S["ProjectPage"]>("agree");
check<X.WallWindow, S["WallWindow"]>("agree");
check<X.WeeklyWindow, S["WeeklyWindow"]>("agree");
check<X.DateOverride, S["DateOverride"]>("agree");
check<X.Availability, S["Availability"]>("agree");
check<X.ScheduleSegment, S["ScheduleSegment"]>("agree");
check<X.SegmentState, S["ScheduleSegment"]["state"]>("agree");
check<X.Schedule, S["Schedule"]>("agree");
check<X.Slots, S["Slots"]>("agree");
check<X.Tenant, S["Tenant"]>("agree");
check<X.TestClock, S["TestClock"]>("agree");

// Socket.IO payloads have no OpenAPI component; they reuse the checked pieces.
check<R.AckError["error"]["code"], S["Problem"]["code"]>("agree");

// The schemas' input and output types coincide (no transforms), so parse results are wire values.
check<z.input<typeof B.Booking>, B.Booking>("agree");
