// The booking lifecycle over HTTP (SPEC §3, §10 "Lifecycle details" and "Readings"): every cell
// of the §3 table, TTLs and the extension cap on the test clock, lazy expiry and the sweeper,
// exclusivity, ranking/outranked, superseding, and the challenge rules of §3.3.
//
// The test clock is one per server and only moves forward: each test makes its own artist and
// bookings after the previous test's advances, and bookings lie at T0 (2040), beyond them all.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { assertProblem, call } from "./lib/http.ts";
import { startServer, type ServerHandle } from "./lib/server.ts";
import { token } from "./lib/tenant.ts";
import {
  ACTIONS,
  HOUR,
  MINUTE,
  act,
  advance,
  api,
  assertConflict,
  assertInvalidTransition,
  assertOutranked,
  confirmed,
  createBooking,
  eventTypes,
  events,
  get,
  hold,
  iso,
  ms,
  must,
  newArtist,
  newCtx,
  pencil,
  poll,
  range,
  serverNow,
  verifyEvents,
  type Action,
  type Ctx,
} from "./lib/bookings.ts";

let server: ServerHandle;
let ctx: Ctx;
/** Every tenant of this file, for the final verify-events run. */
const tenants: string[] = [];

before(async () => {
  server = await startServer({ args: ["--test-clock"] });
  ctx = await newCtx(server.url, "lifecycle");
  tenants.push(ctx.tenant);
});

after(async () => {
  await server?.stop();
});

async function setTenant(c: Ctx, settings: Record<string, number>): Promise<void> {
  const res = await api(c, "PATCH", "/tenant", { role: "admin", body: settings });
  assert.equal(res.status, 200, `PATCH /tenant: ${res.text}`);
}

/** Waits for the sweeper (or any writer) to record `type` on the booking. */
async function waitForEvent(c: Ctx, id: string, type: string): Promise<any[]> {
  return poll(`${type} on ${id}`, async () => {
    const evs = await events(c, id);
    return evs.some((e) => e.type === type) ? evs : undefined;
  });
}

/** Polls GET until `pred` holds. */
async function waitFor(c: Ctx, id: string, what: string, pred: (b: any) => boolean): Promise<any> {
  return poll(what, async () => {
    const b = await get(c, id);
    return pred(b) ? b : undefined;
  });
}

const EVENT_OF: Record<Action, string> = {
  pencil: "booking.pencilled",
  confirm: "booking.confirmed",
  release: "booking.released",
  cancel: "booking.cancelled",
  extend: "booking.extended",
  challenge: "booking.challenged",
};

