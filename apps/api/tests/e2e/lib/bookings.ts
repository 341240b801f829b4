// Helpers for the booking suites (bookings, lifecycle, idempotency, events, concurrency):
// a tenant with one token per role, artists/projects, booking calls, the test clock, and
// exact checks of the SPEC's booking and event shapes (§2, §6, §10).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";

import { createArtist, createProject } from "./api.ts";
import { assertProblem, call, type CallOptions, type Response } from "./http.ts";
import { ptoolBin, ptoolEnv } from "./server.ts";
import { createTenant, ROLES, token, type Role } from "./tenant.ts";

const run = promisify(execFile);

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Instants out (SPEC §10): YYYY-MM-DDTHH:MM:SSZ, fractional seconds only when non-zero. */
export const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d*[1-9])?Z$/;

export const BOOKING_KEYS = [
  "artistId",
  "challenge",
  "createdAt",
  "createdBy",
  "endTime",
  "expiresAt",
  "id",
  "notes",
  "priority",
  "projectId",
  "startTime",
  "status",
  "statusReason",
  "title",
  "updatedAt",
  "version",
].sort();

export const EVENT_KEYS = ["actor", "artistId", "booking", "bookingId", "occurredAt", "previous", "reason", "seq", "type"].sort();

export const EVENT_TYPES = [
  "booking.held",
  "booking.pencilled",
  "booking.confirmed",
  "booking.extended",
  "booking.rescheduled",
  "booking.updated",
  "booking.released",
  "booking.expired",
  "booking.cancelled",
  "booking.challenged",
  "booking.challenge_won",
  "booking.challenge_failed",
  "booking.challenge_withdrawn",
];

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** A tenant of its own with one token per role; `sub` of role R is `${R}@<tag>`. */
export interface Ctx {
  base: string;
  tenant: string;
  tokens: Record<Role, string>;
  subs: Record<Role, string>;
}

export async function newCtx(base: string, tag = "e2e"): Promise<Ctx> {
  const tenant = await createTenant(`bookings ${tag} ${randomUUID().slice(0, 8)}`);
  const tokens = {} as Record<Role, string>;
  const subs = {} as Record<Role, string>;
  await Promise.all(
    ROLES.map(async (role) => {
      subs[role] = `${role}@${tag}`;
      // Long-lived: the suites move the server's test clock by weeks.
      tokens[role] = await token({ tenant, user: subs[role], role, ttl: "400d" });
    }),
  );
  return { base, tenant, tokens, subs };
}

/** A call as `role` (default booker) to /api/v1 + path. */
export function api(ctx: Ctx, method: string, path: string, o: CallOptions & { role?: Role } = {}): Promise<Response> {
  const { role, ...rest } = o;
  return call(ctx.base, method, `/api/v1${path}`, { token: ctx.tokens[role ?? "booker"], ...rest });
}

/** Creates an artist (as manager, lib/api.ts createArtist); resolves with its id. */
export async function newArtist(ctx: Ctx): Promise<string> {
  return (await createArtist(ctx.base, ctx.tokens.manager)).id;
}

/** Creates a project (as booker, lib/api.ts createProject); resolves with its id. */
export async function newProject(ctx: Ctx): Promise<string> {
  return (await createProject(ctx.base, ctx.tokens.booker)).id;
}

// Time --------------------------------------------------------------------------------------

/** Far enough ahead that no clock advance of a suite reaches it; whole hours from here. */
export const T0 = Date.parse("2040-03-05T00:00:00Z");

export function iso(ms: number): string {
  // The server's form: fractional seconds without trailing zeros, none when zero.
  return new Date(ms).toISOString().replace(/\.?0+Z$/, "Z");
}

/** [T0 + fromH, T0 + toH) as {startTime, endTime}. */
export function range(fromH: number, toH: number): { startTime: string; endTime: string } {
  return { startTime: iso(T0 + fromH * HOUR), endTime: iso(T0 + toH * HOUR) };
}

