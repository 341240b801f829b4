// Turns an API problem into plain words for the person at the board, naming the bookings it refers to.
import type { Role } from "../auth/token";
import type { Booking, ProblemBody } from "../api/wire";
import type { BookingAction } from "./actions";
import { formatRange, formatWhen } from "./format";

export interface ErrorContext {
  tz: string;
  nowMs: number;
  role?: Role;
  /** The action that failed, when it was a booking action. */
  action?: BookingAction | "create" | "title";
  /** Bookings known to the page (loaded or fetched for this message). */
  lookup: (id: string) => Booking | undefined;
}

export interface ErrorView {
  code: string;
  message: string;
  details: string[];
  jump?: { label: "Show blocking booking" | "Show booking ahead"; bookingId: string };
}

/** Ids of bookings the message would like to name (so the caller can fetch their titles first). */
export function referencedBookingIds(problem: ProblemBody): string[] {
  return [...(problem.conflicts ?? []).map((c) => c.id), ...(problem.outrankedBy ?? []).map((o) => o.id)];
}

const quoted = (title: string): string => `“${title}”`;
const more = (n: number): string => (n > 0 ? ` (and ${n} more)` : "");

const FIELD_NAMES: Record<string, string> = {
  "/startTime": "Start",
  "/endTime": "End",
  "/title": "Title",
  "/notes": "Notes",
  "/artistId": "Artist",
  "/priority": "Priority",
  "/confirmBy": "Confirm by",
};

export function describeError(code: string, problem: ProblemBody, ctx: ErrorContext): ErrorView {
  const view = (message: string, details: string[] = []): ErrorView => ({ code, message, details });
  switch (code) {
    case "booking_conflict": {
      const [first, ...rest] = problem.conflicts ?? [];
      if (!first) return view("This time is already taken by another booking.");
      const known = ctx.lookup(first.id);
      const who = known?.title ? `${quoted(known.title)} (${first.status})` : `a ${first.status} booking`;
      const when = formatRange(first.startTime, first.endTime, ctx.tz);
      return {
        ...view(`This time is already taken by ${who}, ${when}${more(rest.length)}.`),
        jump: { label: "Show blocking booking", bookingId: first.id },
      };
    }
    case "outranked": {
      const [first, ...rest] = problem.outrankedBy ?? [];
      if (!first) return view("Another hold is ahead of yours for this time.");
      const known = ctx.lookup(first.id);
      const name = known?.title ? quoted(known.title) : "an untitled hold";
      const placed = formatWhen(first.createdAt, ctx.tz, ctx.nowMs);
      const expiry = first.expiresAt ? ` — it expires at ${formatWhen(first.expiresAt, ctx.tz, ctx.nowMs)}` : "";
      return {
        ...view(
          `Another hold is ahead of yours: ${name} (priority ${first.priority}, placed ${placed})${expiry}${more(rest.length)}.`,
          ["You can go ahead once it is released or expires."],
        ),
        jump: { label: "Show booking ahead", bookingId: first.id },
      };
    }
    case "version_mismatch":
      return view("Someone changed this booking meanwhile; the panel now shows the latest version.");
    case "invalid_transition": {
      if (ctx.action === "challenge" && problem.currentStatus === "hold") {
        return view("There is no pencil under this hold to challenge, or it is already being challenged.");
      }
      const now = problem.currentStatus ? `: the booking is ${problem.currentStatus} now` : "";
      return view(`This can no longer be done${now}.`);
    }
    case "forbidden":
      return view(ctx.role ? `Your role (${ctx.role}) is not allowed to do this.` : "You are not allowed to do this.");
    case "validation_failed":
      return view(
        "Some values were not accepted:",
        (problem.errors ?? []).map((e) => `${FIELD_NAMES[e.path] ?? (e.path || "Request")}: ${e.message}`),
      );
    case "outside_availability":
      return view(
        "The artist is not available at that time.",
        (problem.windows ?? []).slice(0, 3).map((w) => `Available ${formatRange(w.startTime, w.endTime, ctx.tz)}`),
      );
    case "not_found":
      return view("This booking no longer exists, or it is not visible to you.");
    case "unauthenticated":
      return view("Your sign-in has expired or is not valid. Please sign in again.");
    case "precondition_required":
      return view("The change was sent without the booking's version. Please reopen the booking and try again.");
    case "idempotency_in_progress":
      return view("The same request is still being processed. Please try again in a moment.");
    case "payload_too_large":
      return view("That is too much text to save.");
    case "unavailable":
      return view("The booking service is unavailable right now. Please try again in a moment.");
    case "network":
      return view("The server could not be reached. Check your connection and try again.");
    default:
      return view(`Something went wrong${problem.title ? ` (${problem.title})` : ""}. Please try again.`);
  }
}
