// Real time over Socket.IO (SPEC §6 event object, §7, §10 "Real time") with the stock npm
// `socket.io-client` v4 against the real binary: the three transport set-ups (and no loss across
// connect, replay and upgrade), the handshake's token check, booking events once each in seq
// order and equal to GET /events (also under concurrent writers, and with a lower seq committed
// late by a hand-held transaction), availability.changed, subscribe/unsubscribe, tenant
// isolation, lastSeq replay (auth callback on reconnect, resync.required beyond 1000),
// hold.heartbeat, two instances on one database, a client that stops reading, socket
// accounting, unknown namespace, SIGTERM, unknown and binary client events.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { after, afterEach, before, describe, test } from "node:test";

import { putAvailability } from "./lib/availability.ts";
import {
  advance,
  api,
  assertEvent,
  confirmed,
  events as bookingHistory,
  get,
  hold,
  HOUR,
  iso,
  ms,
  must,
  newArtist,
  newCtx,
  poll,
  serverNow,
  T0,
  type Ctx,
} from "./lib/bookings.ts";
import {
  ack,
  assertIncreasing,
  closeSockets,
  connect,
  connectError,
  connectSocket,
  disconnected,
  makeSocket,
  quiet,
  rawTcp,
  realtimeMetrics,
  realtimeReady,
  transportName,
  type Recorder,
} from "./lib/realtime.ts";
import { startServer, type ServerHandle } from "./lib/server.ts";
import { nowSeconds, signJwt, validClaims } from "./lib/tenant.ts";

let server: ServerHandle;

before(async () => {
  server = await startServer({ args: ["--test-clock"] });
  await realtimeReady(server.url);
});

after(async () => {
  closeSockets();
  await server?.stop();
});

afterEach(() => closeSockets());

// The event feed over HTTP ----------------------------------------------------------------------

/** Every event of the tenant after `afterSeq` (GET /events, following nextAfterSeq). */
async function feedAll(ctx: Ctx, afterSeq = 0): Promise<any[]> {
  const out: any[] = [];
  let seq = afterSeq;
  for (let i = 0; i < 100; i++) {
    const res = await api(ctx, "GET", `/events?afterSeq=${seq}&limit=500`, { role: "viewer" });
    assert.equal(res.status, 200, `GET /events: ${res.status} ${res.text.slice(0, 300)}`);
    if (res.json.data.length === 0) return out;
    out.push(...res.json.data);
    seq = res.json.nextAfterSeq;
  }
  assert.fail("too many pages of events");
}

/** The event with this seq as GET /events shows it. */
async function feedEvent(ctx: Ctx, seq: number): Promise<any> {
  const res = await api(ctx, "GET", `/events?afterSeq=${seq - 1}&limit=1`, { role: "viewer" });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.data.length, 1, `GET /events?afterSeq=${seq - 1}&limit=1: ${res.text}`);
  assert.equal(res.json.data[0].seq, seq);
  return res.json.data[0];
}

/** The booking event of `bookingId` with `type`, once it arrived at `rec`. */
function waitBooking(rec: Recorder, bookingId: string, type = "booking.held", timeoutMs = 10_000): Promise<any> {
  return rec.waitFor(
    `${type} of ${bookingId}`,
    (r) => r.bookingEvents().find((e) => e.bookingId === bookingId && e.type === type),
    timeoutMs,
  );
}

/** Events of `rec` (booking events and availability.changed) that concern `artistId`. */
function about(rec: Recorder, artistId: string): string[] {
  return rec.all
    .filter((r) => r.args[0] && typeof r.args[0] === "object" && r.args[0].artistId === artistId)
    .map((r) => `${r.event}${r.args[0].seq !== undefined ? `#${r.args[0].seq}` : ""}`);
}

/** Waits until the server's pump has delivered (broadcast) every event up to `seq`. */
async function delivered(base: string, seq: number): Promise<void> {
  await poll(`ptool_realtime_delivered_seq >= ${seq}`, async () => (await realtimeMetrics(base)).deliveredSeq >= seq);
}

/**
 * An interactive psql session as the application role (DATABASE_URL, so row-level security
 * applies) for interleaving transactions by hand; run() resolves with the output lines.
 */
class Psql {
  private readonly proc: ChildProcess;
  private out = "";
  private err = "";
  private n = 0;
  private exited = false;

  constructor(url: string) {
    this.proc = spawn("psql", [url, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1"], { stdio: ["pipe", "pipe", "pipe"] });
    this.proc.stdout!.on("data", (d: Buffer) => (this.out += d.toString("utf8")));
    this.proc.stderr!.on("data", (d: Buffer) => (this.err += d.toString("utf8")));
    this.proc.on("exit", () => (this.exited = true));
  }

  async run(sql: string): Promise<string[]> {
    const mark = `__done_${++this.n}__`;
    const from = this.out.length;
    this.proc.stdin!.write(`${sql}\n\\echo ${mark}\n`);
    await poll(`psql: ${sql}`, async () => this.out.includes(mark, from) || this.exited || undefined, 10_000);
    assert.ok(!this.exited, `psql exited on ${sql}: ${this.err}`);
    return this.out
      .slice(from, this.out.indexOf(mark, from))
      .split("\n")
      .filter((l) => l.length > 0);
  }

  close(): void {
    if (!this.exited) this.proc.kill();
  }
}

/** A PATCH with If-Match; resolves with the new booking. */
async function patch(ctx: Ctx, id: string, version: number, body: Record<string, unknown>): Promise<any> {
  const res = await api(ctx, "PATCH", `/bookings/${id}`, { body, headers: { "if-match": `"${version}"` } });
  assert.equal(res.status, 200, `PATCH /bookings/${id}: ${res.status} ${res.text.slice(0, 300)}`);
  return res.json;
}

/** Runs `n` jobs with at most `width` in flight. */
async function parallel(n: number, width: number, job: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await job(next++);
    }),
  );
}

// 1-3: transports ---------------------------------------------------------------------------------

/**
 * A hold made over HTTP arrives as `booking.held` whose payload is exactly the event of
 * GET /events with that seq (the SPEC §6 members), followed by its availability.changed.
 */
async function heldArrives(ctx: Ctx, rec: Recorder): Promise<void> {
  const a = await newArtist(ctx);
  const b = await hold(ctx, a, 0, 2, { title: "realtime" });
  const e = await waitBooking(rec, b.id);
  assertEvent(e);
  assert.deepEqual(e, await feedEvent(ctx, e.seq), "the socket's event equals GET /events's");
  assert.equal(e.type, "booking.held");
  assert.equal(e.artistId, a);
  assert.equal(e.actor, ctx.subs.booker);
  assert.equal(e.previous, null);
  assert.equal(e.reason, null);
  assert.deepEqual(e.booking, b, "the event's booking is the booking after the change");
  const av = await rec.waitFor("availability.changed", (r) => r.named("availability.changed").find((x) => x.artistId === a));
  assert.deepEqual(av, { artistId: a, from: b.startTime, to: b.endTime });
}

