// Artists end to end (SPEC §4, §10): shapes, roles, order of checks, validation (IANA zones),
// PATCH without If-Match, cursor pagination, tenant isolation, and Idempotency-Key on POST.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { api, assertArtistShape, createArtist, createProject, listAll, type Artist } from "./lib/api.ts";
import { assertProblem, errorPaths } from "./lib/http.ts";
import { startServer, type ServerHandle } from "./lib/server.ts";
import { createTenant, ROLES, token, type Role } from "./lib/tenant.ts";

let server: ServerHandle;
let base: string;
let tenant: string;
const tokens = {} as Record<Role, string>;
let otherManager: string;

async function tokensFor(t: string): Promise<Record<Role, string>> {
  const out = {} as Record<Role, string>;
  await Promise.all(ROLES.map(async (role) => (out[role] = await token({ tenant: t, user: `${role}@artists`, role, ttl: "1h" }))));
  return out;
}

before(async () => {
  server = await startServer();
  base = server.url;
  tenant = await createTenant(`artists e2e ${randomUUID().slice(0, 8)}`);
  Object.assign(tokens, await tokensFor(tenant));
  const other = await createTenant(`artists e2e other ${randomUUID().slice(0, 8)}`);
  otherManager = await token({ tenant: other, user: "manager@other", role: "manager", ttl: "1h" });
});

after(async () => {
  await server?.stop();
});

