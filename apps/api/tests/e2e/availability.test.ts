// Availability end to end (SPEC §4, §5, §10 "Availability details"): preferences GET/PUT
// (shapes, normalisation, every validation path, roles incl. the artist's own login, timezone
// changes), enforcement on create / PATCH / pencil / confirm (joined windows incl. overnight,
// the exact `windows` of outside_availability, the manager's overrideAvailability and its event
// reason, remembered overrides, overrides of single dates), DST through the API (Europe/Berlin,
// America/New_York, Australia/Lord_Howe: exact UTC edges of schedule segments and bookings at
// the edges), the schedule (states, merging, bookingIds, expiry with the test clock, ranges,
// 422/404) and slots (steps, canonical durations, now, exclusions, limits).
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { api as rawApi, createArtist } from "./lib/api.ts";
import {
  compact,
  getAvailability,
  putAvailability,
  putAvailabilityRaw,
  schedule,
  scheduleRaw,
  slots,
  slotsRaw,
  assertOutside,
  type Availability,
} from "./lib/availability.ts";
import {
  HOUR,
  MINUTE,
  act,
  advance,
  api,
  assertBooking,
  book,
  createBooking,
  events,
  get,
  iso,
  ms,
  must,
  newCtx,
  serverNow,
  type Ctx,
} from "./lib/bookings.ts";
import { assertProblem, call, errorPaths } from "./lib/http.ts";
import { startServer, type ServerHandle } from "./lib/server.ts";
import { ROLES, token, type Role } from "./lib/tenant.ts";

let server: ServerHandle;
let ctx: Ctx;
let other: Ctx;

before(async () => {
  server = await startServer({ args: ["--test-clock"] });
  [ctx, other] = await Promise.all([newCtx(server.url, "avail"), newCtx(server.url, "avail-other")]);
});

after(async () => {
  await server?.stop();
});

// Helpers ---------------------------------------------------------------------------------------

/** "2040-03-05", "09:00" → "2040-03-05T09:00:00Z" (the server's output form). */
function t(date: string, hhmm: string): string {
  return `${date}T${hhmm}:00Z`;
}

/** An instant shifted by `minutes`, in the server's output form. */
function shift(instant: string, minutes: number): string {
  return iso(ms(instant) + minutes * MINUTE);
}

/** A new artist (as manager) in `timezone`, with preferences PUT when given. */
async function artistWith(prefs?: object, timezone = "UTC", fields: Record<string, unknown> = {}): Promise<string> {
  const a = await createArtist(ctx.base, ctx.tokens.manager, { timezone, ...fields });
  if (prefs !== undefined) await putAvailability(ctx.base, ctx.tokens.manager, a.id, prefs);
  return a.id;
}

/** POST /bookings for [start, end) (role from the body: manager for confirmed/override). */
function tryBook(artistId: string, startTime: string, endTime: string, extra: Record<string, unknown> = {}) {
  return createBooking(ctx, { artistId, startTime, endTime, ...extra });
}

function bookAt(artistId: string, startTime: string, endTime: string, extra: Record<string, unknown> = {}): Promise<any> {
  return book(ctx, { artistId, startTime, endTime, ...extra });
}

function patch(id: string, body: unknown, version: number | string, role: Role = "booker") {
  return api(ctx, "PATCH", `/bookings/${id}`, { role, body, headers: { "if-match": `"${version}"` } });
}

async function lastEvent(id: string): Promise<any> {
  const evs = await events(ctx, id);
  assert.ok(evs.length > 0);
  return evs.at(-1);
}

/** The week the enforcement tests use (artist in UTC; 2040-03-05 is a Monday). */
const WEEK = [
  { day: "mon", start: "09:00", end: "12:00" },
  { day: "mon", start: "12:00", end: "18:00" },
  { day: "tue", start: "09:00", end: "17:00" },
  { day: "fri", start: "22:00", end: "04:00" },
  { day: "sat", start: "04:00", end: "08:00" },
];
// Its joined intervals around that week.
const PREV_FRI: [string, string] = ["2040-03-02T22:00:00Z", "2040-03-03T08:00:00Z"];
const MON: [string, string] = ["2040-03-05T09:00:00Z", "2040-03-05T18:00:00Z"];
const TUE: [string, string] = ["2040-03-06T09:00:00Z", "2040-03-06T17:00:00Z"];
const FRI: [string, string] = ["2040-03-09T22:00:00Z", "2040-03-10T08:00:00Z"];
const NEXT_MON: [string, string] = ["2040-03-12T09:00:00Z", "2040-03-12T18:00:00Z"];

// Preferences -------------------------------------------------------------------------------------

