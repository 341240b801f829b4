// Races over HTTP (SPEC §3.1, §3.4, §6): many clients, one slot, one or two server instances on
// one database. Exactly one winner, the others a clean 409, never a 5xx or a multi-second
// stall; afterwards the database holds no overlapping pencil/confirmed pair and
// `ptool verify-events` finds every booking's log consistent with its row.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";

import { assertProblem, type Response } from "./lib/http.ts";
import { startServer, type ServerHandle } from "./lib/server.ts";
import {
  act,
  assertConflict,
  createBooking,
  events,
  get,
  hold,
  listAll,
  newArtist,
  newCtx,
  range,
  verifyEvents,
  type Ctx,
} from "./lib/bookings.ts";

const run = promisify(execFile);

let server: ServerHandle;
let server2: ServerHandle;
let ctx: Ctx;
/** The same tenant through the second instance. */
let ctx2: Ctx;

/** No single request may stall for seconds (SPEC §3.1). */
const STALL_MS = 4000;

before(async () => {
  [server, server2] = await Promise.all([startServer({ args: ["--test-clock"] }), startServer({ args: ["--test-clock"] })]);
  ctx = await newCtx(server.url, "race");
  ctx2 = { ...ctx, base: server2.url };
});

after(async () => {
  await Promise.all([server?.stop(), server2?.stop()]);
});

async function timed(p: Promise<Response>): Promise<Response & { ms: number }> {
  const t = Date.now();
  const r = await p;
  return Object.assign(r, { ms: Date.now() - t });
}

function noServerErrors(results: Array<Response & { ms: number }>): void {
  for (const r of results) {
    assert.ok(r.status < 500, `a ${r.status}: ${r.text}`);
    assert.ok(r.ms < STALL_MS, `a request took ${r.ms} ms`);
  }
}

/** Overlapping pencil/confirmed pairs of the tenant, straight from the database. */
async function overlapsInDatabase(tenant: string): Promise<number> {
  const url = process.env.DATABASE_OWNER_URL || process.env.DATABASE_URL;
  assert.ok(url, "DATABASE_OWNER_URL or DATABASE_URL must be set");
  const sql = `
    SELECT count(*) FROM bookings a JOIN bookings b
      ON a.tenant_id = b.tenant_id AND a.artist_id = b.artist_id AND a.id < b.id
     AND tstzrange(a.start_time, a.end_time, '[)') && tstzrange(b.start_time, b.end_time, '[)')
     WHERE a.status IN ('pencil', 'confirmed') AND b.status IN ('pencil', 'confirmed')`;
  const { stdout } = await run("psql", [url, "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", `SELECT set_config('app.tenant_id', '${tenant}', false)`, "-c", sql]);
  const lines = stdout.trim().split("\n");
  return Number(lines.at(-1));
}

/** Bookings whose version is not their number of events (one event per written change). */
async function versionEventMismatches(tenant: string): Promise<number> {
  const url = process.env.DATABASE_OWNER_URL || process.env.DATABASE_URL;
  assert.ok(url);
  const sql = `
    SELECT count(*) FROM bookings b
     WHERE b.version <> (SELECT count(*) FROM booking_events e
                          WHERE e.tenant_id = b.tenant_id AND e.booking_id = b.id)`;
  const { stdout } = await run("psql", [url, "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", `SELECT set_config('app.tenant_id', '${tenant}', false)`, "-c", sql]);
  return Number(stdout.trim().split("\n").at(-1));
}

function overlapping(a: any, b: any): boolean {
  return Date.parse(a.startTime) < Date.parse(b.endTime) && Date.parse(b.startTime) < Date.parse(a.endTime);
}

/** The API's view of the same invariant. */
async function assertNoExclusiveOverlap(c: Ctx, artist: string): Promise<any[]> {
  const active = await listAll(c, `artistId=${artist}&status=pencil,confirmed`);
  for (let i = 0; i < active.length; i++) {
    for (let j = i + 1; j < active.length; j++) {
      assert.ok(!overlapping(active[i], active[j]), `${active[i].id} and ${active[j].id} overlap`);
    }
  }
  return active;
}

