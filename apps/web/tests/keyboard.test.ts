// Keyboard use of the desktop board: bookings are reached with Tab, open with Enter or Space,
// show a visible focus, and Escape closes the panel.
import assert from "node:assert/strict";

import { bookingEl, eventually, nextWeek, panel, panelStatus } from "./lib/board.ts";
import { bookAt, nextWeekDate } from "./lib/fixture.ts";
import { browserTest, openAs, useHarness } from "./lib/harness.ts";

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