describe("the §3 table, cell by cell", () => {
  // [from, action] -> the resulting status, or null for 409 invalid_transition
  const table: Record<"hold" | "pencil" | "confirmed", Record<Action, string | null>> = {
    hold: { pencil: "pencil", confirm: "confirmed", release: "released", cancel: null, extend: "hold", challenge: "§3.3" },
    pencil: { pencil: null, confirm: "confirmed", release: "released", cancel: null, extend: null, challenge: null },
    confirmed: { pencil: null, confirm: null, release: null, cancel: "cancelled", extend: null, challenge: null },
  };

  test("(new): create pencil, create confirmed, create hold", async () => {
    const a = await newArtist(ctx);
    const p = await pencil(ctx, a, 0, 1);
    assert.equal(p.status, "pencil");
    assert.equal(ms(p.expiresAt) - ms(p.createdAt), 48 * HOUR);
    assert.deepEqual(await eventTypes(ctx, p.id), ["booking.pencilled"]);
    const c = await confirmed(ctx, a, 2, 3);
    assert.equal(c.status, "confirmed");
    assert.equal(c.expiresAt, null);
    assert.deepEqual(await eventTypes(ctx, c.id), ["booking.confirmed"]);
    const h = await hold(ctx, a, 4, 5);
    assert.equal(h.status, "hold");
    assert.equal(ms(h.expiresAt) - ms(h.createdAt), 30 * MINUTE);
    assert.deepEqual(await eventTypes(ctx, h.id), ["booking.held"]);
  });

  for (const from of ["hold", "pencil", "confirmed"] as const) {
    for (const action of ACTIONS) {
      const want = table[from][action];
      test(`${from} + ${action} -> ${want ?? "409 invalid_transition"}`, async () => {
        const a = await newArtist(ctx);
        const b = from === "hold" ? await hold(ctx, a, 0, 2) : from === "pencil" ? await pencil(ctx, a, 0, 2) : await confirmed(ctx, a, 0, 2);
        const res = await act(ctx, b.id, action, action === "release" || action === "cancel" ? { body: { reason: "why" } } : {});
        if (want === null) {
          assertInvalidTransition(res, from);
          assert.deepEqual(await get(ctx, b.id), b, "a refused transition changes nothing");
          assert.equal((await events(ctx, b.id)).length, 1);
          return;
        }
        if (want === "§3.3") {
          // No overlapping pencil to challenge.
          assertInvalidTransition(res, "hold");
          return;
        }
        assert.equal(res.status, 200, res.text);
        const after = res.json;
        assert.equal(after.status, want);
        assert.equal(after.id, b.id);
        assert.equal(res.headers.get("etag"), `"${after.version}"`);
        assert.deepEqual(await get(ctx, b.id), after);
        if (action === "extend") {
          assert.ok(ms(after.expiresAt) >= ms(b.expiresAt), "extend never shortens");
          return;
        }
        assert.equal(after.version, 2);
        const evs = await events(ctx, b.id);
        assert.deepEqual(evs.map((e) => e.type), [evs[0].type, EVENT_OF[action]]);
        assert.deepEqual(evs[1].booking, after);
        assert.equal(evs[1].previous.status, from);
        assert.equal(evs[1].actor, ctx.subs[action === "confirm" || action === "cancel" ? "manager" : "booker"]);
        if (want === "pencil") assert.equal(ms(after.expiresAt) - ms(after.updatedAt), 48 * HOUR);
        if (want === "confirmed") assert.equal(after.expiresAt, null);
        if (want === "released" || want === "cancelled") {
          assert.equal(after.statusReason, "why");
          assert.equal(evs[1].reason, "why");
        }
      });
    }
  }

  test("release and cancel without a reason leave statusReason null", async () => {
    const a = await newArtist(ctx);
    const r = await must(ctx, (await hold(ctx, a, 0, 1)).id, "release");
    assert.equal(r.statusReason, null);
    const c = await must(ctx, (await confirmed(ctx, a, 2, 3)).id, "cancel", { body: {} });
    assert.equal(c.statusReason, null);
    assert.equal(c.status, "cancelled");
  });

  test("terminal states never change again: every action and PATCH are 409 invalid_transition", async () => {
    const a = await newArtist(ctx);
    const released = await must(ctx, (await hold(ctx, a, 0, 1)).id, "release");
    const cancelled = await must(ctx, (await confirmed(ctx, a, 2, 3)).id, "cancel");
    const toExpire = await hold(ctx, a, 4, 5);
    const pencilToExpire = await pencil(ctx, a, 6, 7);
    await advance(ctx, 48 * 3600 + 60);
    // Let the sweeper write the expiries first, so the versions below are stable.
    await waitForEvent(ctx, toExpire.id, "booking.expired");
    await waitForEvent(ctx, pencilToExpire.id, "booking.expired");
    for (const [b, status] of [
      [released, "released"],
      [cancelled, "cancelled"],
      [toExpire, "expired"],
      [pencilToExpire, "expired"],
    ] as const) {
      for (const action of ACTIONS) {
        assertInvalidTransition(await act(ctx, b.id, action, { role: "admin" }), status);
      }
      const cur = await get(ctx, b.id);
      assert.equal(cur.status, status);
      const res = await api(ctx, "PATCH", `/bookings/${b.id}`, { role: "admin", body: { title: "x" }, headers: { "if-match": `"${cur.version}"` } });
      assertInvalidTransition(res, status);
    }
    assert.equal((await get(ctx, released.id)).version, released.version);
    assert.equal((await get(ctx, cancelled.id)).version, cancelled.version);
  });
});

