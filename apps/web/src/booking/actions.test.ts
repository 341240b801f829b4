// Unit tests: the actions each role may take in each status (the UI contract's table).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ACTION_LABEL, allowedActions, canEditBookings } from "./actions";

const labels = (role: Parameters<typeof allowedActions>[0], status: Parameters<typeof allowedActions>[1]): string[] =>
  allowedActions(role, status).map((a) => ACTION_LABEL[a]);

test("booker on a hold: pencil, release, extend, challenge (no confirm)", () => {
  assert.deepEqual(labels("booker", "hold"), ["Pencil", "Release", "Extend hold", "Challenge"]);
});

test("manager and admin on a hold also confirm", () => {
  for (const role of ["manager", "admin"] as const) {
    assert.deepEqual(labels(role, "hold"), ["Pencil", "Confirm", "Release", "Extend hold", "Challenge"]);
  }
});

test("pencil: confirm for managers, release for bookers", () => {
  assert.deepEqual(labels("booker", "pencil"), ["Release"]);
  assert.deepEqual(labels("manager", "pencil"), ["Confirm", "Release"]);
});

test("confirmed: only managers cancel", () => {
  assert.deepEqual(labels("booker", "confirmed"), []);
  assert.deepEqual(labels("manager", "confirmed"), ["Cancel booking"]);
});

test("terminal statuses allow nothing", () => {
  for (const status of ["released", "expired", "cancelled"] as const) {
    assert.deepEqual(labels("admin", status), []);
  }
});

test("viewer and artist see no actions", () => {
  for (const role of ["viewer", "artist"] as const) {
    assert.equal(canEditBookings(role), false);
    for (const status of ["hold", "pencil", "confirmed"] as const) assert.deepEqual(labels(role, status), []);
  }
  assert.equal(canEditBookings("booker"), true);
});
