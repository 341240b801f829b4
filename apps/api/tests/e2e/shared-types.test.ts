// @ptool/shared-types against the real server: every response body and Socket.IO payload a client
// sees — bookings through every transition (challenge won/failed/withdrawn, reschedule, update,
// cancel, expiry on the test clock), lists, both event feeds, artists, availability, schedule,
// slots, projects, tenant, each problem+json kind, socket events and acks — parsed strictly with
// the package's Zod schemas, so a member the server adds, drops or retypes fails here.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";

import {
  Artist,
  ArtistPage,
  Availability,
  AvailabilityChanged,
  BOOKING_EVENT_TYPES,
  Booking,
  BookingEvent,
  BookingEventPage,
  BookingPage,
  EventPage,
  HoldHeartbeatAck,
  Problem,
  Project,
  ProjectPage,
  Schedule,
  Slots,
  SubscribeAck,
  Tenant,
  TestClock,
  type BookingEventType,
  type ProblemCode,
} from "@ptool/shared-types";
import type { z } from "zod";

import {
  HOUR,
  act,
  api,
  createBooking,
  newArtist,
  newCtx,
  poll,
  range,
  T0,
  iso,
  type Action,
  type Ctx,
} from "./lib/bookings.ts";
import { call, type Response } from "./lib/http.ts";
import { ack, closeSockets, connect, realtimeReady, type Recorder } from "./lib/realtime.ts";
import { startServer, type ServerHandle } from "./lib/server.ts";
import type { Role } from "./lib/tenant.ts";
import type { Socket } from "socket.io-client";

let server: ServerHandle;
let ctx: Ctx;
/** A viewer's socket, connected before anything happens: it must receive every event of the tenant. */
let watcher: { socket: Socket; rec: Recorder };

before(async () => {
  server = await startServer({ args: ["--test-clock"] });
  await realtimeReady(server.url);
  ctx = await newCtx(server.url, "types");
  watcher = await connect(server.url, { token: ctx.tokens.viewer });
});

after(async () => {
  closeSockets();
  await server?.stop();
});

// Parsing -----------------------------------------------------------------------------------------

/** Parses strictly; on failure names what was parsed, Zod's issues and the value. */
function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    assert.fail(`${what} does not match the schema: ${JSON.stringify(r.error.issues)}\n${JSON.stringify(value).slice(0, 3000)}`);
  }
  return r.data;
}

/** A 2xx response parsed with `schema`. */
function body<S extends z.ZodType>(res: Response, status: number, schema: S, what: string): z.output<S> {
  assert.equal(res.status, status, `${what}: ${res.status} ${res.text.slice(0, 500)}`);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json\b/, `${what}: content type`);
  return parse(schema, res.json, what);
}

/** Problem codes seen, to prove each kind the brief lists was parsed. */
const problemCodes = new Set<ProblemCode>();

/** A problem+json response parsed with Problem; asserts status and code. */
function problem(res: Response, status: number, code: ProblemCode, what: string): Problem {
  assert.equal(res.status, status, `${what}: expected ${status} ${code}, got ${res.status} ${res.text.slice(0, 500)}`);
  assert.match(res.headers.get("content-type") ?? "", /^application\/problem\+json\b/, `${what}: content type`);
  const p = parse(Problem, res.json, `${what} (problem)`);
  assert.equal(p.code, code, what);
  assert.equal(p.status, status, what);
  problemCodes.add(code);
  return p;
}

// Booking calls -------------------------------------------------------------------------------

async function create(b: Record<string, unknown>, role?: Role): Promise<Booking> {
  const res = await createBooking(ctx, b, role ? { role } : {});
  return body(res, 201, Booking, `POST /bookings ${JSON.stringify(b)}`);
}

function holdAt(artistId: string, fromH: number, toH: number, extra: Record<string, unknown> = {}): Promise<Booking> {
  return create({ artistId, ...range(fromH, toH), ...extra });
}