describe("time limits (§3.2)", () => {
  test("the test clock moves booking time, not token expiry (tokens keep their real-time exp)", async () => {
    const short = await token({ tenant: ctx.tenant, user: "short@lifecycle", role: "viewer", ttl: "1h" });
    await advance(ctx, 2 * 3600);
    const res = await call(ctx.base, "GET", "/api/v1/tenant", { token: short });
    assert.equal(res.status, 200, `a 1 h token 2 test-clock hours later: ${res.status} ${res.text}`);
  });

  test("a hold lives holdTtlMinutes; a read right after expiresAt shows expired, every transition 409", async () => {
    const a = await newArtist(ctx);
    const h = await hold(ctx, a, 0, 1);
    await advance(ctx, 29 * 60);
    assert.equal((await get(ctx, h.id)).status, "hold");
    await advance(ctx, 61);
    const g = await get(ctx, h.id);
    assert.equal(g.status, "expired");
    assert.equal(g.expiresAt, h.expiresAt);
    for (const action of ACTIONS) assertInvalidTransition(await act(ctx, h.id, action, { role: "admin" }), "expired");
  });

  test("the sweeper writes booking.expired within seconds (version + 1, previous.status)", async () => {
    const a = await newArtist(ctx);
    const h = await hold(ctx, a, 0, 1);
    const p = await pencil(ctx, a, 2, 3);
    await advance(ctx, 48 * 3600 + 60);
    const hEvents = await waitForEvent(ctx, h.id, "booking.expired");
    assert.deepEqual(hEvents.map((e) => e.type), ["booking.held", "booking.expired"]);
    const e = hEvents[1];
    assert.equal(e.booking.status, "expired");
    assert.equal(e.booking.version, 2);
    assert.equal(e.previous.status, "hold");
    assert.equal(e.booking.expiresAt, h.expiresAt, "expiresAt is kept on expiry");
    const g = await get(ctx, h.id);
    assert.equal(g.version, 2);
    assert.equal(g.status, "expired");
    const pEvents = await waitForEvent(ctx, p.id, "booking.expired");
    assert.deepEqual(pEvents.map((x) => x.type), ["booking.pencilled", "booking.expired"]);
    assert.equal(pEvents[1].previous.status, "pencil");
  });

  test("a pencil lives pencilTtlHours (48 h); a confirmed booking never expires", async () => {
    const a = await newArtist(ctx);
    const p = await pencil(ctx, a, 0, 1);
    const c = await confirmed(ctx, a, 2, 3);
    const h = await hold(ctx, a, 4, 5);
    const p2 = await must(ctx, h.id, "pencil");
    assert.equal(ms(p2.expiresAt) - ms(p2.updatedAt), 48 * HOUR);
    await advance(ctx, 47 * 3600);
    assert.equal((await get(ctx, p.id)).status, "pencil");
    assert.equal((await get(ctx, p2.id)).status, "pencil");
    await advance(ctx, 3600 + 60);
    assert.equal((await get(ctx, p.id)).status, "expired");
    assert.equal((await get(ctx, p2.id)).status, "expired");
    assertInvalidTransition(await act(ctx, p.id, "confirm"), "expired");
    await advance(ctx, 30 * 24 * 3600);
    const g = await get(ctx, c.id);
    assert.equal(g.status, "confirmed");
    assert.equal(g.version, 1);
  });

  test("confirmBy must lie in [now+24h, now+48h] with 60 s tolerance; it sets expiresAt", async () => {
    const a = await newArtist(ctx);
    let now = await serverNow(ctx);
    for (const [offset, ok] of [
      [24 * HOUR - 30_000, true],
      [48 * HOUR + 30_000, true],
      [36 * HOUR, true],
      [24 * HOUR - 5 * MINUTE, false],
      [48 * HOUR + 5 * MINUTE, false],
      [-HOUR, false],
    ] as const) {
      const h = await hold(ctx, a, 0, 1);
      const confirmBy = iso(now + offset);
      const res = await act(ctx, h.id, "pencil", { body: { confirmBy } });
      if (ok) {
        assert.equal(res.status, 200, `${offset}: ${res.text}`);
        assert.equal(res.json.expiresAt, confirmBy);
        await must(ctx, h.id, "release");
      } else {
        const p = assertProblem(res, 422, "validation_failed");
        assert.deepEqual(p.errors.map((e: any) => e.path), ["/confirmBy"]);
        await must(ctx, h.id, "release");
      }
      now = await serverNow(ctx);
    }
  });

  test("extend: min(now + holdTtl, createdAt + holdMax); at the cap 200 with nothing changed", async () => {
    const c = await newCtx(server.url, "lifecycle-cap");
    tenants.push(c.tenant);
    await setTenant(c, { holdTtlMinutes: 30, holdMaxMinutes: 45 });
    const a = await newArtist(c);
    const h = await hold(c, a, 0, 1);
    assert.equal(ms(h.expiresAt) - ms(h.createdAt), 30 * MINUTE);
    await advance(c, 10 * 60);
    const e1 = await must(c, h.id, "extend");
    assert.equal(e1.status, "hold");
    assert.equal(e1.version, 2);
    assert.equal(ms(e1.expiresAt), ms(e1.updatedAt) + 30 * MINUTE);
    let evs = await events(c, h.id);
    assert.deepEqual(evs.map((e) => e.type), ["booking.held", "booking.extended"]);
    assert.equal(evs[1].previous.expiresAt, h.expiresAt);
    await advance(c, 10 * 60);
    const e2 = await must(c, h.id, "extend");
    assert.equal(e2.version, 3);
    assert.equal(ms(e2.expiresAt), ms(h.createdAt) + 45 * MINUTE, "capped at createdAt + holdMaxMinutes");
    const e3 = await must(c, h.id, "extend");
    assert.deepEqual(e3, e2, "extending at the cap changes nothing");
    evs = await events(c, h.id);
    assert.equal(evs.length, 3, "no event for an extension at the cap");
    await advance(c, 26 * 60);
    assertInvalidTransition(await act(c, h.id, "extend"), "expired");
  });

  test("a lapsed pencil does not block: an overlapping pencil succeeds and the lapsed one is expired with its event", async () => {
    const a = await newArtist(ctx);
    const p = await pencil(ctx, a, 0, 2);
    await advance(ctx, 48 * 3600 + 60);
    const q = await pencil(ctx, a, 1, 3);
    assert.equal(q.status, "pencil");
    const evs = await waitForEvent(ctx, p.id, "booking.expired");
    assert.deepEqual(evs.map((e) => e.type), ["booking.pencilled", "booking.expired"]);
    assert.equal((await get(ctx, p.id)).status, "expired");
    // and a lapsed hold does not outrank
    const h = await hold(ctx, a, 10, 12);
    await advance(ctx, 31 * 60);
    const late = await hold(ctx, a, 11, 12);
    const promoted = await must(ctx, late.id, "pencil");
    assert.equal(promoted.status, "pencil");
    assert.equal((await get(ctx, h.id)).status, "expired");
  });
});