describe("one slot, many clients", () => {
  test("50 concurrent pencil creates: exactly one 201, 49 booking_conflict, no 5xx", async () => {
    const a = await newArtist(ctx);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        timed(createBooking(ctx, { artistId: a, ...range(0, 2), status: "pencil", title: `racer ${i}` })),
      ),
    );
    noServerErrors(results);
    const won = results.filter((r) => r.status === 201);
    assert.equal(won.length, 1, `winners: ${won.length}; statuses ${results.map((r) => r.status).join(",")}`);
    for (const r of results) if (r.status !== 201) assertConflict(r, [won[0].json]);
    const active = await assertNoExclusiveOverlap(ctx, a);
    assert.deepEqual(active.map((b) => b.id), [won[0].json.id]);
    assert.equal((await listAll(ctx, `artistId=${a}`)).length, 1, "no other booking was written");
  });

  test("10 concurrent promotions of one hold: one 200, the rest invalid_transition; one event", async () => {
    const a = await newArtist(ctx);
    const h = await hold(ctx, a, 0, 1);
    const results = await Promise.all(Array.from({ length: 10 }, () => timed(act(ctx, h.id, "pencil"))));
    noServerErrors(results);
    const ok = results.filter((r) => r.status === 200);
    assert.equal(ok.length, 1, results.map((r) => r.status).join(","));
    for (const r of results) {
      if (r.status === 200) continue;
      const p = assertProblem(r, 409, "invalid_transition");
      assert.equal(p.currentStatus, "pencil");
    }
    const g = await get(ctx, h.id);
    assert.equal(g.status, "pencil");
    assert.equal(g.version, 2);
    assert.deepEqual((await events(ctx, h.id)).map((e) => e.type), ["booking.held", "booking.pencilled"]);
  });

  test("concurrent confirms of 10 overlapping holds: only the top-ranked one is confirmed, the rest superseded", async () => {
    const a = await newArtist(ctx);
    const holds: any[] = [];
    for (let i = 0; i < 10; i++) holds.push(await hold(ctx, a, 0, 2 + (i % 3)));
    const results = await Promise.all(holds.map((h) => timed(act(ctx, h.id, "confirm"))));
    noServerErrors(results);
    const ok = results.filter((r) => r.status === 200);
    assert.equal(ok.length, 1, results.map((r) => `${r.status} ${r.json?.code ?? ""}`).join(","));
    assert.equal(ok[0].json.id, holds[0].id, "the earliest hold ranks first");
    for (const r of results) {
      if (r.status === 200) continue;
      assertProblem(r, 409, r.json.code);
      assert.ok(["outranked", "invalid_transition", "booking_conflict"].includes(r.json.code), r.text);
    }
    for (const h of holds.slice(1)) {
      const g = await get(ctx, h.id);
      assert.equal(g.status, "released");
      assert.equal(g.statusReason, "superseded");
    }
  });

  test("concurrent confirms along a chain of overlapping holds keep confirmed bookings disjoint", async () => {
    const a = await newArtist(ctx);
    const holds: any[] = [];
    for (let i = 0; i < 12; i++) holds.push(await hold(ctx, a, i, i + 2));
    const results = await Promise.all(holds.map((h, i) => timed(act(i % 2 ? ctx2 : ctx, h.id, "confirm"))));
    noServerErrors(results);
    for (const r of results) {
      if (r.status === 200) continue;
      assertProblem(r, 409, r.json.code);
      assert.ok(["outranked", "invalid_transition", "booking_conflict"].includes(r.json.code), r.text);
    }
    assert.ok(results.some((r) => r.status === 200));
    const active = await assertNoExclusiveOverlap(ctx, a);
    assert.deepEqual(
      active.map((b) => b.id).sort(),
      results.filter((r) => r.status === 200).map((r) => r.json.id).sort(),
      "the confirmed bookings are exactly the 200s",
    );
  });
});

