// Losing the connection: the indicator leaves `Live` while the browser is offline, comes back to
// `Live` when it is online again, and a change made meanwhile is on the board (refetch on reconnect).
import assert from "node:assert/strict";

import { connection, eventually, nextWeek, waitBooking, waitLive } from "./lib/board.ts";
import { bookAt, nextWeekDate } from "./lib/fixture.ts";
import { browserTest, openAs, useHarness } from "./lib/harness.ts";

// A short Engine.IO ping interval so a dead connection is noticed within seconds.
const h = useHarness("reconnect", { serverArgs: ["--ping-interval-ms", "1000"] });

browserTest(h, "offline then online: the indicator reconnects and the board catches up", async () => {
  const page = await openAs(h, "viewer");
  await nextWeek(page);
  const before = await bookAt(h.f, 0, nextWeekDate(0), "10:00", "11:00");
  await waitBooking(page, before.id, "hold");

  await page.context().setOffline(true);
  await eventually(
    "the indicator leaves Live",
    async () => {
      const state = await connection(page).getAttribute("data-state");
      const text = (await connection(page).innerText()).trim();
      assert.ok(
        (state === "reconnecting" && text === "Reconnecting…") || (state === "offline" && text === "Offline"),
        `indicator ${state} / ${text}`,
      );
    },
    20_000,
  );
  // Made while the page cannot hear about it.
  const missed = await bookAt(h.f, 1, nextWeekDate(1), "14:00", "16:00", { status: "pencil" });

  await page.context().setOffline(false);
  await waitLive(page, 30_000);
  await waitBooking(page, missed.id, "pencil", 15_000);
  await waitBooking(page, before.id, "hold");
});
