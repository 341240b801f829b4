// Bookings over HTTP (SPEC §2, §3.4, §3.5, §4, §10): create/get/list/patch, validation 422s with
// their paths, the role matrix, 404s (other tenant, non-UUID ids), ETag/If-Match/412/428,
// pagination with cursors and filters (effective status), and the events a change writes.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { assertProblem, call, errorPaths } from "./lib/http.ts";
import { startServer, type ServerHandle } from "./lib/server.ts";
import { ROLES, type Role } from "./lib/tenant.ts";
import {
  ACTIONS,
  HOUR,
  MINUTE,
  act,
  advance,
  api,
  assertBooking,
  assertConflict,
  assertInvalidTransition,
  book,
  confirmed,
  createBooking,
  events,
  get,
  hold,
  iso,
  list,
  listAll,
  ms,
  must,
  newArtist,
  newCtx,
  newProject,
  pencil,
  range,
  serverNow,
  T0,
  type Ctx,
} from "./lib/bookings.ts";

let server: ServerHandle;
let ctx: Ctx;
let other: Ctx;
let artist: string;
let project: string;

before(async () => {
  server = await startServer({ args: ["--test-clock"] });
  [ctx, other] = await Promise.all([newCtx(server.url, "bookings"), newCtx(server.url, "bookings-other")]);
  artist = await newArtist(ctx);
  project = await newProject(ctx);
});

after(async () => {
  await server?.stop();
});