describe("transports", () => {
  test("default options: polling first, upgraded to websocket; booking.held equals GET /events", async () => {
    const ctx = await newCtx(server.url, "rt-default");
    const { socket, rec } = makeSocket(server.url, { token: ctx.tokens.viewer });
    const seen: string[] = [];
    socket.io.on("open", () => {
      seen.push(transportName(socket));
      socket.io.engine.on("upgrade", (t: { name: string }) => seen.push(`upgrade:${t.name}`));
    });
    await connectSocket(socket);
    assert.ok(socket.connected);
    assert.equal(typeof socket.id, "string");
    await poll("the upgrade to websocket", async () => transportName(socket) === "websocket");
    assert.deepEqual(seen, ["polling", "upgrade:websocket"]);
    await heldArrives(ctx, rec);
  });

  test("transports: ['websocket'] only", async () => {
    const ctx = await newCtx(server.url, "rt-ws");
    const { socket, rec } = await connect(server.url, { token: ctx.tokens.viewer }, { transports: ["websocket"] });
    assert.equal(transportName(socket), "websocket");
    await heldArrives(ctx, rec);
  });

  test("transports: ['polling'] only (long-polling throughout)", async () => {
    const ctx = await newCtx(server.url, "rt-poll");
    const { socket, rec } = await connect(server.url, { token: ctx.tokens.viewer }, { transports: ["polling"] });
    assert.equal(transportName(socket), "polling");
    await heldArrives(ctx, rec);
    // A second change over the same long-polling session.
    const a = await newArtist(ctx);
    const b = await hold(ctx, a, 3, 4);
    await waitBooking(rec, b.id);
    // A burst: several packets in one polling payload, still each once and in order.
    await Promise.all(Array.from({ length: 20 }, (_, i) => hold(ctx, a, 10 + i, 11 + i)));
    const feed = await feedAll(ctx);
    await rec.waitCount(feed.length);
    await quiet(300);
    assert.deepEqual(rec.bookingEvents(), feed);
    assert.equal(transportName(socket), "polling");
    assert.ok(socket.connected);
  });

  test("no event is lost or duplicated while the session connects, replays and upgrades to websocket", async (t) => {
    // Changes flow from before the handshake until after the upgrade; lastSeq 0 (a fresh
    // tenant) makes every one of them due exactly once, whether by replay or live, over polling
    // or over the websocket.
    const ctx = await newCtx(server.url, "rt-upgrade");
    const a = await newArtist(ctx);
    const { socket, rec } = makeSocket(server.url, { token: ctx.tokens.viewer, lastSeq: 0 });
    let upgradedAt = 0;
    const upgraded = new Promise<void>((resolve) =>
      socket.io.once("open", () =>
        socket.io.engine.once("upgrade", () => {
          upgradedAt = Date.now();
          resolve();
        }),
      ),
    );
    // Three writers keep making holds until ten have committed after the upgrade (so the run
    // always covers before, during and after it, however fast either side is).
    const done: number[] = [];
    let tenDone: () => void = () => {};
    const ten = new Promise<void>((resolve) => (tenDone = resolve));
    let next = 0;
    const writer = async () => {
      while (next < 150 && done.filter((d) => upgradedAt > 0 && d > upgradedAt).length < 10) {
        const i = next++;
        await hold(ctx, a, i, i + 1);
        if (done.push(Date.now()) === 10) tenDone();
      }
    };
    const producing = Promise.all([writer(), writer(), writer()]);
    await ten; // some history first, the rest while connecting and upgrading
    await connectSocket(socket);
    await producing;
    await upgraded;
    const feed = await feedAll(ctx);
    assert.equal(feed.length, done.length);
    await rec.waitCount(feed.length);
    await quiet(300);
    assert.deepEqual(rec.bookingEvents(), feed, "each once, in seq order, across connect, replay and upgrade");
    assert.equal(transportName(socket), "websocket");
    t.diagnostic(`${done.filter((d) => d < upgradedAt).length} of ${done.length} changes committed before the upgrade completed`);
    assert.ok(done.some((d) => d > upgradedAt), "some changes came after the upgrade");
  });
});

// 4: the handshake's token ---------------------------------------------------------------------------

describe("authentication", () => {
  test("a bad token is refused with connect_error 'unauthenticated' on every transport set-up", async () => {
    const ctx = await newCtx(server.url, "rt-auth");
    const header = { alg: "HS256", typ: "JWT" };
    const bad: Array<[string, Record<string, unknown> | undefined]> = [
      ["no auth payload", undefined],
      ["no token", {}],
      ["empty token", { token: "" }],
      ["token not a string", { token: 42 }],
      ["garbage token", { token: "not.a.jwt" }],
      ["token of a tenant that does not exist", { token: signJwt(header, validClaims(randomUUID(), "admin")) }],
      ["expired token", { token: signJwt(header, { ...validClaims(ctx.tenant, "admin"), exp: nowSeconds() - 3600 }) }],
      ["wrongly signed token", { token: signJwt(header, validClaims(ctx.tenant, "admin"), "another secret") }],
      ["unknown role", { token: signJwt(header, validClaims(ctx.tenant, "superuser")) }],
      ["a valid token in the wrong member", { jwt: ctx.tokens.admin }],
    ];
    for (const transports of [undefined, ["websocket"], ["polling"]]) {
      for (const [what, auth] of bad) {
        const err = await connectError(server.url, auth, transports ? { transports } : {});
        assert.equal(err.message, "unauthenticated", `${what} (${transports ?? "default"}): ${err.message} ${JSON.stringify(err.data)}`);
      }
    }
    // The same server accepts the good token (the refusals were not a broken endpoint).
    const { socket } = await connect(server.url, { token: ctx.tokens.viewer });
    assert.ok(socket.connected);
  });

  test("a refused socket receives none of the tenant's events", async () => {
    const ctx = await newCtx(server.url, "rt-auth-ev");
    const a = await newArtist(ctx);
    const { socket: good, rec: goodRec } = await connect(server.url, { token: ctx.tokens.viewer });
    const { socket: refused, rec: refusedRec } = makeSocket(server.url, {
      token: signJwt({ alg: "HS256", typ: "JWT" }, { ...validClaims(ctx.tenant), exp: nowSeconds() - 3600 }),
    });
    await assert.rejects(connectSocket(refused), /unauthenticated/);
    const b = await hold(ctx, a, 0, 1);
    await waitBooking(goodRec, b.id);
    await quiet(300);
    assert.deepEqual(refusedRec.all, []);
    assert.ok(good.connected);
  });
});

// 5: events once each, in seq order ------------------------------------------------------------------

