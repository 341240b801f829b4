// Helpers for the availability suites (availability, schedule-cache): preferences
// (GET/PUT /artists/{id}/availability), the schedule and slots with exact shape and coverage
// checks (SPEC §5, §10), the outside_availability problem, Prometheus metrics, and a private
// redis-server for outage tests.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

import { api as rawApi } from "./api.ts";
import { assertProblem, call, type Response } from "./http.ts";
import { INSTANT_RE, UUID_RE } from "./bookings.ts";

export interface Window {
  start: string;
  end: string;
}
export interface WeeklyWindow extends Window {
  day: string;
}
export interface Override {
  date: string;
  windows: Window[];
}
export interface Availability {
  timezone: string;
  weekly: WeeklyWindow[] | null;
  overrides: Override[];
}

export interface Segment {
  startTime: string;
  endTime: string;
  state: "unavailable" | "available" | "held" | "pencilled" | "booked";
  bookingIds: string[];
}
export interface Schedule {
  artistId: string;
  timezone: string;
  from: string;
  to: string;
  data: Segment[];
}
export interface Slots {
  artistId: string;
  duration: string;
  step: string;
  data: string[];
}

export const STATES = ["unavailable", "available", "held", "pencilled", "booked"];

/** Asserts the exact shape of availability preferences (SPEC §10). */
export function assertAvailabilityShape(a: any): asserts a is Availability {
  assert.ok(a && typeof a === "object" && !Array.isArray(a), `availability: ${JSON.stringify(a)}`);
  assert.deepEqual(Object.keys(a).sort(), ["overrides", "timezone", "weekly"], `availability members: ${JSON.stringify(a)}`);
  assert.equal(typeof a.timezone, "string");
  assert.ok(a.weekly === null || Array.isArray(a.weekly), `weekly: ${JSON.stringify(a.weekly)}`);
  for (const w of a.weekly ?? []) {
    assert.deepEqual(Object.keys(w).sort(), ["day", "end", "start"], `weekly window: ${JSON.stringify(w)}`);
  }
  assert.ok(Array.isArray(a.overrides), `overrides: ${JSON.stringify(a.overrides)}`);
  for (const o of a.overrides) {
    assert.deepEqual(Object.keys(o).sort(), ["date", "windows"], `override: ${JSON.stringify(o)}`);
    assert.ok(Array.isArray(o.windows));
    for (const w of o.windows) assert.deepEqual(Object.keys(w).sort(), ["end", "start"], `override window: ${JSON.stringify(w)}`);
  }
}

export function putAvailabilityRaw(base: string, token: string, artistId: string, body: unknown): Promise<Response> {
  return rawApi(base, "PUT", `/artists/${artistId}/availability`, token, body);
}

/** PUT /artists/{id}/availability; asserts 200 and the shape; resolves with the stored preferences. */
export async function putAvailability(base: string, token: string, artistId: string, body: unknown): Promise<Availability> {
  const res = await putAvailabilityRaw(base, token, artistId, body);
  assert.equal(res.status, 200, `PUT /artists/${artistId}/availability ${JSON.stringify(body)}: ${res.status} ${res.text}`);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json\b/);
  assertAvailabilityShape(res.json);
  return res.json;
}

/** GET /artists/{id}/availability; asserts 200 and the shape. */
export async function getAvailability(base: string, token: string, artistId: string): Promise<Availability> {
  const res = await rawApi(base, "GET", `/artists/${artistId}/availability`, token);
  assert.equal(res.status, 200, `GET /artists/${artistId}/availability: ${res.status} ${res.text}`);
  assertAvailabilityShape(res.json);
  return res.json;
}

