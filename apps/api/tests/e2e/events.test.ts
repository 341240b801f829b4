// The event log over HTTP (SPEC §6, §10 "Shapes"): GET /events?afterSeq&limit -> {data,
// nextAfterSeq} in seq order per tenant; GET /bookings/{id}/events oldest first with
// {data, nextCursor}; the event object and its `booking`, `previous`, `reason`, `actor`.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { assertProblem, errorPaths } from "./lib/http.ts";
import { startServer, type ServerHandle } from "./lib/server.ts";
import {
  api,
  assertEvent,
  confirmed,
  events,
  get,
  hold,
  must,
  newArtist,
  newCtx,
  pencil,
  type Ctx,
} from "./lib/bookings.ts";

let server: ServerHandle;

before(async () => {
  server = await startServer({ args: ["--test-clock"] });
});

after(async () => {
  await server?.stop();
});

async function feed(c: Ctx, query = ""): Promise<{ data: any[]; nextAfterSeq: number }> {
  const res = await api(c, "GET", `/events${query}`, { role: "viewer" });
  assert.equal(res.status, 200, `GET /events${query}: ${res.text}`);
  assert.deepEqual(Object.keys(res.json).sort(), ["data", "nextAfterSeq"]);
  assert.ok(Number.isSafeInteger(res.json.nextAfterSeq), `nextAfterSeq is a number: ${res.text.slice(0, 200)}`);
  for (const e of res.json.data) assertEvent(e);
  return res.json;
}

/** Every event of the tenant after `afterSeq`, following nextAfterSeq. */
async function feedAll(c: Ctx, afterSeq = 0, limit = 500): Promise<any[]> {
  const out: any[] = [];
  let seq = afterSeq;
  for (let i = 0; i < 1000; i++) {
    const page = await feed(c, `?afterSeq=${seq}&limit=${limit}`);
    if (page.data.length === 0) {
      assert.equal(page.nextAfterSeq, seq, "nothing new: nextAfterSeq is the given afterSeq");
      return out;
    }
    assert.equal(page.nextAfterSeq, page.data.at(-1).seq, "nextAfterSeq is the last returned seq");
    out.push(...page.data);
    seq = page.nextAfterSeq;
  }
  assert.fail("too many pages");
}

