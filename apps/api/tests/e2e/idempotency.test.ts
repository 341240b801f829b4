// Idempotency-Key on POST /bookings and the transitions (SPEC §3.4, §10 "Idempotency"): replay
// with `Idempotent-Replayed: true`, mismatch 422, per tenant + method + path, only 2xx stored,
// keys up to 255 characters, concurrent duplicates never execute twice.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { assertProblem, type Response } from "./lib/http.ts";
import { startServer, type ServerHandle } from "./lib/server.ts";
import {
  act,
  api,
  assertBooking,
  confirmed,
  createBooking,
  events,
  get,
  hold,
  listAll,
  must,
  newArtist,
  newCtx,
  range,
  type Ctx,
} from "./lib/bookings.ts";

let server: ServerHandle;
let ctx: Ctx;
let other: Ctx;

before(async () => {
  server = await startServer({ args: ["--test-clock"] });
  [ctx, other] = await Promise.all([newCtx(server.url, "idem"), newCtx(server.url, "idem-other")]);
});

after(async () => {
  await server?.stop();
});

const key = () => `k-${randomUUID()}`;
const withKey = (k: string) => ({ "idempotency-key": k });

function assertFirst(res: Response, status: number): void {
  assert.equal(res.status, status, res.text);
  assert.equal(res.headers.get("idempotent-replayed"), null, "a first execution is not marked replayed");
}

function assertReplay(res: Response, first: Response): void {
  assert.equal(res.status, first.status, res.text);
  assert.equal(res.headers.get("idempotent-replayed"), "true");
  assert.deepEqual(res.json, first.json);
  for (const h of ["location", "etag"]) assert.equal(res.headers.get(h), first.headers.get(h), h);
}

describe("POST /bookings with Idempotency-Key", () => {
  test("a retry with the same key and body replays the first response; one booking exists", async () => {
    const a = await newArtist(ctx);
    const k = key();
    const body = { artistId: a, ...range(0, 1), title: "once" };
    const first = await createBooking(ctx, body, { headers: withKey(k) });
    assertFirst(first, 201);
    assertBooking(first.json);
    const again = await createBooking(ctx, body, { headers: withKey(k) });
    assertReplay(again, first);
    const all = await listAll(ctx, `artistId=${a}`);
    assert.deepEqual(all.map((b) => b.id), [first.json.id]);
  });

  test("the same body means equal JSON: member order and whitespace do not matter", async () => {
    const a = await newArtist(ctx);
    const k = key();
    const r = range(0, 1);
    const first = await api(ctx, "POST", "/bookings", {
      body: `{"artistId":"${a}","startTime":"${r.startTime}","endTime":"${r.endTime}"}`,
      headers: withKey(k),
    });
    assertFirst(first, 201);
    const again = await api(ctx, "POST", "/bookings", {
      body: `{ "endTime" : "${r.endTime}",\n "startTime": "${r.startTime}", "artistId": "${a}" }`,
      headers: withKey(k),
    });
    assertReplay(again, first);
  });

  test("the same key with a different body is 422 idempotency_key_mismatch and creates nothing", async () => {
    const a = await newArtist(ctx);
    const k = key();
    const first = await createBooking(ctx, { artistId: a, ...range(0, 1) }, { headers: withKey(k) });
    assertFirst(first, 201);
    assertProblem(await createBooking(ctx, { artistId: a, ...range(2, 3) }, { headers: withKey(k) }), 422, "idempotency_key_mismatch");
    assertProblem(await createBooking(ctx, { artistId: a, ...range(0, 1), title: "x" }, { headers: withKey(k) }), 422, "idempotency_key_mismatch");
    assert.equal((await listAll(ctx, `artistId=${a}`)).length, 1);
  });

  test("replays verbatim even after the booking changed", async () => {
    const a = await newArtist(ctx);
    const k = key();
    const body = { artistId: a, ...range(0, 1) };
    const first = await createBooking(ctx, body, { headers: withKey(k) });
    assertFirst(first, 201);
    await must(ctx, first.json.id, "release");
    const again = await createBooking(ctx, body, { headers: withKey(k) });
    assertReplay(again, first);
    assert.equal(again.json.status, "hold");
    assert.equal(again.json.version, 1);
    assert.equal((await get(ctx, first.json.id)).status, "released");
  });

  test("errors are not stored: a retry after a 409 runs again", async () => {
    const a = await newArtist(ctx);
    const c = await confirmed(ctx, a, 0, 2);
    const k = key();
    const body = { artistId: a, ...range(1, 2) };
    const refused = await createBooking(ctx, body, { headers: withKey(k) });
    assertProblem(refused, 409, "booking_conflict");
    assert.equal(refused.headers.get("idempotent-replayed"), null);
    await must(ctx, c.id, "cancel");
    const retry = await createBooking(ctx, body, { headers: withKey(k) });
    assertFirst(retry, 201);
    const replay = await createBooking(ctx, body, { headers: withKey(k) });
    assertReplay(replay, retry);
  });

  test("errors are not stored: a 422 and a 403 with a key do not block the key", async () => {
    const a = await newArtist(ctx);
    const k = key();
    const body = { artistId: a, ...range(0, 1) };
    assertProblem(await createBooking(ctx, { ...body, colour: "red" }, { headers: withKey(k) }), 422, "validation_failed");
    assertProblem(await createBooking(ctx, body, { headers: withKey(k), role: "viewer" }), 403, "forbidden");
    assertFirst(await createBooking(ctx, body, { headers: withKey(k) }), 201);
  });

  test("keys are per tenant", async () => {
    const a = await newArtist(ctx);
    const b = await newArtist(other);
    const k = key();
    const mine = await createBooking(ctx, { artistId: a, ...range(0, 1) }, { headers: withKey(k) });
    assertFirst(mine, 201);
    const theirs = await createBooking(other, { artistId: b, ...range(0, 1) }, { headers: withKey(k) });
    assertFirst(theirs, 201);
    assert.notEqual(theirs.json.id, mine.json.id);
    assert.equal(theirs.json.artistId, b);
  });

  test("a key of 255 characters is fine; 256 is 422", async () => {
    const a = await newArtist(ctx);
    const ok = await createBooking(ctx, { artistId: a, ...range(0, 1) }, { headers: withKey("k".repeat(255)) });
    assertFirst(ok, 201);
    const tooLong = await createBooking(ctx, { artistId: a, ...range(2, 3) }, { headers: withKey("x".repeat(256)) });
    assert.equal(tooLong.status, 422, tooLong.text);
    assert.match(tooLong.headers.get("content-type") ?? "", /^application\/problem\+json\b/);
    assert.equal((await listAll(ctx, `artistId=${a}`)).length, 1, "nothing was created with the long key");
  });

  test("concurrent duplicates never create two bookings", async () => {
    const a = await newArtist(ctx);
    const k = key();
    const body = { artistId: a, ...range(0, 1), title: "race" };
    const results = await Promise.all(Array.from({ length: 20 }, () => createBooking(ctx, body, { headers: withKey(k) })));
    const created = results.filter((r) => r.status === 201);
    for (const r of results) {
      if (r.status === 201) continue;
      const p = assertProblem(r, 409, "idempotency_in_progress");
      assert.equal(r.headers.get("retry-after"), "1");
      assert.ok(p);
    }
    assert.ok(created.length >= 1, "at least one 201");
    const ids = new Set(created.map((r) => r.json.id));
    assert.equal(ids.size, 1, `every 201 is the same booking: ${[...ids].join(", ")}`);
    assert.equal(created.filter((r) => r.headers.get("idempotent-replayed") !== "true").length, 1, "exactly one executed");
    const all = await listAll(ctx, `artistId=${a}`);
    assert.equal(all.length, 1);
    assert.equal((await events(ctx, all[0].id)).length, 1);
  });
});