describe("POST /bookings and GET /bookings/{id}", () => {
  test("a default create is a hold with every member, Location and ETag", async () => {
    const a = await newArtist(ctx);
    const res = await createBooking(ctx, {
      artistId: a,
      startTime: "2040-03-05T12:00:00+02:00",
      endTime: "2040-03-05T14:30:00+02:00",
    });
    assert.equal(res.status, 201, res.text);
    const b = res.json;
    assertBooking(b);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json\b/);
    assert.equal(res.headers.get("location"), `/api/v1/bookings/${b.id}`);
    assert.equal(res.headers.get("etag"), '"1"');
    assert.equal(b.artistId, a);
    assert.equal(b.projectId, null);
    assert.equal(b.startTime, "2040-03-05T10:00:00Z");
    assert.equal(b.endTime, "2040-03-05T12:30:00Z");
    assert.equal(b.status, "hold");
    assert.equal(b.priority, 0);
    assert.equal(b.version, 1);
    assert.equal(b.title, null);
    assert.equal(b.notes, null);
    assert.equal(b.statusReason, null);
    assert.equal(b.challenge, null);
    assert.equal(b.createdBy, ctx.subs.booker);
    assert.equal(b.createdAt, b.updatedAt);
    assert.equal(ms(b.expiresAt) - ms(b.createdAt), 30 * MINUTE, "a new hold expires holdTtlMinutes (30) after creation");

    const g = await api(ctx, "GET", `/bookings/${b.id}`, { role: "viewer" });
    assert.equal(g.status, 200, g.text);
    assert.equal(g.headers.get("etag"), '"1"');
    assert.deepEqual(g.json, b);
  });

  test("all optional members are stored and echoed", async () => {
    const a = await newArtist(ctx);
    const b = await book(ctx, {
      artistId: a,
      ...range(1, 2),
      priority: 7,
      title: "Music video",
      notes: "Bring the red guitar",
      projectId: project,
    });
    assert.equal(b.priority, 7);
    assert.equal(b.title, "Music video");
    assert.equal(b.notes, "Bring the red guitar");
    assert.equal(b.projectId, project);
    assert.equal(b.createdBy, ctx.subs.manager);
    assert.deepEqual(await get(ctx, b.id), b);
  });

  test("RFC 3339 input forms: lower-case t/z, offsets, fractions; output in UTC Z", async () => {
    const a = await newArtist(ctx);
    const b = await book(ctx, { artistId: a, startTime: "2040-03-06t09:15:00.5z", endTime: "2040-03-06T05:45:00.250-04:00" });
    assert.equal(ms(b.startTime), Date.parse("2040-03-06T09:15:00.500Z"));
    assert.equal(ms(b.endTime), Date.parse("2040-03-06T09:45:00.250Z"));
    assert.match(b.startTime, /^2040-03-06T09:15:00\.50*Z$/);
    assert.match(b.endTime, /^2040-03-06T09:45:00\.250*Z$/);
    const c = await book(ctx, { artistId: a, startTime: "2040-03-06T12:00:00.000000Z", endTime: "2040-03-06T13:00:00Z" });
    assert.equal(c.startTime, "2040-03-06T12:00:00Z", "no fractional seconds when they are zero");
  });

  test("a direct pencil and a direct confirmed create", async () => {
    const a = await newArtist(ctx);
    const p = await pencil(ctx, a, 1, 2);
    assert.equal(p.status, "pencil");
    assert.equal(ms(p.expiresAt) - ms(p.createdAt), 48 * HOUR, "pencilTtlHours (48)");
    const c = await confirmed(ctx, a, 3, 4);
    assert.equal(c.status, "confirmed");
    assert.equal(c.expiresAt, null);
    assert.equal(c.createdBy, ctx.subs.manager);
  });

  test("touching ranges do not overlap; an overlapping pencil is a booking_conflict", async () => {
    const a = await newArtist(ctx);
    const p1 = await pencil(ctx, a, 10, 12);
    const p2 = await pencil(ctx, a, 12, 14);
    await confirmed(ctx, a, 8, 10);
    assertConflict(await createBooking(ctx, { artistId: a, ...range(11, 12), status: "pencil" }), [p1]);
    assertConflict(await createBooking(ctx, { artistId: a, ...range(11, 13), status: "pencil" }), [p1, p2]);
    // A hold may queue behind a pencil, but not overlap a confirmed booking.
    await hold(ctx, a, 11, 12);
    const c = await confirmed(ctx, a, 20, 22);
    assertConflict(await createBooking(ctx, { artistId: a, ...range(21, 23) }), [c]);
  });

  test("GET of an unknown id, a non-UUID id and another tenant's booking are 404 not_found", async () => {
    const a = await newArtist(ctx);
    const b = await hold(ctx, a, 1, 2);
    assertProblem(await api(ctx, "GET", `/bookings/${randomUUID()}`, { role: "viewer" }), 404, "not_found");
    assertProblem(await api(ctx, "GET", "/bookings/not-a-uuid", { role: "viewer" }), 404, "not_found");
    assertProblem(await api(ctx, "GET", "/bookings/12345", { role: "viewer" }), 404, "not_found");
    const res = await api(other, "GET", `/bookings/${b.id}`, { role: "admin" });
    assertProblem(res, 404, "not_found");
    assert.ok(!res.text.includes(a), "the 404 does not leak the other tenant's data");
  });

  test("another tenant's booking is 404 for PATCH, every transition and its events", async () => {
    const a = await newArtist(ctx);
    const b = await hold(ctx, a, 1, 2);
    assertProblem(
      await api(other, "PATCH", `/bookings/${b.id}`, { role: "admin", body: { title: "x" }, headers: { "if-match": '"1"' } }),
      404,
      "not_found",
    );
    for (const action of ACTIONS) {
      assertProblem(await act(other, b.id, action, { role: "admin" }), 404, "not_found");
    }
    assertProblem(await api(other, "GET", `/bookings/${b.id}/events`, { role: "admin" }), 404, "not_found");
    for (const action of ACTIONS) {
      assertProblem(await act(ctx, "not-a-uuid", action, { role: "admin" }), 404, "not_found");
    }
    assertProblem(await api(ctx, "GET", "/bookings/not-a-uuid/events", { role: "admin" }), 404, "not_found");
    // Nothing happened to it.
    assert.equal((await get(ctx, b.id)).version, 1);
  });

  test("an artist or project of another tenant is a 422 at /artistId or /projectId", async () => {
    const a = await newArtist(ctx);
    const otherArtist = await newArtist(other);
    const otherProject = await newProject(other);
    let p = assertProblem(await createBooking(ctx, { artistId: otherArtist, ...range(1, 2) }), 422, "validation_failed");
    assert.deepEqual(errorPaths(p), ["/artistId"]);
    p = assertProblem(await createBooking(ctx, { artistId: randomUUID(), ...range(1, 2) }), 422, "validation_failed");
    assert.deepEqual(errorPaths(p), ["/artistId"]);
    p = assertProblem(
      await createBooking(ctx, { artistId: a, projectId: otherProject, ...range(1, 2) }),
      422,
      "validation_failed",
    );
    assert.deepEqual(errorPaths(p), ["/projectId"]);
  });
});

describe("routing and order of checks", () => {
  test("known paths with a wrong method are 405 with Allow", async () => {
    const a = await newArtist(ctx);
    const b = await hold(ctx, a, 1, 2);
    for (const [method, path] of [
      ["DELETE", `/bookings/${b.id}`],
      ["PUT", `/bookings/${b.id}`],
      ["PUT", "/bookings"],
      ["GET", `/bookings/${b.id}/release`],
      ["POST", `/bookings/${b.id}/events`],
      ["POST", "/events"],
    ] as const) {
      const res = await api(ctx, method, path, { role: "admin" });
      assertProblem(res, 405, "method_not_allowed");
      assert.ok((res.headers.get("allow") ?? "").length > 0, `${method} ${path}: Allow header`);
    }
    assertProblem(await api(ctx, "POST", `/bookings/${b.id}/teleport`, { role: "admin" }), 404, "not_found");
  });

  test("a transition: 404 before the body (422/415), 422 before 412", async () => {
    assertProblem(await act(ctx, randomUUID(), "release", { body: { bogus: 1 } }), 404, "not_found");
    const a = await newArtist(ctx);
    const b = await hold(ctx, a, 1, 2);
    assertProblem(await act(ctx, b.id, "release", { body: "reason=x", contentType: "text/plain" }), 415, "unsupported_media_type");
    assertProblem(await act(ctx, b.id, "release", { body: "{" }), 400, "malformed_json");
    const p = assertProblem(await act(ctx, b.id, "release", { body: { bogus: 1 }, headers: { "if-match": '"9"' } }), 422, "validation_failed");
    assert.deepEqual(errorPaths(p), ["/bogus"]);
    assert.equal((await get(ctx, b.id)).version, 1);
  });
});