function q(params: Record<string, string | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(v as string)}`);
  return parts.length ? `?${parts.join("&")}` : "";
}

export function scheduleRaw(base: string, token: string, artistId: string, params: Record<string, string | undefined>): Promise<Response> {
  return rawApi(base, "GET", `/artists/${artistId}/schedule${q(params)}`, token);
}

export function slotsRaw(base: string, token: string, artistId: string, params: Record<string, string | undefined>): Promise<Response> {
  return rawApi(base, "GET", `/artists/${artistId}/slots${q(params)}`, token);
}

/**
 * GET /artists/{id}/schedule?from&to; asserts 200, the exact shape and the SPEC's invariants:
 * ordered, non-overlapping segments covering exactly [from, to), no two adjacent segments with
 * equal state and bookings, bookingIds unique UUIDs.
 */
export async function schedule(base: string, token: string, artistId: string, from: string, to: string): Promise<Schedule> {
  const res = await scheduleRaw(base, token, artistId, { from, to });
  assert.equal(res.status, 200, `GET schedule ${from}..${to}: ${res.status} ${res.text}`);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json\b/);
  const s = res.json;
  assertScheduleShape(s);
  assert.equal(s.artistId, artistId);
  assert.equal(Date.parse(s.from), Date.parse(from), "schedule.from");
  assert.equal(Date.parse(s.to), Date.parse(to), "schedule.to");
  return s;
}

export function assertScheduleShape(s: any): asserts s is Schedule {
  assert.ok(s && typeof s === "object", `schedule: ${JSON.stringify(s)}`);
  assert.deepEqual(Object.keys(s).sort(), ["artistId", "data", "from", "timezone", "to"], `schedule members: ${JSON.stringify(s)}`);
  assert.match(s.artistId, UUID_RE);
  assert.equal(typeof s.timezone, "string");
  assert.match(s.from, INSTANT_RE);
  assert.match(s.to, INSTANT_RE);
  assert.ok(Array.isArray(s.data) && s.data.length > 0, `schedule data: ${JSON.stringify(s.data)}`);
  let at = Date.parse(s.from);
  let prev: Segment | undefined;
  for (const seg of s.data) {
    const where = `segment ${JSON.stringify(seg)} of ${JSON.stringify(s.data)}`;
    assert.deepEqual(Object.keys(seg).sort(), ["bookingIds", "endTime", "startTime", "state"], where);
    assert.match(seg.startTime, INSTANT_RE);
    assert.match(seg.endTime, INSTANT_RE);
    assert.equal(Date.parse(seg.startTime), at, `gap or overlap before ${where}`);
    assert.ok(Date.parse(seg.endTime) > at, `empty segment ${where}`);
    assert.ok(STATES.includes(seg.state), where);
    assert.ok(Array.isArray(seg.bookingIds), where);
    for (const id of seg.bookingIds) assert.match(id, UUID_RE);
    assert.equal(new Set(seg.bookingIds).size, seg.bookingIds.length, `duplicate ids in ${where}`);
    if (seg.state === "available" || seg.state === "unavailable") {
      assert.deepEqual(seg.bookingIds, [], `no bookings in a free segment: ${where}`);
    } else {
      assert.ok(seg.bookingIds.length > 0, `a busy segment names its bookings: ${where}`);
    }
    if (prev) {
      assert.ok(
        !(prev.state === seg.state && JSON.stringify(prev.bookingIds) === JSON.stringify(seg.bookingIds)),
        `adjacent equal segments are not merged: ${where}`,
      );
    }
    at = Date.parse(seg.endTime);
    prev = seg;
  }
  assert.equal(at, Date.parse(s.to), `segments do not end at to: ${JSON.stringify(s.data)}`);
}

/** A compact form of segments for deepEqual: [startTime, endTime, state, ...bookingIds]. */
export function compact(s: Schedule): string[][] {
  return s.data.map((g) => [g.startTime, g.endTime, g.state, ...g.bookingIds]);
}

/** GET /artists/{id}/slots; asserts 200 and the exact shape. */
export async function slots(base: string, token: string, artistId: string, params: Record<string, string | undefined>): Promise<Slots> {
  const res = await slotsRaw(base, token, artistId, params);
  assert.equal(res.status, 200, `GET slots ${JSON.stringify(params)}: ${res.status} ${res.text}`);
  const s = res.json;
  assert.deepEqual(Object.keys(s).sort(), ["artistId", "data", "duration", "step"], `slots members: ${res.text.slice(0, 300)}`);
  assert.equal(s.artistId, artistId);
  assert.ok(Array.isArray(s.data));
  for (const t of s.data) assert.match(t, INSTANT_RE);
  for (let i = 1; i < s.data.length; i++) assert.ok(Date.parse(s.data[i]) > Date.parse(s.data[i - 1]), "slots ordered");
  return s;
}

/** A 422 outside_availability whose `windows` are exactly these [startTime, endTime] pairs. */
export function assertOutside(res: Response, windows: Array<[string, string]>): any {
  const p = assertProblem(res, 422, "outside_availability");
  assert.ok(Array.isArray(p.windows), `windows: ${res.text}`);
  for (const w of p.windows) {
    assert.deepEqual(Object.keys(w).sort(), ["endTime", "startTime"], `window ${JSON.stringify(w)}`);
    assert.match(w.startTime, INSTANT_RE);
    assert.match(w.endTime, INSTANT_RE);
  }
  assert.deepEqual(
    p.windows.map((w: any) => [w.startTime, w.endTime]),
    windows,
    `outside_availability windows: ${res.text}`,
  );
  return p;
}

// Metrics ------------------------------------------------------------------------------------

export async function metricsText(base: string): Promise<string> {
  const res = await call(base, "GET", "/metrics");
  assert.equal(res.status, 200, `GET /metrics: ${res.status}`);
  return res.text;
}

/**
 * The value of one sample of the Prometheus text `text`: `name` with exactly the given labels
 * (in any order); 0 when the sample is absent.
 */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(",");
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || !line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = (m[2] ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0)
      .sort()
      .join(",");
    if (got === want) return Number(m[3]);
  }
  return 0;
}

export async function cacheCounters(base: string): Promise<{ hit: number; miss: number; error: number; up: number }> {
  const t = await metricsText(base);
  return {
    hit: metric(t, "ptool_cache_requests_total", { result: "hit" }),
    miss: metric(t, "ptool_cache_requests_total", { result: "miss" }),
    error: metric(t, "ptool_cache_requests_total", { result: "error" }),
    up: metric(t, "ptool_cache_up"),
  };
}

// A private redis-server --------------------------------------------------------------------------

/** A free TCP port on 127.0.0.1 (bound and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface RedisHandle {
  port: number;
  url: string;
  proc: ChildProcess;
  output(): string;
  /** Sends the signal and resolves once it exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const redisLive = new Set<ChildProcess>();
process.on("exit", () => {
  for (const p of redisLive) {
    try {
      p.kill("SIGKILL");
    } catch {
      // gone
    }
  }
});

/** Spawns `redis-server --port N --save '' --appendonly no --bind 127.0.0.1`; resolves once it accepts connections. */
export async function startRedis(port: number, timeoutMs = 10_000): Promise<RedisHandle> {
  const proc = spawn(
    process.env.REDIS_SERVER_BIN || "redis-server",
    ["--port", String(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  redisLive.add(proc);
  let out = "";
  let exited = false;
  const exitedP = new Promise<void>((resolve) =>
    proc.once("exit", () => {
      exited = true;
      redisLive.delete(proc);
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server on ${port} not ready in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (c: Buffer) => {
      out += c.toString("utf8");
      if (/Ready to accept connections/i.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout!.on("data", onData);
    proc.stderr!.on("data", onData);
    proc.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}) before ready:\n${out}`));
    });
  });
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    proc,
    output: () => out,
    async stop(signal: NodeJS.Signals = "SIGKILL") {
      if (!exited) proc.kill(signal);
      await exitedP;
    },
  };
}

/** The JSON log lines of a server's output (lines that do not parse are skipped). */
export function logLines(output: string): Array<Record<string, any>> {
  const out: Array<Record<string, any>> = [];
  for (const line of output.split("\n")) {
    const t = line.trim();
    if (!t.startsWith("{")) continue;
    try {
      out.push(JSON.parse(t));
    } catch {
      // not JSON
    }
  }
  return out;
}