describe("booking events", () => {
  test("each change arrives once, in seq order, equal to the feed, each with availability.changed", async () => {
    const ctx = await newCtx(server.url, "rt-order");
    const a = await newArtist(ctx);
    const { rec } = await connect(server.url, { token: ctx.tokens.viewer });

    const x = await hold(ctx, a, 0, 2);
    await must(ctx, x.id, "pencil");
    await must(ctx, x.id, "confirm");
    const y = await hold(ctx, a, 3, 4);
    await must(ctx, y.id, "release", { body: { reason: "not needed" } });
    const z = await hold(ctx, a, 5, 6);
    const moved = await patch(ctx, z.id, 1, { startTime: iso(T0 + 7 * HOUR), endTime: iso(T0 + 9 * HOUR) });
    await patch(ctx, z.id, moved.version, { title: "renamed" });

    const feed = await feedAll(ctx);
    assert.deepEqual(feed.map((e) => e.type), [
      "booking.held",
      "booking.pencilled",
      "booking.confirmed",
      "booking.held",
      "booking.released",
      "booking.held",
      "booking.rescheduled",
      "booking.updated",
    ]);
    await rec.waitCount(feed.length);
    await quiet(400); // nothing more (no duplicate) may follow
    const got = rec.bookingEvents();
    assertIncreasing(got, "received");
    assert.deepEqual(got, feed, "exactly the tenant's events, once each, in seq order, as GET /events shows them");
    const released = got.find((e) => e.type === "booking.released");
    assert.equal(released.reason, "not needed");

    // availability.changed {artistId, from, to} follows every change of a booking's slot, covering it
    // (a reschedule: both the old and the new times).
    const changes = rec.named("availability.changed");
    for (const av of changes) assert.deepEqual(Object.keys(av).sort(), ["artistId", "from", "to"]);
    for (const e of got.filter((ev) => ev.type !== "booking.updated")) {
      const i = rec.all.findIndex((r) => r.event === e.type && r.args[0].seq === e.seq);
      const lo = Math.min(ms(e.booking.startTime), ms(e.previous?.startTime ?? e.booking.startTime));
      const hi = Math.max(ms(e.booking.endTime), ms(e.previous?.endTime ?? e.booking.endTime));
      const follows = rec.all
        .slice(i + 1)
        .some((r) => r.event === "availability.changed" && r.args[0].artistId === a && ms(r.args[0].from) <= lo && ms(r.args[0].to) >= hi);
      assert.ok(follows, `availability.changed covering ${e.type} #${e.seq} [${iso(lo)}, ${iso(hi)}); received ${JSON.stringify(changes)}`);
    }
  });

  test("concurrent writers: live clients get every committed event once, in seq order (SPEC §6)", async () => {
    // Seqs are drawn at insert but commit out of order; the pump may pass an event only when no
    // lower seq can still commit. 16 writers on 8 artists make late commits of lower seqs common.
    const ctx = await newCtx(server.url, "rt-concurrent");
    const artists = await Promise.all(Array.from({ length: 8 }, () => newArtist(ctx)));
    const { rec: ws } = await connect(server.url, { token: ctx.tokens.viewer }, { transports: ["websocket"] });
    const { rec: polling } = await connect(server.url, { token: ctx.tokens.viewer }, { transports: ["polling"] });
    await parallel(1000, 16, (i) => hold(ctx, artists[i % 8], Math.floor(i / 8), Math.floor(i / 8) + 1));
    const feed = await feedAll(ctx);
    assert.equal(feed.length, 1000);
    await delivered(server.url, feed.at(-1).seq);
    for (const [name, rec] of [["websocket", ws], ["polling", polling]] as const) {
      const seqs = () => rec.bookingEvents().map((e) => e.seq);
      try {
        await rec.waitCount(1000, 15_000);
      } catch {
        const got = new Set(seqs());
        const missing = feed.filter((e) => !got.has(e.seq)).map((e) => e.seq);
        assert.fail(`${name}: ${got.size} of 1000 events arrived; never delivered: ${JSON.stringify(missing)}`);
      }
      assertIncreasing(rec.bookingEvents(), name);
      assert.deepEqual(seqs(), feed.map((e) => e.seq), `${name}: exactly the feed, in seq order`);
    }
  });

  test("a lower seq committed late is neither skipped nor overtaken (two transactions interleaved by hand)", async (t) => {
    // W takes its xid first; T then draws seq s1; W draws s2 > s1 and commits while T is still
    // open. s2 must not be passed on before T ends (T could still commit s1 < s2), and s1 must
    // arrive once T commits. Both rows copy a real event of the tenant's bookings.
    const url = process.env.DATABASE_URL;
    assert.ok(url, "DATABASE_URL must be set");
    const ctx = await newCtx(server.url, "rt-late");
    const a = await newArtist(ctx);
    const x1 = await hold(ctx, a, 0, 1);
    const x2 = await hold(ctx, a, 2, 3);
    const { rec } = await connect(server.url, { token: ctx.tokens.viewer });
    const w = new Psql(url);
    const tx = new Psql(url);
    t.after(() => {
      w.close();
      tx.close();
    });
    const copy = (id: string) =>
      "INSERT INTO booking_events (tenant_id, booking_id, artist_id, type, actor, occurred_at, payload) " +
      `SELECT tenant_id, booking_id, artist_id, type, actor, occurred_at, payload FROM booking_events WHERE booking_id = '${id}' ` +
      "ORDER BY seq LIMIT 1 RETURNING seq;";
    const begin = `BEGIN; SELECT set_config('app.tenant_id', '${ctx.tenant}', true);`;
    await w.run(`${begin} SELECT pg_current_xact_id();`);
    const s1 = Number((await tx.run(`${begin} ${copy(x2.id)}`)).at(-1));
    const s2 = Number((await w.run(copy(x1.id))).at(-1));
    assert.ok(s2 > s1, `seqs ${s1} < ${s2}`);
    await w.run("COMMIT;");
    // Proving an absence: W's commit is notified at once and the catch-up read runs every second.
    await quiet(2000);
    const early = rec.bookingEvents().filter((e) => e.seq >= s1).map((e) => e.seq);
    await tx.run("COMMIT;");
    await rec.waitFor(`seqs ${s1} and ${s2}`, (r) => {
      const seqs = r.bookingEvents().map((e) => e.seq);
      return seqs.includes(s1) && seqs.includes(s2);
    }).catch((err) => {
      throw new Error(`${err.message}\n(while T was open the client had received ${JSON.stringify(early)})`);
    });
    assert.deepEqual(early, [], `seq ${s2} was passed on while a transaction holding seq ${s1} was still open`);
    await quiet(300);
    const got = rec.bookingEvents().filter((e) => e.seq >= s1).map((e) => e.seq);
    assert.deepEqual(got, [s1, s2]);
  });

  test("a change of availability preferences emits availability.changed with from/to null", async () => {
    const ctx = await newCtx(server.url, "rt-prefs");
    const a = await newArtist(ctx);
    const { rec } = await connect(server.url, { token: ctx.tokens.viewer });
    await putAvailability(ctx.base, ctx.tokens.manager, a, { weekly: [{ day: "mon", start: "09:00", end: "18:00" }] });
    const av = await rec.waitFor("availability.changed of the artist", (r) => r.named("availability.changed").find((x) => x.artistId === a));
    assert.deepEqual(av, { artistId: a, from: null, to: null });
    assert.deepEqual(rec.bookingEvents(), []);
  });
});

// 6: subscribe / unsubscribe ---------------------------------------------------------------------------