describe("GET /events", () => {
  let ctx: Ctx;
  let a: string;
  const made: string[] = [];

  before(async () => {
    ctx = await newCtx(server.url, "events");
    a = await newArtist(ctx);
    // 1: held, 2: pencilled, 3: held, 4: released, 5: confirmed, 6: cancelled
    made.push((await hold(ctx, a, 0, 1)).id);
    await must(ctx, made[0], "pencil");
    made.push((await hold(ctx, a, 2, 3)).id);
    await must(ctx, made[1], "release", { body: { reason: "no longer needed" } });
    made.push((await confirmed(ctx, a, 4, 5)).id);
    await must(ctx, made[2], "cancel", { body: { reason: "client cancelled" } });
  });

  test("a fresh tenant's feed is empty with nextAfterSeq = afterSeq (0 by default)", async () => {
    const fresh = await newCtx(server.url, "events-empty");
    const page = await feed(fresh);
    assert.deepEqual(page.data, []);
    assert.equal(page.nextAfterSeq, 0);
    assert.deepEqual(await feed(fresh, "?afterSeq=12345"), { data: [], nextAfterSeq: 12345 });
  });

  test("the tenant's events in seq order with the SPEC's members", async () => {
    const all = await feedAll(ctx);
    assert.deepEqual(all.map((e) => e.type), [
      "booking.held",
      "booking.pencilled",
      "booking.held",
      "booking.released",
      "booking.confirmed",
      "booking.cancelled",
    ]);
    for (let i = 1; i < all.length; i++) assert.ok(all[i].seq > all[i - 1].seq, "strictly increasing seq");
    assert.deepEqual(all.map((e) => e.bookingId), [made[0], made[0], made[1], made[1], made[2], made[2]]);
    for (const e of all) assert.equal(e.artistId, a);
    assert.equal(all[0].actor, ctx.subs.booker);
    assert.equal(all[4].actor, ctx.subs.manager);
    assert.equal(all[0].previous, null, "a creation has previous null");
    assert.equal(all[0].reason, null);
    assert.equal(all[1].previous.status, "hold");
    assert.equal(all[3].reason, "no longer needed");
    assert.equal(all[3].booking.statusReason, "no longer needed");
    assert.equal(all[5].reason, "client cancelled");
    assert.equal(all[5].previous.status, "confirmed");
    // The stored booking after each change: the last event of each booking equals its GET.
    for (const id of made) {
      const last = all.filter((e) => e.bookingId === id).at(-1);
      assert.deepEqual(last.booking, await get(ctx, id));
    }
  });

  test("afterSeq and limit page through the feed; the default limit is 50", async () => {
    const all = await feedAll(ctx);
    const first = await feed(ctx, "?limit=2");
    assert.deepEqual(first.data.map((e) => e.seq), all.slice(0, 2).map((e) => e.seq));
    assert.equal(first.nextAfterSeq, all[1].seq);
    const second = await feed(ctx, `?afterSeq=${first.nextAfterSeq}&limit=3`);
    assert.deepEqual(second.data.map((e) => e.seq), all.slice(2, 5).map((e) => e.seq));
    const paged = await feedAll(ctx, 0, 1);
    assert.deepEqual(paged.map((e) => e.seq), all.map((e) => e.seq));
    const last = all.at(-1).seq;
    assert.deepEqual(await feed(ctx, `?afterSeq=${last}`), { data: [], nextAfterSeq: last });

    // 55 more events: the default page holds 50.
    const many = await newCtx(server.url, "events-many");
    const m = await newArtist(many);
    await Promise.all(Array.from({ length: 55 }, (_, i) => hold(many, m, i, i + 1)));
    const page = await feed(many);
    assert.equal(page.data.length, 50);
    const rest = await feed(many, `?afterSeq=${page.nextAfterSeq}`);
    assert.equal(rest.data.length, 5);
    assert.equal((await feed(many, "?limit=500")).data.length, 55);
  });

  test("limit outside 1..500 and a bad afterSeq are 422", async () => {
    for (const limit of ["0", "501", "-3", "x"]) {
      const p = assertProblem(await api(ctx, "GET", `/events?limit=${limit}`, { role: "viewer" }), 422, "validation_failed");
      assert.deepEqual(errorPaths(p), ["/limit"], `limit=${limit}`);
    }
    for (const afterSeq of ["x", "1.5"]) {
      const p = assertProblem(await api(ctx, "GET", `/events?afterSeq=${afterSeq}`, { role: "viewer" }), 422, "validation_failed");
      assert.deepEqual(errorPaths(p), ["/afterSeq"], `afterSeq=${afterSeq}`);
    }
  });

  test("tenant isolation: another tenant's feed never shows these events", async () => {
    const mine = await feedAll(ctx);
    const theirs = await newCtx(server.url, "events-iso");
    const b = await newArtist(theirs);
    const h = await hold(theirs, b, 0, 1);
    const theirAll = await feedAll(theirs);
    assert.deepEqual(theirAll.map((e) => e.bookingId), [h.id]);
    const ids = new Set(mine.map((e) => e.seq));
    for (const e of theirAll) assert.ok(!ids.has(e.seq));
    // Reading from 0 in my tenant still shows only mine, though theirs has a higher seq.
    assert.deepEqual((await feedAll(ctx)).map((e) => e.seq), mine.map((e) => e.seq));
    assert.ok(theirAll[0].seq > mine.at(-1).seq);
  });
});

