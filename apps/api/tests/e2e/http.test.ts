// The HTTP contract (SPEC §4 errors, §10 pinned details) against the real binary:
// operational endpoints, authentication, GET/PATCH /api/v1/tenant, routing, keep-alive.
import assert from "node:assert/strict";
import http from "node:http";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";

import { assertNoLeak, assertProblem, call, errorPaths } from "./lib/http.ts";
import { startServer, type ServerHandle } from "./lib/server.ts";
import { createTenant, nowSeconds, ROLES, signJwt, token, validClaims, type Role } from "./lib/tenant.ts";

const DEFAULTS = { holdTtlMinutes: 30, holdMaxMinutes: 480, pencilTtlHours: 48, challengeWindowHours: 24 };

let server: ServerHandle;
let base: string;
/** Only read, never patched: its settings stay the defaults. */
let tenant: string;
const tenantName = `http e2e ${randomUUID().slice(0, 8)}`;
/** The tenant the PATCH tests change. */
let patchTenant: string;
const tokens = {} as Record<Role, string>;
let patchAdmin: string;
let patchBooker: string;

before(async () => {
  server = await startServer();
  base = server.url;
  tenant = await createTenant(tenantName);
  patchTenant = await createTenant(`http e2e patch ${randomUUID().slice(0, 8)}`);
  for (const role of ROLES) tokens[role] = await token({ tenant, user: `${role}@e2e`, role, ttl: "1h" });
  patchAdmin = await token({ tenant: patchTenant, user: "admin@e2e", role: "admin", ttl: "1h" });
  patchBooker = await token({ tenant: patchTenant, user: "booker@e2e", role: "booker" });
});

after(async () => {
  await server?.stop();
});

describe("operational endpoints", () => {
  test("GET /healthz is 200", async () => {
    const res = await call(base, "GET", "/healthz");
    assert.equal(res.status, 200, res.text);
  });

  test("GET /readyz is 200 (database reachable, migrations current)", async () => {
    const res = await call(base, "GET", "/readyz");
    assert.equal(res.status, 200, res.text);
  });

  test("GET /metrics is Prometheus text with HTTP and pool metrics", async () => {
    assert.equal((await call(base, "GET", "/api/v1/tenant", { token: tokens.viewer })).status, 200);
    const res = await call(base, "GET", "/metrics");
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain\b/);
    assert.match(res.text, /^ptool_http_requests_total\b/m);
    assert.match(res.text, /^ptool_http_request_duration_seconds_bucket\b/m);
    assert.match(res.text, /^ptool_db_pool_\w+/m);
  });

  test("GET /api/v1/openapi.json is 200 without a token", async () => {
    const res = await call(base, "GET", "/api/v1/openapi.json");
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.match(res.headers.get("content-type") ?? "", /json/);
    assert.ok(res.json, "the body is JSON");
    assert.match(String(res.json.openapi), /^3\.1/);
    assert.ok(
      Object.keys(res.json.paths ?? {}).some((p) => p.endsWith("/tenant")),
      "paths include /tenant",
    );
  });
});