describe("GET/PUT /artists/{id}/availability", () => {
  test("with nothing set GET answers {timezone: the artist's, weekly: null, overrides: []} to every role", async () => {
    const a = await createArtist(ctx.base, ctx.tokens.manager, { timezone: "America/New_York" });
    for (const role of ROLES) {
      const res = await rawApi(ctx.base, "GET", `/artists/${a.id}/availability`, ctx.tokens[role]);
      assert.equal(res.status, 200, `${role}: ${res.status} ${res.text}`);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json\b/);
      assert.deepEqual(res.json, { timezone: "America/New_York", weekly: null, overrides: [] });
    }
  });

  test("PUT answers the normalised preferences (weekly by day mon..sun then start, overrides by date, windows by start); GET the same", async () => {
    const a = await artistWith();
    const body = {
      timezone: "Europe/Berlin",
      weekly: [
        { day: "sun", start: "10:00", end: "12:00" },
        { day: "mon", start: "14:00", end: "18:00" },
        { day: "fri", start: "22:00", end: "04:00" },
        { day: "mon", start: "09:00", end: "12:00" },
        { day: "wed", start: "00:00", end: "24:00" },
        { day: "mon", start: "12:00", end: "14:00" },
      ],
      overrides: [
        { date: "2040-03-06", windows: [{ start: "16:00", end: "18:00" }, { start: "08:00", end: "10:00" }] },
        { date: "2028-02-29", windows: [] },
        { date: "2040-03-05", windows: [] },
      ],
    };
    const expected: Availability = {
      timezone: "Europe/Berlin",
      weekly: [
        { day: "mon", start: "09:00", end: "12:00" },
        { day: "mon", start: "12:00", end: "14:00" },
        { day: "mon", start: "14:00", end: "18:00" },
        { day: "wed", start: "00:00", end: "24:00" },
        { day: "fri", start: "22:00", end: "04:00" },
        { day: "sun", start: "10:00", end: "12:00" },
      ],
      overrides: [
        { date: "2028-02-29", windows: [] },
        { date: "2040-03-05", windows: [] },
        { date: "2040-03-06", windows: [{ start: "08:00", end: "10:00" }, { start: "16:00", end: "18:00" }] },
      ],
    };
    assert.deepEqual(await putAvailability(ctx.base, ctx.tokens.manager, a, body), expected);
    assert.deepEqual(await getAvailability(ctx.base, ctx.tokens.viewer, a), expected);
  });

  test("absent timezone keeps the artist's; absent or null weekly is null; [] stays []; absent overrides are []; a PUT replaces everything", async () => {
    const a = await artistWith(undefined, "Australia/Lord_Howe");
    const full = await putAvailability(ctx.base, ctx.tokens.manager, a, {
      weekly: [{ day: "tue", start: "09:00", end: "17:00" }],
      overrides: [{ date: "2040-01-01", windows: [] }],
    });
    assert.deepEqual(full, {
      timezone: "Australia/Lord_Howe",
      weekly: [{ day: "tue", start: "09:00", end: "17:00" }],
      overrides: [{ date: "2040-01-01", windows: [] }],
    });
    assert.deepEqual(await putAvailability(ctx.base, ctx.tokens.manager, a, {}), {
      timezone: "Australia/Lord_Howe",
      weekly: null,
      overrides: [],
    });
    assert.deepEqual(await putAvailability(ctx.base, ctx.tokens.manager, a, { weekly: [] }), {
      timezone: "Australia/Lord_Howe",
      weekly: [],
      overrides: [],
    });
    assert.deepEqual(await putAvailability(ctx.base, ctx.tokens.manager, a, { weekly: null, overrides: [] }), {
      timezone: "Australia/Lord_Howe",
      weekly: null,
      overrides: [],
    });
    assert.deepEqual(await getAvailability(ctx.base, ctx.tokens.viewer, a), { timezone: "Australia/Lord_Howe", weekly: null, overrides: [] });
  });

  test("a PUT with another timezone changes the artist's; a later PUT without one keeps it; PATCH /artists shows through", async () => {
    const a = await artistWith(undefined, "Europe/Berlin");
    const put = await putAvailability(ctx.base, ctx.tokens.manager, a, {
      timezone: "America/New_York",
      weekly: [{ day: "mon", start: "09:00", end: "17:00" }],
    });
    assert.equal(put.timezone, "America/New_York");
    let artist = await rawApi(ctx.base, "GET", `/artists/${a}`, ctx.tokens.viewer);
    assert.equal(artist.status, 200, artist.text);
    assert.equal(artist.json.timezone, "America/New_York");
    const s = await schedule(ctx.base, ctx.tokens.viewer, a, "2040-03-05T00:00:00Z", "2040-03-06T00:00:00Z");
    assert.equal(s.timezone, "America/New_York");
    // mon 09:00-17:00 in New York (EST, -05:00 on 2040-03-05).
    assert.deepEqual(compact(s), [
      ["2040-03-05T00:00:00Z", "2040-03-05T14:00:00Z", "unavailable"],
      ["2040-03-05T14:00:00Z", "2040-03-05T22:00:00Z", "available"],
      ["2040-03-05T22:00:00Z", "2040-03-06T00:00:00Z", "unavailable"],
    ]);

    const kept = await putAvailability(ctx.base, ctx.tokens.manager, a, { weekly: [{ day: "mon", start: "10:00", end: "11:00" }] });
    assert.equal(kept.timezone, "America/New_York");

    const p = await rawApi(ctx.base, "PATCH", `/artists/${a}`, ctx.tokens.manager, { timezone: "Asia/Tokyo" });
    assert.equal(p.status, 200, p.text);
    const g = await getAvailability(ctx.base, ctx.tokens.viewer, a);
    assert.deepEqual(g, { timezone: "Asia/Tokyo", weekly: [{ day: "mon", start: "10:00", end: "11:00" }], overrides: [] });
    artist = await rawApi(ctx.base, "GET", `/artists/${a}`, ctx.tokens.viewer);
    assert.equal(artist.json.timezone, "Asia/Tokyo");
  });

  test("touching windows are fine; 24:00 is allowed as an end; overnight windows are kept as sent", async () => {
    const a = await artistWith();
    const got = await putAvailability(ctx.base, ctx.tokens.manager, a, {
      weekly: [
        { day: "mon", start: "12:00", end: "24:00" },
        { day: "mon", start: "00:00", end: "12:00" },
        { day: "thu", start: "23:30", end: "01:15" },
      ],
      overrides: [{ date: "2040-02-29", windows: [{ start: "20:00", end: "24:00" }, { start: "06:00", end: "20:00" }] }],
    });
    assert.deepEqual(got.weekly, [
      { day: "mon", start: "00:00", end: "12:00" },
      { day: "mon", start: "12:00", end: "24:00" },
      { day: "thu", start: "23:30", end: "01:15" },
    ]);
    assert.deepEqual(got.overrides, [
      { date: "2040-02-29", windows: [{ start: "06:00", end: "20:00" }, { start: "20:00", end: "24:00" }] },
    ]);
  });

  test("422 validation_failed lists every error at its path; nothing is stored", async () => {
    const a = await artistWith({ weekly: [{ day: "mon", start: "09:00", end: "17:00" }] }, "Europe/Berlin");
    const before = await getAvailability(ctx.base, ctx.tokens.viewer, a);
    const res = await putAvailabilityRaw(ctx.base, ctx.tokens.manager, a, {
      timezone: "Mars/Olympus_Mons",
      weekly: [
        { day: "monday", start: "09:00", end: "12:00" }, // 0: day
        { day: "tue", start: "9:00", end: "12:00" }, // 1: start not HH:MM
        { day: "tue", start: "13:00", end: "25:00" }, // 2: end out of range
        { day: "wed", start: "24:00", end: "02:00" }, // 3: 24:00 only as an end
        { day: "wed", start: "10:00", end: "10:00" }, // 4: end == start
        { day: "thu", start: "09:00", end: "12:00" }, // 5
        { day: "thu", start: "11:00", end: "13:00" }, // 6: overlaps 5
        { day: "thu", start: "13:00", end: "15:00" }, // 7: touches 6, fine
        { day: "fri", start: "09:00", end: "12:00", note: "x" }, // 8: unknown member
        { day: "sat", start: "12:60", end: "13:00" }, // 9: minute 60
        { day: "sat", start: "14:00", end: "24:01" }, // 10: beyond 24:00
        { day: "Sun", start: "14:00", end: "15:00" }, // 11: day names are lower case
      ],
      overrides: [
        { date: "2027-02-29", windows: [] }, // 0: not a real date
        { date: "2027-3-01", windows: [] }, // 1: not YYYY-MM-DD
        { date: "2027-04-01", windows: [{ start: "08:60", end: "10:00" }, { start: "11:00", end: "1200" }] }, // 2
        { date: "2027-04-01", windows: [] }, // 3: duplicate of 2
        { date: "2027-04-02", windows: [{ start: "10:00", end: "10:00" }], extra: 1 }, // 4
        { date: "2027-04-03T00:00:00Z", windows: [] }, // 5
        { date: "2027-04-04", windows: [{ start: "24:00", end: "01:00", x: true }] }, // 6
      ],
      foo: 1,
    });
    const p = assertProblem(res, 422, "validation_failed");
    assert.deepEqual(
      errorPaths(p).sort(),
      [
        "/timezone",
        "/weekly/0/day",
        "/weekly/1/start",
        "/weekly/2/end",
        "/weekly/3/start",
        "/weekly/4/end",
        "/weekly/6",
        "/weekly/8/note",
        "/weekly/9/start",
        "/weekly/10/end",
        "/weekly/11/day",
        "/overrides/0/date",
        "/overrides/1/date",
        "/overrides/2/windows/0/start",
        "/overrides/2/windows/1/end",
        "/overrides/3/date",
        "/overrides/4/windows/0/end",
        "/overrides/4/extra",
        "/overrides/5/date",
        "/overrides/6/windows/0/start",
        "/overrides/6/windows/0/x",
        "/foo",
      ].sort(),
      res.text,
    );
    assert.deepEqual(await getAvailability(ctx.base, ctx.tokens.viewer, a), before, "a failed PUT changes nothing");
  });

  test("overlapping windows: /weekly/i at the later one, also across the input order; overlapping override windows too", async () => {
    const a = await artistWith();
    let p = assertProblem(
      await putAvailabilityRaw(ctx.base, ctx.tokens.manager, a, {
        weekly: [
          { day: "mon", start: "09:00", end: "24:00" },
          { day: "mon", start: "12:00", end: "13:00" },
        ],
      }),
      422,
      "validation_failed",
    );
    assert.deepEqual(errorPaths(p), ["/weekly/1"]);
    p = assertProblem(
      await putAvailabilityRaw(ctx.base, ctx.tokens.manager, a, {
        weekly: [
          { day: "tue", start: "09:00", end: "12:00" },
          { day: "wed", start: "09:00", end: "12:00" },
          { day: "tue", start: "11:59", end: "12:30" },
        ],
      }),
      422,
      "validation_failed",
    );
    assert.deepEqual(errorPaths(p), ["/weekly/2"]);
    p = assertProblem(
      await putAvailabilityRaw(ctx.base, ctx.tokens.manager, a, {
        overrides: [{ date: "2040-03-05", windows: [{ start: "09:00", end: "12:00" }, { start: "10:00", end: "11:00" }] }],
      }),
      422,
      "validation_failed",
    );
    assert.deepEqual(errorPaths(p), ["/overrides/0/windows/1"]);
    // Equal windows of different days do not overlap.
    await putAvailability(ctx.base, ctx.tokens.manager, a, {
      weekly: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((day) => ({ day, start: "09:00", end: "17:00" })),
    });
  });

  test("wrong JSON types, missing members, a non-object body and malformed JSON", async () => {
    const a = await artistWith();
    let p = assertProblem(
      await putAvailabilityRaw(ctx.base, ctx.tokens.manager, a, { timezone: 5, weekly: "mon", overrides: {} }),
      422,
      "validation_failed",
    );
    assert.deepEqual(errorPaths(p).sort(), ["/overrides", "/timezone", "/weekly"]);
    p = assertProblem(
      await putAvailabilityRaw(ctx.base, ctx.tokens.manager, a, {
        weekly: [5, {}, { day: "mon", start: 900, end: "17:00" }],
        overrides: [null, { date: "2040-01-01" }, { windows: [] }, { date: "2040-01-02", windows: [{}] }],
      }),
      422,
      "validation_failed",
    );
    assert.deepEqual(
      errorPaths(p).sort(),
      [
        "/weekly/0",
        "/weekly/1/day",
        "/weekly/1/start",
        "/weekly/1/end",
        "/weekly/2/start",
        "/overrides/0",
        "/overrides/1/windows",
        "/overrides/2/date",
        "/overrides/3/windows/0/start",
        "/overrides/3/windows/0/end",
      ].sort(),
    );
    p = assertProblem(await putAvailabilityRaw(ctx.base, ctx.tokens.manager, a, [1, 2]), 422, "validation_failed");
    assert.deepEqual(errorPaths(p), [""]);
    assertProblem(await putAvailabilityRaw(ctx.base, ctx.tokens.manager, a, "{nope"), 400, "malformed_json");
  });

  test("roles: manager and admin PUT; the artist-role user whose sub is the artist's userId PUTs its own; others 403", async () => {
    const own = await artistWith(undefined, "UTC", { userId: ctx.subs.artist });
    const foreign = await artistWith(undefined, "UTC", { userId: "someone-else@avail" });
    const unlinked = await artistWith();
    const body = { weekly: [{ day: "mon", start: "09:00", end: "17:00" }] };
    for (const role of ["manager", "admin"] as const) {
      await putAvailability(ctx.base, ctx.tokens[role], unlinked, body);
    }
    for (const role of ["viewer", "booker"] as const) {
      assertProblem(await putAvailabilityRaw(ctx.base, ctx.tokens[role], own, body), 403, "forbidden");
      // A role that may never PUT: 403 before the 404 and before the body's 422.
      assertProblem(await putAvailabilityRaw(ctx.base, ctx.tokens[role], randomUUID(), body), 403, "forbidden");
      assertProblem(await putAvailabilityRaw(ctx.base, ctx.tokens[role], own, { weekly: 7 }), 403, "forbidden");
    }
    // The artist-role user edits its own artist...
    const mine = await putAvailability(ctx.base, ctx.tokens.artist, own, body);
    assert.deepEqual(mine.weekly, body.weekly);
    assertProblem(await putAvailabilityRaw(ctx.base, ctx.tokens.artist, own, { weekly: 7 }), 422, "validation_failed");
    // ...but no other artist (403 after the 404, before the body's 422).
    assertProblem(await putAvailabilityRaw(ctx.base, ctx.tokens.artist, foreign, body), 403, "forbidden");
    assertProblem(await putAvailabilityRaw(ctx.base, ctx.tokens.artist, unlinked, body), 403, "forbidden");
    assertProblem(await putAvailabilityRaw(ctx.base, ctx.tokens.artist, foreign, { weekly: 7 }), 403, "forbidden");
    assertProblem(await putAvailabilityRaw(ctx.base, ctx.tokens.artist, randomUUID(), body), 404, "not_found");
    // Another artist-role login of the same tenant may not edit `own`.
    const otherArtistLogin = await token({ tenant: ctx.tenant, user: "artist2@avail", role: "artist", ttl: "1h" });
    assertProblem(await putAvailabilityRaw(ctx.base, otherArtistLogin, own, body), 403, "forbidden");
    assert.deepEqual((await getAvailability(ctx.base, ctx.tokens.viewer, foreign)).weekly, null, "nothing stored by a 403");
    // Without a token: 401.
    assertProblem(await call(ctx.base, "PUT", `/api/v1/artists/${own}/availability`, { body }), 401, "unauthenticated");
    assertProblem(await call(ctx.base, "GET", `/api/v1/artists/${own}/availability`), 401, "unauthenticated");
  });

  test("routing: wrong methods are 405 with Allow; another media type is 415; the OpenAPI document lists the paths", async () => {
    const a = await artistWith();
    for (const [method, path, allowed] of [
      ["DELETE", `/artists/${a}/availability`, ["GET", "PUT"]],
      ["POST", `/artists/${a}/availability`, ["GET", "PUT"]],
      ["PUT", `/artists/${a}/schedule?from=2040-03-05T00:00:00Z&to=2040-03-06T00:00:00Z`, ["GET"]],
      ["POST", `/artists/${a}/slots`, ["GET"]],
    ] as const) {
      const res = await rawApi(ctx.base, method, path, ctx.tokens.admin);
      assertProblem(res, 405, "method_not_allowed");
      const allow = (res.headers.get("allow") ?? "").split(",").map((m) => m.trim());
      for (const m of allowed) assert.ok(allow.includes(m), `${method} ${path}: Allow ${res.headers.get("allow")}`);
    }
    assertProblem(
      await rawApi(ctx.base, "PUT", `/artists/${a}/availability`, ctx.tokens.manager, "{}", { "content-type": "text/plain" }),
      415,
      "unsupported_media_type",
    );
    const doc = await call(ctx.base, "GET", "/api/v1/openapi.json");
    assert.equal(doc.status, 200);
    const paths = Object.keys(doc.json.paths ?? {});
    for (const p of ["/artists/{id}/availability", "/artists/{id}/schedule", "/artists/{id}/slots"]) {
      assert.ok(paths.some((x) => x.endsWith(p)), `OpenAPI lists ${p}: ${paths.join(", ")}`);
    }
  });

  test("unknown, non-UUID and another tenant's artist: 404 for GET and PUT", async () => {
    const a = await artistWith();
    const body = { weekly: [] };
    for (const id of [randomUUID(), "not-a-uuid", "12345"]) {
      assertProblem(await rawApi(ctx.base, "GET", `/artists/${id}/availability`, ctx.tokens.viewer), 404, "not_found");
      assertProblem(await putAvailabilityRaw(ctx.base, ctx.tokens.manager, id, body), 404, "not_found");
      assertProblem(await putAvailabilityRaw(ctx.base, ctx.tokens.manager, id, { weekly: 7 }), 404, "not_found");
    }
    assertProblem(await rawApi(other.base, "GET", `/artists/${a}/availability`, other.tokens.admin), 404, "not_found");
    assertProblem(await putAvailabilityRaw(other.base, other.tokens.admin, a, body), 404, "not_found");
    assert.equal((await getAvailability(ctx.base, ctx.tokens.viewer, a)).weekly, null);
  });
});