describe("validation (422 validation_failed lists every offending field)", () => {
  const bad = async (body: unknown, paths: string[], role: Role = "manager") => {
    const res = await createBooking(ctx, body, { role });
    const p = assertProblem(res, 422, "validation_failed");
    assert.deepEqual(errorPaths(p).sort(), [...paths].sort(), `paths for ${JSON.stringify(body)}: ${res.text}`);
  };

  test("an empty body lists the required fields", async () => {
    await bad({}, ["/artistId", "/startTime", "/endTime"]);
  });

  test("an unknown field is an error at its path", async () => {
    await bad({ artistId: artist, ...range(1, 2), colour: "red" }, ["/colour"]);
  });

  test("instants without an offset, with +0530 offsets, or impossible, are 422", async () => {
    for (const startTime of [
      "2040-03-05T10:00:00",
      "2040-03-05T10:00:00+0530",
      "2040-02-30T10:00:00Z",
      "2040-03-05T25:00:00Z",
      "2040-03-05 10:00:00Z",
      "2040-03-05T10:00:00.1234567Z",
      "tomorrow",
      "",
    ]) {
      await bad({ artistId: artist, startTime, endTime: "2040-03-05T12:00:00Z" }, ["/startTime"]);
    }
    await bad({ artistId: artist, startTime: 1700000000, endTime: "2040-03-05T12:00:00Z" }, ["/startTime"]);
  });

  test("time range rules point at /endTime", async () => {
    const s = T0 + 10 * HOUR;
    await bad({ artistId: artist, startTime: iso(s), endTime: iso(s) }, ["/endTime"]);
    await bad({ artistId: artist, startTime: iso(s), endTime: iso(s - HOUR) }, ["/endTime"]);
    await bad({ artistId: artist, startTime: iso(s), endTime: iso(s + 59_000) }, ["/endTime"]);
    await bad({ artistId: artist, startTime: iso(s), endTime: iso(s + 31 * 24 * HOUR + 1000) }, ["/endTime"]);
    const a = await newArtist(ctx);
    await book(ctx, { artistId: a, startTime: iso(s), endTime: iso(s + MINUTE) });
    await book(ctx, { artistId: a, startTime: iso(s + HOUR), endTime: iso(s + HOUR + 31 * 24 * HOUR) });
  });

  test("a hold or pencil must end in the future; a manager may backfill a confirmed one", async () => {
    const now = await serverNow(ctx);
    const past = { startTime: iso(now - 3 * HOUR), endTime: iso(now - 2 * HOUR) };
    await bad({ artistId: artist, ...past }, ["/endTime"], "booker");
    await bad({ artistId: artist, ...past, status: "pencil" }, ["/endTime"], "booker");
    const a = await newArtist(ctx);
    const c = await book(ctx, { artistId: a, ...past, status: "confirmed" }, "manager");
    assert.equal(c.status, "confirmed");
    // Ending in the future is enough, even when it started in the past.
    const h = await book(ctx, { artistId: a, startTime: iso(now - HOUR), endTime: iso(now + HOUR) });
    assert.equal(h.status, "hold");
  });

  test("priority, status, title, notes, ids and types are checked, all at once", async () => {
    await bad(
      {
        artistId: "not-a-uuid",
        startTime: "2040-03-05T10:00:00",
        endTime: "2040-03-05T12:00:00Z",
        priority: 101,
        status: "released",
        title: "t".repeat(201),
        notes: "n".repeat(10_001),
        projectId: 17,
        bogus: true,
      },
      ["/artistId", "/startTime", "/priority", "/status", "/title", "/notes", "/projectId", "/bogus"],
    );
    await bad({ artistId: artist, ...range(1, 2), priority: -1 }, ["/priority"]);
    await bad({ artistId: artist, ...range(1, 2), priority: 1.5 }, ["/priority"]);
    await bad({ artistId: artist, ...range(1, 2), status: "expired" }, ["/status"]);
    await bad({ artistId: artist, ...range(1, 2), overrideAvailability: "yes" }, ["/overrideAvailability"]);
    const a = await newArtist(ctx);
    const ok = await book(ctx, { artistId: a, ...range(1, 2), title: "t".repeat(200), notes: "n".repeat(10_000), priority: 100 });
    assert.equal(ok.title?.length, 200);
  });

  test("confirmBy is only accepted when entering pencil", async () => {
    const now = await serverNow(ctx);
    const confirmBy = iso(now + 30 * HOUR);
    await bad({ artistId: artist, ...range(1, 2), confirmBy }, ["/confirmBy"]);
    await bad({ artistId: artist, ...range(1, 2), status: "confirmed", confirmBy }, ["/confirmBy"]);
    await bad({ artistId: artist, ...range(1, 2), status: "pencil", confirmBy: iso(now + 20 * HOUR) }, ["/confirmBy"]);
    await bad({ artistId: artist, ...range(1, 2), status: "pencil", confirmBy: iso(now + 50 * HOUR) }, ["/confirmBy"]);
    const a = await newArtist(ctx);
    const p = await book(ctx, { artistId: a, ...range(1, 2), status: "pencil", confirmBy });
    assert.equal(p.expiresAt, confirmBy);
  });

  test("JSON that is not an object is a 422 with path \"\"", async () => {
    for (const body of ["[]", "42", '"x"', "null"]) {
      const res = await api(ctx, "POST", "/bookings", { body, role: "manager" });
      const p = assertProblem(res, 422, "validation_failed");
      assert.deepEqual(errorPaths(p), [""], body);
    }
  });

  test("malformed JSON is 400, a non-JSON content type 415, a body over 64 KiB 413", async () => {
    assertProblem(await api(ctx, "POST", "/bookings", { body: "{", role: "booker" }), 400, "malformed_json");
    assertProblem(
      await api(ctx, "POST", "/bookings", { body: JSON.stringify({ artistId: artist, ...range(1, 2) }), contentType: "text/plain" }),
      415,
      "unsupported_media_type",
    );
    const huge = { artistId: artist, ...range(1, 2), notes: "x".repeat(70 * 1024) };
    assertProblem(await api(ctx, "POST", "/bookings", { body: huge }), 413, "payload_too_large");
  });

  test("validation errors never echo SQL", async () => {
    const res = await createBooking(ctx, { artistId: "'; DROP TABLE bookings; --", ...range(1, 2) });
    assertProblem(res, 422, "validation_failed");
    assert.doesNotMatch(res.text, /SQLSTATE|syntax error|select |insert /i);
  });
});