describe("authentication (GET /api/v1/tenant)", () => {
  test("no Authorization header is 401 unauthenticated", async () => {
    assertProblem(await call(base, "GET", "/api/v1/tenant"), 401, "unauthenticated");
  });

  const malformed: Array<[string, string]> = [
    ["empty bearer", "Bearer "],
    ["not a JWT", "Bearer not-a-jwt"],
    ["two segments", "Bearer abc.def"],
    ["garbage segments", "Bearer a.b.c"],
    ["basic scheme", "Basic dXNlcjpwYXNz"],
  ];
  for (const [name, authorization] of malformed) {
    test(`malformed Authorization (${name}) is 401`, async () => {
      assertProblem(await call(base, "GET", "/api/v1/tenant", { authorization }), 401, "unauthenticated");
    });
  }

  test("a token without the Bearer scheme is 401", async () => {
    assertProblem(await call(base, "GET", "/api/v1/tenant", { authorization: tokens.admin }), 401, "unauthenticated");
  });

  // Each case spoils one thing of an otherwise valid token.
  const forged: Array<[string, () => string]> = [
    ["alg none, no signature", () => {
      const t = signJwt({ alg: "none", typ: "JWT" }, validClaims(tenant));
      return `${t.split(".").slice(0, 2).join(".")}.`;
    }],
    ["alg none, with an HS256 signature", () => signJwt({ alg: "none", typ: "JWT" }, validClaims(tenant))],
    ["wrong signature (another secret)", () => signJwt({ alg: "HS256", typ: "JWT" }, validClaims(tenant), "not-the-secret")],
    ["tampered payload", () => {
      const [h, , s] = signJwt({ alg: "HS256", typ: "JWT" }, validClaims(tenant, "viewer")).split(".");
      const p = Buffer.from(JSON.stringify(validClaims(tenant, "admin"))).toString("base64url");
      return `${h}.${p}.${s}`;
    }],
    ["expired an hour ago", () => signJwt({ alg: "HS256", typ: "JWT" }, { ...validClaims(tenant), exp: nowSeconds() - 3600 })],
    ["no exp", () => {
      const { exp: _exp, ...c } = validClaims(tenant);
      return signJwt({ alg: "HS256", typ: "JWT" }, c);
    }],
    ["not valid before an hour from now", () => signJwt({ alg: "HS256", typ: "JWT" }, { ...validClaims(tenant), nbf: nowSeconds() + 3600 })],
    ["no tid", () => {
      const { tid: _tid, ...c } = validClaims(tenant);
      return signJwt({ alg: "HS256", typ: "JWT" }, c);
    }],
    ["no role", () => {
      const { role: _role, ...c } = validClaims(tenant);
      return signJwt({ alg: "HS256", typ: "JWT" }, c);
    }],
    ["no sub", () => {
      const { sub: _sub, ...c } = validClaims(tenant);
      return signJwt({ alg: "HS256", typ: "JWT" }, c);
    }],
    ["empty sub", () => signJwt({ alg: "HS256", typ: "JWT" }, validClaims(tenant, "admin", ""))],
    ["unknown role", () => signJwt({ alg: "HS256", typ: "JWT" }, validClaims(tenant, "superuser"))],
    ["tid not a UUID", () => signJwt({ alg: "HS256", typ: "JWT" }, { ...validClaims(tenant), tid: "acme" })],
    ["tid of a tenant that does not exist", () => signJwt({ alg: "HS256", typ: "JWT" }, validClaims(randomUUID()))],
  ];
  for (const [name, make] of forged) {
    test(`forged token: ${name} is 401`, async () => {
      const jwt = make();
      assertProblem(await call(base, "GET", "/api/v1/tenant", { token: jwt }), 401, "unauthenticated");
    });
  }

  test("control: a token forged with the right secret and claims is accepted", async () => {
    const res = await call(base, "GET", "/api/v1/tenant", { token: signJwt({ alg: "HS256", typ: "JWT" }, validClaims(tenant, "viewer")) });
    assert.equal(res.status, 200, res.text);
  });

  test("exp 10 s ago is still accepted (30 s leeway)", async () => {
    const jwt = signJwt({ alg: "HS256", typ: "JWT" }, { ...validClaims(tenant, "viewer"), exp: nowSeconds() - 10 });
    const res = await call(base, "GET", "/api/v1/tenant", { token: jwt });
    assert.equal(res.status, 200, res.text);
  });

  for (const role of ROLES) {
    test(`a ${role} token reads the tenant settings`, async () => {
      const res = await call(base, "GET", "/api/v1/tenant", { token: tokens[role] });
      assert.equal(res.status, 200, res.text);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json\b/);
      assert.deepEqual(res.json, { id: tenant, name: tenantName, ...DEFAULTS });
    });
  }
});