describe("POST /artists and GET /artists/{id}", () => {
  test("creates with 201, Location and the SPEC shape; GET returns the same", async () => {
    const body = { name: "Mara Lindqvist", timezone: "Europe/Berlin", email: "mara@example.com", userId: "mara@login" };
    const res = await api(base, "POST", "/artists", tokens.manager, body);
    assert.equal(res.status, 201, res.text);
    assertArtistShape(res.json);
    const a = res.json;
    assert.equal(a.name, body.name);
    assert.equal(a.timezone, body.timezone);
    assert.equal(a.email, body.email);
    assert.equal(a.userId, body.userId);
    assert.equal(a.createdAt, a.updatedAt);
    assert.equal(res.headers.get("location"), `/api/v1/artists/${a.id}`);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    const got = await api(base, "GET", `/artists/${a.id}`, tokens.viewer);
    assert.equal(got.status, 200, got.text);
    assert.deepEqual(got.json, a);
  });

  test("email and userId are optional and read as null", async () => {
    const a = await createArtist(base, tokens.admin, { name: "Minimal", timezone: "UTC" });
    assert.equal(a.email, null);
    assert.equal(a.userId, null);
    const b = await createArtist(base, tokens.admin, { email: null, userId: null });
    assert.equal(b.email, null);
  });

  for (const tz of ["UTC", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/Argentina/Buenos_Aires"]) {
    test(`timezone ${tz} is accepted`, async () => {
      const a = await createArtist(base, tokens.manager, { timezone: tz });
      assert.equal(a.timezone, tz);
    });
  }

  for (const tz of ["Mars/Olympus_Mons", "europe/berlin", "Europe/Berlin ", "+01:00", "CEST", "../../etc/passwd", ""]) {
    test(`timezone ${JSON.stringify(tz)} is 422 at /timezone`, async () => {
      const res = await api(base, "POST", "/artists", tokens.manager, { name: "X", timezone: tz });
      const p = assertProblem(res, 422, "validation_failed");
      assert.deepEqual(errorPaths(p), ["/timezone"]);
    });
  }

  test("every role reads; manager and admin create; booker, artist, viewer get 403", async () => {
    const a = await createArtist(base, tokens.manager);
    for (const role of ROLES) {
      const got = await api(base, "GET", `/artists/${a.id}`, tokens[role]);
      assert.equal(got.status, 200, `${role}: ${got.text}`);
      const list = await api(base, "GET", "/artists", tokens[role]);
      assert.equal(list.status, 200, `${role}: ${list.text}`);
    }
    for (const role of ["booker", "artist", "viewer"] as const) {
      assertProblem(await api(base, "POST", "/artists", tokens[role], { name: "No", timezone: "UTC" }), 403, "forbidden");
    }
  });

  test("401 without a token on every artist route", async () => {
    const id = randomUUID();
    assertProblem(await api(base, "POST", "/artists", undefined, { name: "X", timezone: "UTC" }), 401, "unauthenticated");
    assertProblem(await api(base, "GET", "/artists"), 401, "unauthenticated");
    assertProblem(await api(base, "GET", `/artists/${id}`), 401, "unauthenticated");
    assertProblem(await api(base, "PATCH", `/artists/${id}`, undefined, { name: "X" }), 401, "unauthenticated");
  });

  test("403 comes before 422: a viewer with an invalid body gets 403", async () => {
    assertProblem(await api(base, "POST", "/artists", tokens.viewer, { bogus: true }), 403, "forbidden");
    assertProblem(await api(base, "POST", "/artists", tokens.viewer, "{not json"), 403, "forbidden");
  });

  test("a 422 lists every offending field at once", async () => {
    const res = await api(base, "POST", "/artists", tokens.manager, { name: 7, timezone: "Nowhere/Land", email: 3, userId: "", extra: 1 });
    const p = assertProblem(res, 422, "validation_failed");
    const paths = errorPaths(p);
    for (const want of ["/name", "/timezone", "/email", "/userId", "/extra"]) assert.ok(paths.includes(want), `${want} in ${paths}`);
  });

  test("missing name and timezone (also an empty body) are 422 naming both", async () => {
    for (const body of [{}, undefined]) {
      const res = await api(base, "POST", "/artists", tokens.manager, body);
      const p = assertProblem(res, 422, "validation_failed");
      const paths = errorPaths(p);
      assert.ok(paths.includes("/name") && paths.includes("/timezone"), `${paths}`);
    }
  });

  test("blank and over-long names are 422 at /name", async () => {
    for (const name of ["", "   ", "x".repeat(201)]) {
      const p = assertProblem(await api(base, "POST", "/artists", tokens.manager, { name, timezone: "UTC" }), 422, "validation_failed");
      assert.deepEqual(errorPaths(p), ["/name"]);
    }
    const ok = await createArtist(base, tokens.manager, { name: "é".repeat(200) });
    assert.equal([...ok.name].length, 200);
  });

  test("not JSON is 400, not an object is 422 at \"\", another media type is 415", async () => {
    assertProblem(await api(base, "POST", "/artists", tokens.manager, "{oops"), 400, "malformed_json");
    const p = assertProblem(await api(base, "POST", "/artists", tokens.manager, "[1,2]"), 422, "validation_failed");
    assert.deepEqual(errorPaths(p), [""]);
    assertProblem(
      await api(base, "POST", "/artists", tokens.manager, "name=x", { "Content-Type": "application/x-www-form-urlencoded" }),
      415,
      "unsupported_media_type",
    );
  });

  test("path ids that are not UUIDs, unknown ids and other tenants' ids are 404", async () => {
    const mine = await createArtist(base, tokens.manager);
    assertProblem(await api(base, "GET", "/artists/not-a-uuid", tokens.viewer), 404, "not_found");
    assertProblem(await api(base, "GET", `/artists/${randomUUID()}`, tokens.viewer), 404, "not_found");
    const res = await api(base, "GET", `/artists/${mine.id}`, otherManager);
    assertProblem(res, 404, "not_found");
    assert.ok(!res.text.includes(mine.name), "no data of another tenant");
  });

  test("DELETE /artists/{id} is 405 with Allow", async () => {
    const res = await api(base, "DELETE", `/artists/${randomUUID()}`, tokens.admin);
    assertProblem(res, 405, "method_not_allowed");
    assert.match(res.headers.get("allow") ?? "", /GET/);
    assert.match(res.headers.get("allow") ?? "", /PATCH/);
  });
});

describe("PATCH /artists/{id}", () => {
  test("changes any subset without If-Match; null clears email and userId", async () => {
    const a = await createArtist(base, tokens.manager, { email: "a@example.com", userId: "artist@artists" });
    await new Promise((r) => setTimeout(r, 5));
    const res = await api(base, "PATCH", `/artists/${a.id}`, tokens.manager, { name: "Renamed", timezone: "Asia/Tokyo", email: null });
    assert.equal(res.status, 200, res.text);
    assertArtistShape(res.json);
    assert.equal(res.json.name, "Renamed");
    assert.equal(res.json.timezone, "Asia/Tokyo");
    assert.equal(res.json.email, null);
    assert.equal(res.json.userId, "artist@artists");
    assert.equal(res.json.createdAt, a.createdAt);
    assert.ok(res.json.updatedAt > a.updatedAt, `${res.json.updatedAt} > ${a.updatedAt}`);
    const cleared = await api(base, "PATCH", `/artists/${a.id}`, tokens.admin, { userId: null });
    assert.equal(cleared.status, 200, cleared.text);
    assert.equal(cleared.json.userId, null);
    const got = await api(base, "GET", `/artists/${a.id}`, tokens.viewer);
    assert.deepEqual(got.json, cleared.json);
  });

  test("accepts application/merge-patch+json; an empty patch changes nothing", async () => {
    const a = await createArtist(base, tokens.manager);
    const res = await api(base, "PATCH", `/artists/${a.id}`, tokens.manager, JSON.stringify({ name: "Merged" }), {
      "Content-Type": "application/merge-patch+json",
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.name, "Merged");
    const same = await api(base, "PATCH", `/artists/${a.id}`, tokens.manager, {});
    assert.equal(same.status, 200, same.text);
    assert.deepEqual(same.json, res.json);
  });

  test("booker, artist and viewer get 403 (even for an unknown id)", async () => {
    const a = await createArtist(base, tokens.manager);
    for (const role of ["booker", "artist", "viewer"] as const) {
      assertProblem(await api(base, "PATCH", `/artists/${a.id}`, tokens[role], { name: "No" }), 403, "forbidden");
      assertProblem(await api(base, "PATCH", `/artists/${randomUUID()}`, tokens[role], { name: "No" }), 403, "forbidden");
    }
  });

  test("404 comes before 400/415/422", async () => {
    const id = randomUUID();
    assertProblem(await api(base, "PATCH", `/artists/${id}`, tokens.manager, { bogus: 1 }), 404, "not_found");
    assertProblem(await api(base, "PATCH", `/artists/${id}`, tokens.manager, "{oops"), 404, "not_found");
    assertProblem(await api(base, "PATCH", "/artists/nope", tokens.manager, { name: "x" }), 404, "not_found");
    assertProblem(
      await api(base, "PATCH", `/artists/${id}`, tokens.manager, "x", { "Content-Type": "text/plain" }),
      404,
      "not_found",
    );
    const mine = await createArtist(base, tokens.manager, { name: "Not yours" });
    assertProblem(await api(base, "PATCH", `/artists/${mine.id}`, otherManager, { name: "Hijack" }), 404, "not_found");
    const got = await api(base, "GET", `/artists/${mine.id}`, tokens.viewer);
    assert.equal(got.json.name, "Not yours");
  });

  test("body errors on an existing artist: 400, 415, 422 listing all fields; nothing changes", async () => {
    const a = await createArtist(base, tokens.manager);
    assertProblem(await api(base, "PATCH", `/artists/${a.id}`, tokens.manager, "{oops"), 400, "malformed_json");
    assertProblem(
      await api(base, "PATCH", `/artists/${a.id}`, tokens.manager, "x", { "Content-Type": "text/plain" }),
      415,
      "unsupported_media_type",
    );
    const res = await api(base, "PATCH", `/artists/${a.id}`, tokens.manager, { name: "", timezone: "Bad/Zone", email: 5, nope: 1 });
    const p = assertProblem(res, 422, "validation_failed");
    const paths = errorPaths(p);
    for (const want of ["/name", "/timezone", "/email", "/nope"]) assert.ok(paths.includes(want), `${want} in ${paths}`);
    const tz = assertProblem(await api(base, "PATCH", `/artists/${a.id}`, tokens.manager, { timezone: "Not/AZone", name: "Ok" }), 422, "validation_failed");
    assert.deepEqual(errorPaths(tz), ["/timezone"]);
    const got = await api(base, "GET", `/artists/${a.id}`, tokens.viewer);
    assert.deepEqual(got.json, a);
  });
});

describe("GET /artists (cursor pagination)", () => {
  let pageTenantTokens: Record<Role, string>;
  const created: Artist[] = [];

  before(async () => {
    pageTenantTokens = await tokensFor(await createTenant(`artists paging ${randomUUID().slice(0, 8)}`));
    for (let i = 0; i < 7; i++) created.push(await createArtist(base, pageTenantTokens.manager, { name: `P${i}` }));
  });

  test("pages of 3 cover every artist once, ordered by (createdAt, id); the last has nextCursor null", async () => {
    const seen: Artist[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `/artists?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const res = await api(base, "GET", q, pageTenantTokens.viewer);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.json).sort(), ["data", "nextCursor"]);
      for (const a of res.json.data) assertArtistShape(a);
      seen.push(...res.json.data);
      cursor = res.json.nextCursor;
      pages++;
      if (cursor !== null) {
        assert.equal(typeof cursor, "string");
        assert.equal(res.json.data.length, 3);
      }
    } while (cursor !== null);
    assert.equal(pages, 3);
    assert.deepEqual(seen.map((a) => a.id), created.map((a) => a.id));
  });

  test("default limit 50; exactly `limit` artists left gives nextCursor null", async () => {
    const res = await api(base, "GET", "/artists", pageTenantTokens.viewer);
    assert.equal(res.json.data.length, 7);
    assert.equal(res.json.nextCursor, null);
    const exact = await api(base, "GET", "/artists?limit=7", pageTenantTokens.viewer);
    assert.equal(exact.json.data.length, 7);
    assert.equal(exact.json.nextCursor, null);
    const all = await listAll<Artist>(base, "/artists", pageTenantTokens.viewer, 2);
    assert.equal(all.length, 7);
  });

  test("a new artist created while paging appears on a later page", async () => {
    const t = await tokensFor(await createTenant(`artists paging 2 ${randomUUID().slice(0, 8)}`));
    await createArtist(base, t.manager);
    await createArtist(base, t.manager);
    const first = await api(base, "GET", "/artists?limit=1", t.viewer);
    const late = await createArtist(base, t.manager);
    const rest: Artist[] = [];
    let cursor: string | null = first.json.nextCursor;
    while (cursor !== null) {
      const page: any = (await api(base, "GET", `/artists?limit=1&cursor=${encodeURIComponent(cursor)}`, t.viewer)).json;
      rest.push(...page.data);
      cursor = page.nextCursor;
    }
    assert.equal(rest.length, 2);
    assert.equal(rest.at(-1)!.id, late.id);
  });

  for (const limit of ["0", "501", "-1", "abc", "1.5", "10x"]) {
    test(`limit=${limit} is 422 at /limit`, async () => {
      const p = assertProblem(await api(base, "GET", `/artists?limit=${limit}`, tokens.viewer), 422, "validation_failed");
      assert.deepEqual(errorPaths(p), ["/limit"]);
    });
  }

  test("limit=1 and limit=500 are fine", async () => {
    assert.equal((await api(base, "GET", "/artists?limit=1", tokens.viewer)).status, 200);
    assert.equal((await api(base, "GET", "/artists?limit=500", tokens.viewer)).status, 200);
  });

  test("a bad cursor is 422 at /cursor (garbage, tampered, a project list's cursor)", async () => {
    const t = await tokensFor(await createTenant(`artists cursor ${randomUUID().slice(0, 8)}`));
    await createProject(base, t.booker);
    await createProject(base, t.booker);
    const projectCursor = (await api(base, "GET", "/projects?limit=1", t.viewer)).json.nextCursor;
    assert.equal(typeof projectCursor, "string");
    const good = (await api(base, "GET", "/artists?limit=1", pageTenantTokens.viewer)).json.nextCursor as string;
    for (const c of ["garbage!", "eyJ4IjoxfQ", good.slice(0, -2) + "__", projectCursor]) {
      const p = assertProblem(await api(base, "GET", `/artists?cursor=${encodeURIComponent(c)}`, t.viewer), 422, "validation_failed");
      assert.deepEqual(errorPaths(p), ["/cursor"], c);
    }
    const both = assertProblem(await api(base, "GET", "/artists?limit=0&cursor=zzz!", t.viewer), 422, "validation_failed");
    assert.deepEqual(errorPaths(both).sort(), ["/cursor", "/limit"]);
  });

  test("another tenant's list never shows these artists", async () => {
    const theirs = await listAll<Artist>(base, "/artists", otherManager);
    const ids = new Set(created.map((a) => a.id));
    assert.ok(theirs.every((a) => !ids.has(a.id)));
  });
});

describe("Idempotency-Key on POST /artists", () => {
  test("a retry with the same key and body replays the first response", async () => {
    const key = randomUUID();
    const body = { name: `Idem ${key.slice(0, 8)}`, timezone: "Europe/Berlin", email: null };
    const first = await api(base, "POST", "/artists", tokens.manager, body, { "Idempotency-Key": key });
    assert.equal(first.status, 201, first.text);
    assert.equal(first.headers.get("idempotent-replayed"), null);
    // Same JSON, other member order.
    const again = await api(base, "POST", "/artists", tokens.manager, { email: null, timezone: "Europe/Berlin", name: body.name }, {
      "Idempotency-Key": key,
    });
    assert.equal(again.status, 201, again.text);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.equal(again.text, first.text);
    assert.equal(again.headers.get("location"), first.headers.get("location"));
    assert.match(again.headers.get("content-type") ?? "", /^application\/json/);
    const all = await listAll<Artist>(base, "/artists", tokens.viewer);
    assert.equal(all.filter((a) => a.name === body.name).length, 1);
  });

  test("the replay is verbatim even after the artist changed", async () => {
    const key = randomUUID();
    const body = { name: "Before", timezone: "UTC" };
    const first = await api(base, "POST", "/artists", tokens.manager, body, { "Idempotency-Key": key });
    await api(base, "PATCH", `/artists/${first.json.id}`, tokens.manager, { name: "After" });
    const again = await api(base, "POST", "/artists", tokens.manager, body, { "Idempotency-Key": key });
    assert.equal(again.json.name, "Before");
    assert.equal(again.headers.get("idempotent-replayed"), "true");
  });

  test("the same key with another body is 422 idempotency_key_mismatch", async () => {
    const key = randomUUID();
    await createArtist(base, tokens.manager, { name: "First body" }, { "Idempotency-Key": key });
    const res = await api(base, "POST", "/artists", tokens.manager, { name: "Second body", timezone: "Europe/Berlin" }, {
      "Idempotency-Key": key,
    });
    assertProblem(res, 422, "idempotency_key_mismatch");
  });

  test("concurrent duplicates create exactly one artist", async () => {
    const key = randomUUID();
    const body = { name: `Race ${key.slice(0, 8)}`, timezone: "Europe/Berlin" };
    const results = await Promise.all(
      Array.from({ length: 8 }, () => api(base, "POST", "/artists", tokens.manager, body, { "Idempotency-Key": key })),
    );
    const ids = new Set<string>();
    for (const r of results) {
      assert.ok(r.status === 201 || r.status === 409, `${r.status} ${r.text}`);
      if (r.status === 201) ids.add(r.json.id);
      else assertProblem(r, 409, "idempotency_in_progress");
    }
    assert.equal(ids.size, 1);
    assert.equal(results.filter((r) => r.status === 201 && r.headers.get("idempotent-replayed") === null).length, 1);
    const all = await listAll<Artist>(base, "/artists", tokens.viewer);
    assert.equal(all.filter((a) => a.name === body.name).length, 1);
  });

  test("keys are per tenant: the same key in another tenant creates its own artist", async () => {
    const key = randomUUID();
    const body = { name: "Shared key", timezone: "UTC" };
    const mine = await api(base, "POST", "/artists", tokens.manager, body, { "Idempotency-Key": key });
    const theirs = await api(base, "POST", "/artists", otherManager, body, { "Idempotency-Key": key });
    assert.equal(mine.status, 201);
    assert.equal(theirs.status, 201);
    assert.equal(theirs.headers.get("idempotent-replayed"), null);
    assert.notEqual(mine.json.id, theirs.json.id);
  });

  test("a 4xx is not stored: fixing the body under the same key runs again", async () => {
    const key = randomUUID();
    const bad = await api(base, "POST", "/artists", tokens.manager, { name: "Bad", timezone: "Bad/Zone" }, { "Idempotency-Key": key });
    assertProblem(bad, 422, "validation_failed");
    const again = await api(base, "POST", "/artists", tokens.manager, { name: "Bad", timezone: "Bad/Zone" }, { "Idempotency-Key": key });
    assertProblem(again, 422, "validation_failed");
    assert.equal(again.headers.get("idempotent-replayed"), null);
    const good = await api(base, "POST", "/artists", tokens.manager, { name: "Good", timezone: "UTC" }, { "Idempotency-Key": key });
    assert.equal(good.status, 201, good.text);
    assert.equal(good.headers.get("idempotent-replayed"), null);
  });

  test("a 403 does not consume the key", async () => {
    const key = randomUUID();
    const body = { name: "Role check", timezone: "UTC" };
    assertProblem(await api(base, "POST", "/artists", tokens.viewer, body, { "Idempotency-Key": key }), 403, "forbidden");
    const ok = await api(base, "POST", "/artists", tokens.manager, body, { "Idempotency-Key": key });
    assert.equal(ok.status, 201);
    assert.equal(ok.headers.get("idempotent-replayed"), null);
  });

  test("a key over 255 characters is 422; 255 is fine", async () => {
    const res = await api(base, "POST", "/artists", tokens.manager, { name: "K", timezone: "UTC" }, { "Idempotency-Key": "k".repeat(256) });
    const p = assertProblem(res, 422, "validation_failed");
    assert.deepEqual(errorPaths(p), ["/Idempotency-Key"]);
    const key = randomUUID().replace(/-/g, "").padEnd(255, "k");
    const ok = await api(base, "POST", "/artists", tokens.manager, { name: "K", timezone: "UTC" }, { "Idempotency-Key": key });
    assert.equal(ok.status, 201, ok.text);
  });
});