// Enforcement ---------------------------------------------------------------------------------------

describe("enforcement on POST /bookings", () => {
  test("inside one joined interval: adjacent windows join, overnight windows join the next day's", async () => {
    const a = await artistWith({ weekly: WEEK });
    await bookAt(a, t("2040-03-05", "10:00"), t("2040-03-05", "14:00")); // across mon 12:00
    await bookAt(a, t("2040-03-05", "09:00"), t("2040-03-05", "18:00")); // the exact edges
    await bookAt(a, t("2040-03-09", "23:00"), t("2040-03-10", "07:00")); // fri 22-04 + sat 04-08
    await bookAt(a, t("2040-03-09", "22:00"), t("2040-03-10", "08:00"));
    await bookAt(a, t("2040-03-06", "09:00"), t("2040-03-06", "17:00"), { status: "pencil" });
    await bookAt(a, t("2040-03-16", "22:00"), t("2040-03-17", "08:00"), { status: "confirmed" });
  });

  test("outside: 422 outside_availability with the overlapping windows plus the nearest before and after", async () => {
    const a = await artistWith({ weekly: WEEK });
    // Overlaps mon; before it the previous fri-sat, after it tue.
    assertOutside(await tryBook(a, t("2040-03-05", "17:00"), t("2040-03-05", "19:00")), [PREV_FRI, MON, TUE]);
    // In a gap.
    assertOutside(await tryBook(a, t("2040-03-06", "18:00"), t("2040-03-06", "20:00")), [TUE, FRI]);
    assertOutside(await tryBook(a, t("2040-03-07", "10:00"), t("2040-03-07", "11:00")), [TUE, FRI]);
    // Spans two windows and the night between them.
    assertOutside(await tryBook(a, t("2040-03-05", "17:00"), t("2040-03-06", "10:00")), [PREV_FRI, MON, TUE, FRI]);
    // Sticks out of the overnight interval.
    assertOutside(await tryBook(a, t("2040-03-10", "07:00"), t("2040-03-10", "09:00")), [TUE, FRI, NEXT_MON]);
    // One minute over either edge.
    assertOutside(await tryBook(a, t("2040-03-05", "08:59"), t("2040-03-05", "10:00")), [PREV_FRI, MON, TUE]);
    assertOutside(await tryBook(a, t("2040-03-05", "17:00"), t("2040-03-05", "18:01")), [PREV_FRI, MON, TUE]);
    // Touching the window from outside: it is the nearest before, not an overlapping one.
    assertOutside(await tryBook(a, t("2040-03-05", "18:00"), t("2040-03-05", "19:00")), [MON, TUE]);
    // pencil and confirmed creates are checked the same way.
    assertOutside(await tryBook(a, t("2040-03-06", "18:00"), t("2040-03-06", "20:00"), { status: "pencil" }), [TUE, FRI]);
    assertOutside(await tryBook(a, t("2040-03-06", "18:00"), t("2040-03-06", "20:00"), { status: "confirmed" }), [TUE, FRI]);
    // An explicit false is no override.
    assertOutside(
      await tryBook(a, t("2040-03-06", "18:00"), t("2040-03-06", "20:00"), { overrideAvailability: false }),
      [TUE, FRI],
    );
    // Nothing was created.
    const list = await api(ctx, "GET", `/bookings?artistId=${a}`, { role: "viewer" });
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.json.data, []);
  });

  test("windows are UTC instants of the artist's zone (Europe/Berlin, CET)", async () => {
    const a = await artistWith({ weekly: [{ day: "mon", start: "09:00", end: "18:00" }] }, "Europe/Berlin");
    await bookAt(a, "2040-03-05T09:00:00+01:00", "2040-03-05T18:00:00+01:00");
    await bookAt(a, t("2040-03-05", "08:00"), t("2040-03-05", "17:00"));
    assertOutside(await tryBook(a, t("2040-03-05", "07:59"), t("2040-03-05", "09:00")), [
      ["2040-02-27T08:00:00Z", "2040-02-27T17:00:00Z"], // 2040 is a leap year
      ["2040-03-05T08:00:00Z", "2040-03-05T17:00:00Z"],
      ["2040-03-12T08:00:00Z", "2040-03-12T17:00:00Z"],
    ]);
  });

  test("an artist with no preferences (or weekly: null) is always available; weekly: [] never is", async () => {
    const free = await artistWith();
    await bookAt(free, t("2040-03-04", "03:00"), t("2040-03-04", "05:00"));
    await bookAt(free, t("2040-03-04", "20:00"), t("2040-03-06", "20:00"), { status: "pencil" });
    const nulled = await artistWith({ weekly: null });
    await bookAt(nulled, t("2040-03-04", "03:00"), t("2040-03-04", "05:00"));
    const never = await artistWith({ weekly: [] });
    assertOutside(await tryBook(never, t("2040-03-05", "10:00"), t("2040-03-05", "11:00")), []);
    // Only an override 10 days later: offered as the nearest window after...
    const once = await artistWith({ weekly: [], overrides: [{ date: "2040-03-15", windows: [{ start: "10:00", end: "12:00" }] }] });
    const W: [string, string] = ["2040-03-15T10:00:00Z", "2040-03-15T12:00:00Z"];
    assertOutside(await tryBook(once, t("2040-03-05", "10:00"), t("2040-03-05", "11:00")), [W]);
    assertOutside(await tryBook(once, t("2040-03-20", "10:00"), t("2040-03-20", "11:00")), [W]);
    // ...but not from more than 31 days away.
    assertOutside(await tryBook(once, t("2040-04-20", "10:00"), t("2040-04-20", "11:00")), []);
    assertOutside(await tryBook(once, t("2040-01-20", "10:00"), t("2040-01-20", "11:00")), []);
    await bookAt(once, W[0], W[1]);
  });

  test("overrides: a day off, replacement windows, an overnight window from the previous day survives, an overnight override", async () => {
    const a = await artistWith({
      weekly: [
        { day: "mon", start: "09:00", end: "18:00" },
        { day: "sun", start: "22:00", end: "06:00" },
      ],
      overrides: [
        { date: "2040-03-12", windows: [] }, // a Monday off
        { date: "2040-03-19", windows: [{ start: "13:00", end: "15:00" }] }, // a shorter Monday
        { date: "2040-03-20", windows: [{ start: "20:00", end: "02:00" }] }, // a Tuesday night
        { date: "2040-03-25", windows: [] }, // a Sunday off (its night too)
      ],
    });
    const SUN11: [string, string] = ["2040-03-11T22:00:00Z", "2040-03-12T06:00:00Z"];
    const SUN18: [string, string] = ["2040-03-18T22:00:00Z", "2040-03-19T06:00:00Z"];
    const MON19: [string, string] = ["2040-03-19T13:00:00Z", "2040-03-19T15:00:00Z"];
    const TUE20: [string, string] = ["2040-03-20T20:00:00Z", "2040-03-21T02:00:00Z"];
    const MON26: [string, string] = ["2040-03-26T09:00:00Z", "2040-03-26T18:00:00Z"];

    assertOutside(await tryBook(a, t("2040-03-12", "10:00"), t("2040-03-12", "11:00")), [SUN11, SUN18]);
    // The Sunday night belongs to Sunday: the Monday override does not cut it.
    await bookAt(a, t("2040-03-12", "02:00"), t("2040-03-12", "05:00"));
    await bookAt(a, SUN11[0], SUN11[1]);

    assertOutside(await tryBook(a, t("2040-03-19", "10:00"), t("2040-03-19", "11:00")), [SUN18, MON19]);
    await bookAt(a, MON19[0], MON19[1]);

    await bookAt(a, t("2040-03-20", "23:00"), t("2040-03-21", "01:00"));
    await bookAt(a, TUE20[0], TUE20[1]);
    assertOutside(await tryBook(a, t("2040-03-20", "23:00"), t("2040-03-21", "03:00")), [MON19, TUE20, MON26]);

    assertOutside(await tryBook(a, t("2040-03-25", "23:00"), t("2040-03-26", "01:00")), [TUE20, MON26]);

    // Unchanged weeks still follow the weekly windows.
    await bookAt(a, t("2040-03-05", "09:00"), t("2040-03-05", "18:00"));
    await bookAt(a, t("2040-03-04", "22:00"), t("2040-03-05", "06:00"));
  });

  test("weekly: null with an override: available except that date", async () => {
    const a = await artistWith({ weekly: null, overrides: [{ date: "2040-03-07", windows: [] }] });
    await bookAt(a, t("2040-03-06", "00:00"), t("2040-03-07", "00:00"));
    await bookAt(a, t("2040-03-08", "00:00"), t("2040-03-08", "12:00"));
    const p = assertProblem(await tryBook(a, t("2040-03-07", "10:00"), t("2040-03-07", "11:00")), 422, "outside_availability");
    assert.equal(p.windows.length, 2, JSON.stringify(p.windows));
    assert.equal(p.windows[0].endTime, "2040-03-07T00:00:00Z");
    assert.equal(p.windows[1].startTime, "2040-03-08T00:00:00Z");
    const s = await schedule(ctx.base, ctx.tokens.viewer, a, "2040-03-06T12:00:00Z", "2040-03-08T12:00:00Z");
    assert.deepEqual(compact(s).map((g) => g.slice(0, 3)), [
      ["2040-03-06T12:00:00Z", "2040-03-07T00:00:00Z", "held"],
      ["2040-03-07T00:00:00Z", "2040-03-08T00:00:00Z", "unavailable"],
      ["2040-03-08T00:00:00Z", "2040-03-08T12:00:00Z", "held"],
    ]);
  });

  test("a manager's overrideAvailability: true creates outside; the event's reason is overrideAvailability", async () => {
    const a = await artistWith({ weekly: WEEK });
    for (const status of ["hold", "pencil", "confirmed"] as const) {
      const day = { hold: "2040-03-07", pencil: "2040-03-08", confirmed: "2040-03-11" }[status];
      const b = await bookAt(a, t(day, "10:00"), t(day, "12:00"), { status, overrideAvailability: true });
      assert.equal(b.status, status === "hold" ? "hold" : status);
      assert.equal(b.createdBy, ctx.subs.manager);
      const e = await lastEvent(b.id);
      assert.equal(e.type, { hold: "booking.held", pencil: "booking.pencilled", confirmed: "booking.confirmed" }[status]);
      assert.equal(e.reason, "overrideAvailability");
    }
    // Inside availability, a normal create has reason null.
    const n = await bookAt(a, t("2040-03-05", "10:00"), t("2040-03-05", "11:00"));
    assert.equal((await lastEvent(n.id)).reason, null);
  });

  test("a booker sending overrideAvailability: true gets 403 (before 404/422); a non-boolean is 422", async () => {
    const a = await artistWith({ weekly: WEEK });
    const body = { artistId: a, startTime: t("2040-03-07", "10:00"), endTime: t("2040-03-07", "12:00"), overrideAvailability: true };
    assertProblem(await createBooking(ctx, body, { role: "booker" }), 403, "forbidden");
    assertProblem(await createBooking(ctx, { ...body, artistId: randomUUID() }, { role: "booker" }), 403, "forbidden");
    assertProblem(await createBooking(ctx, { ...body, endTime: "nope" }, { role: "booker" }), 403, "forbidden");
    assertProblem(await createBooking(ctx, { ...body, overrideAvailability: true }, { role: "viewer" }), 403, "forbidden");
    const p = assertProblem(await createBooking(ctx, { ...body, overrideAvailability: "yes" }, { role: "manager" }), 422, "validation_failed");
    assert.deepEqual(errorPaths(p), ["/overrideAvailability"]);
  });

  test("order: the body's other 422s come before outside_availability; outside_availability before a 409 conflict", async () => {
    const a = await artistWith({ weekly: WEEK });
    const outside = { artistId: a, startTime: t("2040-03-07", "10:00"), endTime: t("2040-03-07", "12:00") };
    let p = assertProblem(await createBooking(ctx, { ...outside, title: "x".repeat(201) }), 422, "validation_failed");
    assert.deepEqual(errorPaths(p), ["/title"]);
    p = assertProblem(await createBooking(ctx, { ...outside, bogus: 1 }), 422, "validation_failed");
    assert.deepEqual(errorPaths(p), ["/bogus"]);
    p = assertProblem(await createBooking(ctx, { ...outside, projectId: randomUUID() }), 422, "validation_failed");
    assert.deepEqual(errorPaths(p), ["/projectId"]);
    // A confirmed booking (by override) there: a pencil over it outside availability is a 422, not a 409.
    await bookAt(a, outside.startTime, outside.endTime, { status: "confirmed", overrideAvailability: true });
    assertOutside(await createBooking(ctx, { ...outside, status: "pencil" }), [TUE, FRI]);
    assertOutside(await createBooking(ctx, outside), [TUE, FRI]);
  });
});