describe("PATCH /api/v1/tenant", () => {
  for (const role of ["booker", "manager", "viewer", "artist"] as const) {
    test(`${role} is 403 forbidden`, async () => {
      const jwt = await token({ tenant: patchTenant, user: `${role}@e2e`, role });
      assertProblem(await call(base, "PATCH", "/api/v1/tenant", { token: jwt, body: { holdTtlMinutes: 45 } }), 403, "forbidden");
    });
  }

  test("no token is 401, before anything about the body", async () => {
    assertProblem(await call(base, "PATCH", "/api/v1/tenant", { body: "{bad" }), 401, "unauthenticated");
  });

  test("403 comes before 415 and 400 (order of checks)", async () => {
    assertProblem(
      await call(base, "PATCH", "/api/v1/tenant", { token: patchBooker, body: "hello", contentType: "text/plain" }),
      403,
      "forbidden",
    );
    assertProblem(await call(base, "PATCH", "/api/v1/tenant", { token: patchBooker, body: "{bad" }), 403, "forbidden");
  });

  test("Content-Type text/plain is 415 unsupported_media_type", async () => {
    const res = await call(base, "PATCH", "/api/v1/tenant", {
      token: patchAdmin,
      body: JSON.stringify({ holdTtlMinutes: 45 }),
      contentType: "text/plain",
    });
    assertProblem(res, 415, "unsupported_media_type");
  });

  test("a body over 64 KiB is 413 payload_too_large", async () => {
    const body = JSON.stringify({ holdTtlMinutes: 45, padding: "x".repeat(70 * 1024) });
    assertProblem(await call(base, "PATCH", "/api/v1/tenant", { token: patchAdmin, body }), 413, "payload_too_large");
  });

  test("a body that is not JSON is 400 malformed_json", async () => {
    assertProblem(await call(base, "PATCH", "/api/v1/tenant", { token: patchAdmin, body: "{bad" }), 400, "malformed_json");
  });

  test("JSON that is not an object is 422 with path \"\"", async () => {
    const p = assertProblem(await call(base, "PATCH", "/api/v1/tenant", { token: patchAdmin, body: "[]" }), 422, "validation_failed");
    assert.equal(p.errors?.[0]?.path, "", JSON.stringify(p));
  });

  test("every offending field is listed at once (out of range and unknown)", async () => {
    const res = await call(base, "PATCH", "/api/v1/tenant", { token: patchAdmin, body: { holdTtlMinutes: 0, bogus: 1 } });
    const paths = errorPaths(assertProblem(res, 422, "validation_failed"));
    assert.ok(paths.includes("/holdTtlMinutes"), `paths: ${paths}`);
    assert.ok(paths.includes("/bogus"), `paths: ${paths}`);
  });

  test("each setting's range is checked", async () => {
    const res = await call(base, "PATCH", "/api/v1/tenant", {
      token: patchAdmin,
      body: { holdTtlMinutes: 121, pencilTtlHours: 23, challengeWindowHours: 73 },
    });
    const paths = errorPaths(assertProblem(res, 422, "validation_failed"));
    for (const p of ["/holdTtlMinutes", "/pencilTtlHours", "/challengeWindowHours"]) {
      assert.ok(paths.includes(p), `${p} missing from ${paths}`);
    }
  });

  test("a wrongly typed value is 422", async () => {
    const res = await call(base, "PATCH", "/api/v1/tenant", { token: patchAdmin, body: { holdTtlMinutes: "45" } });
    assert.deepEqual(errorPaths(assertProblem(res, 422, "validation_failed")), ["/holdTtlMinutes"]);
  });

  test("holdMaxMinutes below holdTtlMinutes is 422 at /holdMaxMinutes", async () => {
    const res = await call(base, "PATCH", "/api/v1/tenant", {
      token: patchAdmin,
      body: { holdTtlMinutes: 100, holdMaxMinutes: 50 },
    });
    assert.deepEqual(errorPaths(assertProblem(res, 422, "validation_failed")), ["/holdMaxMinutes"]);
  });

  test("a failed PATCH changes nothing", async () => {
    const res = await call(base, "GET", "/api/v1/tenant", { token: patchAdmin });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.holdTtlMinutes, DEFAULTS.holdTtlMinutes);
    assert.equal(res.json.holdMaxMinutes, DEFAULTS.holdMaxMinutes);
  });

  test("a valid PATCH is 200 with the new settings, and GET shows them", async () => {
    const res = await call(base, "PATCH", "/api/v1/tenant", { token: patchAdmin, body: { holdTtlMinutes: 45 } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.id, patchTenant);
    assert.equal(res.json.holdTtlMinutes, 45);
    assert.equal(res.json.holdMaxMinutes, DEFAULTS.holdMaxMinutes);
    const got = await call(base, "GET", "/api/v1/tenant", { token: patchBooker });
    assert.equal(got.status, 200, got.text);
    assert.equal(got.json.holdTtlMinutes, 45);
  });

  test("application/merge-patch+json is accepted", async () => {
    const res = await call(base, "PATCH", "/api/v1/tenant", {
      token: patchAdmin,
      body: { challengeWindowHours: 12 },
      contentType: "application/merge-patch+json",
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.challengeWindowHours, 12);
    assert.equal(res.json.holdTtlMinutes, 45, "earlier changes stay");
  });

  test("an empty object changes nothing and is 200", async () => {
    const res = await call(base, "PATCH", "/api/v1/tenant", { token: patchAdmin, body: {} });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.holdTtlMinutes, 45);
  });

  test("another tenant's settings are untouched", async () => {
    const res = await call(base, "GET", "/api/v1/tenant", { token: tokens.admin });
    assert.deepEqual(res.json, { id: tenant, name: tenantName, ...DEFAULTS });
  });
});