describe("roles (403 forbidden)", () => {
  test("who may create what", async () => {
    const a = await newArtist(ctx);
    for (const role of ["viewer", "artist"] as Role[]) {
      assertProblem(await createBooking(ctx, { artistId: a, ...range(1, 2) }, { role }), 403, "forbidden");
    }
    for (const role of ["booker", "manager", "admin"] as Role[]) {
      const res = await createBooking(ctx, { artistId: a, ...range(10 * ROLES.indexOf(role), 10 * ROLES.indexOf(role) + 1) }, { role });
      assert.equal(res.status, 201, `${role}: ${res.text}`);
      assert.equal(res.json.createdBy, ctx.subs[role]);
    }
    // Body-dependent "may never": a booker may not create confirmed, set priority > 0 or override availability.
    assertProblem(await createBooking(ctx, { artistId: a, ...range(50, 51), status: "confirmed" }, { role: "booker" }), 403, "forbidden");
    assertProblem(await createBooking(ctx, { artistId: a, ...range(50, 51), priority: 1 }, { role: "booker" }), 403, "forbidden");
    assertProblem(
      await createBooking(ctx, { artistId: a, ...range(50, 51), overrideAvailability: true }, { role: "booker" }),
      403,
      "forbidden",
    );
    const zero = await createBooking(ctx, { artistId: a, ...range(50, 51), priority: 0, overrideAvailability: false }, { role: "booker" });
    assert.equal(zero.status, 201, zero.text);
    for (const role of ["manager", "admin"] as Role[]) {
      const res = await createBooking(
        ctx,
        { artistId: a, ...range(60 + ROLES.indexOf(role) * 2, 61 + ROLES.indexOf(role) * 2), status: "confirmed", priority: 5, overrideAvailability: true },
        { role },
      );
      assert.equal(res.status, 201, `${role}: ${res.text}`);
    }
  });

  test("the body-dependent 403 comes before the 422 and the artist's existence", async () => {
    assertProblem(
      await createBooking(ctx, { artistId: randomUUID(), startTime: "nope", endTime: "2040-01-01T00:00:00Z", status: "confirmed" }, { role: "booker" }),
      403,
      "forbidden",
    );
    assertProblem(await createBooking(ctx, { artistId: "x", priority: 3 }, { role: "booker" }), 403, "forbidden");
    // The role check comes before the body.
    assertProblem(await api(ctx, "POST", "/bookings", { role: "viewer", body: "{" }), 403, "forbidden");
    // 401 before everything.
    assertProblem(await call(ctx.base, "POST", "/api/v1/bookings", { body: {} }), 401, "unauthenticated");
    assertProblem(await call(ctx.base, "GET", `/api/v1/bookings/${randomUUID()}`), 401, "unauthenticated");
  });

  test("every role reads bookings, lists and events", async () => {
    const a = await newArtist(ctx);
    const b = await hold(ctx, a, 1, 2);
    for (const role of ROLES) {
      assert.equal((await api(ctx, "GET", `/bookings/${b.id}`, { role })).status, 200, role);
      assert.equal((await api(ctx, "GET", `/bookings?artistId=${a}`, { role })).status, 200, role);
      assert.equal((await api(ctx, "GET", `/bookings/${b.id}/events`, { role })).status, 200, role);
      assert.equal((await api(ctx, "GET", `/events`, { role })).status, 200, role);
    }
  });

  test("transition matrix: viewer/artist never; booker extend/pencil/release/challenge; manager+ confirm/cancel", async () => {
    const a = await newArtist(ctx);
    const expectations: Record<Role, Record<string, boolean>> = {
      viewer: { extend: false, pencil: false, release: false, challenge: false, confirm: false, cancel: false },
      artist: { extend: false, pencil: false, release: false, challenge: false, confirm: false, cancel: false },
      booker: { extend: true, pencil: true, release: true, challenge: true, confirm: false, cancel: false },
      manager: { extend: true, pencil: true, release: true, challenge: true, confirm: true, cancel: true },
      admin: { extend: true, pencil: true, release: true, challenge: true, confirm: true, cancel: true },
    };
    let h = 0;
    for (const role of ROLES) {
      for (const action of ["extend", "pencil", "release", "confirm"] as const) {
        const b = await hold(ctx, a, h, h + 1);
        h += 2;
        const res = await act(ctx, b.id, action, { role });
        if (expectations[role][action]) assert.equal(res.status, 200, `${role} ${action}: ${res.text}`);
        else assertProblem(res, 403, "forbidden");
      }
      // cancel works on confirmed bookings
      const c = await confirmed(ctx, a, h, h + 1);
      h += 2;
      const res = await act(ctx, c.id, "cancel", { role });
      if (expectations[role].cancel) assert.equal(res.status, 200, `${role} cancel: ${res.text}`);
      else assertProblem(res, 403, "forbidden");
      // challenge: a role that may is refused for the state (no pencil), one that may not is 403
      const b = await hold(ctx, a, h, h + 1);
      h += 2;
      const ch = await act(ctx, b.id, "challenge", { role });
      if (expectations[role].challenge) assertInvalidTransition(ch, "hold");
      else assertProblem(ch, 403, "forbidden");
    }
  });

  test("the 403 of a transition comes before the 404", async () => {
    assertProblem(await act(ctx, randomUUID(), "confirm", { role: "booker" }), 403, "forbidden");
    assertProblem(await act(ctx, randomUUID(), "release", { role: "viewer" }), 403, "forbidden");
    assertProblem(await act(ctx, randomUUID(), "release", { role: "booker" }), 404, "not_found");
  });

  test("PATCH: booker+; a booker changing priority (> 0) is 403, a manager may", async () => {
    const a = await newArtist(ctx);
    const b = await hold(ctx, a, 1, 2);
    for (const role of ["viewer", "artist"] as Role[]) {
      assertProblem(await api(ctx, "PATCH", `/bookings/${b.id}`, { role, body: { title: "x" }, headers: { "if-match": '"1"' } }), 403, "forbidden");
    }
    assertProblem(
      await api(ctx, "PATCH", `/bookings/${b.id}`, { role: "booker", body: { priority: 4 }, headers: { "if-match": '"1"' } }),
      403,
      "forbidden",
    );
    // before the 404
    assertProblem(
      await api(ctx, "PATCH", `/bookings/${randomUUID()}`, { role: "booker", body: { priority: 4 }, headers: { "if-match": '"1"' } }),
      403,
      "forbidden",
    );
    const r1 = await api(ctx, "PATCH", `/bookings/${b.id}`, { role: "booker", body: { title: "by booker" }, headers: { "if-match": '"1"' } });
    assert.equal(r1.status, 200, r1.text);
    const r2 = await api(ctx, "PATCH", `/bookings/${b.id}`, { role: "manager", body: { priority: 4 }, headers: { "if-match": '"2"' } });
    assert.equal(r2.status, 200, r2.text);
    assert.equal(r2.json.priority, 4);
    assert.equal(r2.json.version, 3);
  });
});