describe("enforcement on PATCH, pencil and confirm", () => {
  test("PATCH that moves the times re-checks availability; a PATCH that does not move them does not", async () => {
    const a = await artistWith({ weekly: WEEK });
    const b = await bookAt(a, t("2040-03-05", "10:00"), t("2040-03-05", "11:00"));
    assertOutside(await patch(b.id, { startTime: t("2040-03-05", "17:00"), endTime: t("2040-03-05", "19:00") }, 1), [PREV_FRI, MON, TUE]);
    assertOutside(await patch(b.id, { endTime: t("2040-03-05", "18:30") }, 1), [PREV_FRI, MON, TUE]);
    // Before 412: a stale If-Match with an outside move is still outside_availability.
    assertOutside(await patch(b.id, { startTime: t("2040-03-07", "10:00"), endTime: t("2040-03-07", "11:00") }, 7), [TUE, FRI]);
    // Other 422s of the body come first.
    const p = assertProblem(
      await patch(b.id, { startTime: t("2040-03-07", "10:00"), endTime: t("2040-03-07", "11:00"), title: "x".repeat(201) }, 1),
      422,
      "validation_failed",
    );
    assert.deepEqual(errorPaths(p), ["/title"]);
    assert.equal((await get(ctx, b.id)).version, 1, "nothing changed");
    // Inside: fine, even across the adjacent windows.
    let res = await patch(b.id, { startTime: t("2040-03-05", "11:00"), endTime: t("2040-03-05", "13:00") }, 1);
    assert.equal(res.status, 200, res.text);
    assert.equal((await lastEvent(b.id)).type, "booking.rescheduled");
    assert.equal((await lastEvent(b.id)).reason, null);
    // A stale If-Match with an inside move is a 412.
    assertProblem(await patch(b.id, { startTime: t("2040-03-05", "12:00"), endTime: t("2040-03-05", "13:00") }, 1), 412, "version_mismatch");

    // A booking made outside by override: a title change does not re-check.
    const o = await bookAt(a, t("2040-03-07", "10:00"), t("2040-03-07", "11:00"), { overrideAvailability: true });
    res = await patch(o.id, { title: "renamed", notes: "n" }, 1);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.title, "renamed");
    assert.equal((await lastEvent(o.id)).type, "booking.updated");
    // Re-sending the same times is no move either.
    res = await patch(o.id, { startTime: o.startTime, endTime: o.endTime, title: "again" }, 2);
    assert.equal(res.status, 200, res.text);
  });

  test("PATCH with overrideAvailability: manager moves outside (event reason), booker 403 before 404", async () => {
    const a = await artistWith({ weekly: WEEK });
    const b = await bookAt(a, t("2040-03-05", "10:00"), t("2040-03-05", "11:00"));
    const outside = { startTime: t("2040-03-07", "20:00"), endTime: t("2040-03-07", "22:00") };
    assertProblem(await patch(b.id, { ...outside, overrideAvailability: true }, 1, "booker"), 403, "forbidden");
    assertProblem(await patch(randomUUID(), { ...outside, overrideAvailability: true }, 1, "booker"), 403, "forbidden");
    assertProblem(await patch(b.id, { ...outside, overrideAvailability: true }, 1, "viewer"), 403, "forbidden");
    assertOutside(await patch(b.id, { ...outside, overrideAvailability: false }, 1, "manager"), [TUE, FRI]);
    const res = await patch(b.id, { ...outside, overrideAvailability: true }, 1, "manager");
    assert.equal(res.status, 200, res.text);
    assertBooking(res.json);
    assert.equal(res.json.startTime, outside.startTime);
    assert.equal(res.json.version, 2);
    const e = await lastEvent(b.id);
    assert.equal(e.type, "booking.rescheduled");
    assert.equal(e.reason, "overrideAvailability");
    assert.equal(e.actor, ctx.subs.manager);
  });

  test("pencil and confirm of a booking that is now outside: 422; with a manager's override 200 and the event's reason", async () => {
    const a = await artistWith({ weekly: WEEK });
    const h1 = await bookAt(a, t("2040-03-05", "10:00"), t("2040-03-05", "11:00"));
    const h2 = await bookAt(a, t("2040-03-05", "12:00"), t("2040-03-05", "13:00"));
    const h3 = await bookAt(a, t("2040-03-05", "14:00"), t("2040-03-05", "15:00"));
    // Mondays are no longer available.
    await putAvailability(ctx.base, ctx.tokens.manager, a, { weekly: WEEK.filter((w) => w.day !== "mon") });
    const windows: Array<[string, string]> = [PREV_FRI, TUE];
    assertOutside(await act(ctx, h1.id, "pencil"), windows);
    assertOutside(await act(ctx, h1.id, "pencil", { body: { overrideAvailability: false } }), windows);
    assertProblem(await act(ctx, h1.id, "pencil", { body: { overrideAvailability: true } }), 403, "forbidden");
    assertProblem(await act(ctx, randomUUID(), "pencil", { body: { overrideAvailability: true } }), 403, "forbidden");
    assertOutside(await act(ctx, h2.id, "confirm"), windows);
    assert.equal((await get(ctx, h1.id)).status, "hold");
    assert.equal((await get(ctx, h2.id)).status, "hold");

    const p = await must(ctx, h1.id, "pencil", { role: "manager", body: { overrideAvailability: true } });
    assert.equal(p.status, "pencil");
    let e = await lastEvent(h1.id);
    assert.equal(e.type, "booking.pencilled");
    assert.equal(e.reason, "overrideAvailability");

    const c = await must(ctx, h2.id, "confirm", { body: { overrideAvailability: true } });
    assert.equal(c.status, "confirmed");
    e = await lastEvent(h2.id);
    assert.equal(e.type, "booking.confirmed");
    assert.equal(e.reason, "overrideAvailability");

    // A pencil made by override keeps it: confirming it needs no override.
    const c1 = await must(ctx, h1.id, "confirm");
    assert.equal(c1.status, "confirmed");

    // Inside availability, the transitions' events have reason null.
    const h4 = await bookAt(a, t("2040-03-06", "10:00"), t("2040-03-06", "11:00"));
    await must(ctx, h4.id, "pencil");
    assert.equal((await lastEvent(h4.id)).reason, null);
    // h3 stays refused; extend, a title change and release do not check availability.
    assertOutside(await act(ctx, h3.id, "confirm"), windows);
    assert.equal((await must(ctx, h3.id, "extend")).status, "hold");
    const r = await patch(h3.id, { title: "still outside" }, (await get(ctx, h3.id)).version);
    assert.equal(r.status, 200, r.text);
    assert.equal((await must(ctx, h3.id, "release")).status, "released");
  });

  test("an override is remembered: pencil and confirm need none later; a reschedule without it forgets it", async () => {
    const a = await artistWith({ weekly: WEEK });
    const o = await bookAt(a, t("2040-03-07", "10:00"), t("2040-03-07", "11:00"), { overrideAvailability: true });
    const p = await must(ctx, o.id, "pencil");
    assert.equal(p.status, "pencil");
    assert.equal((await lastEvent(o.id)).reason, null);
    const c = await must(ctx, o.id, "confirm");
    assert.equal(c.status, "confirmed");

    // Created by override, then rescheduled outside without it: refused.
    const o2 = await bookAt(a, t("2040-03-07", "12:00"), t("2040-03-07", "13:00"), { overrideAvailability: true });
    assertOutside(await patch(o2.id, { startTime: t("2040-03-07", "14:00"), endTime: t("2040-03-07", "15:00") }, 1), [TUE, FRI]);
    // Rescheduled inside without it, then Monday goes away: the override is forgotten.
    let res = await patch(o2.id, { startTime: t("2040-03-05", "10:00"), endTime: t("2040-03-05", "11:00") }, 1);
    assert.equal(res.status, 200, res.text);
    // A reschedule with an override keeps one.
    const o3 = await bookAt(a, t("2040-03-05", "12:00"), t("2040-03-05", "13:00"));
    res = await patch(o3.id, { startTime: t("2040-03-08", "12:00"), endTime: t("2040-03-08", "13:00"), overrideAvailability: true }, 1, "manager");
    assert.equal(res.status, 200, res.text);
    await putAvailability(ctx.base, ctx.tokens.manager, a, { weekly: WEEK.filter((w) => w.day !== "mon") });
    assertOutside(await act(ctx, o2.id, "pencil"), [PREV_FRI, TUE]);
    assert.equal((await must(ctx, o3.id, "pencil")).status, "pencil");
  });
});

