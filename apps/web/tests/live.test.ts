// Two bookers on one slot: the colleague sees the first hold appear live, is told in plain words
// that it is outranked (and by what), sees the pencil and the confirmation arrive without a
// reload, and then gets booking_conflict naming the confirmed booking when dragging over it.
import assert from "node:assert/strict";

import {
  actionButton,
  bookingEl,
  dragCreate,
  eventually,
  isAction,
  nextWeek,
  panel,
  panelStatus,
  panelVersion,
  textMatches,
  waitBooking,
  waitGone,
} from "./lib/board.ts";
import { BookingSchema, fetchBooking, ProblemSchema, transition } from "./lib/fixture.ts";
import { browserTest, openAs, useHarness } from "./lib/harness.ts";
import { localTimePattern } from "./lib/time.ts";

const h = useHarness("live");

/** No bare SPEC code as the message: plain words, the code only in data-code. */
function assertPlainWords(text: string, code: string): void {
  assert.ok(text.trim().length > 20, `too short to be plain words: ${JSON.stringify(text)}`);
  assert.ok(!text.includes(code), `the message shows the raw code ${code}: ${JSON.stringify(text)}`);
}

browserTest(h, "a colleague sees a hold live, is outranked, then gets booking_conflict", async () => {
  const a = await openAs(h, "booker");
  const b = await openAs(h, { token: h.f.booker2.token });
  for (const page of [a, b]) await nextWeek(page);

  // A takes Ben Bass, 14:00–15:00 on the fourth day.
  const first = await dragCreate(a, 1, 3, "14:00", "15:00");
  assert.equal(first.status, 201, JSON.stringify(first.body));
  const h1 = BookingSchema.parse(first.body);
  await panelStatus(a, "hold");
  // A extends it (Version 2), which also tells it apart from B's hold below.
  const [extendRes] = await Promise.all([a.waitForResponse(isAction(h1.id, "extend")), actionButton(a, "Extend hold").click()]);
  assert.equal(extendRes.status(), 200, await extendRes.text());
  await panelVersion(a, 2);

  // B sees it appear without a reload.
  await waitBooking(b, h1.id, "hold");

  // B drags the same slot: holds queue, so B's hold is placed behind A's.
  const second = await dragCreate(b, 1, 3, "14:00", "15:00");
  assert.equal(second.status, 201, JSON.stringify(second.body));
  const h2 = BookingSchema.parse(second.body);
  assert.equal(h2.startTime, h1.startTime);
  assert.equal(h2.endTime, h1.endTime);
  await panelStatus(b, "hold");
  await panelVersion(b, 1);

  // B presses Pencil: outranked, in plain words, naming the hold ahead and its expiry.
  const [res] = await Promise.all([b.waitForResponse(isAction(h2.id, "pencil")), actionButton(b, "Pencil").click()]);
  assert.equal(res.status(), 409);
  assert.equal(ProblemSchema.parse(await res.json()).code, "outranked");
  const err = panel(b).getByTestId("action-error");
  await err.waitFor();
  assert.equal(await err.getAttribute("role"), "alert");
  assert.equal(await err.getAttribute("data-code"), "outranked");
  const ahead = await fetchBooking(h.f, h1.id);
  const text = await err.innerText();
  assertPlainWords(text, "outranked");
  assert.match(text, /ahead/i, `the outranked message should say which hold is ahead: ${text}`);
  assert.match(text, localTimePattern(Date.parse(ahead.expiresAt ?? "")), `the outranked message should say when the hold ahead expires (${ahead.expiresAt}): ${text}`);

  // "Show booking ahead" opens A's hold in B's panel: told apart from B's own by its version.
  await panel(b).getByRole("button", { name: "Show booking ahead" }).click();
  await panelStatus(b, "hold");
  await eventually("B's panel shows the hold ahead", async () => {
    const now = await fetchBooking(h.f, h1.id);
    assert.match(await panel(b).getByTestId("booking-version").innerText(), new RegExp(`^Version ${now.version}$`));
  });

  // A pencils; B sees it live.
  await actionButton(a, "Pencil").click();
  await panelStatus(a, "pencil");
  await waitBooking(b, h1.id, "pencil");
  await panelStatus(b, "pencil");

  // A manager confirms (through the API); B sees it live, and B's queued hold is superseded.
  await transition(h.f, h1.id, "confirm", "manager");
  await waitBooking(b, h1.id, "confirmed");
  await panelStatus(b, "confirmed");
  await waitGone(b, h2.id);
  assert.equal((await fetchBooking(h.f, h2.id)).status, "released");

  // B closes the panel and drags over the confirmed booking: booking_conflict in plain words.
  await panel(b).getByRole("button", { name: "Close" }).click();
  await panel(b).waitFor({ state: "hidden" });
  const third = await dragCreate(b, 1, 3, "14:00", "15:00");
  assert.equal(third.status, 409, JSON.stringify(third.body));
  assert.equal(ProblemSchema.parse(third.body).code, "booking_conflict");
  const boardErr = b.getByTestId("board-error");
  await boardErr.waitFor();
  assert.equal(await boardErr.getAttribute("role"), "alert");
  assert.equal(await boardErr.getAttribute("data-code"), "booking_conflict");
  const conflictText = await boardErr.innerText();
  assertPlainWords(conflictText, "booking_conflict");
  assert.match(conflictText, /confirmed/i, `the conflict should name the blocking booking's status: ${conflictText}`);
  assert.match(conflictText, /14:00/, `the conflict should name the blocking booking's time: ${conflictText}`);
  assert.equal(await bookingEl(b, h1.id).count() > 0, true);

  await b.getByRole("button", { name: "Show blocking booking" }).click();
  await panelStatus(b, "confirmed");
  await textMatches(panel(b), /14:00/);
  await panelVersion(b, (await fetchBooking(h.f, h1.id)).version);
});