async function transition(b: Booking, action: Action, reqBody?: unknown): Promise<Booking> {
  const res = await act(ctx, b.id, action, {
    headers: { "if-match": `"${b.version}"` },
    ...(reqBody !== undefined ? { body: reqBody } : {}),
  });
  const out = body(res, 200, Booking, `POST /bookings/${b.id}/${action}`);
  assert.equal(res.headers.get("etag"), `"${out.version}"`);
  return out;
}

async function patch(b: Booking, changes: Record<string, unknown>): Promise<Booking> {
  const res = await api(ctx, "PATCH", `/bookings/${b.id}`, { body: changes, headers: { "if-match": `"${b.version}"` } });
  return body(res, 200, Booking, `PATCH /bookings/${b.id}`);
}

async function read(id: string): Promise<Booking> {
  return body(await api(ctx, "GET", `/bookings/${id}`, { role: "viewer" }), 200, Booking, `GET /bookings/${id}`);
}

/** A booking's whole history (GET /bookings/{id}/events, every page parsed). */
async function history(id: string): Promise<BookingEvent[]> {
  const out: BookingEvent[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 50; i++) {
    const q: string = `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const page = body(await api(ctx, "GET", `/bookings/${id}/events${q}`, { role: "viewer" }), 200, BookingEventPage, `GET /bookings/${id}/events${q}`);
    out.push(...page.data);
    cursor = page.nextCursor;
    if (cursor === null) return out;
  }
  assert.fail("too many pages of a booking's history");
}

async function lastType(id: string): Promise<BookingEventType | undefined> {
  return (await history(id)).at(-1)?.type;
}

// Tests -----------------------------------------------------------------------------------------

describe("shared-types: HTTP bodies parse strictly", () => {
  let artistId: string;

  test("tenant, artists, projects, availability, schedule, slots", async () => {
    const tenant = body(await api(ctx, "GET", "/tenant", { role: "viewer" }), 200, Tenant, "GET /tenant");
    assert.equal(tenant.id, ctx.tenant);
    body(await api(ctx, "PATCH", "/tenant", { role: "admin", body: { holdTtlMinutes: 30 } }), 200, Tenant, "PATCH /tenant");

    const created = body(
      await api(ctx, "POST", "/artists", { role: "manager", body: { name: `Types ${randomUUID().slice(0, 6)}`, timezone: "Europe/Berlin" } }),
      201,
      Artist,
      "POST /artists",
    );
    artistId = created.id;
    body(await api(ctx, "GET", `/artists/${artistId}`, { role: "viewer" }), 200, Artist, "GET /artists/{id}");
    const patched = body(
      await api(ctx, "PATCH", `/artists/${artistId}`, { role: "manager", body: { email: "a@example.org", userId: "artist@types" } }),
      200,
      Artist,
      "PATCH /artists/{id}",
    );
    assert.equal(patched.email, "a@example.org");
    await newArtist(ctx);
    const artists = body(await api(ctx, "GET", "/artists?limit=1", { role: "viewer" }), 200, ArtistPage, "GET /artists?limit=1");
    assert.notEqual(artists.nextCursor, null, "two artists, limit 1: a next page");
    const rest = body(
      await api(ctx, "GET", `/artists?limit=1&cursor=${encodeURIComponent(artists.nextCursor ?? "")}`, { role: "viewer" }),
      200,
      ArtistPage,
      "GET /artists next page",
    );
    assert.equal(rest.nextCursor, null);

    const project = body(await api(ctx, "POST", "/projects", { body: { name: "Types", code: "TY-1" } }), 201, Project, "POST /projects");
    body(await api(ctx, "GET", `/projects/${project.id}`, { role: "viewer" }), 200, Project, "GET /projects/{id}");
    body(await api(ctx, "GET", "/projects", { role: "viewer" }), 200, ProjectPage, "GET /projects");

    const empty = body(await api(ctx, "GET", `/artists/${artistId}/availability`, { role: "viewer" }), 200, Availability, "GET availability (none)");
    assert.equal(empty.weekly, null);
    // Mon-Sun 00:00-24:00 keeps every test booking inside availability, with an override for the schedule's sake.
    const prefs = {
      timezone: "Europe/Berlin",
      weekly: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((day) => ({ day, start: "00:00", end: "24:00" })),
      overrides: [{ date: "2040-03-20", windows: [{ start: "10:00", end: "12:00" }] }],
    };
    const stored = body(
      await api(ctx, "PUT", `/artists/${artistId}/availability`, { role: "manager", body: prefs }),
      200,
      Availability,
      "PUT availability",
    );
    assert.equal(stored.overrides.length, 1);
    body(await api(ctx, "GET", `/artists/${artistId}/availability`, { role: "viewer" }), 200, Availability, "GET availability");

    const from = "2040-03-20T00:00:00Z";
    const to = "2040-03-21T00:00:00Z";
    const sched = body(
      await api(ctx, "GET", `/artists/${artistId}/schedule?from=${from}&to=${to}`, { role: "viewer" }),
      200,
      Schedule,
      "GET schedule",
    );
    assert.deepEqual(new Set(sched.data.map((s) => s.state)), new Set(["unavailable", "available"]));
    const slots = body(
      await api(ctx, "GET", `/artists/${artistId}/slots?from=${from}&to=${to}&duration=PT1H&step=PT30M`, { role: "viewer" }),
      200,
      Slots,
      "GET slots",
    );
    assert.ok(slots.data.length > 0);
  });

  test("a booking through create, update, reschedule, extend, pencil, confirm, cancel; release", async () => {
    const projectId = body(await api(ctx, "POST", "/projects", { body: { name: "Lifecycle" } }), 201, Project, "POST /projects").id;
    let b = await holdAt(artistId, 0, 2, { title: "Shoot", notes: "n", projectId });
    assert.equal(b.status, "hold");
    b = await patch(b, { title: "Shoot, day 1", notes: null });
    assert.equal(await lastType(b.id), "booking.updated");
    b = await patch(b, range(1, 3));
    assert.equal(await lastType(b.id), "booking.rescheduled");
    b = await transition(b, "extend");
    b = await transition(b, "pencil");
    assert.equal(b.status, "pencil");
    b = await transition(b, "confirm");
    assert.equal(b.status, "confirmed");
    assert.equal(b.expiresAt, null);
    b = await transition(b, "cancel", { reason: "budget" });
    assert.equal(b.status, "cancelled");
    assert.equal(b.statusReason, "budget");
    const types = (await history(b.id)).map((e) => e.type);
    assert.ok(types.includes("booking.extended"), `extended in ${types}`);
    assert.deepEqual(types.slice(-3), ["booking.pencilled", "booking.confirmed", "booking.cancelled"]);

    const r = await transition(await holdAt(artistId, 4, 5), "release", { reason: "not needed" });
    assert.equal(r.status, "released");
  });

  test("challenges: won (pencil released), failed (pencil confirmed, other hold superseded), withdrawn", async () => {
    // Won.
    const p1 = await create({ artistId, ...range(10, 12), status: "pencil" });
    const h1 = await holdAt(artistId, 11, 13);
    const c1 = await transition(h1, "challenge", { reason: "need the day" });
    const challengedPencil = await read(p1.id);
    assert.equal(challengedPencil.challenge?.byBookingId, c1.id, "the challenge object parses");
    await transition(challengedPencil, "release");
    assert.equal((await read(h1.id)).status, "pencil");
    assert.equal(await lastType(h1.id), "booking.challenge_won");

    // Failed, and a third hold superseded by the confirmation.
    const p2 = await create({ artistId, ...range(20, 22), status: "pencil" });
    const h2 = await holdAt(artistId, 21, 23);
    await transition(h2, "challenge");
    const other = await holdAt(artistId, 20, 21);
    await transition(await read(p2.id), "confirm");
    assert.equal(await lastType(h2.id), "booking.challenge_failed");
    const superseded = await read(other.id);
    assert.equal(superseded.status, "released");
    assert.equal(superseded.statusReason, "superseded");

    // Withdrawn.
    const p3 = await create({ artistId, ...range(30, 32), status: "pencil" });
    const h3 = await holdAt(artistId, 31, 33);
    const c3 = await transition(h3, "challenge");
    await transition(c3, "release");
    assert.equal(await lastType(p3.id), "booking.challenge_withdrawn");
  });

  test("expiry on the test clock: lazily shown, then written by the sweeper", async () => {
    const h = await holdAt(artistId, 40, 41);
    const clock = body(await api(ctx, "POST", "/test/clock", { role: "admin", body: { advanceSeconds: 31 * 60 } }), 200, TestClock, "POST /test/clock");
    assert.ok(Date.parse(clock.now) >= Date.parse(h.expiresAt ?? ""));
    const lazily = await read(h.id);
    assert.equal(lazily.status, "expired");
    await poll("booking.expired written by the sweeper", async () => (await lastType(h.id)) === "booking.expired");
    assert.equal((await read(h.id)).status, "expired");
  });

  test("lists and the tenant's event feed", async () => {
    const q = `artistId=${artistId}&from=${iso(T0 - HOUR)}&to=${iso(T0 + 100 * HOUR)}&status=hold,pencil,confirmed,released,expired,cancelled`;
    const first = body(await api(ctx, "GET", `/bookings?${q}&limit=2`, { role: "viewer" }), 200, BookingPage, "GET /bookings page 1");
    assert.notEqual(first.nextCursor, null);
    const second = body(
      await api(ctx, "GET", `/bookings?${q}&limit=500&cursor=${encodeURIComponent(first.nextCursor ?? "")}`, { role: "viewer" }),
      200,
      BookingPage,
      "GET /bookings page 2",
    );
    assert.equal(second.nextCursor, null);
    assert.ok(first.data.length + second.data.length >= 10);

    const seen = new Set<string>();
    let afterSeq = 0;
    for (let i = 0; i < 100; i++) {
      const page = body(await api(ctx, "GET", `/events?afterSeq=${afterSeq}&limit=7`, { role: "viewer" }), 200, EventPage, `GET /events?afterSeq=${afterSeq}`);
      if (page.data.length === 0) {
        assert.equal(page.nextAfterSeq, afterSeq, "nothing new: nextAfterSeq is the given afterSeq");
        break;
      }
      for (const e of page.data) seen.add(e.type);
      afterSeq = page.nextAfterSeq;
    }
    assert.deepEqual([...seen].sort(), [...BOOKING_EVENT_TYPES].sort(), "every event type was parsed from GET /events");
  });

  test("the schemas are strict: an added or missing member, or another instant form, fails", async () => {
    const [b] = (body(await api(ctx, "GET", `/bookings?artistId=${artistId}&limit=1`, { role: "viewer" }), 200, BookingPage, "GET /bookings")).data;
    assert.ok(b);
    assert.equal(Booking.safeParse({ ...b, extra: 1 }).success, false, "an added member");
    const { statusReason: _dropped, ...missing } = b;
    assert.equal(Booking.safeParse(missing).success, false, "a missing member");
    assert.equal(Booking.safeParse({ ...b, startTime: "2040-03-05T01:00:00+00:00" }).success, false, "an offset instead of Z");
    assert.equal(Booking.safeParse({ ...b, startTime: "2040-03-05T01:00:00.000Z" }).success, false, "zero fractional seconds");
  });
});

describe("shared-types: problem+json bodies parse strictly", () => {
  let artistId: string;
  before(async () => {
    artistId = await newArtist(ctx);
  });

  test("404, 409 booking_conflict / outranked / invalid_transition, 412, 422, 428", async () => {
    problem(await api(ctx, "GET", `/bookings/${randomUUID()}`, { role: "viewer" }), 404, "not_found", "unknown booking");

    const conf = await create({ artistId, ...range(50, 52), status: "confirmed" }, "manager");
    const conflict = problem(await createBooking(ctx, { artistId, ...range(51, 53) }), 409, "booking_conflict", "hold over confirmed");
    assert.deepEqual(conflict.conflicts?.map((c) => c.id), [conf.id]);

    const first = await holdAt(artistId, 60, 62);
    const second = await holdAt(artistId, 61, 63);
    const outranked = problem(await act(ctx, second.id, "pencil"), 409, "outranked", "pencil the second hold");
    assert.deepEqual(outranked.outrankedBy?.map((o) => o.id), [first.id]);

    const invalid = problem(await act(ctx, conf.id, "pencil"), 409, "invalid_transition", "pencil a confirmed booking");
    assert.equal(invalid.currentStatus, "confirmed");

    const mismatch = problem(
      await api(ctx, "PATCH", `/bookings/${first.id}`, { body: { title: "x" }, headers: { "if-match": `"${first.version + 5}"` } }),
      412,
      "version_mismatch",
      "PATCH with a stale If-Match",
    );
    assert.equal(mismatch.currentVersion, first.version);

    const invalidBody = problem(await createBooking(ctx, {}), 422, "validation_failed", "empty POST /bookings");
    assert.deepEqual(invalidBody.errors?.map((e) => e.path).sort(), ["/artistId", "/endTime", "/startTime"]);

    problem(await api(ctx, "PATCH", `/bookings/${first.id}`, { body: { title: "x" } }), 428, "precondition_required", "PATCH without If-Match");
  });

  test("400, 401, 403, 405, 413, 415, 422 outside_availability and idempotency_key_mismatch", async () => {
    problem(await createBooking(ctx, "{not json"), 400, "malformed_json", "broken JSON");
    problem(await call(ctx.base, "GET", "/api/v1/bookings", { token: "not-a-jwt" }), 401, "unauthenticated", "bad token");
    problem(await createBooking(ctx, { artistId, ...range(70, 71) }, { role: "viewer" }), 403, "forbidden", "viewer creates");
    problem(await api(ctx, "DELETE", "/bookings", {}), 405, "method_not_allowed", "DELETE /bookings");
    problem(await createBooking(ctx, { artistId, ...range(70, 71), notes: "x".repeat(70 * 1024) }), 413, "payload_too_large", "70 KiB body");
    problem(await createBooking(ctx, "{}", { contentType: "text/plain" }), 415, "unsupported_media_type", "text/plain body");

    const limited = await newArtist(ctx);
    await api(ctx, "PUT", `/artists/${limited}/availability`, {
      role: "manager",
      body: { weekly: [{ day: "mon", start: "09:00", end: "17:00" }] },
    });
    // T0 is a Monday: 20:00-21:00 UTC lies outside 09:00-17:00 Berlin.
    const outside = problem(await createBooking(ctx, { artistId: limited, ...range(20, 21) }), 422, "outside_availability", "outside availability");
    assert.ok((outside.windows?.length ?? 0) > 0, "outside_availability offers windows");

    const key = randomUUID();
    const headers = { "idempotency-key": key };
    body(await createBooking(ctx, { artistId, ...range(72, 73) }, { headers }), 201, Booking, "first keyed POST");
    problem(await createBooking(ctx, { artistId, ...range(74, 75) }, { headers }), 422, "idempotency_key_mismatch", "same key, other body");
  });

  test("every problem kind of the brief was parsed", () => {
    for (const code of [
      "not_found",
      "booking_conflict",
      "outranked",
      "invalid_transition",
      "version_mismatch",
      "validation_failed",
      "precondition_required",
    ] as const) {
      assert.ok(problemCodes.has(code), `parsed a ${code}`);
    }
  });
});

describe("shared-types: Socket.IO payloads parse strictly", () => {
  test("heartbeat and subscribe acks", async () => {
    const booker = await connect(server.url, { token: ctx.tokens.booker });
    const artistId = await newArtist(ctx);
    const h = await holdAt(artistId, 80, 81);

    const okAck = parse(HoldHeartbeatAck, await ack(booker.socket, "hold.heartbeat", { bookingId: h.id }), "heartbeat ack");
    assert.ok("expiresAt" in okAck && okAck.expiresAt !== null, `heartbeat ack ${JSON.stringify(okAck)}`);
    const missing = parse(HoldHeartbeatAck, await ack(booker.socket, "hold.heartbeat", { bookingId: randomUUID() }), "heartbeat ack (unknown)");
    assert.ok("error" in missing && missing.error.code === "not_found", JSON.stringify(missing));
    const viewerAck = parse(HoldHeartbeatAck, await ack(watcher.socket, "hold.heartbeat", { bookingId: h.id }), "heartbeat ack (viewer)");
    assert.ok("error" in viewerAck && viewerAck.error.code === "forbidden", JSON.stringify(viewerAck));
    const released = await transition(await read(h.id), "release");
    const lapsed = parse(HoldHeartbeatAck, await ack(booker.socket, "hold.heartbeat", { bookingId: released.id }), "heartbeat ack (released)");
    assert.ok("error" in lapsed && lapsed.error.code === "invalid_transition", JSON.stringify(lapsed));

    const sub = parse(SubscribeAck, await ack(booker.socket, "subscribe", { artistIds: [artistId] }), "subscribe ack");
    assert.deepEqual("artistIds" in sub ? sub.artistIds : sub, [artistId]);
    const unsub = parse(SubscribeAck, await ack(booker.socket, "unsubscribe", { artistIds: [artistId] }), "unsubscribe ack");
    assert.deepEqual("artistIds" in unsub ? unsub.artistIds : unsub, []);
    const bad = parse(SubscribeAck, await ack(booker.socket, "subscribe", { artistIds: ["nope"] }), "subscribe ack (bad ids)");
    assert.ok("error" in bad && bad.error.code === "validation_failed", JSON.stringify(bad));
  });

  test("every booking event and availability.changed the watcher received", async () => {
    const latest = body(await api(ctx, "GET", "/events?afterSeq=0&limit=500", { role: "viewer" }), 200, EventPage, "GET /events");
    // Everything of this file fits one page; the watcher must have all of it.
    assert.ok(latest.data.length < 500);
    await watcher.rec.waitFor(`seq ${latest.nextAfterSeq} on the watcher`, (r) => (r.lastSeq() ?? 0) >= latest.nextAfterSeq);
    // A preference change is announced on its own channel (not ordered with booking events).
    await watcher.rec.waitFor("availability.changed with from/to null", (r) =>
      r.named("availability.changed").some((a) => a?.from === null),
    );

    const types = new Set<string>();
    let booking = 0;
    let availabilityRange = 0;
    let availabilityAll = 0;
    for (const r of watcher.rec.all) {
      if (r.event.startsWith("booking.")) {
        const e = parse(BookingEvent, r.args[0], `socket ${r.event}`);
        assert.equal(e.type, r.event, "a booking event is named by its type");
        assert.equal(r.args.length, 1);
        types.add(e.type);
        booking++;
      } else if (r.event === "availability.changed") {
        const a = parse(AvailabilityChanged, r.args[0], "socket availability.changed");
        if (a.from === null) availabilityAll++;
        else availabilityRange++;
      } else {
        assert.fail(`unexpected socket event ${r.event}: ${JSON.stringify(r.args).slice(0, 500)}`);
      }
    }
    assert.equal(booking, latest.data.length, "one socket event per booking event");
    assert.deepEqual([...types].sort(), [...BOOKING_EVENT_TYPES].sort(), "every event type was parsed from the socket");
    assert.ok(availabilityRange > 0, "availability.changed with a range");
    assert.ok(availabilityAll > 0, "availability.changed with from/to null (a preference change)");
  });
});