describe("subscribe", () => {
  test("narrows to the subscribed artists, cumulatively; unsubscribing the last returns to the whole tenant", async () => {
    const ctx = await newCtx(server.url, "rt-sub");
    const [A, B, C] = await Promise.all([newArtist(ctx), newArtist(ctx), newArtist(ctx)]);
    const { socket, rec } = await connect(server.url, { token: ctx.tokens.viewer });

    assert.deepEqual(await ack(socket, "subscribe", { artistIds: [A] }), { ok: true, artistIds: [A] });
    const b1 = await hold(ctx, B, 0, 1);
    const c1 = await hold(ctx, C, 0, 1);
    const a1 = await hold(ctx, A, 0, 1); // sentinel
    await waitBooking(rec, a1.id);
    await quiet();
    assert.deepEqual(about(rec, B), [], "nothing of B while subscribed to A only");
    assert.deepEqual(about(rec, C), [], "nothing of C while subscribed to A only");
    assert.ok(!rec.bookingEvents().some((e) => e.bookingId === b1.id || e.bookingId === c1.id));
    assert.ok(rec.named("availability.changed").some((x) => x.artistId === A), "availability.changed of A arrives");

    // Cumulative.
    const both = await ack(socket, "subscribe", { artistIds: [B] });
    assert.deepEqual(Object.keys(both).sort(), ["artistIds", "ok"]);
    assert.equal(both.ok, true);
    assert.deepEqual([...both.artistIds].sort(), [A, B].sort());
    // Subscribing again to a subscribed artist changes nothing.
    const again = await ack(socket, "subscribe", { artistIds: [A] });
    assert.deepEqual([...again.artistIds].sort(), [A, B].sort());
    const b2 = await hold(ctx, B, 2, 3);
    const c2 = await hold(ctx, C, 2, 3);
    const a2 = await hold(ctx, A, 2, 3);
    await waitBooking(rec, b2.id);
    await waitBooking(rec, a2.id);
    await quiet();
    assert.ok(!rec.bookingEvents().some((e) => e.bookingId === c2.id), "nothing of C");
    assert.deepEqual(about(rec, C), []);

    // Unsubscribe A: B only.
    assert.deepEqual(await ack(socket, "unsubscribe", { artistIds: [A] }), { ok: true, artistIds: [B] });
    const a3 = await hold(ctx, A, 4, 5);
    const b3 = await hold(ctx, B, 4, 5); // sentinel
    await waitBooking(rec, b3.id);
    await quiet();
    assert.ok(!rec.bookingEvents().some((e) => e.bookingId === a3.id), "nothing of A after unsubscribing it");

    // Unsubscribing the last: the whole tenant again.
    assert.deepEqual(await ack(socket, "unsubscribe", { artistIds: [B] }), { ok: true, artistIds: [] });
    const c4 = await hold(ctx, C, 6, 7);
    const a4 = await hold(ctx, A, 6, 7);
    await waitBooking(rec, c4.id);
    await waitBooking(rec, a4.id);

    // Unsubscribe with no list: everything.
    assert.deepEqual([...(await ack(socket, "subscribe", { artistIds: [A, B] })).artistIds].sort(), [A, B].sort());
    assert.deepEqual(await ack(socket, "unsubscribe"), { ok: true, artistIds: [] });
    const c5 = await hold(ctx, C, 8, 9);
    await waitBooking(rec, c5.id);

    await quiet(300);
    const got = rec.bookingEvents();
    assertIncreasing(got, "received");
    const ids = got.map((e) => e.bookingId);
    assert.deepEqual(ids, [a1.id, b2.id, a2.id, b3.id, c4.id, a4.id, c5.id], "each once, only the subscribed ones");
  });

  test("invalid subscribe payloads ack {error: {code: 'validation_failed'}} and change nothing", async () => {
    const ctx = await newCtx(server.url, "rt-sub-bad");
    const A = await newArtist(ctx);
    const { socket } = await connect(server.url, { token: ctx.tokens.viewer });
    assert.deepEqual(await ack(socket, "subscribe", { artistIds: [A] }), { ok: true, artistIds: [A] });
    const bad: unknown[][] = [
      [{ artistIds: "x" }],
      [{ artistIds: A }],
      [{ artistIds: ["not-a-uuid"] }],
      [{ artistIds: [A, 42] }],
      [{ artistIds: null }],
      [{}],
      [[A]],
      ["text"],
      [],
    ];
    for (const args of bad) {
      const res = await ack(socket, "subscribe", ...args);
      assert.deepEqual(Object.keys(res ?? {}), ["error"], `subscribe ${JSON.stringify(args)}: ${JSON.stringify(res)}`);
      assert.equal(res.error.code, "validation_failed", `subscribe ${JSON.stringify(args)}: ${JSON.stringify(res)}`);
    }
    const res = await ack(socket, "unsubscribe", { artistIds: ["nope"] });
    assert.equal(res?.error?.code, "validation_failed", `unsubscribe ["nope"]: ${JSON.stringify(res)}`);
    // The set is unchanged.
    assert.deepEqual(await ack(socket, "subscribe", { artistIds: [] }), { ok: true, artistIds: [A] });
  });
});

// 7: tenant isolation ------------------------------------------------------------------------------------

describe("tenant isolation", () => {
  test("a socket never receives another tenant's events, not even by subscribing to its artist", async () => {
    const t1 = await newCtx(server.url, "rt-iso-1");
    const t2 = await newCtx(server.url, "rt-iso-2");
    const a1 = await newArtist(t1);
    const a2 = await newArtist(t2);
    const { rec: r1 } = await connect(server.url, { token: t1.tokens.viewer });
    const { rec: r2 } = await connect(server.url, { token: t2.tokens.viewer });

    const h1 = await hold(t1, a1, 0, 1);
    const h2 = await hold(t2, a2, 0, 1); // sentinel for r2
    await waitBooking(r1, h1.id);
    await waitBooking(r2, h2.id);
    // t2's socket subscribes to t1's artist: whatever the ack, t1's changes must not reach it.
    const { socket: s3, rec: r3 } = await connect(server.url, { token: t2.tokens.viewer });
    const sub = await ack(s3, "subscribe", { artistIds: [a1, a2] });
    assert.ok(sub && (sub.ok === true || sub.error), `subscribe ack: ${JSON.stringify(sub)}`);
    const h1b = await hold(t1, a1, 2, 3);
    await must(t1, h1b.id, "pencil");
    await waitBooking(r1, h1b.id, "booking.pencilled");
    const h2b = await hold(t2, a2, 2, 3); // sentinel for r2 and r3
    await waitBooking(r2, h2b.id);
    await waitBooking(r3, h2b.id);
    await quiet();

    assert.deepEqual(r2.bookingEvents().map((e) => e.bookingId), [h2.id, h2b.id]);
    assert.deepEqual(r3.bookingEvents().map((e) => e.bookingId), [h2b.id]);
    assert.deepEqual(r1.bookingEvents().map((e) => e.bookingId), [h1.id, h1b.id, h1b.id]);
    for (const r of [r2, r3]) assert.deepEqual(about(r, a1), [], "no event of tenant 1's artist in tenant 2");
    assert.deepEqual(about(r1, a2), [], "no event of tenant 2's artist in tenant 1");
  });
});