// DST ---------------------------------------------------------------------------------------------------

/**
 * PUTs `weekly` for a new artist in `tz`, checks the schedule of [from, to) is exactly
 * `expected` ([start, end, state] in UTC), then for every available segment: a hold at its exact
 * edges succeeds, one a minute wider on either side is outside_availability.
 */
async function dstCase(tz: string, weekly: object[], from: string, to: string, expected: string[][]): Promise<void> {
  const a = await artistWith({ weekly }, tz);
  const s = await schedule(ctx.base, ctx.tokens.viewer, a, from, to);
  assert.equal(s.timezone, tz);
  assert.deepEqual(compact(s), expected, `schedule of ${tz} ${JSON.stringify(weekly)}`);
  for (const [start, end, state] of expected) {
    if (state !== "available") continue;
    const early = await tryBook(a, shift(start, -1), end);
    assertProblem(early, 422, "outside_availability");
    const late = await tryBook(a, start, shift(end, 1));
    const p = assertProblem(late, 422, "outside_availability");
    assert.ok(
      p.windows.some((w: any) => w.startTime === start && w.endTime === end),
      `the refused booking is offered [${start}, ${end}): ${late.text}`,
    );
    const ok = await bookAt(a, start, end);
    assert.equal(ok.startTime, start);
    assert.equal(ok.endTime, end);
  }
}

describe("DST (SPEC §5): non-existent local times map to the jump, ambiguous ones to the earlier instant", () => {
  test("Europe/Berlin spring forward 2027-03-28: sun 01:00-03:30 is [00:00Z, 01:30Z)", async () => {
    await dstCase("Europe/Berlin", [{ day: "sun", start: "01:00", end: "03:30" }], "2027-03-27T22:00:00Z", "2027-03-28T04:00:00Z", [
      ["2027-03-27T22:00:00Z", "2027-03-28T00:00:00Z", "unavailable"],
      ["2027-03-28T00:00:00Z", "2027-03-28T01:30:00Z", "available"],
      ["2027-03-28T01:30:00Z", "2027-03-28T04:00:00Z", "unavailable"],
    ]);
  });

  test("Europe/Berlin spring forward: sun 02:30-05:00 starts at the jump (01:00Z)", async () => {
    await dstCase("Europe/Berlin", [{ day: "sun", start: "02:30", end: "05:00" }], "2027-03-28T00:00:00Z", "2027-03-28T04:00:00Z", [
      ["2027-03-28T00:00:00Z", "2027-03-28T01:00:00Z", "unavailable"],
      ["2027-03-28T01:00:00Z", "2027-03-28T03:00:00Z", "available"],
      ["2027-03-28T03:00:00Z", "2027-03-28T04:00:00Z", "unavailable"],
    ]);
  });

  test("Europe/Berlin spring forward: an overnight sat 22:00-04:00 lasts 5 hours; the whole Sunday 23 hours", async () => {
    await dstCase("Europe/Berlin", [{ day: "sat", start: "22:00", end: "04:00" }], "2027-03-27T20:00:00Z", "2027-03-28T03:00:00Z", [
      ["2027-03-27T20:00:00Z", "2027-03-27T21:00:00Z", "unavailable"],
      ["2027-03-27T21:00:00Z", "2027-03-28T02:00:00Z", "available"],
      ["2027-03-28T02:00:00Z", "2027-03-28T03:00:00Z", "unavailable"],
    ]);
    await dstCase("Europe/Berlin", [{ day: "sun", start: "00:00", end: "24:00" }], "2027-03-27T12:00:00Z", "2027-03-29T00:00:00Z", [
      ["2027-03-27T12:00:00Z", "2027-03-27T23:00:00Z", "unavailable"],
      ["2027-03-27T23:00:00Z", "2027-03-28T22:00:00Z", "available"],
      ["2027-03-28T22:00:00Z", "2027-03-29T00:00:00Z", "unavailable"],
    ]);
  });

  test("Europe/Berlin fall back 2027-10-31: sun 02:30-04:00 is [00:30Z, 03:00Z); an ambiguous end is the earlier instant; the Sunday lasts 25 hours", async () => {
    await dstCase("Europe/Berlin", [{ day: "sun", start: "02:30", end: "04:00" }], "2027-10-30T23:00:00Z", "2027-10-31T04:00:00Z", [
      ["2027-10-30T23:00:00Z", "2027-10-31T00:30:00Z", "unavailable"],
      ["2027-10-31T00:30:00Z", "2027-10-31T03:00:00Z", "available"],
      ["2027-10-31T03:00:00Z", "2027-10-31T04:00:00Z", "unavailable"],
    ]);
    await dstCase("Europe/Berlin", [{ day: "sun", start: "01:00", end: "02:30" }], "2027-10-30T22:00:00Z", "2027-10-31T03:00:00Z", [
      ["2027-10-30T22:00:00Z", "2027-10-30T23:00:00Z", "unavailable"],
      ["2027-10-30T23:00:00Z", "2027-10-31T00:30:00Z", "available"],
      ["2027-10-31T00:30:00Z", "2027-10-31T03:00:00Z", "unavailable"],
    ]);
    await dstCase("Europe/Berlin", [{ day: "sun", start: "00:00", end: "24:00" }], "2027-10-30T12:00:00Z", "2027-11-01T00:00:00Z", [
      ["2027-10-30T12:00:00Z", "2027-10-30T22:00:00Z", "unavailable"],
      ["2027-10-30T22:00:00Z", "2027-10-31T23:00:00Z", "available"],
      ["2027-10-31T23:00:00Z", "2027-11-01T00:00:00Z", "unavailable"],
    ]);
  });

  test("America/New_York 2027-03-14: 01:00-02:15 and 02:30-04:00 both reach the jump (07:00Z) and join", async () => {
    await dstCase(
      "America/New_York",
      [
        { day: "sun", start: "01:00", end: "02:15" },
        { day: "sun", start: "02:30", end: "04:00" },
      ],
      "2027-03-14T05:00:00Z",
      "2027-03-14T09:00:00Z",
      [
        ["2027-03-14T05:00:00Z", "2027-03-14T06:00:00Z", "unavailable"],
        ["2027-03-14T06:00:00Z", "2027-03-14T08:00:00Z", "available"],
        ["2027-03-14T08:00:00Z", "2027-03-14T09:00:00Z", "unavailable"],
      ],
    );
  });

  test("America/New_York 2027-11-07: sun 01:30-03:00 starts at the earlier 01:30 (EDT) and lasts 2.5 hours", async () => {
    await dstCase("America/New_York", [{ day: "sun", start: "01:30", end: "03:00" }], "2027-11-07T05:00:00Z", "2027-11-07T09:00:00Z", [
      ["2027-11-07T05:00:00Z", "2027-11-07T05:30:00Z", "unavailable"],
      ["2027-11-07T05:30:00Z", "2027-11-07T08:00:00Z", "available"],
      ["2027-11-07T08:00:00Z", "2027-11-07T09:00:00Z", "unavailable"],
    ]);
  });

  test("Australia/Lord_Howe 2027-04-04 (back 30 minutes at 02:00 +11): sun 01:45-03:00 is [14:45Z, 16:30Z)", async () => {
    await dstCase("Australia/Lord_Howe", [{ day: "sun", start: "01:45", end: "03:00" }], "2027-04-03T14:00:00Z", "2027-04-03T17:00:00Z", [
      ["2027-04-03T14:00:00Z", "2027-04-03T14:45:00Z", "unavailable"],
      ["2027-04-03T14:45:00Z", "2027-04-03T16:30:00Z", "available"],
      ["2027-04-03T16:30:00Z", "2027-04-03T17:00:00Z", "unavailable"],
    ]);
  });

  test("Australia/Lord_Howe 2027-10-03 (forward 30 minutes at 02:00 +10:30): 02:10 and 02:15 map to the jump (15:30Z)", async () => {
    await dstCase("Australia/Lord_Howe", [{ day: "sun", start: "02:10", end: "04:00" }], "2027-10-02T15:00:00Z", "2027-10-02T18:00:00Z", [
      ["2027-10-02T15:00:00Z", "2027-10-02T15:30:00Z", "unavailable"],
      ["2027-10-02T15:30:00Z", "2027-10-02T17:00:00Z", "available"],
      ["2027-10-02T17:00:00Z", "2027-10-02T18:00:00Z", "unavailable"],
    ]);
    await dstCase("Australia/Lord_Howe", [{ day: "sun", start: "01:00", end: "02:15" }], "2027-10-02T14:00:00Z", "2027-10-02T16:00:00Z", [
      ["2027-10-02T14:00:00Z", "2027-10-02T14:30:00Z", "unavailable"],
      ["2027-10-02T14:30:00Z", "2027-10-02T15:30:00Z", "available"],
      ["2027-10-02T15:30:00Z", "2027-10-02T16:00:00Z", "unavailable"],
    ]);
  });
});

