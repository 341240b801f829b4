// The workflow at the heart of the board: drag on free time places a hold (checked through the
// API), then the booker pencils it and a manager confirms it, each step live in the panel.
import assert from "node:assert/strict";

import {
  actionButton,
  dragCreate,
  isAction,
  nextWeek,
  openBooking,
  panel,
  panelStatus,
  panelVersion,
  textMatches,
  waitActions,
  waitBooking,
} from "./lib/board.ts";
import { bookAt, BookingSchema, fetchBooking, nextWeekDate } from "./lib/fixture.ts";
import { browserTest, openAs, useHarness } from "./lib/harness.ts";
import { iso, zoned } from "./lib/time.ts";

const h = useHarness("hold");

browserTest(h, "dragging on free time places a hold and opens it in the panel", async () => {
  const page = await openAs(h, "booker");
  await nextWeek(page);
  const made = await dragCreate(page, 0, 2, "10:00", "11:30");
  assert.equal(made.status, 201, `POST /bookings answered ${made.status}: ${JSON.stringify(made.body)}`);
  const created = BookingSchema.parse(made.body);
  assert.equal(made.artist, h.f.artists[0].name, "the first column is the first artist by name");

  await waitBooking(page, created.id, "hold");
  await panelStatus(page, "hold");
  await panelVersion(page, 1);
  const first = await textMatches(panel(page).getByTestId("countdown"), /^Expires in (30:00|29:[0-5]\d)$/);
  assert.equal(await panel(page).getByTestId("countdown").getAttribute("role"), "timer");
  // The countdown ticks every second.
  await textMatches(panel(page).getByTestId("countdown"), new RegExp(`^Expires in (?!${first.slice(11)}$)\\d+:\\d\\d$`), 5_000);
  const panelText = await panel(page).innerText();
  assert.match(panelText, new RegExp(h.f.artists[0].name), "the panel names the artist");
  assert.match(panelText, /10:00/, "the panel shows the start");
  assert.match(panelText, /11:30/, "the panel shows the end");
  await waitActions(page, ["Pencil", "Release", "Extend hold", "Challenge"]);

  const stored = await fetchBooking(h.f, created.id);
  assert.equal(stored.status, "hold");
  assert.equal(stored.artistId, h.f.artists[0].id);
  assert.equal(stored.startTime, iso(zoned(made.date, "10:00")));
  assert.equal(stored.endTime, iso(zoned(made.date, "11:30")));
  assert.equal(stored.createdBy, h.f.ctx.subs.booker);
});

browserTest(h, "a booker pencils a hold and a manager confirms it", async () => {
  const date = nextWeekDate(1);
  const held = await bookAt(h.f, 1, date, "13:00", "15:00", { title: "Album session" });
  const booker = await openAs(h, "booker");
  const manager = await openAs(h, "manager");
  for (const page of [booker, manager]) await nextWeek(page);

  await openBooking(booker, held.id, "hold");
  await panelStatus(booker, "hold");
  await panelVersion(booker, 1);
  await waitActions(booker, ["Pencil", "Release", "Extend hold", "Challenge"]);
  const [pencilRes] = await Promise.all([booker.waitForResponse(isAction(held.id, "pencil")), actionButton(booker, "Pencil").click()]);
  assert.equal(pencilRes.request().headers()["if-match"], '"1"', "the pencil carries If-Match of the shown version");
  assert.equal(pencilRes.status(), 200, `pencil answered ${pencilRes.status()}: ${await pencilRes.text()}`);
  await panelStatus(booker, "pencil");
  await panelVersion(booker, 2);
  await textMatches(booker.getByTestId("countdown"), /^Expires in (48:00:00|47:[0-5]\d:[0-5]\d)$/);
  await waitActions(booker, ["Release"]);
  await waitBooking(booker, held.id, "pencil");

  // The manager's board got the pencil live; the manager confirms it.
  await openBooking(manager, held.id, "pencil");
  await panelVersion(manager, 2);
  await waitActions(manager, ["Confirm", "Release"]);
  const [confirmRes] = await Promise.all([manager.waitForResponse(isAction(held.id, "confirm")), actionButton(manager, "Confirm").click()]);
  assert.equal(confirmRes.request().headers()["if-match"], '"2"');
  assert.equal(confirmRes.status(), 200, `confirm answered ${confirmRes.status()}: ${await confirmRes.text()}`);
  await panelStatus(manager, "confirmed");
  await panelVersion(manager, 3);
  await waitActions(manager, ["Cancel booking"]);
  assert.equal(await manager.getByTestId("countdown").count(), 0, "a confirmed booking has no countdown");

  // The booker's open panel follows live.
  await panelStatus(booker, "confirmed");
  await panelVersion(booker, 3);
  await waitActions(booker, []);
  await waitBooking(booker, held.id, "confirmed");
  assert.equal((await fetchBooking(h.f, held.id)).status, "confirmed");
});
