// Unit tests: when the page sends hold.heartbeat, and the connection indicator's states.
import { test } from "node:test";
import assert from "node:assert/strict";
import { heartbeatDue } from "./heartbeat";
import { CONNECTION_LABEL, stateAfterConnectError, stateAfterDisconnect } from "./state";

const now = 10_000_000;
const base = {
  nowMs: now,
  lastActivityMs: now - 1000,
  lastBeatMs: now - 61_000,
  expiresAtMs: now + 20 * 60_000,
  ownHold: true,
  lowBeatForExpiryMs: null,
};

test("a beat every 60 s while the user is active on their own hold", () => {
  assert.equal(heartbeatDue(base), "regular");
  assert.equal(heartbeatDue({ ...base, lastBeatMs: now - 30_000 }), null);
});

test("no beat for idle users, other people's holds or lapsed holds", () => {
  assert.equal(heartbeatDue({ ...base, lastActivityMs: now - 3 * 60_000 }), null);
  assert.equal(heartbeatDue({ ...base, ownHold: false }), null);
  assert.equal(heartbeatDue({ ...base, expiresAtMs: now - 1 }), null);
});

test("one extra beat when less than five minutes are left", () => {
  const low = { ...base, lastBeatMs: now - 10_000, expiresAtMs: now + 4 * 60_000 };
  assert.equal(heartbeatDue(low), "low");
  assert.equal(heartbeatDue({ ...low, lowBeatForExpiryMs: low.expiresAtMs }), null);
});

test("connection states and their words", () => {
  assert.equal(CONNECTION_LABEL.live, "Live");
  assert.equal(CONNECTION_LABEL.reconnecting, "Reconnecting…");
  assert.equal(stateAfterDisconnect("io client disconnect"), "offline");
  assert.equal(stateAfterDisconnect("transport close"), "reconnecting");
  assert.equal(stateAfterConnectError("unauthenticated", true), "offline");
  assert.equal(stateAfterConnectError("xhr poll error", false), "connecting");
  assert.equal(stateAfterConnectError("xhr poll error", true), "reconnecting");
});