export function ms(instant: string): number {
  const t = Date.parse(instant);
  assert.ok(!Number.isNaN(t), `not an instant: ${instant}`);
  return t;
}

/** Moves the server's test clock forward (admin); resolves with the server's new now (ms). */
export async function advance(ctx: Ctx, seconds: number): Promise<number> {
  const res = await api(ctx, "POST", "/test/clock", { role: "admin", body: { advanceSeconds: seconds } });
  assert.equal(res.status, 200, `POST /test/clock: ${res.status} ${res.text}`);
  assert.match(res.json.now, INSTANT_RE);
  return ms(res.json.now);
}

/** The server's clock now (ms), via a zero advance. */
export function serverNow(ctx: Ctx): Promise<number> {
  return advance(ctx, 0);
}

// Bookings -----------------------------------------------------------------------------------

export interface BookingBody {
  artistId: string;
  startTime: string;
  endTime: string;
  status?: string;
  priority?: number;
  title?: string | null;
  notes?: string | null;
  projectId?: string | null;
  confirmBy?: string;
  overrideAvailability?: boolean;
  [k: string]: unknown;
}

export function createBooking(ctx: Ctx, body: unknown, o: CallOptions & { role?: Role } = {}): Promise<Response> {
  return api(ctx, "POST", "/bookings", { role: o.role ?? (needsManager(body) ? "manager" : "booker"), ...o, body });
}

function needsManager(body: unknown): boolean {
  const b = body as BookingBody | undefined;
  return !!b && typeof b === "object" && (b.status === "confirmed" || (b.priority ?? 0) > 0 || b.overrideAvailability === true);
}

/** Creates a booking and asserts 201; resolves with the booking. */
export async function book(ctx: Ctx, body: BookingBody, role?: Role): Promise<any> {
  const res = await createBooking(ctx, body, role ? { role } : {});
  assert.equal(res.status, 201, `POST /bookings ${JSON.stringify(body)}: ${res.status} ${res.text}`);
  assertBooking(res.json);
  return res.json;
}

export function hold(ctx: Ctx, artistId: string, fromH: number, toH: number, extra: Partial<BookingBody> = {}): Promise<any> {
  return book(ctx, { artistId, ...range(fromH, toH), ...extra });
}

export function pencil(ctx: Ctx, artistId: string, fromH: number, toH: number, extra: Partial<BookingBody> = {}): Promise<any> {
  return book(ctx, { artistId, ...range(fromH, toH), status: "pencil", ...extra });
}

export function confirmed(ctx: Ctx, artistId: string, fromH: number, toH: number, extra: Partial<BookingBody> = {}): Promise<any> {
  return book(ctx, { artistId, ...range(fromH, toH), status: "confirmed", ...extra }, "manager");
}

export type Action = "pencil" | "confirm" | "release" | "cancel" | "extend" | "challenge";
export const ACTIONS: readonly Action[] = ["pencil", "confirm", "release", "cancel", "extend", "challenge"];

/** The role that may perform an action (SPEC §4 permissions). */
export function roleFor(action: Action): Role {
  return action === "confirm" || action === "cancel" ? "manager" : "booker";
}

/** POST /bookings/{id}/{action}; no body unless given (transitions accept an empty body). */
export function act(ctx: Ctx, id: string, action: Action, o: CallOptions & { role?: Role } = {}): Promise<Response> {
  return api(ctx, "POST", `/bookings/${id}/${action}`, { role: roleFor(action), ...o });
}

/** A transition that must succeed (200); resolves with the booking. */
export async function must(ctx: Ctx, id: string, action: Action, o: CallOptions & { role?: Role } = {}): Promise<any> {
  const res = await act(ctx, id, action, o);
  assert.equal(res.status, 200, `POST /bookings/${id}/${action}: ${res.status} ${res.text}`);
  assertBooking(res.json);
  assert.equal(res.headers.get("etag"), `"${res.json.version}"`, "ETag of a transition");
  return res.json;
}

