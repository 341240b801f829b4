// Keyboard use of the board: bookings are reached with Tab, open with Enter or Space, show a
// visible focus, Escape closes the panel, and the New hold form places a hold without a mouse.
import assert from "node:assert/strict";

import { bookingEl, eventually, nextWeek, panel, panelStatus, textMatches } from "./lib/board.ts";
import { ARTIST_NAMES, bookAt, bookingsOn, nextWeekDate } from "./lib/fixture.ts";
import { browserTest, closePage, DESKTOP, openAs, PHONE, useHarness } from "./lib/harness.ts";
import { iso, zoned } from "./lib/time.ts";

const h = useHarness("keyboard");

browserTest(h, "a booking is reached by Tab, opened by Enter or Space, and Escape closes the panel", async () => {
  const held = await bookAt(h.f, 1, nextWeekDate(0), "10:00", "12:00", { title: "Keyboard session" });
  const page = await openAs(h, "booker");
  await nextWeek(page);
  const el = bookingEl(page, held.id, "hold").first();
  await el.waitFor();
  assert.equal(await el.getAttribute("tabindex"), "0", "a booking is focusable");
  assert.match(await el.innerText(), /Keyboard session/);

  // Tab from the top of the page until the booking has focus.
  await page.locator("body").focus();
  await eventually(
    "Tab reaches the booking",
    async () => {
      await page.keyboard.press("Tab");
      assert.ok(await el.evaluate((node) => node === document.activeElement || node.contains(document.activeElement)));
    },
    30_000,
  );
  const outline = await page.evaluate(() => {
    const a = document.activeElement as HTMLElement;
    const cs = getComputedStyle(a);
    return { style: cs.outlineStyle, width: cs.outlineWidth, shadow: cs.boxShadow, focusVisible: a.matches(":focus-visible") };
  });
  assert.ok(outline.focusVisible, "keyboard focus should match :focus-visible");
  assert.ok(outline.style !== "none" || outline.shadow !== "none", `no visible focus: ${JSON.stringify(outline)}`);

  await page.keyboard.press("Enter");
  await panelStatus(page, "hold");
  await page.keyboard.press("Escape");
  await panel(page).waitFor({ state: "hidden" });

  await el.focus();
  await page.keyboard.press(" ");
  await panelStatus(page, "hold");
  await panel(page).getByRole("button", { name: "Close" }).press("Enter");
  await panel(page).waitFor({ state: "hidden" });
});

browserTest(h, "a hold is placed without a mouse: the New hold form, by keyboard, on desktop and on the phone", async () => {
  for (const [viewport, artist, day] of [
    [DESKTOP, 0, 2],
    [PHONE, 2, 3],
  ] as const) {
    const page = await openAs(h, "booker", { viewport });
    const date = nextWeekDate(day);
    const opener = page.getByRole("button", { name: "New hold…" });
    await opener.focus();
    await page.keyboard.press("Enter");
    const form = page.getByTestId("new-hold-form");
    await form.waitFor();
    await form.getByLabel("Artist").selectOption({ label: ARTIST_NAMES[artist] });
    await form.getByLabel("Date").fill(date);
    await form.getByLabel("From").fill("13:00");
    await form.getByLabel("To").fill("14:30");
    await form.getByRole("button", { name: "Place hold" }).press("Enter");

    // The panel opens on the new hold, the form closes, and the board jumps to its week.
    await panelStatus(page, "hold");
    await form.waitFor({ state: "hidden" });
    const placed = await eventually("the hold exists", async () => {
      const found = (await bookingsOn(h.f, artist, date)).filter((b) => b.status === "hold");
      assert.equal(found.length, 1, JSON.stringify(found));
      return found[0];
    });
    assert.equal(placed.startTime, iso(zoned(date, "13:00")));
    assert.equal(placed.endTime, iso(zoned(date, "14:30")));
    await bookingEl(page, placed.id, "hold").first().waitFor();

    // A typing mistake is explained next to the form, and nothing is sent.
    await opener.click();
    await form.getByLabel("From").fill("09:00");
    await form.getByLabel("To").fill("09:00");
    await form.getByRole("button", { name: "Place hold" }).click();
    await textMatches(form.getByRole("alert"), /end time must differ/);
    await form.getByRole("button", { name: "Cancel" }).click();
    await form.waitFor({ state: "hidden" });
    await closePage(page);
  }
});
