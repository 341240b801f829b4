// Small typed helpers over lib/http.ts for any suite: a generic /api/v1 call, and artist and
// project creation (SPEC §10 "Shapes") with exact shape checks.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";

import { call, type Response } from "./http.ts";

/** Artist as the API shows it (SPEC §10). */
export interface Artist {
  id: string;
  name: string;
  timezone: string;
  email: string | null;
  userId: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Project as the API shows it (SPEC §10). */
export interface Project {
  id: string;
  name: string;
  code: string | null;
  description: string | null;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A page of a collection: `nextCursor` is null on the last page. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export const ARTIST_KEYS = ["createdAt", "email", "id", "name", "timezone", "updatedAt", "userId"];
export const PROJECT_KEYS = ["code", "createdAt", "createdBy", "description", "id", "name", "updatedAt"];
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Instants out (SPEC §10): YYYY-MM-DDTHH:MM:SSZ, fractional seconds only when non-zero. */
export const INSTANT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d*[1-9])?Z$/;

/**
 * METHOD base + "/api/v1" + path (path starts with "/"). `body` is sent as JSON when it is an
 * object/array, verbatim when a string (then with Content-Type application/json unless
 * `headers` says otherwise); `headers` are added as given (e.g. {"Idempotency-Key": k}).
 */
export function api(
  base: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const contentType = lower["content-type"];
  delete lower["content-type"];
  return call(base, method, `/api/v1${path}`, { token, body, contentType, headers: lower });
}

/** Asserts `a` is an artist in the SPEC's exact shape. */
export function assertArtistShape(a: any): asserts a is Artist {
  assert.ok(a && typeof a === "object", `artist is not an object: ${JSON.stringify(a)}`);
  assert.deepEqual(Object.keys(a).sort(), ARTIST_KEYS, `artist members: ${JSON.stringify(a)}`);
  assert.match(a.id, UUID_PATTERN);
  assert.equal(typeof a.name, "string");
  assert.equal(typeof a.timezone, "string");
  assert.ok(a.email === null || typeof a.email === "string", "email: string | null");
  assert.ok(a.userId === null || typeof a.userId === "string", "userId: string | null");
  assert.match(a.createdAt, INSTANT_PATTERN);
  assert.match(a.updatedAt, INSTANT_PATTERN);
}

/** Asserts `p` is a project in the SPEC's exact shape. */
export function assertProjectShape(p: any): asserts p is Project {
  assert.ok(p && typeof p === "object", `project is not an object: ${JSON.stringify(p)}`);
  assert.deepEqual(Object.keys(p).sort(), PROJECT_KEYS, `project members: ${JSON.stringify(p)}`);
  assert.match(p.id, UUID_PATTERN);
  assert.equal(typeof p.name, "string");
  for (const k of ["code", "description", "createdBy"] as const) {
    assert.ok(p[k] === null || typeof p[k] === "string", `${k}: string | null`);
  }
  assert.match(p.createdAt, INSTANT_PATTERN);
  assert.match(p.updatedAt, INSTANT_PATTERN);
}

/**
 * POST /artists with `token` (a manager's or admin's); the body defaults to a unique name in
 * Europe/Berlin, `fields` override or add members. Asserts 201 and the shape; resolves with it.
 */
export async function createArtist(
  base: string,
  token: string,
  fields: Partial<Omit<Artist, "id" | "createdAt" | "updatedAt">> = {},
  headers: Record<string, string> = {},
): Promise<Artist> {
  const body = { name: `Artist ${randomUUID().slice(0, 8)}`, timezone: "Europe/Berlin", ...fields };
  const res = await api(base, "POST", "/artists", token, body, headers);
  assert.equal(res.status, 201, `POST /artists: ${res.status} ${res.text}`);
  assertArtistShape(res.json);
  return res.json;
}

/**
 * POST /projects with `token` (booker or above); the body defaults to a unique name, `fields`
 * override or add members. Asserts 201 and the shape; resolves with it.
 */
export async function createProject(
  base: string,
  token: string,
  fields: Partial<Pick<Project, "name" | "code" | "description">> = {},
  headers: Record<string, string> = {},
): Promise<Project> {
  const body = { name: `Project ${randomUUID().slice(0, 8)}`, ...fields };
  const res = await api(base, "POST", "/projects", token, body, headers);
  assert.equal(res.status, 201, `POST /projects: ${res.status} ${res.text}`);
  assertProjectShape(res.json);
  return res.json;
}

/** Follows nextCursor from `path` (which may carry a query) and returns every item in order. */
export async function listAll<T>(base: string, path: string, token: string, limit = 500): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  const sep = path.includes("?") ? "&" : "?";
  for (let pages = 0; pages < 10_000; pages++) {
    const q: string = `${sep}limit=${limit}` + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : "");
    const res = await api(base, "GET", path + q, token);
    assert.equal(res.status, 200, `GET ${path}${q}: ${res.status} ${res.text}`);
    const page = res.json as Page<T>;
    out.push(...page.data);
    if (page.nextCursor === null) return out;
    cursor = page.nextCursor;
  }
  throw new Error(`GET ${path}: more than 10000 pages`);
}
