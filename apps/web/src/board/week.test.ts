// The typed-in hold range and week helpers (local time: the tests pin TZ to Europe/Berlin).
import assert from "node:assert/strict";
import { test } from "node:test";

process.env.TZ = "Europe/Berlin";
const { holdRangeFromForm, isoDate, weekOf } = await import("./week.ts");

test("a typed range is read in local time", () => {
  const r = holdRangeFromForm("2026-12-02", "10:00", "12:30");
  assert.ok("start" in r);
  assert.equal(r.start.toISOString(), "2026-12-02T09:00:00.000Z");
  assert.equal(r.end.toISOString(), "2026-12-02T11:30:00.000Z");
});

test("an end before the start is the next day; an equal one is refused", () => {
  const night = holdRangeFromForm("2026-12-31", "22:00", "02:00");
  assert.ok("start" in night);
  assert.equal(night.end.toISOString(), "2027-01-01T01:00:00.000Z");
  assert.deepEqual(holdRangeFromForm("2026-12-02", "10:00", "10:00"), {
    error: "The end time must differ from the start time.",
  });
  assert.deepEqual(holdRangeFromForm("", "10:00", "11:00"), { error: "Choose a date." });
  assert.deepEqual(holdRangeFromForm("2026-12-02", "", "11:00"), { error: "Choose a start and an end time." });
});

test("a range across the spring-forward change keeps real durations", () => {
  const r = holdRangeFromForm("2027-03-28", "01:00", "04:00");
  assert.ok("start" in r);
  assert.equal(r.end.getTime() - r.start.getTime(), 2 * 3600_000);
});

test("isoDate and weekOf use the local calendar", () => {
  assert.equal(isoDate(new Date(2026, 0, 5)), "2026-01-05");
  const w = weekOf(new Date(2026, 10, 26, 15));
  assert.equal(isoDate(w.start), "2026-11-23");
  assert.equal(isoDate(w.end), "2026-11-30");
});
