// Unit tests: countdown wording.
import { test } from "node:test";
import assert from "node:assert/strict";
import { countdownText, formatRemaining } from "./countdown";

test("formatRemaining uses M:SS below an hour and H:MM:SS above", () => {
  assert.equal(formatRemaining(0), "0:00");
  assert.equal(formatRemaining(9_999), "0:09");
  assert.equal(formatRemaining(30 * 60_000), "30:00");
  assert.equal(formatRemaining(59 * 60_000 + 59_999), "59:59");
  assert.equal(formatRemaining(3_600_000), "1:00:00");
  assert.equal(formatRemaining(48 * 3_600_000 - 1000), "47:59:59");
});

test("countdownText", () => {
  const now = Date.parse("2026-11-24T10:00:00Z");
  assert.equal(countdownText("2026-11-24T10:29:51Z", now), "Expires in 29:51");
  assert.equal(countdownText("2026-11-26T10:00:00Z", now), "Expires in 48:00:00");
  assert.equal(countdownText("2026-11-24T10:00:00.500Z", now), "Expired");
  assert.equal(countdownText("2026-11-24T09:59:00Z", now), "Expired");
  assert.equal(countdownText(null, now), null);
  assert.equal(countdownText("garbage", now), null);
});