export async function get(ctx: Ctx, id: string, role: Role = "viewer"): Promise<any> {
  const res = await api(ctx, "GET", `/bookings/${id}`, { role });
  assert.equal(res.status, 200, `GET /bookings/${id}: ${res.status} ${res.text}`);
  assertBooking(res.json);
  assert.equal(res.headers.get("etag"), `"${res.json.version}"`, "ETag of GET /bookings/{id}");
  return res.json;
}

/** Every event of a booking (follows nextCursor), oldest first. */
export async function events(ctx: Ctx, id: string): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const q: string = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
    const res = await api(ctx, "GET", `/bookings/${id}/events${q}`, { role: "viewer" });
    assert.equal(res.status, 200, `GET /bookings/${id}/events: ${res.status} ${res.text}`);
    assert.deepEqual(Object.keys(res.json).sort(), ["data", "nextCursor"]);
    for (const e of res.json.data) assertEvent(e);
    out.push(...res.json.data);
    cursor = res.json.nextCursor;
    if (cursor === null) return out;
  }
  assert.fail("more than 100 pages of events");
}

export async function eventTypes(ctx: Ctx, id: string): Promise<string[]> {
  return (await events(ctx, id)).map((e) => e.type);
}

/** Polls `check` until it returns a truthy value (no blind sleeps); fails after `timeoutMs`. */
export async function poll<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 25;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 250);
  }
}

/** Lists bookings (viewer) with a raw query string; asserts 200 and the collection shape. */
export async function list(ctx: Ctx, query: string): Promise<{ data: any[]; nextCursor: string | null }> {
  const res = await api(ctx, "GET", `/bookings?${query}`, { role: "viewer" });
  assert.equal(res.status, 200, `GET /bookings?${query}: ${res.status} ${res.text}`);
  assert.deepEqual(Object.keys(res.json).sort(), ["data", "nextCursor"]);
  for (const b of res.json.data) assertBooking(b);
  return res.json;
}