// Schedule ---------------------------------------------------------------------------------------

describe("GET /artists/{id}/schedule", () => {
  const DAY_FROM = "2040-03-05T00:00:00Z";
  const DAY_TO = "2040-03-06T00:00:00Z";
  const MON_9_18 = [
    { day: "mon", start: "09:00", end: "12:00" },
    { day: "mon", start: "12:00", end: "18:00" },
  ];

  test("preferences only: adjacent windows merged, the exact shape, from/to echoed in UTC", async () => {
    const a = await artistWith({ weekly: MON_9_18 }, "UTC");
    const s = await schedule(ctx.base, ctx.tokens.viewer, a, DAY_FROM, DAY_TO);
    assert.deepEqual(s, {
      artistId: a,
      timezone: "UTC",
      from: DAY_FROM,
      to: DAY_TO,
      data: [
        { startTime: DAY_FROM, endTime: t("2040-03-05", "09:00"), state: "unavailable", bookingIds: [] },
        { startTime: t("2040-03-05", "09:00"), endTime: t("2040-03-05", "18:00"), state: "available", bookingIds: [] },
        { startTime: t("2040-03-05", "18:00"), endTime: DAY_TO, state: "unavailable", bookingIds: [] },
      ],
    });
    const off = await schedule(ctx.base, ctx.tokens.viewer, a, "2040-03-05T11:30:00+01:00", "2040-03-05T20:15:00+01:00");
    assert.equal(off.from, "2040-03-05T10:30:00Z");
    assert.equal(off.to, "2040-03-05T19:15:00Z");
    assert.deepEqual(compact(off), [
      ["2040-03-05T10:30:00Z", "2040-03-05T18:00:00Z", "available"],
      ["2040-03-05T18:00:00Z", "2040-03-05T19:15:00Z", "unavailable"],
    ]);
    // No preferences: one available segment.
    const free = await artistWith();
    const f = await schedule(ctx.base, ctx.tokens.viewer, free, DAY_FROM, "2040-03-12T00:00:00Z");
    assert.deepEqual(compact(f), [[DAY_FROM, "2040-03-12T00:00:00Z", "available"]]);
  });

  test("states held / pencilled / booked with their bookingIds ordered by (startTime, id)", async () => {
    const a = await artistWith({ weekly: MON_9_18 });
    const h1 = await bookAt(a, t("2040-03-05", "10:00"), t("2040-03-05", "11:00"));
    const p = await bookAt(a, t("2040-03-05", "12:00"), t("2040-03-05", "13:00"), { status: "pencil" });
    const h2 = await bookAt(a, t("2040-03-05", "12:30"), t("2040-03-05", "13:30"));
    const c = await bookAt(a, t("2040-03-05", "14:00"), t("2040-03-05", "15:00"), { status: "confirmed" });
    const s = await schedule(ctx.base, ctx.tokens.viewer, a, DAY_FROM, DAY_TO);
    assert.deepEqual(compact(s), [
      [DAY_FROM, t("2040-03-05", "09:00"), "unavailable"],
      [t("2040-03-05", "09:00"), t("2040-03-05", "10:00"), "available"],
      [t("2040-03-05", "10:00"), t("2040-03-05", "11:00"), "held", h1.id],
      [t("2040-03-05", "11:00"), t("2040-03-05", "12:00"), "available"],
      [t("2040-03-05", "12:00"), t("2040-03-05", "12:30"), "pencilled", p.id],
      [t("2040-03-05", "12:30"), t("2040-03-05", "13:00"), "pencilled", p.id, h2.id],
      [t("2040-03-05", "13:00"), t("2040-03-05", "13:30"), "held", h2.id],
      [t("2040-03-05", "13:30"), t("2040-03-05", "14:00"), "available"],
      [t("2040-03-05", "14:00"), t("2040-03-05", "15:00"), "booked", c.id],
      [t("2040-03-05", "15:00"), t("2040-03-05", "18:00"), "available"],
      [t("2040-03-05", "18:00"), DAY_TO, "unavailable"],
    ]);
    // Confirming the pencil supersedes the overlapping hold: booked, h2 gone.
    await must(ctx, p.id, "confirm");
    const s2 = await schedule(ctx.base, ctx.tokens.viewer, a, t("2040-03-05", "11:00"), t("2040-03-05", "15:00"));
    assert.deepEqual(compact(s2), [
      [t("2040-03-05", "11:00"), t("2040-03-05", "12:00"), "available"],
      [t("2040-03-05", "12:00"), t("2040-03-05", "13:00"), "booked", p.id],
      [t("2040-03-05", "13:00"), t("2040-03-05", "14:00"), "available"],
      [t("2040-03-05", "14:00"), t("2040-03-05", "15:00"), "booked", c.id],
    ]);
  });

  test("bookings with equal starts are ordered by id; adjacent different bookings are separate segments", async () => {
    const a = await artistWith({ weekly: MON_9_18 });
    const x = await bookAt(a, t("2040-03-05", "10:00"), t("2040-03-05", "12:00"));
    const y = await bookAt(a, t("2040-03-05", "10:00"), t("2040-03-05", "12:00"));
    const w = await bookAt(a, t("2040-03-05", "09:30"), t("2040-03-05", "11:00"));
    const z = await bookAt(a, t("2040-03-05", "12:00"), t("2040-03-05", "13:00"));
    const xy = [x.id, y.id].sort();
    const s = await schedule(ctx.base, ctx.tokens.viewer, a, t("2040-03-05", "09:00"), t("2040-03-05", "14:00"));
    assert.deepEqual(compact(s), [
      [t("2040-03-05", "09:00"), t("2040-03-05", "09:30"), "available"],
      [t("2040-03-05", "09:30"), t("2040-03-05", "10:00"), "held", w.id],
      [t("2040-03-05", "10:00"), t("2040-03-05", "11:00"), "held", w.id, ...xy],
      [t("2040-03-05", "11:00"), t("2040-03-05", "12:00"), "held", ...xy],
      [t("2040-03-05", "12:00"), t("2040-03-05", "13:00"), "held", z.id],
      [t("2040-03-05", "13:00"), t("2040-03-05", "14:00"), "available"],
    ]);
  });

  test("a booking shows even outside availability (one segment across the edge); overrides show as unavailable", async () => {
    const a = await artistWith({ weekly: MON_9_18, overrides: [{ date: "2040-03-12", windows: [] }] });
    const h = await bookAt(a, t("2040-03-05", "17:00"), t("2040-03-05", "19:00"), { overrideAvailability: true });
    const c = await bookAt(a, t("2040-03-12", "10:00"), t("2040-03-12", "11:00"), { status: "confirmed", overrideAvailability: true });
    const s = await schedule(ctx.base, ctx.tokens.viewer, a, t("2040-03-05", "12:00"), t("2040-03-05", "20:00"));
    assert.deepEqual(compact(s), [
      [t("2040-03-05", "12:00"), t("2040-03-05", "17:00"), "available"],
      [t("2040-03-05", "17:00"), t("2040-03-05", "19:00"), "held", h.id],
      [t("2040-03-05", "19:00"), t("2040-03-05", "20:00"), "unavailable"],
    ]);
    const s2 = await schedule(ctx.base, ctx.tokens.viewer, a, "2040-03-12T00:00:00Z", "2040-03-13T00:00:00Z");
    assert.deepEqual(compact(s2), [
      ["2040-03-12T00:00:00Z", "2040-03-12T10:00:00Z", "unavailable"],
      ["2040-03-12T10:00:00Z", "2040-03-12T11:00:00Z", "booked", c.id],
      ["2040-03-12T11:00:00Z", "2040-03-13T00:00:00Z", "unavailable"],
    ]);
  });

  test("a preference change and booking changes show at once (no stale cached schedule)", async () => {
    const a = await artistWith({ weekly: MON_9_18 });
    const range = [t("2040-03-05", "08:00"), t("2040-03-05", "19:00")] as const;
    assert.deepEqual(compact(await schedule(ctx.base, ctx.tokens.viewer, a, ...range)), [
      [range[0], t("2040-03-05", "09:00"), "unavailable"],
      [t("2040-03-05", "09:00"), t("2040-03-05", "18:00"), "available"],
      [t("2040-03-05", "18:00"), range[1], "unavailable"],
    ]);
    await schedule(ctx.base, ctx.tokens.viewer, a, ...range); // twice: cached, if a cache is on
    await putAvailability(ctx.base, ctx.tokens.manager, a, { weekly: [{ day: "mon", start: "10:00", end: "11:00" }] });
    assert.deepEqual(compact(await schedule(ctx.base, ctx.tokens.viewer, a, ...range)), [
      [range[0], t("2040-03-05", "10:00"), "unavailable"],
      [t("2040-03-05", "10:00"), t("2040-03-05", "11:00"), "available"],
      [t("2040-03-05", "11:00"), range[1], "unavailable"],
    ]);
    const h = await bookAt(a, t("2040-03-05", "10:00"), t("2040-03-05", "11:00"));
    assert.deepEqual(compact(await schedule(ctx.base, ctx.tokens.viewer, a, ...range)), [
      [range[0], t("2040-03-05", "10:00"), "unavailable"],
      [t("2040-03-05", "10:00"), t("2040-03-05", "11:00"), "held", h.id],
      [t("2040-03-05", "11:00"), range[1], "unavailable"],
    ]);
    const r = await patch(h.id, { startTime: t("2040-03-05", "10:00"), endTime: t("2040-03-05", "10:30") }, 1);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(compact(await schedule(ctx.base, ctx.tokens.viewer, a, ...range)), [
      [range[0], t("2040-03-05", "10:00"), "unavailable"],
      [t("2040-03-05", "10:00"), t("2040-03-05", "10:30"), "held", h.id],
      [t("2040-03-05", "10:30"), t("2040-03-05", "11:00"), "available"],
      [t("2040-03-05", "11:00"), range[1], "unavailable"],
    ]);
    await must(ctx, h.id, "release");
    assert.deepEqual(compact(await schedule(ctx.base, ctx.tokens.viewer, a, ...range)), [
      [range[0], t("2040-03-05", "10:00"), "unavailable"],
      [t("2040-03-05", "10:00"), t("2040-03-05", "11:00"), "available"],
      [t("2040-03-05", "11:00"), range[1], "unavailable"],
    ]);
  });

  test("released and cancelled bookings do not show", async () => {
    const a = await artistWith();
    const from = t("2040-03-05", "00:00");
    const to = t("2040-03-06", "00:00");
    const released = await bookAt(a, t("2040-03-05", "01:00"), t("2040-03-05", "02:00"));
    const cancelled = await bookAt(a, t("2040-03-05", "03:00"), t("2040-03-05", "04:00"), { status: "confirmed" });
    assert.deepEqual(compact(await schedule(ctx.base, ctx.tokens.viewer, a, from, to)), [
      [from, t("2040-03-05", "01:00"), "available"],
      [t("2040-03-05", "01:00"), t("2040-03-05", "02:00"), "held", released.id],
      [t("2040-03-05", "02:00"), t("2040-03-05", "03:00"), "available"],
      [t("2040-03-05", "03:00"), t("2040-03-05", "04:00"), "booked", cancelled.id],
      [t("2040-03-05", "04:00"), to, "available"],
    ]);
    await must(ctx, released.id, "release");
    await must(ctx, cancelled.id, "cancel");
    assert.deepEqual(compact(await schedule(ctx.base, ctx.tokens.viewer, a, from, to)), [[from, to, "available"]]);
  });

  test("expired holds and pencils do not show, at once after advancing the test clock (sweeper or not)", async () => {
    const a = await artistWith();
    const from = t("2040-03-05", "00:00");
    const to = t("2040-03-06", "00:00");
    const hold = await bookAt(a, t("2040-03-05", "05:00"), t("2040-03-05", "06:00"));
    const pen = await bookAt(a, t("2040-03-05", "07:00"), t("2040-03-05", "08:00"), { status: "pencil" });
    const all = [
      [from, t("2040-03-05", "05:00"), "available"],
      [t("2040-03-05", "05:00"), t("2040-03-05", "06:00"), "held", hold.id],
      [t("2040-03-05", "06:00"), t("2040-03-05", "07:00"), "available"],
      [t("2040-03-05", "07:00"), t("2040-03-05", "08:00"), "pencilled", pen.id],
      [t("2040-03-05", "08:00"), to, "available"],
    ];
    // Twice: the second read may come from the cache.
    assert.deepEqual(compact(await schedule(ctx.base, ctx.tokens.viewer, a, from, to)), all);
    assert.deepEqual(compact(await schedule(ctx.base, ctx.tokens.viewer, a, from, to)), all);
    // The hold's TTL (30 min) passes: a read right after no longer shows it (SPEC §3.2: expiry is
    // visible immediately, before the sweeper has written it).
    await advance(ctx, 31 * 60);
    assert.deepEqual(compact(await schedule(ctx.base, ctx.tokens.viewer, a, from, to)), [
      [from, t("2040-03-05", "07:00"), "available"],
      [t("2040-03-05", "07:00"), t("2040-03-05", "08:00"), "pencilled", pen.id],
      [t("2040-03-05", "08:00"), to, "available"],
    ]);
    // The pencil's (48 h) too.
    await advance(ctx, 48 * 3600);
    assert.deepEqual(compact(await schedule(ctx.base, ctx.tokens.viewer, a, from, to)), [[from, to, "available"]]);
    assert.equal((await get(ctx, hold.id)).status, "expired");
    assert.equal((await get(ctx, pen.id)).status, "expired");
  });

  test("every role reads; the timezone member is the artist's", async () => {
    const a = await artistWith({ weekly: MON_9_18 }, "Asia/Kolkata");
    for (const role of ROLES) {
      const res = await rawApi(ctx.base, "GET", `/artists/${a}/schedule?from=${DAY_FROM}&to=${DAY_TO}`, ctx.tokens[role]);
      assert.equal(res.status, 200, `${role}: ${res.text}`);
      assert.equal(res.json.timezone, "Asia/Kolkata");
    }
    assertProblem(await call(ctx.base, "GET", `/api/v1/artists/${a}/schedule?from=${DAY_FROM}&to=${DAY_TO}`), 401, "unauthenticated");
  });

  test("from/to: required, RFC 3339 with offset, to > from, at most 366 days; 422 at /from and /to", async () => {
    const a = await artistWith({ weekly: MON_9_18 });
    const cases: Array<[Record<string, string | undefined>, string[]]> = [
      [{}, ["/from", "/to"]],
      [{ to: DAY_TO }, ["/from"]],
      [{ from: DAY_FROM }, ["/to"]],
      [{ from: "2040-03-05", to: DAY_TO }, ["/from"]],
      [{ from: "2040-03-05T00:00:00", to: DAY_TO }, ["/from"]],
      [{ from: DAY_FROM, to: "tomorrow" }, ["/to"]],
      [{ from: "2040-02-30T00:00:00Z", to: "2040-13-01T00:00:00Z" }, ["/from", "/to"]],
      [{ from: DAY_FROM, to: DAY_FROM }, ["/to"]],
      [{ from: DAY_TO, to: DAY_FROM }, ["/to"]],
      [{ from: DAY_FROM, to: "2041-03-06T00:00:01Z" }, ["/to"]],
      [{ from: DAY_FROM, to: "2041-03-07T00:00:00Z" }, ["/to"]],
    ];
    for (const [params, paths] of cases) {
      const res = await scheduleRaw(ctx.base, ctx.tokens.viewer, a, params);
      const p = assertProblem(res, 422, "validation_failed");
      assert.deepEqual(errorPaths(p).sort(), paths.sort(), `${JSON.stringify(params)}: ${res.text}`);
    }
    // Exactly 366 days is fine (2040-03-05 .. 2041-03-06).
    const s = await schedule(ctx.base, ctx.tokens.viewer, a, DAY_FROM, "2041-03-06T00:00:00Z");
    assert.equal(s.data.filter((g) => g.state === "available").length, 53);
    // Unknown query parameters are ignored.
    const res = await scheduleRaw(ctx.base, ctx.tokens.viewer, a, { from: DAY_FROM, to: DAY_TO, bogus: "1" });
    assert.equal(res.status, 200, res.text);
  });

  test("404 for an unknown, non-UUID or another tenant's artist, also before the query's 422", async () => {
    const a = await artistWith();
    for (const id of [randomUUID(), "not-a-uuid"]) {
      assertProblem(await scheduleRaw(ctx.base, ctx.tokens.viewer, id, { from: DAY_FROM, to: DAY_TO }), 404, "not_found");
      assertProblem(await scheduleRaw(ctx.base, ctx.tokens.viewer, id, {}), 404, "not_found");
      assertProblem(await slotsRaw(ctx.base, ctx.tokens.viewer, id, { from: DAY_FROM, to: DAY_TO, duration: "PT1H" }), 404, "not_found");
      assertProblem(await slotsRaw(ctx.base, ctx.tokens.viewer, id, { duration: "nope" }), 404, "not_found");
    }
    assertProblem(await scheduleRaw(other.base, other.tokens.admin, a, { from: DAY_FROM, to: DAY_TO }), 404, "not_found");
    assertProblem(await scheduleRaw(other.base, other.tokens.admin, a, {}), 404, "not_found");
    assertProblem(await slotsRaw(other.base, other.tokens.admin, a, { from: DAY_FROM, to: DAY_TO, duration: "PT1H" }), 404, "not_found");
  });
});

