// Read-only roles: viewer and artist see bookings but no action buttons, a read-only note instead,
// and dragging on free time creates nothing.
import assert from "node:assert/strict";

import { dragSelect, nextWeek, openBooking, panel, panelStatus, textMatches, visibleActions } from "./lib/board.ts";
import { bookAt, bookingsOn, nextWeekDate } from "./lib/fixture.ts";
import { browserTest, openAs, useHarness } from "./lib/harness.ts";

const h = useHarness("roles");

for (const role of ["viewer", "artist"] as const) {
  browserTest(h, `role ${role} sees no actions and cannot place a hold`, async () => {
    const date = nextWeekDate(role === "viewer" ? 0 : 1);
    const held = await bookAt(h.f, 0, date, "11:00", "12:00");
    const page = await openAs(h, role);
    await textMatches(page.getByTestId("whoami"), new RegExp(`·\\s*${role}$`));
    await nextWeek(page);
    await openBooking(page, held.id, "hold");
    await panelStatus(page, "hold");
    await panel(page).getByTestId("readonly-note").waitFor();
    assert.deepEqual(await visibleActions(page), [], "a read-only role sees no action buttons");
    await panel(page).getByRole("button", { name: "Close" }).click();
    await panel(page).waitFor({ state: "hidden" });

    // A drag on free time: no POST goes out (waiting a while is the only way to see "nothing").
    const before = await bookingsOn(h.f, 1, date);
    const day = await page.evaluate(
      (d) => [...document.querySelectorAll(".ec-header .ec-col-group time[datetime]")].findIndex((t) => t.getAttribute("datetime")?.startsWith(d)),
      date,
    );
    assert.ok(day >= 0, `the week shows ${date}`);
    const posted = page.waitForRequest((r) => r.method() === "POST" && /\/api\/v1\/bookings$/.test(new URL(r.url()).pathname), { timeout: 2_000 }).then(
      () => true,
      () => false,
    );
    await dragSelect(page, 1, day, "15:00", "16:30");
    assert.equal(await posted, false, `a ${role} drag sent POST /bookings`);
    assert.equal((await bookingsOn(h.f, 1, date)).length, before.length);
  });
}