describe("PATCH /bookings/{id}, ETag and If-Match", () => {
  test("without If-Match 428, stale 412 with currentVersion, right 200 with the next ETag", async () => {
    const a = await newArtist(ctx);
    const b = await hold(ctx, a, 1, 2, { title: "old" });
    assertProblem(await api(ctx, "PATCH", `/bookings/${b.id}`, { body: { title: "new" } }), 428, "precondition_required");
    const p = assertProblem(
      await api(ctx, "PATCH", `/bookings/${b.id}`, { body: { title: "new" }, headers: { "if-match": '"7"' } }),
      412,
      "version_mismatch",
    );
    assert.equal(p.currentVersion, 1);
    const res = await api(ctx, "PATCH", `/bookings/${b.id}`, { body: { title: "new" }, headers: { "if-match": '"1"' } });
    assert.equal(res.status, 200, res.text);
    assertBooking(res.json);
    assert.equal(res.headers.get("etag"), '"2"');
    assert.equal(res.json.title, "new");
    assert.equal(res.json.version, 2);
    assert.equal(res.json.status, "hold");
    assert.equal(res.json.startTime, b.startTime);
    assert.equal(res.json.createdAt, b.createdAt);
    assert.ok(ms(res.json.updatedAt) >= ms(b.updatedAt));
    assert.deepEqual(await get(ctx, b.id), res.json);
    const evs = await events(ctx, b.id);
    assert.deepEqual(evs.map((e) => e.type), ["booking.held", "booking.updated"]);
    assert.equal(evs[1].previous.title, "old");
    assert.equal(evs[1].actor, ctx.subs.booker);
    assert.deepEqual(evs[1].booking, res.json);
  });

  test("the body is checked before the preconditions (422 before 428/412)", async () => {
    const a = await newArtist(ctx);
    const b = await hold(ctx, a, 1, 2);
    let p = assertProblem(await api(ctx, "PATCH", `/bookings/${b.id}`, { body: { colour: "red" } }), 422, "validation_failed");
    assert.deepEqual(errorPaths(p), ["/colour"]);
    p = assertProblem(
      await api(ctx, "PATCH", `/bookings/${b.id}`, { role: "manager", body: { status: "confirmed", artistId: a }, headers: { "if-match": '"9"' } }),
      422,
      "validation_failed",
    );
    assert.deepEqual(errorPaths(p).sort(), ["/artistId", "/status"]);
    p = assertProblem(
      await api(ctx, "PATCH", `/bookings/${b.id}`, { body: { endTime: b.startTime }, headers: { "if-match": '"1"' } }),
      422,
      "validation_failed",
    );
    assert.deepEqual(errorPaths(p), ["/endTime"]);
    p = assertProblem(
      await api(ctx, "PATCH", `/bookings/${b.id}`, { body: { title: "t".repeat(201), notes: 5 }, headers: { "if-match": '"1"' } }),
      422,
      "validation_failed",
    );
    assert.deepEqual(errorPaths(p).sort(), ["/notes", "/title"]);
    assert.equal((await get(ctx, b.id)).version, 1);
  });

  test("If-Match forms: W/\"n\" is accepted; a garbage If-Match matches nothing (412)", async () => {
    const a = await newArtist(ctx);
    const b = await hold(ctx, a, 1, 2);
    assertProblem(
      await api(ctx, "PATCH", `/bookings/${b.id}`, { body: { title: "x" }, headers: { "if-match": "garbage" } }),
      412,
      "version_mismatch",
    );
    const res = await api(ctx, "PATCH", `/bookings/${b.id}`, { body: { title: "x" }, headers: { "if-match": 'W/"1"' } });
    assert.equal(res.status, 200, res.text);
  });

  test("reschedule writes booking.rescheduled with the old times in previous", async () => {
    const a = await newArtist(ctx);
    const b = await pencil(ctx, a, 1, 2);
    const res = await api(ctx, "PATCH", `/bookings/${b.id}`, {
      body: { startTime: "2040-03-05T03:00:00+01:00", endTime: range(4, 5).endTime },
      headers: { "if-match": '"1"' },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.startTime, range(2, 3).startTime);
    assert.equal(res.json.endTime, range(4, 5).endTime);
    assert.equal(res.json.status, "pencil");
    const evs = await events(ctx, b.id);
    assert.deepEqual(evs.map((e) => e.type), ["booking.pencilled", "booking.rescheduled"]);
    assert.equal(evs[1].previous.startTime, b.startTime);
    assert.equal(evs[1].previous.endTime, b.endTime);
    assert.ok(!("title" in evs[1].previous), `previous lists only changed fields: ${JSON.stringify(evs[1].previous)}`);
  });

  test("PATCH accepts merge-patch+json; null clears title and notes", async () => {
    const a = await newArtist(ctx);
    const b = await hold(ctx, a, 1, 2, { title: "T", notes: "N" });
    const res = await api(ctx, "PATCH", `/bookings/${b.id}`, {
      body: { title: null, notes: null },
      contentType: "application/merge-patch+json",
      headers: { "if-match": '"1"' },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.title, null);
    assert.equal(res.json.notes, null);
    const evs = await events(ctx, b.id);
    assert.equal(evs[1].type, "booking.updated");
    assert.equal(evs[1].previous.title, "T");
    assert.equal(evs[1].previous.notes, "N");
  });

  test("a reschedule re-checks conflicts (409 booking_conflict) and changes nothing then", async () => {
    const a = await newArtist(ctx);
    const c = await confirmed(ctx, a, 5, 6);
    const b = await pencil(ctx, a, 1, 2);
    const res = await api(ctx, "PATCH", `/bookings/${b.id}`, { body: { ...range(4, 6) }, headers: { "if-match": '"1"' } });
    assertConflict(res, [c]);
    assert.deepEqual(await get(ctx, b.id), b);
    // a confirmed booking may move too; its own old range never conflicts with itself
    const moved = await api(ctx, "PATCH", `/bookings/${c.id}`, { body: { ...range(5, 7) }, headers: { "if-match": '"1"' } });
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.json.status, "confirmed");
  });

  test("PATCH on a terminal booking is 409 invalid_transition", async () => {
    const a = await newArtist(ctx);
    const b = await hold(ctx, a, 1, 2);
    const r = await must(ctx, b.id, "release");
    const res = await api(ctx, "PATCH", `/bookings/${b.id}`, { body: { title: "late" }, headers: { "if-match": `"${r.version}"` } });
    assertInvalidTransition(res, "released");
  });

  test("a stale If-Match on a transition is 412; a missing one is fine", async () => {
    const a = await newArtist(ctx);
    const b = await hold(ctx, a, 1, 2);
    const p = assertProblem(await act(ctx, b.id, "pencil", { headers: { "if-match": '"5"' } }), 412, "version_mismatch");
    assert.equal(p.currentVersion, 1);
    const ok = await must(ctx, b.id, "pencil", { headers: { "if-match": '"1"' } });
    assert.equal(ok.version, 2);
    const rel = await must(ctx, b.id, "release");
    assert.equal(rel.version, 3);
    // 412 comes before the state's 409
    assertProblem(await act(ctx, b.id, "release", { headers: { "if-match": '"1"' } }), 412, "version_mismatch");
  });

  test("transitions accept an empty body without Content-Type, and {} with it; unknown members are 422", async () => {
    const a = await newArtist(ctx);
    const b1 = await hold(ctx, a, 1, 2);
    assert.equal((await act(ctx, b1.id, "extend")).status, 200);
    assert.equal((await act(ctx, b1.id, "extend", { body: {} })).status, 200);
    let p = assertProblem(await act(ctx, b1.id, "extend", { body: { reason: "x" } }), 422, "validation_failed");
    assert.deepEqual(errorPaths(p), ["/reason"]);
    p = assertProblem(await act(ctx, b1.id, "release", { body: { reason: "r".repeat(1001) } }), 422, "validation_failed");
    assert.deepEqual(errorPaths(p), ["/reason"]);
    p = assertProblem(await act(ctx, b1.id, "confirm", { body: { confirmBy: iso(T0) } }), 422, "validation_failed");
    assert.deepEqual(errorPaths(p), ["/confirmBy"]);
    const r = await must(ctx, b1.id, "release", { body: { reason: "r".repeat(1000) } });
    assert.equal(r.statusReason, "r".repeat(1000));
  });
});

describe("GET /bookings: order, filters, pagination", () => {
  let a: string;
  let bs: any[];
  before(async () => {
    a = await newArtist(ctx);
    // Created out of order; two share a start time so the id decides.
    bs = [];
    bs.push(await hold(ctx, a, 30, 31));
    bs.push(await pencil(ctx, a, 10, 12, { projectId: project }));
    bs.push(await hold(ctx, a, 20, 22));
    bs.push(await hold(ctx, a, 20, 21, { projectId: project }));
    bs.push(await confirmed(ctx, a, 12, 14));
    bs.push(await hold(ctx, a, 0, 1));
  });

  const sorted = (xs: any[]) =>
    [...xs].sort((x, y) => ms(x.startTime) - ms(y.startTime) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));

  test("by artist, ordered by startTime then id", async () => {
    const page = await list(ctx, `artistId=${a}`);
    assert.deepEqual(page.data.map((b) => b.id), sorted(bs).map((b) => b.id));
    assert.equal(page.nextCursor, null);
  });

  test("pages of 2 with nextCursor cover everything exactly once", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `artistId=${a}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const page = await list(ctx, q);
      pages++;
      assert.ok(page.data.length <= 2);
      seen.push(...page.data.map((b) => b.id));
      cursor = page.nextCursor;
      if (cursor !== null) assert.equal(typeof cursor, "string");
    } while (cursor !== null && pages < 10);
    assert.equal(pages, 3);
    assert.deepEqual(seen, sorted(bs).map((b) => b.id));
  });

  test("from/to select overlapping bookings of [from, to) (touching excluded)", async () => {
    const { startTime: from, endTime: to } = range(12, 20);
    const page = await list(ctx, `artistId=${a}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    // [10,12) touches from, [20,..) touches to: excluded; [12,14) included.
    assert.deepEqual(page.data.map((b) => b.id), [bs[4].id]);
    const wide = await list(ctx, `artistId=${a}&from=${encodeURIComponent(range(11, 12).startTime)}&to=${encodeURIComponent(range(20, 21).endTime)}`);
    assert.deepEqual(wide.data.map((b) => b.id), sorted([bs[1], bs[4], bs[2], bs[3]]).map((b) => b.id));
  });

  test("status and projectId filters", async () => {
    const holds = await list(ctx, `artistId=${a}&status=hold`);
    assert.deepEqual(holds.data.map((b) => b.id), sorted([bs[0], bs[2], bs[3], bs[5]]).map((b) => b.id));
    const two = await list(ctx, `artistId=${a}&status=pencil,confirmed`);
    assert.deepEqual(two.data.map((b) => b.id), [bs[1].id, bs[4].id]);
    const proj = await list(ctx, `projectId=${project}&artistId=${a}`);
    assert.deepEqual(proj.data.map((b) => b.id), sorted([bs[1], bs[3]]).map((b) => b.id));
    const none = await list(ctx, `artistId=${a}&status=cancelled`);
    assert.deepEqual(none.data, []);
    assert.equal(none.nextCursor, null);
  });

  test("bad filters: unknown status, bad cursor, limit out of range, bad instants are 422", async () => {
    let p = assertProblem(await api(ctx, "GET", `/bookings?status=hold,bogus`, { role: "viewer" }), 422, "validation_failed");
    p = assertProblem(await api(ctx, "GET", `/bookings?cursor=not-a-cursor!!`, { role: "viewer" }), 422, "validation_failed");
    p = assertProblem(await api(ctx, "GET", `/bookings?cursor=bm9wZQ`, { role: "viewer" }), 422, "validation_failed");
    for (const limit of ["0", "501", "-1", "abc"]) {
      p = assertProblem(await api(ctx, "GET", `/bookings?limit=${limit}`, { role: "viewer" }), 422, "validation_failed");
      assert.deepEqual(errorPaths(p), ["/limit"], `limit=${limit}`);
    }
    p = assertProblem(await api(ctx, "GET", `/bookings?from=2040-01-01T00:00:00`, { role: "viewer" }), 422, "validation_failed");
    // unknown query parameters are ignored
    assert.equal((await api(ctx, "GET", `/bookings?artistId=${a}&colour=red`, { role: "viewer" })).status, 200);
    assert.equal((await api(ctx, "GET", `/bookings?limit=500`, { role: "viewer" })).status, 200);
  });

  test("the default page holds 50", async () => {
    const m = await newArtist(ctx);
    await Promise.all(Array.from({ length: 51 }, (_, i) => hold(ctx, m, i, i + 1)));
    const page = await list(ctx, `artistId=${m}`);
    assert.equal(page.data.length, 50);
    assert.equal(typeof page.nextCursor, "string");
    const rest = await list(ctx, `artistId=${m}&cursor=${encodeURIComponent(page.nextCursor!)}`);
    assert.equal(rest.data.length, 1);
    assert.equal(rest.nextCursor, null);
  });

  test("another tenant's list does not show these bookings", async () => {
    const page = await list(other, `artistId=${a}`);
    assert.deepEqual(page.data, []);
  });
});