describe("exclusivity, ranking and superseding (§3.1, §3.3)", () => {
  test("hold vs confirmed is a conflict; holds queue behind a pencil and each other", async () => {
    const a = await newArtist(ctx);
    const c = await confirmed(ctx, a, 0, 2);
    assertConflict(await createBooking(ctx, { artistId: a, ...range(1, 3) }), [c]);
    const p = await pencil(ctx, a, 4, 6);
    const h1 = await hold(ctx, a, 5, 7);
    const h2 = await hold(ctx, a, 5, 6);
    assert.equal(h1.status, "hold");
    assert.equal(h2.status, "hold");
    assertConflict(await createBooking(ctx, { artistId: a, ...range(5, 8), status: "pencil" }), [p]);
    assertConflict(await createBooking(ctx, { artistId: a, ...range(1, 5), status: "confirmed" }), [c, p]);
  });

  test("promoting or confirming an outranked hold is 409 outranked; the top hold may", async () => {
    const a = await newArtist(ctx);
    const h1 = await hold(ctx, a, 0, 2);
    const h2 = await hold(ctx, a, 1, 3);
    const far = await hold(ctx, a, 10, 11);
    assertOutranked(await act(ctx, h2.id, "pencil"), [h1]);
    assertOutranked(await act(ctx, h2.id, "confirm"), [h1]);
    assert.equal((await get(ctx, h2.id)).version, 1);
    const p1 = await must(ctx, h1.id, "pencil");
    assert.equal(p1.status, "pencil");
    // A pencil never supersedes: h2 keeps queueing, now behind a pencil.
    assert.equal((await get(ctx, h2.id)).status, "hold");
    assertConflict(await act(ctx, h2.id, "pencil"), [p1]);
    assert.equal((await get(ctx, far.id)).status, "hold");
    assert.equal((await must(ctx, far.id, "pencil")).status, "pencil");
  });

  test("rank: higher priority first, then earlier createdAt", async () => {
    const a = await newArtist(ctx);
    const low = await hold(ctx, a, 0, 2);
    const high = await hold(ctx, a, 1, 2, { priority: 10 });
    const highLater = await hold(ctx, a, 0, 2, { priority: 10 });
    assertOutranked(await act(ctx, low.id, "pencil"), [high, highLater]);
    assertOutranked(await act(ctx, low.id, "confirm"), [high, highLater]);
    // Equal priority: the earlier createdAt ranks above.
    assertOutranked(await act(ctx, highLater.id, "pencil"), [high]);
    const p = await must(ctx, high.id, "pencil");
    assert.equal(p.status, "pencil");
    assertConflict(await act(ctx, highLater.id, "pencil"), [p]);
    // Ranking counts overlapping holds only: a hold beside them is free to promote.
    const beside = await hold(ctx, a, 2, 3);
    assert.equal((await must(ctx, beside.id, "pencil")).status, "pencil");
  });

  test("a direct pencil/confirmed create competes as if created now", async () => {
    const a = await newArtist(ctx);
    const h = await hold(ctx, a, 0, 2);
    assertOutranked(await createBooking(ctx, { artistId: a, ...range(1, 3), status: "pencil" }), [h]);
    assertOutranked(await createBooking(ctx, { artistId: a, ...range(1, 3), status: "confirmed" }), [h]);
    // Higher priority wins: a pencil leaves the hold queueing, a confirmed booking supersedes it.
    const p = await pencil(ctx, a, 1, 2, { priority: 5 });
    assert.equal((await get(ctx, h.id)).status, "hold");
    await must(ctx, p.id, "release");
    const c = await confirmed(ctx, a, 1, 2, { priority: 5 });
    const g = await get(ctx, h.id);
    assert.equal(g.status, "released");
    assert.equal(g.statusReason, "superseded");
    const evs = await events(ctx, h.id);
    assert.deepEqual(evs.map((e) => e.type), ["booking.held", "booking.released"]);
    assert.equal(evs[1].actor, ctx.subs.manager, "a cascaded change carries the caller's sub");
    assert.equal(c.status, "confirmed");
  });

  test("booking_conflict wins over outranked", async () => {
    const a = await newArtist(ctx);
    const h = await hold(ctx, a, 0, 2);
    const c = await confirmed(ctx, a, 2, 4);
    assertConflict(await createBooking(ctx, { artistId: a, ...range(1, 3), status: "pencil" }), [c]);
    assert.equal((await get(ctx, h.id)).status, "hold");
  });

  test("confirmation supersedes every overlapping active hold, in the same transaction", async () => {
    const a = await newArtist(ctx);
    const h1 = await hold(ctx, a, 0, 4);
    const h2 = await hold(ctx, a, 3, 5);
    const h3 = await hold(ctx, a, 1, 2);
    const away = await hold(ctx, a, 4, 5); // touches h1 only
    const done = await must(ctx, h1.id, "confirm");
    assert.equal(done.status, "confirmed");
    for (const h of [h2, h3]) {
      const g = await get(ctx, h.id);
      assert.equal(g.status, "released");
      assert.equal(g.statusReason, "superseded");
      assert.equal(g.version, 2);
      const evs = await events(ctx, h.id);
      assert.equal(evs[1].type, "booking.released");
      assert.equal(evs[1].actor, ctx.subs.manager);
      assert.equal(evs[1].booking.statusReason, "superseded");
    }
    assert.equal((await get(ctx, away.id)).status, "hold");
  });

  test("confirming a pencil is never outranked and supersedes the holds queueing behind it", async () => {
    const a = await newArtist(ctx);
    const p = await pencil(ctx, a, 0, 2);
    const h = await hold(ctx, a, 1, 2, { priority: 50 });
    const c = await must(ctx, p.id, "confirm");
    assert.equal(c.status, "confirmed");
    assert.equal((await get(ctx, h.id)).statusReason, "superseded");
  });

  test("a confirmed booking rescheduled over lower-ranked holds supersedes them", async () => {
    const a = await newArtist(ctx);
    const c = await confirmed(ctx, a, 0, 1);
    const h = await hold(ctx, a, 2, 3);
    const res = await api(ctx, "PATCH", `/bookings/${c.id}`, { body: range(2, 4), headers: { "if-match": '"1"' } });
    assert.equal(res.status, 200, res.text);
    const g = await get(ctx, h.id);
    assert.equal(g.status, "released");
    assert.equal(g.statusReason, "superseded");
    assert.deepEqual(await eventTypes(ctx, c.id), ["booking.confirmed", "booking.rescheduled"]);
  });

  test("PATCH re-checks rank with the booking's own priority and createdAt", async () => {
    const a = await newArtist(ctx);
    const top = await hold(ctx, a, 0, 1);
    const p = await pencil(ctx, a, 2, 3);
    const res = await api(ctx, "PATCH", `/bookings/${p.id}`, { body: range(0, 1), headers: { "if-match": '"1"' } });
    assertOutranked(res, [top]);
    assert.equal((await get(ctx, p.id)).startTime, p.startTime);
  });
});

