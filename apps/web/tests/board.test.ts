// The board as people see it: a week of several artists with bookings of every status and shaded
// unavailable time, at 1280x800 (resource time grid) and 390x844 (list view, keyboard actions);
// saves board-desktop.png and board-phone.png under apps/web/test-results/.
import assert from "node:assert/strict";

import type { Page } from "playwright-core";

import {
  actionButton,
  bookingEl,
  eventually,
  nextWeek,
  panel,
  panelStatus,
  panelVersion,
  waitActions,
  waitBooking,
  type Status,
} from "./lib/board.ts";
import { ARTIST_NAMES, bookAt, fetchBooking, nextWeekDate, transition, type Booking } from "./lib/fixture.ts";
import { browserTest, openAs, PHONE, resultPath, useHarness } from "./lib/harness.ts";

const h = useHarness("board");

/** One booking of every status on next week's board, spread over the artists. */
async function populate(): Promise<Record<Status, Booking>> {
  const d = (n: number) => nextWeekDate(n);
  const hold = await bookAt(h.f, 0, d(0), "10:00", "12:00", { title: "Demo recording" });
  const pencil = await bookAt(h.f, 1, d(1), "13:00", "16:00", { title: "Festival rehearsal", status: "pencil" });
  const confirmed = await bookAt(h.f, 2, d(2), "09:00", "12:00", { title: "Studio day", status: "confirmed" });
  await bookAt(h.f, 0, d(3), "14:00", "17:00", { title: "Press shoot", status: "confirmed" });
  await bookAt(h.f, 2, d(0), "15:00", "17:30");
  const released = await bookAt(h.f, 1, d(3), "10:00", "11:00", { title: "Dropped idea" });
  await transition(h.f, released.id, "release", "booker");
  const cancelled = await bookAt(h.f, 0, d(4), "10:00", "12:00", { title: "Called off", status: "confirmed" });
  await transition(h.f, cancelled.id, "cancel", "manager");
  // `expired` needs the clock to pass a hold's expiry; that is expiry.test.ts's business.
  return {
    hold,
    pencil,
    confirmed,
    released: await fetchBooking(h.f, released.id),
    cancelled: await fetchBooking(h.f, cancelled.id),
  } as Record<Status, Booking>;
}

let made: Record<Status, Booking> | undefined;
async function bookings(): Promise<Record<Status, Booking>> {
  made ??= await populate();
  return made;
}

/** Scrolls the calendar body so the working day (from 08:00) is in view. */
async function scrollToMorning(page: Page): Promise<void> {
  await page.evaluate(() => {
    const main = document.querySelector('[data-testid="board"] .ec-main');
    const label = [...document.querySelectorAll(".ec-body .ec-sidebar .ec-slot time")].find((t) => /T08:00/.test(t.getAttribute("datetime") ?? ""));
    if (main && label) main.scrollTop += label.getBoundingClientRect().top - main.getBoundingClientRect().top - 90;
  });
}

browserTest(h, "desktop: a week of artists with bookings coloured by status and shaded unavailability", async () => {
  const b = await bookings();
  const page = await openAs(h, "booker");
  await nextWeek(page);
  for (const s of ["hold", "pencil", "confirmed"] as const) await waitBooking(page, b[s].id, s);
  // Ended bookings are hidden by default and shown on request.
  for (const s of ["released", "cancelled"] as const) assert.equal(await bookingEl(page, b[s].id).count(), 0, `${s} shown by default`);
  const heads = (await page.locator(".ec-header .ec-col-head").allTextContents()).map((t) => t.replace(/\s+/g, " ").trim());
  for (const name of ARTIST_NAMES) assert.ok(heads.some((t) => t.includes(name)), `no column for ${name}: ${heads.slice(0, 6)}`);
  // Statuses are told apart by colour.
  const colours = new Set<string>();
  for (const s of ["hold", "pencil", "confirmed"] as const) {
    colours.add(await bookingEl(page, b[s].id).first().evaluate((el) => getComputedStyle(el).backgroundColor));
  }
  assert.equal(colours.size, 3, `hold, pencil and confirmed share colours: ${[...colours]}`);
  // Cleo Keys is unavailable at night: background events in her columns.
  assert.ok((await page.locator(".ec-body .ec-bg-event, .ec-body .ec-event.ec-bg-event").count()) > 0, "no shaded unavailable time");
  await page.getByTestId("legend").waitFor();
  await scrollToMorning(page);
  await page.screenshot({ path: resultPath("board-desktop.png") });

  await page.getByLabel("Show ended bookings").check();
  for (const s of ["released", "cancelled"] as const) await waitBooking(page, b[s].id, s);
  await page.screenshot({ path: resultPath("board-desktop-ended.png") });
});

browserTest(h, "phone: the list view shows the week's bookings and the panel works by keyboard", async () => {
  const b = await bookings();
  const page = await openAs(h, "booker", { viewport: PHONE });
  await nextWeek(page);
  await page.locator('[data-testid="board"] .ec-list').waitFor();
  for (const s of ["hold", "pencil", "confirmed"] as const) {
    const el = await waitBooking(page, b[s].id, s);
    const artist = h.f.artists.find((a) => a.id === b[s].artistId)?.name ?? "?";
    assert.match(await el.innerText(), new RegExp(artist), `the list entry of the ${s} names ${artist}`);
  }
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px at 390px`);
  await page.screenshot({ path: resultPath("board-phone.png"), fullPage: true });

  // Keyboard only: focus the hold, Enter opens it, Tab to Pencil, Enter pencils it.
  const hold = bookingEl(page, b.hold.id, "hold").first();
  await hold.focus();
  await page.keyboard.press("Enter");
  await panelStatus(page, "hold");
  const box = await panel(page).boundingBox();
  assert.ok(box && box.x >= -1 && box.x + box.width <= PHONE.width + 1, `the panel does not fit the phone: ${JSON.stringify(box)}`);
  await waitActions(page, ["Pencil", "Release", "Extend hold", "Challenge"]);
  const pencil = actionButton(page, "Pencil");
  await eventually(
    "Tab reaches the Pencil button",
    async () => {
      await page.keyboard.press("Tab");
      assert.ok(await pencil.evaluate((el) => el === document.activeElement));
    },
    20_000,
  );
  const outline = await pencil.evaluate((el) => getComputedStyle(el).outlineStyle + " " + getComputedStyle(el).outlineWidth);
  assert.ok(!/^none/.test(outline), `no visible focus on the focused button (outline ${outline})`);
  await page.keyboard.press("Enter");
  await panelStatus(page, "pencil");
  await panelVersion(page, 2);
  assert.equal((await fetchBooking(h.f, b.hold.id)).status, "pencil");
  await page.screenshot({ path: resultPath("board-phone-panel.png") });
});