// 8: lastSeq replay ----------------------------------------------------------------------------------------

describe("lastSeq replay", () => {
  test("reconnecting with lastSeq replays exactly the missed events of the tenant, then live ones", async () => {
    const ctx = await newCtx(server.url, "rt-replay");
    const other = await newCtx(server.url, "rt-replay-other");
    const a = await newArtist(ctx);
    const o = await newArtist(other);
    const first = await connect(server.url, { token: ctx.tokens.viewer });
    const x = await hold(ctx, a, 0, 1);
    const N = (await waitBooking(first.rec, x.id)).seq;
    first.socket.close();

    // While disconnected: changes in this tenant and in another one.
    await must(ctx, x.id, "pencil");
    const oh = await hold(other, o, 0, 1);
    const y = await hold(ctx, a, 2, 3);
    await must(ctx, y.id, "release");
    await hold(other, o, 2, 3);
    const missed = await feedAll(ctx, N);
    assert.equal(missed.length, 3);
    assert.ok((await feedAll(other)).some((e) => e.bookingId === oh.id && e.seq > N), "the other tenant's event lies in the range");

    const { rec } = await connect(server.url, { token: ctx.tokens.viewer, lastSeq: N });
    await rec.waitCount(3);
    const z = await hold(ctx, a, 4, 5); // live, after the replay
    await waitBooking(rec, z.id);
    await quiet();
    const got = rec.bookingEvents();
    const expected = [...missed, await feedEvent(ctx, got.at(-1).seq)];
    assert.equal(got.at(-1).bookingId, z.id);
    assert.deepEqual(got, expected, "the missed events (same tenant only, seq > lastSeq), then the live one, once each");
    assertIncreasing(got);
    assert.deepEqual(rec.named("resync.required"), []);

    // lastSeq 0: the tenant's whole history.
    const all = await feedAll(ctx);
    const { rec: fromZero } = await connect(server.url, { token: ctx.tokens.viewer, lastSeq: 0 });
    await fromZero.waitCount(all.length);
    await quiet(300);
    assert.deepEqual(fromZero.bookingEvents(), all);
  });

  test("lastSeq ahead of the latest replays nothing", async () => {
    const ctx = await newCtx(server.url, "rt-ahead");
    const a = await newArtist(ctx);
    await hold(ctx, a, 0, 1);
    await hold(ctx, a, 2, 3);
    const latest = (await feedAll(ctx)).at(-1).seq;
    const { rec: ahead } = await connect(server.url, { token: ctx.tokens.viewer, lastSeq: latest + 1_000_000 });
    const { rec: control } = await connect(server.url, { token: ctx.tokens.viewer });
    const s = await hold(ctx, a, 4, 5); // sentinel
    await waitBooking(control, s.id);
    await quiet();
    assert.deepEqual(
      ahead.bookingEvents().filter((e) => e.seq <= latest),
      [],
      "no history replayed for a lastSeq ahead of the latest",
    );
    assert.deepEqual(ahead.named("resync.required"), []);
    // Also lastSeq = the latest exactly.
    const { rec: exact } = await connect(server.url, { token: ctx.tokens.viewer, lastSeq: (await feedAll(ctx)).at(-1).seq });
    const s2 = await hold(ctx, a, 6, 7);
    await waitBooking(exact, s2.id);
    await quiet(300);
    assert.deepEqual(exact.bookingEvents().map((e) => e.bookingId), [s2.id]);
  });

  test("an invalid lastSeq is refused with connect_error 'validation_failed'", async () => {
    const ctx = await newCtx(server.url, "rt-lastseq-bad");
    for (const lastSeq of [-1, 1.5, "abc", "-3", {}, [1], true]) {
      const err = await connectError(server.url, { token: ctx.tokens.viewer, lastSeq });
      assert.equal(err.message, "validation_failed", `lastSeq ${JSON.stringify(lastSeq)}: ${err.message}`);
    }
    // null and absent mean "no replay".
    const { socket } = await connect(server.url, { token: ctx.tokens.viewer, lastSeq: null });
    assert.ok(socket.connected);
  });

  test("auth as a callback: a reconnect sends the latest seq and gets exactly the missed events", async () => {
    const ctx = await newCtx(server.url, "rt-cb");
    const a = await newArtist(ctx);
    const sent: Array<Record<string, unknown>> = [];
    let rec: Recorder | undefined;
    const auth = (cb: (data: object) => void) => {
      const last = rec?.lastSeq();
      const data: Record<string, unknown> = { token: ctx.tokens.viewer };
      if (last !== undefined) data.lastSeq = last;
      sent.push(data);
      cb(data);
    };
    // Reconnect after a fixed 1.5 s so that the changes below happen while disconnected.
    const made = makeSocket(server.url, auth, {
      transports: ["websocket"],
      reconnection: true,
      reconnectionDelay: 1500,
      reconnectionDelayMax: 1500,
      randomizationFactor: 0,
    });
    rec = made.rec;
    const socket = made.socket;
    await connectSocket(socket);
    const x = await hold(ctx, a, 0, 1);
    const S = (await waitBooking(rec, x.id)).seq;

    const reconnected = new Promise<number>((resolve) => socket.io.once("reconnect", () => resolve(Date.now())));
    socket.io.engine.close(); // the transport drops; the Manager reconnects by itself
    await disconnected(socket);
    await must(ctx, x.id, "pencil");
    const y = await hold(ctx, a, 2, 3);
    await must(ctx, y.id, "release");
    const changesDone = Date.now();
    const reconnectedAt = await reconnected;
    await rec.waitFor("connected again", () => socket.connected);
    const all = await feedAll(ctx);
    assert.equal(all.length, 4);
    await rec.waitCount(4);
    const z = await hold(ctx, a, 4, 5);
    await waitBooking(rec, z.id);
    await quiet();

    assert.ok(reconnectedAt > changesDone, "the changes were made while disconnected (so they came by replay)");
    assert.deepEqual(sent, [{ token: ctx.tokens.viewer }, { token: ctx.tokens.viewer, lastSeq: S }]);
    assert.deepEqual(rec.bookingEvents(), await feedAll(ctx), "every event once, in order, across the reconnect");
  });

  test("more than 1000 missed events: resync.required {lastSeq, latestSeq} instead; exactly 1000 are replayed", async () => {
    const ctx = await newCtx(server.url, "rt-resync");
    const artists = await Promise.all([newArtist(ctx), newArtist(ctx), newArtist(ctx), newArtist(ctx)]);
    // 1000 events: holds on four artists, 8 requests in flight.
    await parallel(1000, 8, (i) => hold(ctx, artists[i % 4], Math.floor(i / 4), Math.floor(i / 4) + 1));
    const thousand = await feedAll(ctx);
    assert.equal(thousand.length, 1000);
    await delivered(server.url, thousand.at(-1).seq);

    const { rec: full } = await connect(server.url, { token: ctx.tokens.viewer, lastSeq: 0 }, { transports: ["websocket"] });
    await full.waitCount(1000, 30_000);
    assert.deepEqual(full.named("resync.required"), []);
    assert.deepEqual(full.bookingEvents().map((e) => e.seq), thousand.map((e) => e.seq), "exactly 1000 missed: all replayed");
    full.socket.close();

    const extra = await hold(ctx, artists[0], 300, 301); // the 1001st
    const latestSeq = (await feedAll(ctx, thousand.at(-1).seq)).at(-1).seq;
    // All 1001 are history for the server (its pump delivered them) when the client asks.
    await delivered(server.url, latestSeq);
    const { rec } = await connect(server.url, { token: ctx.tokens.viewer, lastSeq: 0 }, { transports: ["websocket"] });
    const resync = await rec.waitFor("resync.required", (r) => r.named("resync.required")[0]);
    assert.deepEqual(resync, { lastSeq: 0, latestSeq });
    // Live events flow afterwards; no replayed history came.
    const s = await hold(ctx, artists[1], 300, 301);
    await waitBooking(rec, s.id);
    await quiet(300);
    assert.deepEqual(rec.bookingEvents().map((e) => e.bookingId), [s.id]);
    assert.ok(!rec.bookingEvents().some((e) => e.bookingId === extra.id));
    const order = rec.all.map((r) => r.event).filter((e) => e === "resync.required" || e.startsWith("booking."));
    assert.deepEqual(order, ["resync.required", "booking.held"]);

    // resync.required names the lastSeq given (here: 1001 missed after the first event).
    const latest2 = (await feedAll(ctx, latestSeq)).at(-1).seq;
    await delivered(server.url, latest2);
    const { rec: r2 } = await connect(server.url, { token: ctx.tokens.viewer, lastSeq: thousand[0].seq - 1 }, { transports: ["websocket"] });
    const resync2 = await r2.waitFor("resync.required", (r) => r.named("resync.required")[0]);
    assert.deepEqual(resync2, { lastSeq: thousand[0].seq - 1, latestSeq: latest2 });
  });
});

