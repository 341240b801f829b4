// Projects end to end (SPEC §4, §10): shapes, roles (create booker+), order of checks,
// validation, cursor pagination, tenant isolation, and Idempotency-Key on POST.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { api, assertProjectShape, createArtist, createProject, listAll, type Project } from "./lib/api.ts";
import { assertProblem, errorPaths } from "./lib/http.ts";
import { startServer, type ServerHandle } from "./lib/server.ts";
import { createTenant, ROLES, token, type Role } from "./lib/tenant.ts";

let server: ServerHandle;
let base: string;
const tokens = {} as Record<Role, string>;
let otherBooker: string;

async function tokensFor(t: string): Promise<Record<Role, string>> {
  const out = {} as Record<Role, string>;
  await Promise.all(ROLES.map(async (role) => (out[role] = await token({ tenant: t, user: `${role}@projects`, role, ttl: "1h" }))));
  return out;
}

before(async () => {
  server = await startServer();
  base = server.url;
  Object.assign(tokens, await tokensFor(await createTenant(`projects e2e ${randomUUID().slice(0, 8)}`)));
  const other = await createTenant(`projects e2e other ${randomUUID().slice(0, 8)}`);
  otherBooker = await token({ tenant: other, user: "booker@other", role: "booker", ttl: "1h" });
});

after(async () => {
  await server?.stop();
});

describe("POST /projects and GET /projects/{id}", () => {
  test("creates with 201, Location and the SPEC shape; createdBy is the token's sub", async () => {
    const body = { name: "Spring Tour 2027", code: "ST-27", description: "Twelve cities." };
    const res = await api(base, "POST", "/projects", tokens.booker, body);
    assert.equal(res.status, 201, res.text);
    assertProjectShape(res.json);
    const p = res.json;
    assert.equal(p.name, body.name);
    assert.equal(p.code, body.code);
    assert.equal(p.description, body.description);
    assert.equal(p.createdBy, "booker@projects");
    assert.equal(p.createdAt, p.updatedAt);
    assert.equal(res.headers.get("location"), `/api/v1/projects/${p.id}`);
    const got = await api(base, "GET", `/projects/${p.id}`, tokens.viewer);
    assert.equal(got.status, 200, got.text);
    assert.deepEqual(got.json, p);
  });

  test("code and description are optional (absent or null read as null)", async () => {
    const a = await createProject(base, tokens.manager, { name: "Only a name" });
    assert.equal(a.code, null);
    assert.equal(a.description, null);
    const b = await createProject(base, tokens.admin, { code: null, description: null });
    assert.equal(b.code, null);
    assert.equal(b.createdBy, "admin@projects");
  });

  test("booker, manager and admin create; artist and viewer get 403; every role reads", async () => {
    for (const role of ["booker", "manager", "admin"] as const) {
      const res = await api(base, "POST", "/projects", tokens[role], { name: `by ${role}` });
      assert.equal(res.status, 201, `${role}: ${res.text}`);
    }
    for (const role of ["artist", "viewer"] as const) {
      assertProblem(await api(base, "POST", "/projects", tokens[role], { name: "No" }), 403, "forbidden");
      assertProblem(await api(base, "POST", "/projects", tokens[role], { bogus: 1 }), 403, "forbidden");
    }
    const p = await createProject(base, tokens.booker);
    for (const role of ROLES) {
      assert.equal((await api(base, "GET", `/projects/${p.id}`, tokens[role])).status, 200, role);
      assert.equal((await api(base, "GET", "/projects", tokens[role])).status, 200, role);
    }
  });

  test("401 without a token", async () => {
    assertProblem(await api(base, "POST", "/projects", undefined, { name: "X" }), 401, "unauthenticated");
    assertProblem(await api(base, "GET", "/projects"), 401, "unauthenticated");
    assertProblem(await api(base, "GET", `/projects/${randomUUID()}`), 401, "unauthenticated");
  });

  test("validation: every field at once; empty body names /name; 400, 415, 422 at \"\"", async () => {
    const res = await api(base, "POST", "/projects", tokens.booker, { name: "", code: 5, description: [], extra: true });
    const paths = errorPaths(assertProblem(res, 422, "validation_failed"));
    for (const want of ["/name", "/code", "/description", "/extra"]) assert.ok(paths.includes(want), `${want} in ${paths}`);
    for (const body of [{}, undefined]) {
      const p = assertProblem(await api(base, "POST", "/projects", tokens.booker, body), 422, "validation_failed");
      assert.deepEqual(errorPaths(p), ["/name"]);
    }
    const long = assertProblem(
      await api(base, "POST", "/projects", tokens.booker, { name: "n".repeat(201), code: "c".repeat(65), description: "d".repeat(10_001) }),
      422,
      "validation_failed",
    );
    assert.deepEqual(errorPaths(long).sort(), ["/code", "/description", "/name"]);
    assertProblem(await api(base, "POST", "/projects", tokens.booker, "{oops"), 400, "malformed_json");
    assert.deepEqual(errorPaths(assertProblem(await api(base, "POST", "/projects", tokens.booker, "\"str\""), 422, "validation_failed")), [""]);
    assertProblem(
      await api(base, "POST", "/projects", tokens.booker, "<p/>", { "Content-Type": "application/xml" }),
      415,
      "unsupported_media_type",
    );
  });

  test("ids that are not UUIDs, unknown ids and other tenants' ids are 404", async () => {
    const p = await createProject(base, tokens.booker, { name: "Secret production" });
    assertProblem(await api(base, "GET", "/projects/123", tokens.viewer), 404, "not_found");
    assertProblem(await api(base, "GET", `/projects/${randomUUID()}`, tokens.viewer), 404, "not_found");
    const res = await api(base, "GET", `/projects/${p.id}`, otherBooker);
    assertProblem(res, 404, "not_found");
    assert.ok(!res.text.includes("Secret production"));
  });

  test("PATCH and DELETE /projects/{id} are 405", async () => {
    const p = await createProject(base, tokens.booker);
    assertProblem(await api(base, "PATCH", `/projects/${p.id}`, tokens.admin, { name: "x" }), 405, "method_not_allowed");
    assertProblem(await api(base, "DELETE", `/projects/${p.id}`, tokens.admin), 405, "method_not_allowed");
  });
});

