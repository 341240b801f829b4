// The board's other states and errors: a loading indicator while the first fetch runs, an empty
// state for a tenant without artists, and version_mismatch in plain words with a refreshed panel.
import assert from "node:assert/strict";

import { createTenant, token } from "../../api/tests/e2e/lib/tenant.ts";
import { actionButton, connection, eventually, isAction, nextWeek, openBooking, panel, panelStatus, panelVersion, textMatches } from "./lib/board.ts";
import { bookAt, nextWeekDate, transition } from "./lib/fixture.ts";
import { browserTest, newPage, openAs, useHarness } from "./lib/harness.ts";

const h = useHarness("states");

browserTest(h, "a loading indicator shows while the first fetch runs, then the board", async () => {
  const page = await newPage(h);
  // Hold every API read until the indicator has been seen.
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  await page.route("**/api/v1/**", async (route) => {
    await gate;
    await route.continue();
  });
  await page.goto(`${h.url}/#token=${h.f.ctx.tokens.viewer}`);
  const loading = page.getByTestId("loading");
  await loading.waitFor();
  release();
  await loading.waitFor({ state: "hidden" });
  await page.getByTestId("board").waitFor();
  assert.ok((await page.locator(".ec-header .ec-col-head").count()) > 0, "no artist columns after loading");
});

browserTest(h, "a tenant without artists gets an empty state, not an empty grid", async () => {
  const tenant = await createTenant(`browser empty ${Date.now()}`);
  const jwt = await token({ tenant, user: "viewer@empty", role: "viewer", ttl: "1h" });
  const page = await openAs(h, { token: jwt });
  await textMatches(page.getByTestId("board"), /no artists/i);
  await eventually(
    "the loading indicator goes away once the (empty) board is shown",
    async () => assert.equal(await page.getByTestId("loading").count(), 0, "data-testid=loading is still shown"),
    5_000,
  );
});

browserTest(h, "a change made elsewhere meanwhile: version_mismatch in plain words and the latest version shown", async () => {
  const held = await bookAt(h.f, 0, nextWeekDate(2), "10:00", "12:00");
  const page = await newPage(h);
  // No live connection for this page (its socket cannot reach the server), so it cannot learn
  // of the change below except by the 412.
  await page.route("**/socket.io/**", (route) => route.abort());
  await page.goto(`${h.url}/#token=${h.f.ctx.tokens.booker}`);
  await page.getByTestId("board").waitFor();
  await eventually("the indicator is not Live", async () => assert.notEqual(await connection(page).getAttribute("data-state"), "live"));
  await nextWeek(page);
  await openBooking(page, held.id, "hold");
  await panelVersion(page, 1);

  await transition(h.f, held.id, "extend", "booker");
  const [res] = await Promise.all([page.waitForResponse(isAction(held.id, "pencil")), actionButton(page, "Pencil").click()]);
  assert.equal(res.status(), 412);
  const err = panel(page).getByTestId("action-error");
  await err.waitFor();
  assert.equal(await err.getAttribute("data-code"), "version_mismatch");
  assert.equal(await err.getAttribute("role"), "alert");
  assert.match(await err.innerText(), /Someone changed this booking meanwhile/);
  await panelVersion(page, 2);
  await panelStatus(page, "hold");
});