// 9: hold.heartbeat ----------------------------------------------------------------------------------------------

describe("hold.heartbeat", () => {
  test("extends a hold like POST .../extend: ack {expiresAt}, booking.extended written and broadcast", async () => {
    const ctx = await newCtx(server.url, "rt-hb");
    const a = await newArtist(ctx);
    const { socket, rec } = await connect(server.url, { token: ctx.tokens.booker });
    const h = await hold(ctx, a, 0, 1);
    await advance(ctx, 120);
    const res = await ack(socket, "hold.heartbeat", { bookingId: h.id });
    assert.deepEqual(Object.keys(res ?? {}), ["expiresAt"], `ack ${JSON.stringify(res)}`);
    assert.ok(ms(res.expiresAt) >= ms(h.expiresAt) + 120_000, `expiresAt ${res.expiresAt} vs before ${h.expiresAt}`);
    const now = await serverNow(ctx);
    assert.ok(ms(res.expiresAt) <= now + 30 * 60_000, "at most now + holdTtlMinutes (30)");

    const stored = await get(ctx, h.id);
    assert.equal(stored.expiresAt, res.expiresAt);
    assert.equal(stored.status, "hold");
    assert.equal(stored.version, 2);
    const history = await bookingHistory(ctx, h.id);
    assert.deepEqual(history.map((e) => e.type), ["booking.held", "booking.extended"]);
    const ext = history[1];
    assert.equal(ext.actor, ctx.subs.booker);
    assert.equal(ext.booking.expiresAt, res.expiresAt);
    assert.equal(ext.previous?.expiresAt, h.expiresAt, `previous ${JSON.stringify(ext.previous)}`);

    const live = await waitBooking(rec, h.id, "booking.extended");
    assert.deepEqual(live, ext, "the live booking.extended equals the stored event");
  });

  test("at the cap (createdAt + holdMaxMinutes) a heartbeat changes nothing: same expiresAt, no event", async () => {
    const ctx = await newCtx(server.url, "rt-hb-cap");
    const res = await api(ctx, "PATCH", "/tenant", { role: "admin", body: { holdTtlMinutes: 30, holdMaxMinutes: 30 } });
    assert.equal(res.status, 200, res.text);
    const a = await newArtist(ctx);
    const { socket, rec } = await connect(server.url, { token: ctx.tokens.booker });
    const h = await hold(ctx, a, 0, 1);
    await advance(ctx, 60);
    const ackd = await ack(socket, "hold.heartbeat", { bookingId: h.id });
    assert.deepEqual(ackd, { expiresAt: h.expiresAt }, "capped: the same expiresAt");
    const stored = await get(ctx, h.id);
    assert.equal(stored.version, 1);
    assert.equal(stored.expiresAt, h.expiresAt);
    assert.deepEqual((await bookingHistory(ctx, h.id)).map((e) => e.type), ["booking.held"]);
    const s = await hold(ctx, a, 2, 3); // sentinel
    await waitBooking(rec, s.id);
    await quiet(300);
    assert.ok(!rec.bookingEvents().some((e) => e.type === "booking.extended"), "no booking.extended broadcast");
  });

  test("errors ack {error: {code}}: not_found, invalid_transition, forbidden, validation_failed", async () => {
    const ctx = await newCtx(server.url, "rt-hb-err");
    const other = await newCtx(server.url, "rt-hb-other");
    const a = await newArtist(ctx);
    const o = await newArtist(other);
    const { socket } = await connect(server.url, { token: ctx.tokens.booker });
    const h = await hold(ctx, a, 0, 1);
    const c = await confirmed(ctx, a, 2, 3);
    const p = await hold(ctx, a, 4, 5);
    await must(ctx, p.id, "pencil");
    const r = await hold(ctx, a, 6, 7);
    await must(ctx, r.id, "release");
    const foreign = await hold(other, o, 0, 1);

    async function expectError(token: string | undefined, payload: unknown, code: string, what: string) {
      const s = token ? (await connect(server.url, { token })).socket : socket;
      const res = await ack(s, "hold.heartbeat", payload);
      assert.ok(res && typeof res === "object" && res.error, `${what}: ack ${JSON.stringify(res)}`);
      assert.deepEqual(Object.keys(res), ["error"], `${what}: ${JSON.stringify(res)}`);
      assert.equal(res.error.code, code, `${what}: ${JSON.stringify(res)}`);
    }
    await expectError(undefined, { bookingId: randomUUID() }, "not_found", "unknown id");
    await expectError(undefined, { bookingId: "not-a-uuid" }, "not_found", "not a uuid");
    await expectError(undefined, { bookingId: foreign.id }, "not_found", "another tenant's hold");
    await expectError(undefined, { bookingId: c.id }, "invalid_transition", "a confirmed booking");
    await expectError(undefined, { bookingId: p.id }, "invalid_transition", "a pencil");
    await expectError(undefined, { bookingId: r.id }, "invalid_transition", "a released hold");
    await expectError(ctx.tokens.viewer, { bookingId: h.id }, "forbidden", "viewer");
    await expectError(ctx.tokens.artist, { bookingId: h.id }, "forbidden", "artist role");
    await expectError(undefined, {}, "validation_failed", "no bookingId");
    // None of these changed anything.
    assert.deepEqual((await bookingHistory(ctx, h.id)).map((e) => e.type), ["booking.held"]);
    assert.deepEqual((await bookingHistory(other, foreign.id)).map((e) => e.type), ["booking.held"]);
    assert.deepEqual((await bookingHistory(ctx, c.id)).map((e) => e.type), ["booking.confirmed"]);
    // The booker's own heartbeat on h still works.
    const ok = await ack(socket, "hold.heartbeat", { bookingId: h.id });
    assert.equal(typeof ok?.expiresAt, "string", JSON.stringify(ok));
  });
});

