// Activity keeps a hold alive: with a 4-minute hold TTL (under the 5-minute mark), a booker who
// just placed a hold and has it open sends `hold.heartbeat` over the page's one socket.io
// connection, and the server records the extension.
import assert from "node:assert/strict";

import { api } from "../../api/tests/e2e/lib/bookings.ts";
import { eventTypes } from "../../api/tests/e2e/lib/bookings.ts";
import { dragCreate, eventually, nextWeek, panelStatus } from "./lib/board.ts";
import { BookingSchema } from "./lib/fixture.ts";
import { browserTest, newPage, useHarness } from "./lib/harness.ts";
import { waitLive } from "./lib/board.ts";

const h = useHarness("heartbeat");

browserTest(h, "an active user's open hold is kept alive by hold.heartbeat", async () => {
  const res = await api(h.f.ctx, "PATCH", "/tenant", { role: "admin", body: { holdTtlMinutes: 4 } });
  assert.equal(res.status, 200, res.text);

  const page = await newPage(h);
  const sockets: string[] = [];
  const beats: string[] = [];
  page.on("websocket", (ws) => {
    sockets.push(ws.url());
    ws.on("framesent", (frame) => {
      if (typeof frame.payload === "string" && frame.payload.includes("hold.heartbeat")) beats.push(frame.payload);
    });
  });
  page.on("request", (r) => {
    const body = r.postData();
    if (r.url().includes("/socket.io/") && body?.includes("hold.heartbeat")) beats.push(body);
  });
  await page.goto(`${h.url}/#token=${h.f.ctx.tokens.booker}`);
  await page.getByTestId("board").waitFor();
  await waitLive(page);
  await nextWeek(page);
  const made = await dragCreate(page, 1, 1, "16:00", "17:00");
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const held = BookingSchema.parse(made.body);
  await panelStatus(page, "hold");

  await eventually("a hold.heartbeat for the open hold", async () => assert.ok(beats.some((b) => b.includes(held.id)), `beats: ${beats}`), 15_000);
  await eventually("the server extended the hold", async () => assert.ok((await eventTypes(h.f.ctx, held.id)).includes("booking.extended")));
  assert.equal(new Set(sockets.map((u) => new URL(u).pathname)).size <= 1 && sockets.length <= 1, true, `one socket per page, saw ${sockets}`);
});