describe("GET /bookings/{id}/events", () => {
  test("oldest first, {data, nextCursor}, the events of that booking only, paged by limit", async () => {
    const ctx = await newCtx(server.url, "events-booking");
    const a = await newArtist(ctx);
    const h = await hold(ctx, a, 0, 2, { title: "t0" });
    const neighbour = await hold(ctx, a, 4, 5);
    let v = 1;
    for (const title of ["t1", "t2", "t3"]) {
      const res = await api(ctx, "PATCH", `/bookings/${h.id}`, { body: { title }, headers: { "if-match": `"${v}"` } });
      assert.equal(res.status, 200, res.text);
      v++;
    }
    await must(ctx, h.id, "pencil");
    const all = await events(ctx, h.id);
    assert.deepEqual(all.map((e) => e.type), [
      "booking.held",
      "booking.updated",
      "booking.updated",
      "booking.updated",
      "booking.pencilled",
    ]);
    assert.deepEqual(all.map((e) => e.booking.version), [1, 2, 3, 4, 5]);
    assert.deepEqual(all.map((e) => e.previous?.title ?? null), [null, "t0", "t1", "t2", null]);
    for (let i = 1; i < all.length; i++) assert.ok(all[i].seq > all[i - 1].seq);
    assert.ok(all.every((e) => e.bookingId === h.id));

    const p1 = await api(ctx, "GET", `/bookings/${h.id}/events?limit=2`, { role: "viewer" });
    assert.equal(p1.status, 200, p1.text);
    assert.deepEqual(Object.keys(p1.json).sort(), ["data", "nextCursor"]);
    assert.deepEqual(p1.json.data.map((e: any) => e.seq), all.slice(0, 2).map((e) => e.seq));
    assert.equal(typeof p1.json.nextCursor, "string");
    const p2 = await api(ctx, "GET", `/bookings/${h.id}/events?limit=2&cursor=${encodeURIComponent(p1.json.nextCursor)}`, { role: "viewer" });
    assert.deepEqual(p2.json.data.map((e: any) => e.seq), all.slice(2, 4).map((e) => e.seq));
    const p3 = await api(ctx, "GET", `/bookings/${h.id}/events?limit=2&cursor=${encodeURIComponent(p2.json.nextCursor)}`, { role: "viewer" });
    assert.deepEqual(p3.json.data.map((e: any) => e.seq), all.slice(4).map((e) => e.seq));
    assert.equal(p3.json.nextCursor, null);
    const whole = await api(ctx, "GET", `/bookings/${h.id}/events?limit=5`, { role: "viewer" });
    assert.equal(whole.json.nextCursor, null, "no next page when exactly limit events remain");

    assertProblem(await api(ctx, "GET", `/bookings/${h.id}/events?limit=0`, { role: "viewer" }), 422, "validation_failed");
    assertProblem(await api(ctx, "GET", `/bookings/${h.id}/events?cursor=!!bad`, { role: "viewer" }), 422, "validation_failed");
    assert.deepEqual((await events(ctx, neighbour.id)).map((e) => e.type), ["booking.held"]);
  });

  test("previous holds the changed fields' old values; reason is the override reason", async () => {
    const ctx = await newCtx(server.url, "events-prev");
    const a = await newArtist(ctx);
    const h = await pencil(ctx, a, 0, 2, { overrideAvailability: true });
    const evs0 = await events(ctx, h.id);
    assert.equal(evs0[0].reason, "overrideAvailability");
    const c = await must(ctx, h.id, "confirm");
    const evs = await events(ctx, h.id);
    const e = evs[1];
    assert.equal(e.type, "booking.confirmed");
    assert.equal(e.previous.status, "pencil");
    assert.equal(e.previous.expiresAt, h.expiresAt);
    assert.ok(!("title" in e.previous) && !("startTime" in e.previous), JSON.stringify(e.previous));
    for (const [k, val] of Object.entries(e.previous)) {
      assert.notDeepEqual(val, (c as any)[k], `previous.${k} changed`);
    }
    assert.equal(e.reason, null);
    assert.equal(e.actor, ctx.subs.manager);
    assert.ok(Date.parse(e.occurredAt) >= Date.parse(evs0[0].occurredAt));
    assert.deepEqual(e.booking, c);
  });
});