// 10: two instances on one database ------------------------------------------------------------------------------------

describe("two instances", () => {
  test("a client of one instance receives changes made through the other, both ways", async (t) => {
    const second = await startServer();
    t.after(() => second.stop());
    await realtimeReady(second.url);
    const ctx = await newCtx(server.url, "rt-two");
    const via2: Ctx = { ...ctx, base: second.url };
    const a = await newArtist(ctx);
    const { rec: on1 } = await connect(server.url, { token: ctx.tokens.viewer });
    const { rec: on2 } = await connect(second.url, { token: ctx.tokens.viewer }, { transports: ["websocket"] });

    const x = await hold(ctx, a, 0, 1); // through instance 1
    await waitBooking(on2, x.id);
    const y = await hold(via2, a, 2, 3); // through instance 2
    await waitBooking(on1, y.id);
    await must(ctx, y.id, "pencil");
    await must(via2, x.id, "confirm");
    await waitBooking(on1, x.id, "booking.confirmed");
    await waitBooking(on2, x.id, "booking.confirmed");
    await waitBooking(on1, y.id, "booking.pencilled");
    await waitBooking(on2, y.id, "booking.pencilled");
    await quiet(300);
    const feed = await feedAll(ctx);
    assert.equal(feed.length, 4);
    assert.deepEqual(on1.bookingEvents(), feed, "instance 1's client: every event once, in seq order");
    assert.deepEqual(on2.bookingEvents(), feed, "instance 2's client: every event once, in seq order");
  });
});

// 11: a client that stops reading ------------------------------------------------------------------------------

describe("a client that stops reading", () => {
  /*
   * What this proves. A websocket client whose TCP socket is paused (socket.io-client in Node runs
   * the `ws` package; ws._socket is the raw net.Socket) no longer reads anything, not even pings.
   * (a) With a short heartbeat (500 ms + 500 ms), the server drops it by ping timeout: its
   *     ptool_realtime_sockets/sessions gauges go from 2 to 1 within a few seconds, while a
   *     healthy client on the same server stays connected across several ping rounds and
   *     receives every event; after resuming, the paused client sees its disconnect.
   * (b) With a heartbeat too long to matter (60 s) and --realtime-max-buffer 65536, the server
   *     drops it because of the bound on what is queued for it: we write ~20 KB events (a PATCH
   *     of 10,000-character notes: `booking` and `previous` both carry notes) until the gauge
   *     drops; the kernel's socket buffers absorb some megabytes first (about 3.5 MB on
   *     loopback), so the loop allows up to 600 events (~12 MB). Meanwhile the healthy client
   *     stays connected and receives every event, in order, and HTTP stays responsive. (That the
   *     reason is "slow client" is only in the server's log; the 60 s heartbeat rules out the
   *     ping timeout.) Pacing: each PATCH waits until the healthy client has its event, so what
   *     is queued for the healthy client never exceeds one event; without it, a burst of events
   *     handed over together (the pump delivers what committed meanwhile in one go; a busy
   *     2-core machine stalls the writer) exceeds 64 KiB with only 4 such events and the
   *     bound rightly drops a client that reads as fast as it can.
   */
  async function twoClients(url: string, ctx: Ctx) {
    const healthy = await connect(url, { token: ctx.tokens.viewer }, { transports: ["websocket"] });
    const paused = await connect(url, { token: ctx.tokens.viewer }, { transports: ["websocket"] });
    await poll("2 sockets on the server", async () => (await realtimeMetrics(url)).sockets === 2);
    return { healthy, paused };
  }

  test("(a) short heartbeat: the paused client is dropped by ping timeout, the healthy one is not", async (t) => {
    const srv = await startServer({ args: ["--ping-interval-ms", "500", "--ping-timeout-ms", "500"] });
    t.after(() => srv.stop());
    await realtimeReady(srv.url);
    const ctx = { ...(await newCtx(srv.url, "rt-slow-a")), base: srv.url };
    const a = await newArtist(ctx);
    const { healthy, paused } = await twoClients(srv.url, ctx);
    const first = await hold(ctx, a, 0, 1);
    await waitBooking(paused.rec, first.id);
    await waitBooking(healthy.rec, first.id);

    const tcp = rawTcp(paused.socket);
    tcp.pause();
    const made: string[] = [];
    await poll("the paused client dropped (ptool_realtime_sockets 1)", async () => {
      made.push((await hold(ctx, a, made.length + 2, made.length + 3)).id);
      const m = await realtimeMetrics(srv.url);
      return m.sockets === 1 && m.sessions === 1;
    }, 10_000);
    // The healthy client lives through more ping rounds (answers them) and keeps receiving.
    await quiet(3000); // proving an absence: the healthy client is not dropped over several ping rounds
    const last = await hold(ctx, a, 100, 101);
    await waitBooking(healthy.rec, last.id);
    assert.ok(healthy.socket.connected, "the healthy client is still connected");
    assert.equal((await realtimeMetrics(srv.url)).sockets, 1);
    assert.deepEqual(healthy.rec.bookingEvents(), await feedAll(ctx), "the healthy client got every event");

    tcp.resume();
    await disconnected(paused.socket);
  });

  test("(b) small --realtime-max-buffer: a paused client is dropped under traffic, the healthy one gets everything", async (t) => {
    const srv = await startServer({
      args: ["--realtime-max-buffer", "65536", "--ping-interval-ms", "60000", "--ping-timeout-ms", "60000"],
    });
    t.after(() => srv.stop());
    await realtimeReady(srv.url);
    const ctx = { ...(await newCtx(srv.url, "rt-slow-b")), base: srv.url };
    const a = await newArtist(ctx);
    const { healthy, paused } = await twoClients(srv.url, ctx);
    let b = await hold(ctx, a, 0, 1);
    await waitBooking(paused.rec, b.id);
    await waitBooking(healthy.rec, b.id);

    let healthyLost = "";
    healthy.socket.on("disconnect", (reason) => (healthyLost = `${reason} after ${healthy.rec.all.length} events`));
    const tcp = rawTcp(paused.socket);
    tcp.pause();
    let sockets = 2;
    let writes = 0;
    for (; writes < 600 && sockets === 2; writes++) {
      const notes = String.fromCharCode(65 + (writes % 26)).repeat(10_000);
      const t0 = Date.now();
      b = await patch(ctx, b.id, b.version, { notes });
      assert.ok(Date.now() - t0 < 2000, `PATCH #${writes} took ${Date.now() - t0} ms`);
      const version = b.version;
      await healthy.rec.waitFor(`the healthy client's event of version ${version}`, (r) =>
        r.bookingEvents().some((e) => e.bookingId === b.id && e.booking.version === version),
      );
      if (writes % 10 === 9) sockets = (await realtimeMetrics(srv.url)).sockets;
    }
    const slowLog = () => srv.output().split("\n").filter((l) => /too slow|timed out|ping timeout/.test(l)).join("\n");
    assert.equal(healthyLost, "", `the healthy client was disconnected; server log:\n${slowLog()}`);
    assert.equal(sockets, 1, `the paused client is still connected server-side after ${writes} events of ~20 KB`);
    t.diagnostic(`the paused client was dropped after ${writes} events of ~20 KB`);
    // A few more after the drop.
    for (let i = 0; i < 3; i++) b = await patch(ctx, b.id, b.version, { title: `after drop ${i}` });
    const feed = await feedAll(ctx);
    await healthy.rec.waitCount(feed.length, 30_000);
    await quiet(300);
    assert.deepEqual(
      healthy.rec.bookingEvents().map((e) => e.seq),
      feed.map((e) => e.seq),
      "the healthy client received every event once, in order",
    );
    assert.ok(healthy.socket.connected);
    assert.equal((await realtimeMetrics(srv.url)).sockets, 1);

    tcp.resume();
    await disconnected(paused.socket, 30_000);
    const got = paused.rec.bookingEvents().map((e) => e.seq);
    assert.ok(got.length < feed.length, "the dropped client did not get everything");
    assert.deepEqual(got, feed.slice(0, got.length).map((e) => e.seq), "what it got is a prefix, in order");
  });
});