describe("transitions with Idempotency-Key", () => {
  test("a replayed release returns the first 200 and writes no second event", async () => {
    const a = await newArtist(ctx);
    const h = await hold(ctx, a, 0, 1);
    const k = key();
    const first = await act(ctx, h.id, "release", { body: { reason: "done" }, headers: withKey(k) });
    assertFirst(first, 200);
    const again = await act(ctx, h.id, "release", { body: { reason: "done" }, headers: withKey(k) });
    assertReplay(again, first);
    assert.deepEqual((await events(ctx, h.id)).map((e) => e.type), ["booking.held", "booking.released"]);
    // Without the key the same request runs again and is refused.
    const fresh = await act(ctx, h.id, "release", { body: { reason: "done" } });
    assertProblem(fresh, 409, "invalid_transition");
    // A different body with the key is a mismatch.
    assertProblem(await act(ctx, h.id, "release", { body: { reason: "other" }, headers: withKey(k) }), 422, "idempotency_key_mismatch");
  });

  test("an empty-body transition replays too; the scope is method + path", async () => {
    const a = await newArtist(ctx);
    const h1 = await hold(ctx, a, 0, 1);
    const h2 = await hold(ctx, a, 2, 3);
    const k = key();
    const p1 = await act(ctx, h1.id, "pencil", { headers: withKey(k) });
    assertFirst(p1, 200);
    assertReplay(await act(ctx, h1.id, "pencil", { headers: withKey(k) }), p1);
    // The same key on another booking's path, another action, and POST /bookings: independent.
    const p2 = await act(ctx, h2.id, "pencil", { headers: withKey(k) });
    assertFirst(p2, 200);
    assert.equal(p2.json.id, h2.id);
    const c = await act(ctx, h1.id, "confirm", { headers: withKey(k) });
    assertFirst(c, 200);
    assert.equal(c.json.status, "confirmed");
    const b = await createBooking(ctx, { artistId: a, ...range(4, 5) }, { headers: withKey(k) });
    assertFirst(b, 201);
    assert.deepEqual((await events(ctx, h1.id)).map((e) => e.type), ["booking.held", "booking.pencilled", "booking.confirmed"]);
  });

  test("a failed transition is not stored: after a 409 the retry runs again", async () => {
    const a = await newArtist(ctx);
    const h1 = await hold(ctx, a, 0, 2);
    const h2 = await hold(ctx, a, 1, 2);
    const k = key();
    assertProblem(await act(ctx, h2.id, "pencil", { headers: withKey(k) }), 409, "outranked");
    await must(ctx, h1.id, "release");
    const ok = await act(ctx, h2.id, "pencil", { headers: withKey(k) });
    assertFirst(ok, 200);
    assert.equal(ok.json.status, "pencil");
  });

  test("concurrent duplicate promotions (pencil) with one key execute once", async () => {
    const a = await newArtist(ctx);
    const h = await hold(ctx, a, 0, 1);
    const k = key();
    const results = await Promise.all(Array.from({ length: 10 }, () => act(ctx, h.id, "pencil", { headers: withKey(k) })));
    for (const r of results) {
      if (r.status === 200) continue;
      assertProblem(r, 409, "idempotency_in_progress");
      assert.equal(r.headers.get("retry-after"), "1");
    }
    const ok = results.filter((r) => r.status === 200);
    assert.ok(ok.length >= 1);
    assert.equal(ok.filter((r) => r.headers.get("idempotent-replayed") !== "true").length, 1);
    for (const r of ok) assert.deepEqual(r.json, ok[0].json);
    assert.deepEqual((await events(ctx, h.id)).map((e) => e.type), ["booking.held", "booking.pencilled"]);
  });
});