/** All pages of a listing. */
export async function listAll(ctx: Ctx, query: string, limit = 500): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 1000; i++) {
    const page: { data: any[]; nextCursor: string | null } = await list(
      ctx,
      `${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    out.push(...page.data);
    cursor = page.nextCursor;
    if (cursor === null) return out;
  }
  assert.fail("too many pages");
}

// Shapes -------------------------------------------------------------------------------------

/** A booking as the API shows it: exactly the SPEC's members, with their types. */
export function assertBooking(b: any): void {
  assert.ok(b && typeof b === "object", `not a booking: ${JSON.stringify(b)}`);
  assert.deepEqual(Object.keys(b).sort(), BOOKING_KEYS, `booking members: ${JSON.stringify(b)}`);
  assert.match(b.id, UUID_RE);
  assert.match(b.artistId, UUID_RE);
  assert.ok(b.projectId === null || UUID_RE.test(b.projectId), `projectId ${b.projectId}`);
  for (const k of ["startTime", "endTime", "createdAt", "updatedAt"]) assert.match(b[k], INSTANT_RE, `${k} ${b[k]}`);
  assert.ok(b.expiresAt === null || INSTANT_RE.test(b.expiresAt), `expiresAt ${b.expiresAt}`);
  assert.ok(["hold", "pencil", "confirmed", "released", "expired", "cancelled"].includes(b.status), `status ${b.status}`);
  assert.ok(Number.isInteger(b.priority) && b.priority >= 0 && b.priority <= 100, `priority ${b.priority}`);
  assert.ok(Number.isInteger(b.version) && b.version >= 1, `version ${b.version}`);
  assert.equal(typeof b.createdBy, "string");
  for (const k of ["title", "notes", "statusReason"]) assert.ok(b[k] === null || typeof b[k] === "string", `${k} ${b[k]}`);
  if (b.challenge !== null) {
    assert.deepEqual(Object.keys(b.challenge).sort(), ["byBookingId", "deadline"], `challenge ${JSON.stringify(b.challenge)}`);
    assert.match(b.challenge.byBookingId, UUID_RE);
    assert.match(b.challenge.deadline, INSTANT_RE);
  }
  if (b.status === "confirmed") assert.equal(b.expiresAt, null, "a confirmed booking has expiresAt null");
  if (b.status === "hold" || b.status === "pencil") assert.notEqual(b.expiresAt, null, `a ${b.status} has an expiresAt`);
}

/** An event as the API shows it (SPEC §6). */
export function assertEvent(e: any): void {
  assert.deepEqual(Object.keys(e).sort(), EVENT_KEYS, `event members: ${JSON.stringify(e)}`);
  assert.ok(Number.isSafeInteger(e.seq) && e.seq > 0, `seq is a JSON number: ${JSON.stringify(e.seq)}`);
  assert.ok(EVENT_TYPES.includes(e.type), `event type ${e.type}`);
  assert.match(e.bookingId, UUID_RE);
  assert.match(e.artistId, UUID_RE);
  assert.equal(typeof e.actor, "string");
  assert.ok(e.actor.length > 0);
  assert.match(e.occurredAt, INSTANT_RE);
  assertBooking(e.booking);
  assert.equal(e.booking.id, e.bookingId);
  assert.equal(e.booking.artistId, e.artistId);
  assert.ok(e.previous === null || (typeof e.previous === "object" && !Array.isArray(e.previous)), `previous ${JSON.stringify(e.previous)}`);
  assert.ok(e.reason === null || typeof e.reason === "string", `reason ${JSON.stringify(e.reason)}`);
}

/** A 409 invalid_transition naming the current (effective) status. */
export function assertInvalidTransition(res: Response, currentStatus: string): void {
  const p = assertProblem(res, 409, "invalid_transition");
  assert.equal(p.currentStatus, currentStatus, `currentStatus: ${res.text}`);
}

/** A 409 booking_conflict whose `conflicts` are exactly these bookings. */
export function assertConflict(res: Response, blocking: any[]): void {
  const p = assertProblem(res, 409, "booking_conflict");
  assert.ok(Array.isArray(p.conflicts), `conflicts: ${res.text}`);
  const got = p.conflicts.map((c: any) => {
    assert.deepEqual(Object.keys(c).sort(), ["endTime", "id", "startTime", "status"], `conflict ${JSON.stringify(c)}`);
    return c;
  });
  assert.deepEqual(
    got.map((c: any) => c.id).sort(),
    blocking.map((b) => b.id).sort(),
    `conflicts ${res.text}`,
  );
  for (const b of blocking) {
    const c = got.find((x: any) => x.id === b.id);
    assert.equal(c.startTime, b.startTime);
    assert.equal(c.endTime, b.endTime);
    assert.ok(["pencil", "confirmed"].includes(c.status), `conflict status ${c.status}`);
  }
}

/** A 409 outranked whose `outrankedBy` are exactly these holds. */
export function assertOutranked(res: Response, above: any[]): void {
  const p = assertProblem(res, 409, "outranked");
  assert.ok(Array.isArray(p.outrankedBy), `outrankedBy: ${res.text}`);
  for (const o of p.outrankedBy) {
    assert.deepEqual(Object.keys(o).sort(), ["createdAt", "expiresAt", "id", "priority"], `outrankedBy ${JSON.stringify(o)}`);
  }
  assert.deepEqual(
    p.outrankedBy.map((o: any) => o.id).sort(),
    above.map((b) => b.id).sort(),
    `outrankedBy ${res.text}`,
  );
  for (const b of above) {
    const o = p.outrankedBy.find((x: any) => x.id === b.id);
    assert.equal(o.priority, b.priority);
    assert.equal(o.createdAt, b.createdAt);
  }
}

// verify-events --------------------------------------------------------------------------------

/**
 * Runs `ptool verify-events` (optionally for one tenant) with the suite's database; resolves
 * with its exit code and output.
 */
export async function verifyEvents(tenant?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = ["verify-events", ...(tenant ? ["--tenant", tenant] : [])];
  try {
    const { stdout, stderr } = await run(ptoolBin(), args, { env: ptoolEnv(), timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}