// Last: moves the clock.
describe("effective status in reads and list filters", () => {
  test("a lapsed hold reads and filters as expired without a new version", async () => {
    const a = await newArtist(ctx);
    const h = await hold(ctx, a, 1, 2);
    const p = await pencil(ctx, a, 3, 4);
    await advance(ctx, 31 * 60);
    const g = await get(ctx, h.id);
    assert.equal(g.status, "expired");
    // A lazily shown expiry keeps version 1; the sweeper's written one is version 2 with its event.
    const evs = await events(ctx, h.id);
    assert.ok(g.version === 1 || (g.version === 2 && evs[1]?.type === "booking.expired"), `version ${g.version}`);
    const expired = await list(ctx, `artistId=${a}&status=expired`);
    assert.deepEqual(expired.data.map((b) => b.id), [h.id]);
    const holds = await list(ctx, `artistId=${a}&status=hold`);
    assert.deepEqual(holds.data, []);
    const pencils = await list(ctx, `artistId=${a}&status=pencil`);
    assert.deepEqual(pencils.data.map((b) => b.id), [p.id]);
    const all = await listAll(ctx, `artistId=${a}`);
    assert.deepEqual(all.map((b) => b.status), ["expired", "pencil"]);
  });

  test("the suite's fixed dates stay in the future", async () => {
    assert.ok((await serverNow(ctx)) < T0 - 60 * 24 * HOUR);
  });
});