// Socket lifecycle ---------------------------------------------------------------------------------------------

describe("socket lifecycle", () => {
  test("the server counts connected sockets and frees them when clients leave", async () => {
    const ctx = await newCtx(server.url, "rt-count");
    await poll("no socket left from earlier tests", async () => (await realtimeMetrics(server.url)).sockets === 0);
    const one = await connect(server.url, { token: ctx.tokens.viewer }, { transports: ["websocket"] });
    const two = await connect(server.url, { token: ctx.tokens.viewer }, { transports: ["polling"] });
    await poll("2 sockets", async () => {
      const m = await realtimeMetrics(server.url);
      return m.sockets === 2 && m.sessions === 2;
    });
    one.socket.disconnect(); // Socket.IO DISCONNECT, then the engine closes
    await poll("1 socket after a client disconnect", async () => (await realtimeMetrics(server.url)).sockets === 1);
    two.socket.io.engine.close(); // polling: the client just stops
    await poll("0 sockets after the polling client closed", async () => {
      const m = await realtimeMetrics(server.url);
      return m.sockets === 0 && m.sessions === 0;
    }, 15_000);
    // A refused handshake leaves nothing behind either.
    await connectError(server.url, { token: "nope" });
    await poll("0 sessions after a refusal", async () => (await realtimeMetrics(server.url)).sessions === 0, 15_000);
  });

  test("an unknown namespace is refused with connect_error 'Invalid namespace'", async () => {
    const ctx = await newCtx(server.url, "rt-nsp");
    const err = await connectError(`${server.url}/admin`, { token: ctx.tokens.viewer });
    assert.equal(err.message, "Invalid namespace");
  });

  test("SIGTERM closes every socket (even one that does not read) and the server exits 0", async (t) => {
    const srv = await startServer();
    t.after(() => srv.stop("SIGKILL"));
    await realtimeReady(srv.url);
    const ctx = { ...(await newCtx(srv.url, "rt-term")), base: srv.url };
    const ws = await connect(srv.url, { token: ctx.tokens.viewer }, { transports: ["websocket"] });
    const polling = await connect(srv.url, { token: ctx.tokens.viewer }, { transports: ["polling"] });
    const upgraded = await connect(srv.url, { token: ctx.tokens.viewer });
    const stuck = await connect(srv.url, { token: ctx.tokens.viewer }, { transports: ["websocket"] });
    await poll("upgrade", async () => transportName(upgraded.socket) === "websocket");
    rawTcp(stuck.socket).pause();
    const gone = [ws, polling, upgraded].map((c) => disconnected(c.socket, 10_000));
    const t0 = Date.now();
    const code = await srv.stop("SIGTERM");
    const took = Date.now() - t0;
    assert.equal(code, 0, `exit code; output:\n${srv.output().slice(-2000)}`);
    assert.ok(took < 10_000, `SIGTERM took ${took} ms`);
    const reasons = await Promise.all(gone);
    t.diagnostic(`disconnect reasons: ${reasons.join(", ")}; exit after ${took} ms`);
  });
});

// 12: unknown and binary events ---------------------------------------------------------------------------------

describe("other client events", () => {
  test("an unknown event with an ack gets {error: {code: 'not_found'}}", async () => {
    const ctx = await newCtx(server.url, "rt-unknown");
    const { socket } = await connect(server.url, { token: ctx.tokens.viewer });
    for (const [event, args] of [
      ["no.such.event", [{ x: 1 }]],
      ["booking.held", [{}]],
      ["resync.required", []],
    ] as Array<[string, unknown[]]>) {
      const res = await ack(socket, event, ...args);
      assert.deepEqual(Object.keys(res ?? {}), ["error"], `${event}: ${JSON.stringify(res)}`);
      assert.equal(res.error.code, "not_found", `${event}: ${JSON.stringify(res)}`);
    }
    // Without an ack: nothing breaks.
    socket.emit("no.such.event", 1, 2, 3);
    const A = await newArtist(ctx);
    assert.deepEqual(await ack(socket, "subscribe", { artistIds: [A] }), { ok: true, artistIds: [A] });
  });

  test("binary events from the client do not break the connection", async () => {
    const ctx = await newCtx(server.url, "rt-binary");
    const a = await newArtist(ctx);
    for (const [i, transports] of [["websocket"], ["polling"]].entries()) {
      const { socket, rec } = await connect(server.url, { token: ctx.tokens.viewer }, { transports });
      socket.emit("upload", Buffer.from([1, 2, 3, 0, 255]));
      socket.emit("upload", { nested: { blob: Buffer.alloc(1024, 7) }, list: [Buffer.from("x")] });
      const res = await ack(socket, "upload", Buffer.from("abc"));
      assert.equal(res?.error?.code, "not_found", `${transports}: binary event with ack: ${JSON.stringify(res)}`);
      const sub = await ack(socket, "subscribe", { artistIds: [a], blob: Buffer.from([9]) });
      assert.deepEqual(sub, { ok: true, artistIds: [a] }, `${transports}: subscribe with a binary member`);
      assert.deepEqual(await ack(socket, "unsubscribe", { artistIds: [a] }), { ok: true, artistIds: [] });
      const h = await hold(ctx, a, 2 * i, 2 * i + 1);
      await waitBooking(rec, h.id);
      assert.ok(socket.connected, `${transports}: still connected`);
      assert.equal(transportName(socket), transports[0]);
      socket.close();
    }
  });
});