describe("routing", () => {
  test("an unknown route is 404 not_found", async () => {
    assertProblem(await call(base, "GET", "/api/v1/nope", { token: tokens.admin }), 404, "not_found");
  });

  test("a known route with the wrong method is 405 with Allow", async () => {
    const res = await call(base, "DELETE", "/api/v1/tenant", { token: tokens.admin });
    assertProblem(res, 405, "method_not_allowed");
    const allow = (res.headers.get("allow") ?? "").split(",").map((m) => m.trim().toUpperCase());
    assert.ok(allow.includes("GET") && allow.includes("PATCH"), `Allow: ${res.headers.get("allow")}`);
  });
});

describe("connections", () => {
  interface RawResult {
    status: number;
    body: string;
    reused: boolean;
    headers: http.IncomingHttpHeaders;
  }
  function request(agent: http.Agent, method: string, path: string, jwt?: string, body?: string): Promise<RawResult> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      if (jwt) headers.authorization = `Bearer ${jwt}`;
      if (body !== undefined) {
        headers["content-type"] = "application/json";
        headers["content-length"] = String(Buffer.byteLength(body));
      }
      const req = http.request(`${base}${path}`, { method, agent, headers }, (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (data += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: data, reused: req.reusedSocket, headers: res.headers }));
        res.on("error", reject);
      });
      req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on("error", reject);
      req.end(body);
    });
  }

  test("keep-alive: several requests, errors included, share one connection", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const steps: Array<[string, string, string | undefined, string | undefined, number]> = [
        ["GET", "/api/v1/tenant", tokens.viewer, undefined, 200],
        ["GET", "/api/v1/nope", tokens.viewer, undefined, 404],
        ["GET", "/api/v1/tenant", undefined, undefined, 401],
        ["PATCH", "/api/v1/tenant", patchAdmin, "{bad", 400],
        ["PATCH", "/api/v1/tenant", patchAdmin, JSON.stringify({ holdTtlMinutes: 45 }), 200],
        ["GET", "/healthz", undefined, undefined, 200],
        ["GET", "/api/v1/tenant", tokens.admin, undefined, 200],
      ];
      for (const [i, [method, path, jwt, body, status]] of steps.entries()) {
        const res = await request(agent, method, path, jwt, body);
        assert.equal(res.status, status, `${method} ${path}: ${res.body}`);
        if (i > 0) assert.ok(res.reused, `${method} ${path} (request ${i + 1}) did not reuse the connection`);
      }
    } finally {
      agent.destroy();
    }
  });

  test("responses never echo the token, not even in errors", async () => {
    const cases: Array<[string, string, string, unknown]> = [
      ["GET", "/api/v1/tenant", tokens.admin, undefined],
      ["GET", "/api/v1/nope", tokens.admin, undefined],
      ["DELETE", "/api/v1/tenant", tokens.admin, undefined],
      ["PATCH", "/api/v1/tenant", tokens.viewer, { holdTtlMinutes: 45 }],
      ["PATCH", "/api/v1/tenant", patchAdmin, { bogus: 1 }],
      ["PATCH", "/api/v1/tenant", patchAdmin, "{bad"],
      ["GET", "/api/v1/tenant", signJwt({ alg: "HS256", typ: "JWT" }, validClaims(tenant), "wrong-secret-of-some-length"), undefined],
      ["GET", "/api/v1/tenant", signJwt({ alg: "HS256", typ: "JWT" }, { ...validClaims(tenant), exp: 1 }), undefined],
    ];
    for (const [method, path, jwt, body] of cases) {
      const res = await call(base, method, path, { token: jwt, body });
      assertNoLeak(res, jwt, `${method} ${path}`);
      // A signature alone must not leak either.
      assertNoLeak(res, jwt.split(".")[2]!, `${method} ${path} (signature)`);
    }
    const metrics = await call(base, "GET", "/metrics");
    assertNoLeak(metrics, tokens.admin, "GET /metrics");
  });
});