describe("challenge (§3.3, §10 Readings)", () => {
  /** A pencil and a later hold overlapping it; the hold challenges. */
  async function challenged(c: Ctx, reason?: string): Promise<{ a: string; p: any; h: any; ch: any; pc: any }> {
    const a = await newArtist(c);
    const p = await pencil(c, a, 0, 2);
    const h = await hold(c, a, 1, 3);
    const ch = await must(c, h.id, "challenge", reason ? { body: { reason } } : {});
    const pc = await get(c, p.id);
    return { a, p, h, ch, pc };
  }

  test("opening: both versions bump, both get booking.challenged, the deadline and the challenger's expiry", async () => {
    const { p, h, ch, pc } = await challenged(ctx, "need the day");
    assert.equal(ch.id, h.id, "the response is the challenger");
    assert.equal(ch.status, "hold");
    assert.equal(ch.version, 2);
    assert.equal(pc.status, "pencil");
    assert.equal(pc.version, 2);
    assert.equal(pc.challenge.byBookingId, h.id);
    assert.equal(ch.challenge, null);
    // deadline = min(now + 24 h, pencil.expiresAt); the pencil has 48 h left.
    assert.equal(ms(pc.challenge.deadline), ms(ch.updatedAt) + 24 * HOUR);
    assert.ok(ms(ch.expiresAt) >= ms(pc.challenge.deadline), "the challenger does not expire before the deadline");
    for (const id of [p.id, h.id]) {
      const evs = await events(ctx, id);
      assert.equal(evs.at(-1).type, "booking.challenged");
      assert.equal(evs.at(-1).reason, "need the day");
    }
    // Extending never lowers it below the deadline.
    const ext = await must(ctx, h.id, "extend");
    assert.ok(ms(ext.expiresAt) >= ms(pc.challenge.deadline));
    // The challenger outlives its hold TTL while the challenge runs.
    await advance(ctx, 2 * 3600);
    assert.equal((await get(ctx, h.id)).status, "hold");
    assert.equal((await get(ctx, p.id)).status, "pencil");
  });

  test("deadline passes: the pencil is released challenge_lost, the challenger promoted (challenge_won)", async () => {
    const { p, h, pc } = await challenged(ctx);
    await advance(ctx, 24 * 3600 + 60);
    const lost = await waitFor(ctx, p.id, "the pencil to lose", (b) => b.status === "released");
    assert.equal(lost.statusReason, "challenge_lost");
    assert.equal(lost.challenge, null);
    assert.ok(ms(pc.challenge.deadline) <= ms(lost.updatedAt));
    const won = await waitFor(ctx, h.id, "the challenger to win", (b) => b.status === "pencil");
    assert.equal((await eventTypes(ctx, h.id)).at(-1), "booking.challenge_won");
    assert.deepEqual((await eventTypes(ctx, p.id)).slice(-1), ["booking.released"]);
    assert.ok(ms(won.expiresAt) > ms(won.updatedAt));
  });

  test("the pencil is released: it keeps the caller's reason and the challenger is pencil at once", async () => {
    const { p, h } = await challenged(ctx);
    const rel = await must(ctx, p.id, "release", { body: { reason: "client passed" } });
    assert.equal(rel.status, "released");
    assert.equal(rel.statusReason, "client passed");
    const won = await get(ctx, h.id);
    assert.equal(won.status, "pencil");
    assert.equal(won.version, 3);
    assert.equal((await eventTypes(ctx, h.id)).at(-1), "booking.challenge_won");
  });

  test("the pencil is released without a reason: statusReason null", async () => {
    const { p, h } = await challenged(ctx);
    const rel = await must(ctx, p.id, "release");
    assert.equal(rel.statusReason, null);
    assert.equal((await get(ctx, h.id)).status, "pencil");
  });

  test("the pencil is confirmed: the challenge fails, the challenger stays a hold (now + holdTtl, uncapped), other holds superseded", async () => {
    const c = await newCtx(server.url, "lifecycle-fail");
    tenants.push(c.tenant);
    await setTenant(c, { holdTtlMinutes: 30, holdMaxMinutes: 45 });
    const { p, h } = await challenged(c);
    const other = await hold(c, p.artistId, 0, 1);
    await advance(c, 20 * 60);
    const conf = await must(c, p.id, "confirm");
    assert.equal(conf.status, "confirmed");
    assert.equal(conf.challenge, null);
    const failed = await get(c, h.id);
    assert.equal(failed.status, "hold");
    assert.equal(ms(failed.expiresAt), ms(conf.updatedAt) + 30 * MINUTE, "now + holdTtlMinutes, not capped by holdMaxMinutes");
    assert.ok(ms(failed.expiresAt) > ms(h.createdAt) + 45 * MINUTE);
    assert.equal((await eventTypes(c, h.id)).at(-1), "booking.challenge_failed");
    const sup = await get(c, other.id);
    assert.equal(sup.status, "released");
    assert.equal(sup.statusReason, "superseded");
  });

  test("releasing the challenger withdraws the challenge; the pencil may be challenged again", async () => {
    const { a, p, h, pc } = await challenged(ctx);
    await must(ctx, h.id, "release");
    const back = await get(ctx, p.id);
    assert.equal(back.status, "pencil");
    assert.equal(back.challenge, null);
    assert.equal(back.version, pc.version + 1);
    assert.equal((await eventTypes(ctx, p.id)).at(-1), "booking.challenge_withdrawn");
    const h2 = await hold(ctx, a, 0, 1);
    const again = await must(ctx, h2.id, "challenge");
    assert.equal(again.status, "hold");
    assert.equal((await get(ctx, p.id)).challenge.byBookingId, h2.id);
  });

  test("rescheduling the challenger withdraws the challenge", async () => {
    const { p, h } = await challenged(ctx);
    const moved = await api(ctx, "PATCH", `/bookings/${h.id}`, { body: range(1, 4), headers: { "if-match": '"2"' } });
    assert.equal(moved.status, 200, moved.text);
    const back = await get(ctx, p.id);
    assert.equal(back.challenge, null);
    assert.equal((await eventTypes(ctx, p.id)).at(-1), "booking.challenge_withdrawn");
  });

  test("who may challenge is read per pencil: a higher hold on the pencil outranks a caller it does not overlap", async () => {
    const a = await newArtist(ctx);
    const p = await pencil(ctx, a, 0, 2);
    const h1 = await hold(ctx, a, 0, 1);
    const h2 = await hold(ctx, a, 1, 2);
    assertOutranked(await act(ctx, h2.id, "challenge"), [h1]);
    assert.equal((await get(ctx, p.id)).challenge, null);
  });

  test("refusals: no pencil / already challenged -> invalid_transition; not top-ranked -> outranked; a pencil or confirmed caller -> invalid_transition", async () => {
    const a = await newArtist(ctx);
    const lone = await hold(ctx, a, 20, 21);
    assertInvalidTransition(await act(ctx, lone.id, "challenge"), "hold");
    const p = await pencil(ctx, a, 0, 2);
    const h1 = await hold(ctx, a, 0, 2);
    const h2 = await hold(ctx, a, 1, 2);
    const h3 = await hold(ctx, a, 1, 3, { priority: 3 });
    // h3 ranks above both (priority), h1 above h2 (createdAt).
    assertOutranked(await act(ctx, h2.id, "challenge"), [h1, h3]);
    assertOutranked(await act(ctx, h1.id, "challenge"), [h3]);
    await must(ctx, h3.id, "release");
    await must(ctx, h1.id, "challenge");
    // Already challenged comes before rank.
    assertInvalidTransition(await act(ctx, h2.id, "challenge"), "hold");
    assertInvalidTransition(await act(ctx, h1.id, "challenge"), "hold");
    assertInvalidTransition(await act(ctx, p.id, "challenge"), "pencil");
    const c = await confirmed(ctx, a, 30, 31);
    assertInvalidTransition(await act(ctx, c.id, "challenge", { role: "manager" }), "confirmed");
  });

  test("multi-pencil: one challenge on every overlapping pencil; won when none is left", async () => {
    const a = await newArtist(ctx);
    const p1 = await pencil(ctx, a, 0, 2);
    const p2 = await pencil(ctx, a, 2, 4);
    const h = await hold(ctx, a, 1, 3);
    await must(ctx, h.id, "challenge");
    const c1 = await get(ctx, p1.id);
    const c2 = await get(ctx, p2.id);
    assert.equal(c1.challenge.byBookingId, h.id);
    assert.equal(c2.challenge.byBookingId, h.id);
    await must(ctx, p1.id, "release");
    assert.equal((await get(ctx, h.id)).status, "hold", "one pencil is still left");
    assert.equal((await get(ctx, p2.id)).challenge.byBookingId, h.id);
    await must(ctx, p2.id, "release");
    assert.equal((await get(ctx, h.id)).status, "pencil");
    assert.equal((await eventTypes(ctx, h.id)).at(-1), "booking.challenge_won");
  });

  test("multi-pencil: both lose by deadline; the challenger wins", async () => {
    const a = await newArtist(ctx);
    const p1 = await pencil(ctx, a, 0, 2);
    const p2 = await pencil(ctx, a, 2, 4);
    const h = await hold(ctx, a, 1, 3);
    await must(ctx, h.id, "challenge");
    await advance(ctx, 24 * 3600 + 60);
    await waitFor(ctx, h.id, "the challenger to win", (b) => b.status === "pencil");
    for (const p of [p1, p2]) {
      const g = await get(ctx, p.id);
      assert.equal(g.status, "released");
      assert.equal(g.statusReason, "challenge_lost");
    }
  });

  test("multi-pencil: fails as soon as one is confirmed; then a confirmed overlap makes a new challenge booking_conflict", async () => {
    const a = await newArtist(ctx);
    const p1 = await pencil(ctx, a, 0, 2);
    const p2 = await pencil(ctx, a, 2, 4);
    const h = await hold(ctx, a, 1, 3);
    await must(ctx, h.id, "challenge");
    const c2 = await must(ctx, p2.id, "confirm");
    assert.equal((await get(ctx, h.id)).status, "hold");
    assert.equal((await eventTypes(ctx, h.id)).at(-1), "booking.challenge_failed");
    const g1 = await get(ctx, p1.id);
    assert.equal(g1.status, "pencil");
    assert.equal(g1.challenge, null, "the failed challenge is off every pencil");
    assertConflict(await act(ctx, h.id, "challenge"), [c2]);
  });

  test("a deadline equal to the pencil's expiresAt is a lost challenge, not an expiry", async () => {
    const c = await newCtx(server.url, "lifecycle-window");
    tenants.push(c.tenant);
    await setTenant(c, { challengeWindowHours: 72 });
    const { p, h, pc } = await challenged(c);
    assert.equal(pc.challenge.deadline, p.expiresAt);
    await advance(c, 48 * 3600 + 60);
    const lost = await waitFor(c, p.id, "the pencil to lose", (b) => b.status !== "pencil");
    assert.equal(lost.status, "released");
    assert.equal(lost.statusReason, "challenge_lost");
    const won = await waitFor(c, h.id, "the challenger to win", (b) => b.status === "pencil");
    assert.equal(won.status, "pencil");
    assert.ok(!(await eventTypes(c, p.id)).includes("booking.expired"));
  });
});

describe("the log", () => {
  test("every booking of this file replays to its row (ptool verify-events)", async () => {
    for (const t of tenants) {
      const r = await verifyEvents(t);
      assert.equal(r.code, 0, `verify-events --tenant ${t}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    }
  });
});
