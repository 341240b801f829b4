// Unit tests: the board's booking state under fetches and live events.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Booking } from "../api/wire";
import { bookingsReducer, type BookingMap } from "./bookings";

const b = (id: string, version: number, over: Partial<Booking> = {}): Booking => ({
  id,
  artistId: "a1",
  projectId: null,
  startTime: "2026-11-24T13:00:00Z",
  endTime: "2026-11-24T15:00:00Z",
  status: "hold",
  priority: 0,
  expiresAt: "2026-11-24T13:30:00Z",
  version,
  title: null,
  notes: null,
  createdBy: "u",
  createdAt: "2026-11-24T09:00:00Z",
  updatedAt: `2026-11-24T09:0${version}:00Z`,
  challenge: null,
  statusReason: null,
  ...over,
});

const empty: BookingMap = new Map();

test("an event with a newer version replaces the booking; an older one is ignored", () => {
  let s = bookingsReducer(empty, { type: "upsert", booking: b("x", 1) });
  s = bookingsReducer(s, { type: "upsert", booking: b("x", 2, { status: "pencil" }) });
  assert.equal(s.get("x")?.status, "pencil");
  const same = bookingsReducer(s, { type: "upsert", booking: b("x", 1) });
  assert.equal(same, s, "a replayed older event leaves the state untouched");
});

test("a lazily shown expiry (same version, new status) is taken", () => {
  const s = bookingsReducer(empty, { type: "upsert", booking: b("x", 1) });
  const s2 = bookingsReducer(s, { type: "upsert", booking: b("x", 1, { status: "expired" }) });
  assert.equal(s2.get("x")?.status, "expired");
});

test("a fetch replaces the map but keeps newer versions and bookings that arrived live meanwhile", () => {
  let s = bookingsReducer(empty, { type: "upsert", booking: b("x", 3) });
  s = bookingsReducer(s, { type: "upsert", booking: b("live", 1) });
  s = bookingsReducer(s, { type: "upsert", booking: b("gone", 1) });
  const next = bookingsReducer(s, { type: "loaded", bookings: [b("x", 2), b("y", 1)], keepIds: new Set(["live"]) });
  assert.deepEqual([...next.keys()].sort(), ["live", "x", "y"]);
  assert.equal(next.get("x")?.version, 3);
});

test("reset empties the board", () => {
  const s = bookingsReducer(empty, { type: "upsert", booking: b("x", 1) });
  assert.equal(bookingsReducer(s, { type: "reset" }).size, 0);
});

test("weekOf starts on Monday", async () => {
  const { weekOf } = await import("./week");
  const w = weekOf(new Date(2026, 10, 29, 15)); // Sunday 29 Nov 2026
  assert.equal(w.start.getDate(), 23);
  assert.equal(w.start.getDay(), 1);
  assert.equal(w.end.getDate(), 30);
});
