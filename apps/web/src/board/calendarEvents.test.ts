// Unit tests: bookings and schedules as calendar events.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Booking } from "../api/wire";
import { bookingEvents, bookingTitle, readBookingProps, unavailableEvents } from "./calendarEvents";

const b = (id: string, status: Booking["status"], title: string | null = null): Booking => ({
  id,
  artistId: "a1",
  projectId: null,
  startTime: "2026-11-24T13:00:00Z",
  endTime: "2026-11-24T15:00:00Z",
  status,
  priority: 0,
  expiresAt: null,
  version: 1,
  title,
  notes: null,
  createdBy: "u",
  createdAt: "2026-11-24T09:00:00Z",
  updatedAt: "2026-11-24T09:00:00Z",
  challenge: null,
  statusReason: null,
});

const opts = { showEnded: false, listView: false, artistName: () => "Mara Lindqvist" };

test("titles fall back to the status word", () => {
  assert.equal(bookingTitle(b("1", "hold")), "Hold");
  assert.equal(bookingTitle(b("1", "pencil", "  ")), "Pencil");
  assert.equal(bookingTitle(b("1", "confirmed", "Studio day")), "Studio day");
});

test("ended bookings are hidden unless asked for", () => {
  const all = [b("1", "hold"), b("2", "expired"), b("3", "released"), b("4", "cancelled"), b("5", "confirmed")];
  assert.deepEqual(
    bookingEvents(all, opts).map((e) => readBookingProps(e.extendedProps ?? {})?.bookingId),
    ["1", "5"],
  );
  assert.equal(bookingEvents(all, { ...opts, showEnded: true }).length, 5);
});

test("an event carries its booking id, status, class and artist resource", () => {
  const [e] = bookingEvents([b("1", "pencil", "Rehearsal")], opts);
  assert.ok(e);
  assert.deepEqual(e.resourceIds, ["a1"]);
  assert.equal(e.title, "Rehearsal");
  assert.ok(Array.isArray(e.classNames) && e.classNames.includes("pt-status-pencil"));
  assert.deepEqual(readBookingProps(e.extendedProps ?? {}), {
    kind: "booking",
    bookingId: "1",
    status: "pencil",
    label: "Pencil",
  });
});

test("the list view adds the artist's name to the title", () => {
  const [e] = bookingEvents([b("1", "hold")], { ...opts, listView: true });
  assert.equal(e?.title, "Hold · Mara Lindqvist");
});

test("only unavailable segments become background events", () => {
  const segs = [
    { startTime: "2026-11-24T00:00:00Z", endTime: "2026-11-24T08:00:00Z", state: "unavailable" as const, bookingIds: [] },
    { startTime: "2026-11-24T08:00:00Z", endTime: "2026-11-24T17:00:00Z", state: "available" as const, bookingIds: [] },
  ];
  const evs = unavailableEvents("a1", segs);
  assert.equal(evs.length, 1);
  assert.equal(evs[0]?.display, "background");
  assert.equal(readBookingProps(evs[0]?.extendedProps ?? {}), null);
});