describe("two server instances on one database", () => {
  test("racing the same slot through both: exactly one winner", async () => {
    const a = await newArtist(ctx);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        timed(createBooking(i % 2 ? ctx2 : ctx, { artistId: a, ...range(5, 7), status: i % 4 === 0 ? "confirmed" : "pencil" })),
      ),
    );
    noServerErrors(results);
    const won = results.filter((r) => r.status === 201);
    assert.equal(won.length, 1, results.map((r) => r.status).join(","));
    for (const r of results) if (r.status !== 201) assertConflict(r, [won[0].json]);
  });

  test("a mixed storm on one artist through both instances leaves the invariants intact", async () => {
    const a = await newArtist(ctx);
    const seeds: any[] = [];
    for (let i = 0; i < 8; i++) seeds.push(await hold(ctx, a, i * 2, i * 2 + 3));
    const ops: Array<Promise<Response & { ms: number }>> = [];
    for (let i = 0; i < 60; i++) {
      const c = i % 2 ? ctx2 : ctx;
      const s = (i * 7) % 18;
      switch (i % 6) {
        case 0:
          ops.push(timed(createBooking(c, { artistId: a, ...range(s, s + 2), status: "pencil" })));
          break;
        case 1:
          ops.push(timed(createBooking(c, { artistId: a, ...range(s, s + 3) })));
          break;
        case 2:
          ops.push(timed(act(c, seeds[i % seeds.length].id, "pencil")));
          break;
        case 3:
          ops.push(timed(act(c, seeds[(i + 3) % seeds.length].id, "confirm")));
          break;
        case 4:
          ops.push(timed(act(c, seeds[(i + 5) % seeds.length].id, "challenge")));
          break;
        default:
          ops.push(timed(createBooking(c, { artistId: a, ...range(s, s + 1), status: "confirmed", priority: 1 + (i % 50) })));
      }
    }
    const results = await Promise.all(ops);
    noServerErrors(results);
    for (const r of results) {
      if (r.status === 200 || r.status === 201) continue;
      assertProblem(r, 409, r.json.code);
      assert.ok(["outranked", "invalid_transition", "booking_conflict"].includes(r.json.code), r.text);
    }
    await assertNoExclusiveOverlap(ctx, a);
  });
});

describe("afterwards", () => {
  test("the database has no overlapping pencil/confirmed pair and one event per version", async () => {
    assert.equal(await overlapsInDatabase(ctx.tenant), 0);
    assert.equal(await versionEventMismatches(ctx.tenant), 0);
  });

  test("ptool verify-events reports a row changed behind the log's back (exit 1), and is clean again once restored", async () => {
    const c = await newCtx(server.url, "race-tamper");
    const a = await newArtist(c);
    const h = await hold(c, a, 0, 1, { title: "original" });
    const url = process.env.DATABASE_OWNER_URL || process.env.DATABASE_URL;
    assert.ok(url);
    const setTitle = (title: string) =>
      run("psql", [url, "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", `SELECT set_config('app.tenant_id', '${c.tenant}', false)`, "-c", `UPDATE bookings SET title = '${title}' WHERE id = '${h.id}'`]);
    await setTitle("tampered");
    try {
      const bad = await verifyEvents(c.tenant);
      assert.equal(bad.code, 1, `verify-events exit ${bad.code}\n${bad.stdout}\n${bad.stderr}`);
      const lines = bad.stdout.trim().split("\n");
      assert.equal(lines.length, 2, bad.stdout);
      assert.ok(lines[0].includes(c.tenant) && lines[0].includes(h.id) && lines[0].includes("title"), lines[0]);
    } finally {
      await setTitle("original");
    }
    const good = await verifyEvents(c.tenant);
    assert.equal(good.code, 0, `${good.stdout}\n${good.stderr}`);
  });

  test("ptool verify-events exits 0 with a one-line summary", async () => {
    const r = await verifyEvents(ctx.tenant);
    assert.equal(r.code, 0, `verify-events exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, 1, r.stdout);
    assert.match(lines[0], /clean/);
  });
});