describe("GET /projects (cursor pagination)", () => {
  let t: Record<Role, string>;
  const created: Project[] = [];

  before(async () => {
    t = await tokensFor(await createTenant(`projects paging ${randomUUID().slice(0, 8)}`));
    for (let i = 0; i < 5; i++) created.push(await createProject(base, t.booker, { name: `P${i}` }));
  });

  test("pages of 2 cover every project once, in creation order", async () => {
    const seen: Project[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `/projects?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const res = await api(base, "GET", q, t.viewer);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.json).sort(), ["data", "nextCursor"]);
      res.json.data.forEach(assertProjectShape);
      seen.push(...res.json.data);
      cursor = res.json.nextCursor;
      pages++;
    } while (cursor !== null);
    assert.equal(pages, 3);
    assert.deepEqual(seen.map((p) => p.id), created.map((p) => p.id));
    assert.deepEqual((await listAll<Project>(base, "/projects", t.viewer)).map((p) => p.id), created.map((p) => p.id));
  });

  test("bad limit and cursor are 422 at /limit and /cursor; an artist cursor is not a project cursor", async () => {
    for (const limit of ["0", "501", "x"]) {
      assert.deepEqual(errorPaths(assertProblem(await api(base, "GET", `/projects?limit=${limit}`, t.viewer), 422, "validation_failed")), ["/limit"]);
    }
    await createArtist(base, t.manager);
    await createArtist(base, t.manager);
    const artistCursor = (await api(base, "GET", "/artists?limit=1", t.viewer)).json.nextCursor as string;
    for (const c of ["!!", "AAAA", artistCursor]) {
      const p = assertProblem(await api(base, "GET", `/projects?cursor=${encodeURIComponent(c)}`, t.viewer), 422, "validation_failed");
      assert.deepEqual(errorPaths(p), ["/cursor"]);
    }
  });

  test("another tenant sees none of them", async () => {
    const theirs = await listAll<Project>(base, "/projects", otherBooker);
    const ids = new Set(created.map((p) => p.id));
    assert.ok(theirs.every((p) => !ids.has(p.id)));
  });
});

describe("Idempotency-Key on POST /projects", () => {
  test("replay, mismatch, and errors not stored", async () => {
    const key = randomUUID();
    const body = { name: `Idem ${key.slice(0, 8)}`, code: "I-1" };
    const first = await api(base, "POST", "/projects", tokens.booker, body, { "Idempotency-Key": key });
    assert.equal(first.status, 201, first.text);
    const again = await api(base, "POST", "/projects", tokens.booker, { code: "I-1", name: body.name }, { "Idempotency-Key": key });
    assert.equal(again.status, 201);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.equal(again.text, first.text);
    assert.equal(again.headers.get("location"), first.headers.get("location"));
    assertProblem(
      await api(base, "POST", "/projects", tokens.booker, { name: "Other" }, { "Idempotency-Key": key }),
      422,
      "idempotency_key_mismatch",
    );
    // The same key on another path is another key.
    const artistSide = await api(base, "POST", "/artists", tokens.manager, { name: "Same key", timezone: "UTC" }, { "Idempotency-Key": key });
    assert.equal(artistSide.status, 201, artistSide.text);
    assert.equal(artistSide.headers.get("idempotent-replayed"), null);

    const key2 = randomUUID();
    assertProblem(await api(base, "POST", "/projects", tokens.booker, { name: "" }, { "Idempotency-Key": key2 }), 422, "validation_failed");
    const fixed = await api(base, "POST", "/projects", tokens.booker, { name: "Fixed" }, { "Idempotency-Key": key2 });
    assert.equal(fixed.status, 201, fixed.text);
    assert.equal(fixed.headers.get("idempotent-replayed"), null);
  });

  test("concurrent duplicates create exactly one project; other tenants are independent", async () => {
    const key = randomUUID();
    const body = { name: `Race ${key.slice(0, 8)}` };
    const results = await Promise.all([
      ...Array.from({ length: 6 }, () => api(base, "POST", "/projects", tokens.booker, body, { "Idempotency-Key": key })),
      api(base, "POST", "/projects", otherBooker, body, { "Idempotency-Key": key }),
    ]);
    const mine = results.slice(0, 6);
    const ids = new Set(mine.filter((r) => r.status === 201).map((r) => r.json.id));
    assert.equal(ids.size, 1, mine.map((r) => `${r.status} ${r.text}`).join("\n"));
    for (const r of mine) if (r.status !== 201) assertProblem(r, 409, "idempotency_in_progress");
    const theirs = results[6];
    assert.equal(theirs.status, 201, theirs.text);
    assert.ok(!ids.has(theirs.json.id));
    const all = await listAll<Project>(base, "/projects", tokens.viewer);
    assert.equal(all.filter((p) => p.name === body.name).length, 1);
  });
});
