// A small HTTP client for the suites (global fetch) and problem+json assertions.
// Every call made with a token checks that the response never echoes that token.
import assert from "node:assert/strict";

export interface CallOptions {
  token?: string;
  /** A raw Authorization header value (wins over token). */
  authorization?: string;
  /** An object/array is sent as JSON; a string is sent as is. */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface Response {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  json: any;
}

export async function call(base: string, method: string, path: string, o: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  const auth = o.authorization ?? (o.token !== undefined ? `Bearer ${o.token}` : undefined);
  if (auth !== undefined) headers.authorization = auth;
  let body: string | undefined;
  if (o.body !== undefined) {
    body = typeof o.body === "string" ? o.body : JSON.stringify(o.body);
    headers["content-type"] = o.contentType ?? "application/json";
  } else if (o.contentType !== undefined) {
    headers["content-type"] = o.contentType;
  }
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const out: Response = { status: res.status, headers: res.headers, text, json };
  for (const secret of [o.token, auth?.replace(/^\S+\s+/, "")]) {
    if (secret && secret.length >= 16) assertNoLeak(out, secret, `${method} ${path}`);
  }
  return out;
}

/** The token (or any secret) appears in neither the body nor a header of the response. */
export function assertNoLeak(res: Response, secret: string, what: string): void {
  assert.ok(!res.text.includes(secret), `${what}: the response body contains the token`);
  for (const [name, value] of res.headers) {
    assert.ok(!value.includes(secret), `${what}: response header ${name} contains the token`);
  }
}

/** Asserts an RFC 9457 problem with the SPEC's members; returns the parsed problem. */
export function assertProblem(res: Response, status: number, code: string): any {
  const where = `expected ${status} ${code}, got ${res.status} ${res.text.slice(0, 500)}`;
  assert.equal(res.status, status, where);
  const ct = res.headers.get("content-type") ?? "";
  assert.match(ct, /^application\/problem\+json\b/, `content-type of a ${status}: ${ct}`);
  const p = res.json;
  assert.ok(p && typeof p === "object" && !Array.isArray(p), `problem body is not an object: ${res.text}`);
  assert.equal(p.code, code, where);
  assert.equal(p.status, status, `problem.status: ${res.text}`);
  assert.equal(typeof p.type, "string", `problem.type: ${res.text}`);
  assert.equal(typeof p.title, "string", `problem.title: ${res.text}`);
  assert.equal(typeof p.detail, "string", `problem.detail: ${res.text}`);
  return p;
}

/** The `path`s listed in a 422 problem's `errors`. */
export function errorPaths(problem: { errors?: Array<{ path: string; message: string }> }): string[] {
  assert.ok(Array.isArray(problem.errors), `422 without errors[]: ${JSON.stringify(problem)}`);
  for (const e of problem.errors) {
    assert.equal(typeof e.path, "string", `error without path: ${JSON.stringify(e)}`);
    assert.equal(typeof e.message, "string", `error without message: ${JSON.stringify(e)}`);
  }
  return problem.errors.map((e) => e.path);
}
