// Expiry: the countdown of a hold is visible and ticking; when the server's test clock passes the
// hold's expiresAt the sweeper writes booking.expired and the board drops the hold live (it
// stays reachable with "Show ended bookings").
import assert from "node:assert/strict";

import { bookingEl, dragCreate, nextWeek, openBooking, panel, panelStatus, textMatches, waitBooking, waitGone } from "./lib/board.ts";
import { advanceClock, bookAt, BookingSchema, fetchBooking, nextWeekDate } from "./lib/fixture.ts";
import { browserTest, openAs, useHarness } from "./lib/harness.ts";

const h = useHarness("expiry");

browserTest(h, "a hold's countdown runs and the board drops the hold live when it expires", async () => {
  const page = await openAs(h, "booker");
  const other = await openAs(h, "viewer");
  for (const p of [page, other]) await nextWeek(p);
  const made = await dragCreate(page, 0, 4, "09:00", "10:00");
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const held = BookingSchema.parse(made.body);
  await panelStatus(page, "hold");
  await textMatches(panel(page).getByTestId("countdown"), /^Expires in (30:00|29:[0-5]\d)$/);
  // A pencil of a colleague (made through the API) shows its ~48 h countdown in H:MM:SS.
  const pencil = await bookAt(h.f, 1, nextWeekDate(2), "12:00", "13:00", { status: "pencil" });
  await openBooking(other, pencil.id, "pencil");
  await textMatches(panel(other).getByTestId("countdown"), /^Expires in (48:00:00|47:[0-5]\d:[0-5]\d)$/);
  await panel(other).getByRole("button", { name: "Close" }).click();
  await waitBooking(other, held.id, "hold");

  // The user walks away (panel closed, so no heartbeat keeps the hold), and 31 minutes pass.
  await panel(page).getByRole("button", { name: "Close" }).click();
  await panel(page).waitFor({ state: "hidden" });
  const t0 = Date.now();
  await advanceClock(h.f, 31 * 60);
  for (const p of [page, other]) await waitGone(p, held.id, 15_000);
  const tookMs = Date.now() - t0;
  assert.equal((await fetchBooking(h.f, held.id)).status, "expired");
  assert.ok(tookMs < 15_000, `expiry reached the board after ${tookMs} ms`);
  // The pencil is not due yet and stays.
  await waitBooking(other, pencil.id, "pencil");

  // "Show ended bookings" brings it back as expired; its panel has no countdown and no actions.
  await page.getByLabel("Show ended bookings").check();
  await waitBooking(page, held.id, "expired");
  await openBooking(page, held.id, "expired");
  await panelStatus(page, "expired");
  assert.equal(await panel(page).getByTestId("countdown").count(), 0, "an expired hold has no countdown");
  assert.equal(await panel(page).getByRole("button", { name: "Pencil", exact: true }).count(), 0);
  await page.getByLabel("Show ended bookings").uncheck();
  await waitGone(page, held.id);
  assert.equal(await bookingEl(page, held.id).count(), 0);
});