// Slots ---------------------------------------------------------------------------------------------

describe("GET /artists/{id}/slots", () => {
  const FROM = "2040-03-05T00:00:00Z";
  const TO = "2040-03-06T00:00:00Z";
  const MON_9_18 = [{ day: "mon", start: "09:00", end: "18:00" }];
  const hours = (...hs: number[]) => hs.map((h) => iso(ms(FROM) + h * HOUR));

  test("starts from + k·step whose whole duration lies inside availability and [from, to)", async () => {
    const a = await artistWith({ weekly: MON_9_18 });
    const s = await slots(ctx.base, ctx.tokens.viewer, a, { from: FROM, to: TO, duration: "PT2H", step: "PT1H" });
    assert.deepEqual(s, { artistId: a, duration: "PT2H", step: "PT1H", data: hours(9, 10, 11, 12, 13, 14, 15, 16) });
    // step defaults to duration
    const d = await slots(ctx.base, ctx.tokens.viewer, a, { from: FROM, to: TO, duration: "PT3H" });
    assert.deepEqual(d, { artistId: a, duration: "PT3H", step: "PT3H", data: hours(9, 12, 15) });
    // not aligned with the windows
    const off = await slots(ctx.base, ctx.tokens.viewer, a, { from: t("2040-03-05", "08:30"), to: TO, duration: "PT1H", step: "PT1H" });
    assert.deepEqual(off.data, hours(9.5, 10.5, 11.5, 12.5, 13.5, 14.5, 15.5, 16.5));
    // the whole duration before `to`
    const cut = await slots(ctx.base, ctx.tokens.viewer, a, { from: FROM, to: t("2040-03-05", "12:00"), duration: "PT2H", step: "PT1H" });
    assert.deepEqual(cut.data, hours(9, 10));
    // longer than the range or any window: none
    const none = await slots(ctx.base, ctx.tokens.viewer, a, { from: FROM, to: TO, duration: "PT10H", step: "PT1H" });
    assert.deepEqual(none.data, []);
    const tiny = await slots(ctx.base, ctx.tokens.viewer, a, { from: FROM, to: t("2040-03-05", "01:00"), duration: "PT2H" });
    assert.deepEqual(tiny.data, []);
  });

  test("holds, pencils and confirmed bookings exclude starts; released ones do not", async () => {
    const a = await artistWith({ weekly: MON_9_18 });
    const q = { from: FROM, to: TO, duration: "PT2H", step: "PT1H" };
    const h = await bookAt(a, t("2040-03-05", "12:00"), t("2040-03-05", "13:00"));
    assert.deepEqual((await slots(ctx.base, ctx.tokens.viewer, a, q)).data, hours(9, 10, 13, 14, 15, 16));
    await bookAt(a, t("2040-03-05", "15:00"), t("2040-03-05", "16:00"), { status: "pencil" });
    assert.deepEqual((await slots(ctx.base, ctx.tokens.viewer, a, q)).data, hours(9, 10, 13, 16));
    await bookAt(a, t("2040-03-05", "09:00"), t("2040-03-05", "09:30"), { status: "confirmed" });
    assert.deepEqual((await slots(ctx.base, ctx.tokens.viewer, a, q)).data, hours(10, 13, 16));
    await must(ctx, h.id, "release");
    assert.deepEqual((await slots(ctx.base, ctx.tokens.viewer, a, q)).data, hours(10, 11, 12, 13, 16));
    // An override day off: nothing that day.
    await putAvailability(ctx.base, ctx.tokens.manager, a, { weekly: MON_9_18, overrides: [{ date: "2040-03-05", windows: [] }] });
    assert.deepEqual((await slots(ctx.base, ctx.tokens.viewer, a, q)).data, []);
  });

  test("every start a slot offers can be booked; its neighbours outside cannot", async () => {
    const a = await artistWith({ weekly: [{ day: "mon", start: "09:00", end: "12:00" }, { day: "mon", start: "13:00", end: "15:00" }] });
    const s = await slots(ctx.base, ctx.tokens.viewer, a, { from: FROM, to: TO, duration: "PT90M", step: "PT30M" });
    assert.equal(s.duration, "PT1H30M");
    assert.equal(s.step, "PT30M");
    assert.deepEqual(s.data, hours(9, 9.5, 10, 10.5, 13, 13.5));
    for (const start of s.data) {
      const b = await bookAt(a, start, iso(ms(start) + 90 * MINUTE));
      await must(ctx, b.id, "release");
    }
    assertProblem(await tryBook(a, t("2040-03-05", "11:00"), t("2040-03-05", "12:30")), 422, "outside_availability");
  });

  test("duration and step are echoed in canonical form (hours, minutes, seconds only)", async () => {
    const a = await artistWith();
    const cases: Array<[string, string | undefined, string, string]> = [
      ["PT90M", undefined, "PT1H30M", "PT1H30M"],
      ["PT1H30M", "PT30M", "PT1H30M", "PT30M"],
      ["P1D", "PT12H", "PT24H", "PT12H"],
      ["PT120M", "PT60M", "PT2H", "PT1H"],
      ["PT3600S", "PT1M", "PT1H", "PT1M"],
      ["P1DT2H", "PT26H", "PT26H", "PT26H"],
    ];
    for (const [duration, step, d, st] of cases) {
      const s = await slots(ctx.base, ctx.tokens.viewer, a, { from: FROM, to: "2040-03-08T00:00:00Z", duration, step });
      assert.equal(s.duration, d, `duration ${duration}`);
      assert.equal(s.step, st, `step ${step}`);
    }
    const day = await slots(ctx.base, ctx.tokens.viewer, a, { from: FROM, to: "2040-03-07T00:00:00Z", duration: "P1D" });
    assert.deepEqual(day.data, [FROM, "2040-03-06T00:00:00Z"]);
  });

  test("no start before now (server clock; moved with the test clock)", async () => {
    const a = await artistWith();
    const now = await serverNow(ctx);
    const from = Math.floor(now / 1000) * 1000 - 90 * MINUTE;
    const q = { from: iso(from), to: iso(from + 6 * HOUR), duration: "PT1H" };
    let s = await slots(ctx.base, ctx.tokens.viewer, a, q);
    assert.deepEqual(s.data, [2, 3, 4, 5].map((h) => iso(from + h * HOUR)));
    await advance(ctx, 3600);
    s = await slots(ctx.base, ctx.tokens.viewer, a, q);
    assert.deepEqual(s.data, [3, 4, 5].map((h) => iso(from + h * HOUR)));
    // A range wholly in the past has none.
    s = await slots(ctx.base, ctx.tokens.viewer, a, { from: iso(from - 10 * HOUR), to: iso(from), duration: "PT1H" });
    assert.deepEqual(s.data, []);
  });

  test("422: duration required, ISO 8601, 1 minute..31 days; step >= 1 minute; at most 100000 candidate starts; with from/to errors", async () => {
    const a = await artistWith({ weekly: [] });
    const base = { from: FROM, to: "2040-04-15T00:00:00Z" };
    const cases: Array<[Record<string, string | undefined>, string[]]> = [
      [{ ...base }, ["/duration"]],
      [{ ...base, duration: "2H" }, ["/duration"]],
      [{ ...base, duration: "PT" }, ["/duration"]],
      [{ ...base, duration: "P" }, ["/duration"]],
      [{ ...base, duration: "PT-1H" }, ["/duration"]],
      [{ ...base, duration: "PT0M" }, ["/duration"]],
      [{ ...base, duration: "PT30S" }, ["/duration"]],
      [{ ...base, duration: "P32D" }, ["/duration"]],
      [{ ...base, duration: "PT745H" }, ["/duration"]],
      [{ ...base, duration: "PT1H", step: "PT30S" }, ["/step"]],
      [{ ...base, duration: "PT1H", step: "PT0M" }, ["/step"]],
      [{ ...base, duration: "PT1H", step: "half an hour" }, ["/step"]],
      [{ ...base, duration: "nope", step: "nope" }, ["/duration", "/step"]],
      [{ to: base.to, duration: "nope" }, ["/from", "/duration"]],
      [{ from: FROM, to: FROM, duration: "PT1H" }, ["/to"]],
      [{ from: FROM, to: "2041-03-07T00:00:00Z", duration: "PT1H" }, ["/to"]],
      // 366 days in 1-minute steps: 527040 candidates.
      [{ from: FROM, to: "2041-03-06T00:00:00Z", duration: "PT1H", step: "PT1M" }, ["/step"]],
    ];
    for (const [params, paths] of cases) {
      const res = await slotsRaw(ctx.base, ctx.tokens.viewer, a, params);
      const p = assertProblem(res, 422, "validation_failed");
      assert.deepEqual(errorPaths(p).sort(), paths.sort(), `${JSON.stringify(params)}: ${res.text}`);
    }
    // Within the limits: 31 days, 1 minute, and 60 days in 1-minute steps (86400 candidates).
    await slots(ctx.base, ctx.tokens.viewer, a, { ...base, duration: "P31D" });
    await slots(ctx.base, ctx.tokens.viewer, a, { ...base, duration: "PT744H", step: "P1D" });
    await slots(ctx.base, ctx.tokens.viewer, a, { ...base, duration: "PT1M" });
    const many = await slots(ctx.base, ctx.tokens.viewer, a, { from: FROM, to: "2040-05-04T00:00:00Z", duration: "PT1H", step: "PT1M" });
    assert.deepEqual(many.data, []);
  });

  test("every role reads slots", async () => {
    const a = await artistWith({ weekly: MON_9_18 });
    for (const role of ROLES) {
      const res = await rawApi(ctx.base, "GET", `/artists/${a}/slots?from=${FROM}&to=${TO}&duration=PT9H`, ctx.tokens[role]);
      assert.equal(res.status, 200, `${role}: ${res.text}`);
      assert.deepEqual(res.json.data, hours(9));
    }
  });
});
