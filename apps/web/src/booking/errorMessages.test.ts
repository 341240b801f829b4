// Unit tests: API problems in plain words.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Booking } from "../api/wire";
import { describeError, referencedBookingIds, type ErrorContext } from "./errorMessages";

const booking = (over: Partial<Booking>): Booking => ({
  id: "b1",
  artistId: "a1",
  projectId: null,
  startTime: "2026-11-24T13:00:00Z",
  endTime: "2026-11-24T15:00:00Z",
  status: "hold",
  priority: 0,
  expiresAt: null,
  version: 1,
  title: null,
  notes: null,
  createdBy: "u",
  createdAt: "2026-11-24T09:02:00Z",
  updatedAt: "2026-11-24T09:02:00Z",
  challenge: null,
  statusReason: null,
  ...over,
});

const ctx = (known: Booking[] = [], over: Partial<ErrorContext> = {}): ErrorContext => ({
  tz: "Europe/Berlin",
  nowMs: Date.parse("2026-11-24T09:30:00Z"),
  role: "booker",
  lookup: (id) => known.find((b) => b.id === id),
  ...over,
});

test("booking_conflict names the blocking booking and offers a jump", () => {
  const problem = {
    code: "booking_conflict",
    conflicts: [{ id: "b9", status: "confirmed" as const, startTime: "2026-11-24T13:00:00Z", endTime: "2026-11-24T15:00:00Z" }],
  };
  const v = describeError("booking_conflict", problem, ctx([booking({ id: "b9", title: "Studio day", status: "confirmed" })]));
  assert.equal(v.message, "This time is already taken by “Studio day” (confirmed), Tue 24 Nov, 14:00–16:00.");
  assert.deepEqual(v.jump, { label: "Show blocking booking", bookingId: "b9" });
  const unknown = describeError("booking_conflict", problem, ctx());
  assert.equal(unknown.message, "This time is already taken by a confirmed booking, Tue 24 Nov, 14:00–16:00.");
});

test("outranked says which hold is ahead and when it expires", () => {
  const problem = {
    code: "outranked",
    outrankedBy: [{ id: "b2", priority: 0, createdAt: "2026-11-24T09:02:00Z", expiresAt: "2026-11-24T09:32:00Z" }],
  };
  const v = describeError("outranked", problem, ctx([booking({ id: "b2", title: "Studio day" })]));
  assert.equal(v.message, "Another hold is ahead of yours: “Studio day” (priority 0, placed 10:02) — it expires at 10:32.");
  assert.deepEqual(v.jump, { label: "Show booking ahead", bookingId: "b2" });
  const untitled = describeError("outranked", problem, ctx());
  assert.match(untitled.message, /ahead of yours: an untitled hold .* expires at 10:32/);
  assert.deepEqual(referencedBookingIds(problem), ["b2"]);
});

test("outranked on another day names the day", () => {
  const problem = {
    outrankedBy: [{ id: "b2", priority: 5, createdAt: "2026-11-23T09:02:00Z", expiresAt: null }],
  };
  const v = describeError("outranked", problem, ctx());
  assert.equal(v.message, "Another hold is ahead of yours: an untitled hold (priority 5, placed Mon 23 Nov 10:02).");
});

test("version_mismatch, forbidden, invalid_transition", () => {
  assert.equal(
    describeError("version_mismatch", {}, ctx()).message,
    "Someone changed this booking meanwhile; the panel now shows the latest version.",
  );
  assert.equal(describeError("forbidden", {}, ctx()).message, "Your role (booker) is not allowed to do this.");
  assert.equal(
    describeError("invalid_transition", { currentStatus: "expired" }, ctx()).message,
    "This can no longer be done: the booking is expired now.",
  );
  assert.match(
    describeError("invalid_transition", { currentStatus: "hold" }, ctx([], { action: "challenge" })).message,
    /no pencil under this hold/,
  );
});

test("validation_failed lists every message", () => {
  const v = describeError(
    "validation_failed",
    { errors: [{ path: "/endTime", message: "must be after startTime" }, { path: "/title", message: "too long" }] },
    ctx(),
  );
  assert.equal(v.message, "Some values were not accepted:");
  assert.deepEqual(v.details, ["End: must be after startTime", "Title: too long"]);
});

test("network and unavailable read as plain words; the code is kept", () => {
  const n = describeError("network", {}, ctx());
  assert.equal(n.code, "network");
  assert.match(n.message, /could not be reached/);
  assert.match(describeError("unavailable", {}, ctx()).message, /unavailable right now/);
  assert.match(describeError("something_new", { title: "Teapot" }, ctx()).message, /Something went wrong \(Teapot\)/);
});
