// The Redis cache of schedules (SPEC §1, §5): a booking change or a preference PUT on one
// instance invalidates the artist's cached schedules on every instance (per-artist version in
// Redis); Redis stopped, frozen or restarted mid-run never makes an answer wrong or slow, the
// outage is logged once and counted (ptool_cache_requests_total{result="error"},
// ptool_cache_up 0), and caching resumes once Redis is back; a server without REDIS_URL serves
// schedules correctly.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";

import { createArtist } from "./lib/api.ts";
import {
  cacheCounters,
  compact,
  freePort,
  logLines,
  putAvailability,
  schedule,
  slots,
  startRedis,
  type RedisHandle,
} from "./lib/availability.ts";
import { api, book, iso, ms, must, newCtx, poll, type Ctx } from "./lib/bookings.ts";
import { ptoolBin, startServer, TEST_JWT_SECRET, type ServerHandle } from "./lib/server.ts";
import { closeSockets, connect, type Recorder } from "./lib/realtime.ts";

const FROM = "2040-03-05T00:00:00Z"; // a Monday
const TO = "2040-03-06T00:00:00Z";
const at = (hhmm: string) => `2040-03-05T${hhmm}:00Z`;
const MON_9_18 = [{ day: "mon", start: "09:00", end: "18:00" }];
const FREE_DAY = [
  [FROM, at("09:00"), "unavailable"],
  [at("09:00"), at("18:00"), "available"],
  [at("18:00"), TO, "unavailable"],
];

/** The same tenant and tokens, talking to another instance. */
function via(ctx: Ctx, server: ServerHandle): Ctx {
  return { ...ctx, base: server.url };
}

async function waitCacheUp(server: ServerHandle, up: 0 | 1, timeoutMs = 10_000): Promise<void> {
  await poll(`ptool_cache_up ${up} on ${server.url}`, async () => (await cacheCounters(server.url)).up === up, timeoutMs);
}

async function newArtist(ctx: Ctx): Promise<string> {
  const a = await createArtist(ctx.base, ctx.tokens.manager, { timezone: "UTC" });
  await putAvailability(ctx.base, ctx.tokens.manager, a.id, { weekly: MON_9_18 });
  return a.id;
}

/**
 * Each instance's real-time pump invalidates an artist's cached schedules when it learns of a
 * change (SPEC §7: before broadcasting it), possibly just after a GET filed a fresh entry. Tests
 * that count cache hits first wait until every pump has passed the artist's changes on:
 * `settled(a, n)` waits for the n-th `availability.changed` of artist `a` on a socket of each
 * server (an availability PUT and each booking change announce one).
 */
class PumpWatch {
  private constructor(private readonly recs: Recorder[]) {}

  static async open(servers: ServerHandle[], token: string): Promise<PumpWatch> {
    const conns = await Promise.all(servers.map((s) => connect(s.url, { token })));
    return new PumpWatch(conns.map((c) => c.rec));
  }

  async settled(artist: string, n: number): Promise<void> {
    const seen = (r: Recorder) => r.named("availability.changed").filter((c) => c.artistId === artist).length >= n;
    await Promise.all(this.recs.map((r, i) => r.waitFor(`availability.changed #${n} of ${artist} on server ${i + 1}`, seen)));
  }
}

/** GET schedule and measure it: answers must stay fast whatever Redis does. */
async function timedSchedule(ctx: Ctx, artist: string, from = FROM, to = TO): Promise<string[][]> {
  const t0 = Date.now();
  const s = await schedule(ctx.base, ctx.tokens.viewer, artist, from, to);
  const took = Date.now() - t0;
  assert.ok(took < 1500, `GET schedule took ${took} ms`);
  return compact(s);
}

/** Runs redis-cli against a private Redis (with its password, when one is set). */
async function redisCli(port: number, password: string | null, ...args: string[]): Promise<string> {
  const auth = password ? ["-a", password, "--no-auth-warning"] : [];
  const { stdout } = await promisify(execFile)("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...auth, ...args], { timeout: 5_000 });
  return stdout.trim();
}

/** Warning lines of a server's output that mention Redis. */
function redisWarnings(server: ServerHandle): Array<Record<string, any>> {
  return logLines(server.output()).filter(
    (l) => /^warn/i.test(String(l.level)) && /redis/i.test(String(l.msg)),
  );
}

// (a) -------------------------------------------------------------------------------------------------

describe("two instances sharing PostgreSQL and Redis", () => {
  let s1: ServerHandle;
  let s2: ServerHandle;
  let ownRedis: RedisHandle | undefined;
  let ctx1: Ctx;
  let ctx2: Ctx;
  let watch: PumpWatch;

  before(async () => {
    let url = process.env.REDIS_URL;
    if (!url) {
      ownRedis = await startRedis(await freePort());
      url = ownRedis.url;
    }
    [s1, s2] = await Promise.all([startServer({ env: { REDIS_URL: url } }), startServer({ env: { REDIS_URL: url } })]);
    ctx1 = await newCtx(s1.url, "cache-a");
    ctx2 = via(ctx1, s2);
    await Promise.all([waitCacheUp(s1, 1), waitCacheUp(s2, 1)]);
    watch = await PumpWatch.open([s1, s2], ctx1.tokens.viewer);
  });

  after(async () => {
    closeSockets();
    await Promise.all([s1?.stop(), s2?.stop()]);
    await ownRedis?.stop();
  });

  test("the second GET is a cache hit; a booking made through the other instance shows at once", async () => {
    const a = await newArtist(ctx1);
    await watch.settled(a, 1);
    const m0 = await cacheCounters(s1.url);
    assert.deepEqual(await timedSchedule(ctx1, a), FREE_DAY);
    const m1 = await cacheCounters(s1.url);
    assert.equal(m1.hit, m0.hit, "the first GET is not a hit");
    assert.equal(m1.miss - m0.miss, 1, "the first GET is one miss");
    assert.deepEqual(await timedSchedule(ctx1, a), FREE_DAY);
    const m2 = await cacheCounters(s1.url);
    assert.equal(m2.hit - m1.hit, 1, "the second GET is a hit");
    assert.equal(m2.error, m0.error, "no cache errors");

    // A hold through instance 2: instance 1 shows it at once (never the cached free day).
    const h = await book(ctx2, { artistId: a, startTime: at("10:00"), endTime: at("11:00") });
    const held = [
      [FROM, at("09:00"), "unavailable"],
      [at("09:00"), at("10:00"), "available"],
      [at("10:00"), at("11:00"), "held", h.id],
      [at("11:00"), at("18:00"), "available"],
      [at("18:00"), TO, "unavailable"],
    ];
    assert.deepEqual(await timedSchedule(ctx1, a), held);
    const m3 = await cacheCounters(s1.url);
    assert.equal(m3.hit, m2.hit, "the entry filed before the booking is not served");
    // Cached again (once both pumps have passed the hold on), and correct.
    await watch.settled(a, 2);
    assert.deepEqual(await timedSchedule(ctx1, a), held);
    const m4 = await cacheCounters(s1.url);
    assert.deepEqual(await timedSchedule(ctx1, a), held);
    assert.equal((await cacheCounters(s1.url)).hit - m4.hit, 1);
    // Slots on instance 1 agree.
    const sl = await slots(ctx1.base, ctx1.tokens.viewer, a, { from: FROM, to: TO, duration: "PT1H" });
    assert.deepEqual(sl.data, [9, 11, 12, 13, 14, 15, 16, 17].map((hh) => iso(ms(FROM) + hh * 3600_000)));

    // Pencil, confirm and release through instance 2, each seen at once on instance 1.
    await must(ctx2, h.id, "pencil");
    assert.deepEqual((await timedSchedule(ctx1, a))[2], [at("10:00"), at("11:00"), "pencilled", h.id]);
    await must(ctx2, h.id, "confirm");
    assert.deepEqual((await timedSchedule(ctx1, a))[2], [at("10:00"), at("11:00"), "booked", h.id]);
    await must(ctx2, h.id, "cancel");
    assert.deepEqual(await timedSchedule(ctx1, a), FREE_DAY);

    // A reschedule through instance 2.
    const h2 = await book(ctx2, { artistId: a, startTime: at("12:00"), endTime: at("13:00") });
    assert.deepEqual((await timedSchedule(ctx1, a))[2], [at("12:00"), at("13:00"), "held", h2.id]);
    const r = await api(ctx2, "PATCH", `/bookings/${h2.id}`, {
      body: { startTime: at("14:00"), endTime: at("15:00") },
      headers: { "if-match": `"${h2.version}"` },
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual((await timedSchedule(ctx1, a))[2], [at("14:00"), at("15:00"), "held", h2.id]);
  });

  test("an availability PUT through the other instance shows at once", async () => {
    const a = await newArtist(ctx1);
    assert.deepEqual(await timedSchedule(ctx1, a), FREE_DAY);
    assert.deepEqual(await timedSchedule(ctx1, a), FREE_DAY);
    const m0 = await cacheCounters(s1.url);
    await putAvailability(ctx2.base, ctx2.tokens.manager, a, { weekly: [{ day: "mon", start: "10:00", end: "12:00" }] });
    const changed = [
      [FROM, at("10:00"), "unavailable"],
      [at("10:00"), at("12:00"), "available"],
      [at("12:00"), TO, "unavailable"],
    ];
    assert.deepEqual(await timedSchedule(ctx1, a), changed);
    assert.equal((await cacheCounters(s1.url)).hit, m0.hit, "not served from the old entry");
    assert.deepEqual(await timedSchedule(ctx1, a), changed);
    // And through instance 1 while instance 2 has it cached.
    assert.deepEqual(await timedSchedule(ctx2, a), changed);
    assert.deepEqual(await timedSchedule(ctx2, a), changed);
    await putAvailability(ctx1.base, ctx1.tokens.manager, a, { weekly: null });
    assert.deepEqual(await timedSchedule(ctx2, a), [[FROM, TO, "available"]]);
    // A timezone change shows in the cached schedule's timezone member too.
    await putAvailability(ctx2.base, ctx2.tokens.manager, a, { timezone: "Europe/Berlin", weekly: MON_9_18 });
    const s = await schedule(ctx1.base, ctx1.tokens.viewer, a, FROM, TO);
    assert.equal(s.timezone, "Europe/Berlin");
    assert.deepEqual(compact(s), [
      [FROM, at("08:00"), "unavailable"],
      [at("08:00"), at("17:00"), "available"],
      [at("17:00"), TO, "unavailable"],
    ]);
  });
});

// (b) -------------------------------------------------------------------------------------------------

describe("Redis stopped, frozen and restarted mid-run", () => {
  let redis: RedisHandle;
  let port: number;
  let server: ServerHandle;
  let ctx: Ctx;
  let watch: PumpWatch;

  before(async () => {
    port = await freePort();
    redis = await startRedis(port);
    server = await startServer({ env: { REDIS_URL: redis.url } });
    ctx = await newCtx(server.url, "cache-b");
    await waitCacheUp(server, 1);
    watch = await PumpWatch.open([server], ctx.tokens.viewer);
  });

  after(async () => {
    closeSockets();
    await server?.stop();
    if (redis) {
      try {
        redis.proc.kill("SIGCONT");
      } catch {
        // gone
      }
      await redis.stop();
    }
  });

  test("killed: answers stay correct and fast, errors are counted, one warning; restarted: hits within 10 s", async () => {
    const a = await newArtist(ctx);
    await watch.settled(a, 1);
    assert.deepEqual(await timedSchedule(ctx, a), FREE_DAY);
    const before = await cacheCounters(server.url);
    assert.deepEqual(await timedSchedule(ctx, a), FREE_DAY);
    const warm = await cacheCounters(server.url);
    assert.equal(warm.hit - before.hit, 1, "warmed: a hit");
    assert.equal(warm.up, 1);
    assert.equal(redisWarnings(server).length, 0, "no warning while Redis is up");

    await redis.stop("SIGKILL");

    // Bookings, schedules and slots keep answering correctly.
    const h = await book(ctx, { artistId: a, startTime: at("10:00"), endTime: at("11:00") });
    const held = [
      [FROM, at("09:00"), "unavailable"],
      [at("09:00"), at("10:00"), "available"],
      [at("10:00"), at("11:00"), "held", h.id],
      [at("11:00"), at("18:00"), "available"],
      [at("18:00"), TO, "unavailable"],
    ];
    for (let i = 0; i < 5; i++) assert.deepEqual(await timedSchedule(ctx, a), held);
    const sl = await slots(ctx.base, ctx.tokens.viewer, a, { from: FROM, to: TO, duration: "PT1H" });
    assert.deepEqual(sl.data, [9, 11, 12, 13, 14, 15, 16, 17].map((hh) => iso(ms(FROM) + hh * 3600_000)));
    await waitCacheUp(server, 0, 5_000);
    const down = await cacheCounters(server.url);
    assert.ok(down.error > warm.error, `ptool_cache_requests_total{result="error"} grows: ${warm.error} -> ${down.error}`);
    assert.equal(down.hit, warm.hit, "no hits while Redis is down");

    // More changes and reads during the outage (and reconnect attempts failing meanwhile).
    const h2 = await book(ctx, { artistId: a, startTime: at("15:00"), endTime: at("16:00"), status: "pencil" });
    await new Promise((r) => setTimeout(r, 1500));
    const both = [
      [FROM, at("09:00"), "unavailable"],
      [at("09:00"), at("10:00"), "available"],
      [at("10:00"), at("11:00"), "held", h.id],
      [at("11:00"), at("15:00"), "available"],
      [at("15:00"), at("16:00"), "pencilled", h2.id],
      [at("16:00"), at("18:00"), "available"],
      [at("18:00"), TO, "unavailable"],
    ];
    for (let i = 0; i < 3; i++) assert.deepEqual(await timedSchedule(ctx, a), both);
    const later = await cacheCounters(server.url);
    assert.ok(later.error > down.error, "errors keep being counted");
    assert.equal(later.up, 0);
    const warnings = redisWarnings(server);
    assert.equal(warnings.length, 1, `exactly one warning for the outage:\n${warnings.map((w) => JSON.stringify(w)).join("\n")}`);
    assert.match(String(warnings[0]!.msg), /redis unavailable/i);

    // Redis is back on the same port: within ~10 s the cache is up and hits again.
    redis = await startRedis(port);
    await waitCacheUp(server, 1, 10_000);
    const back = await cacheCounters(server.url);
    await poll(
      "a cache hit after Redis came back",
      async () => {
        assert.deepEqual(await timedSchedule(ctx, a), both, "correct while recovering");
        return (await cacheCounters(server.url)).hit > back.hit;
      },
      10_000,
    );
    assert.deepEqual(await timedSchedule(ctx, a), both);
    assert.equal(redisWarnings(server).length, 1, "still one warning");
    const recovered = logLines(server.output()).filter((l) => /redis/i.test(String(l.msg)) && /again|resum|recover|available/i.test(String(l.msg)) && !/unavailable/i.test(String(l.msg)));
    assert.equal(recovered.length, 1, `one recovery line: ${JSON.stringify(recovered)}`);
    // And invalidation works again.
    await must(ctx, h.id, "release");
    assert.deepEqual(await timedSchedule(ctx, a), [
      [FROM, at("09:00"), "unavailable"],
      [at("09:00"), at("15:00"), "available"],
      [at("15:00"), at("16:00"), "pencilled", h2.id],
      [at("16:00"), at("18:00"), "available"],
      [at("18:00"), TO, "unavailable"],
    ]);
  });

  test("frozen (SIGSTOP): bookings and schedules stay correct and fast; after it thaws the old entry is never served", async () => {
    await waitCacheUp(server, 1, 10_000);
    const a = await newArtist(ctx);
    await watch.settled(a, 1);
    assert.deepEqual(await timedSchedule(ctx, a), FREE_DAY);
    const m0 = await cacheCounters(server.url);
    assert.deepEqual(await timedSchedule(ctx, a), FREE_DAY);
    assert.equal((await cacheCounters(server.url)).hit - m0.hit, 1, "warmed: the free day is cached");

    redis.proc.kill("SIGSTOP");
    try {
      // Redis keeps its data but does not answer: this booking's invalidation times out.
      const t0 = Date.now();
      const h = await book(ctx, { artistId: a, startTime: at("10:00"), endTime: at("11:00") });
      assert.ok(Date.now() - t0 < 1500, `a booking while Redis is frozen took ${Date.now() - t0} ms`);
      const held = [
        [FROM, at("09:00"), "unavailable"],
        [at("09:00"), at("10:00"), "available"],
        [at("10:00"), at("11:00"), "held", h.id],
        [at("11:00"), at("18:00"), "available"],
        [at("18:00"), TO, "unavailable"],
      ];
      for (let i = 0; i < 3; i++) assert.deepEqual(await timedSchedule(ctx, a), held);
      await waitCacheUp(server, 0, 5_000);

      redis.proc.kill("SIGCONT");
      await waitCacheUp(server, 1, 10_000);
      // The old entry (free day) is still in Redis, but must never be served again.
      const back = await cacheCounters(server.url);
      await poll(
        "a cache hit after Redis thawed",
        async () => {
          assert.deepEqual(await timedSchedule(ctx, a), held, "never the stale free day");
          return (await cacheCounters(server.url)).hit > back.hit;
        },
        10_000,
      );
      assert.deepEqual(await timedSchedule(ctx, a), held);
    } finally {
      redis.proc.kill("SIGCONT");
    }
  });

  test("refusing (requirepass, data kept): an invalidation lost meanwhile never lets the old entry be served again", async () => {
    await waitCacheUp(server, 1, 10_000);
    const a = await newArtist(ctx);
    await watch.settled(a, 1);
    assert.deepEqual(await timedSchedule(ctx, a), FREE_DAY);
    const m0 = await cacheCounters(server.url);
    assert.deepEqual(await timedSchedule(ctx, a), FREE_DAY);
    assert.equal((await cacheCounters(server.url)).hit - m0.hit, 1, "warmed: the free day is cached");

    // Redis keeps its data (the free-day entry) but refuses the server: its connection is
    // killed and every reconnection fails (NOAUTH), so the next invalidation cannot happen.
    const password = "e2e-refuse";
    assert.equal(await redisCli(port, null, "CONFIG", "SET", "requirepass", password), "OK");
    let restored = false;
    try {
      await redisCli(port, password, "CLIENT", "KILL", "TYPE", "normal");
      await waitCacheUp(server, 0, 5_000);
      const h = await book(ctx, { artistId: a, startTime: at("10:00"), endTime: at("11:00") });
      const held = [
        [FROM, at("09:00"), "unavailable"],
        [at("09:00"), at("10:00"), "available"],
        [at("10:00"), at("11:00"), "held", h.id],
        [at("11:00"), at("18:00"), "available"],
        [at("18:00"), TO, "unavailable"],
      ];
      assert.deepEqual(await timedSchedule(ctx, a), held);
      // The old entry is still there, under the version the server would look up.
      assert.ok(Number(await redisCli(port, password, "DBSIZE")) > 0, "Redis kept its keys");

      assert.equal(await redisCli(port, password, "CONFIG", "SET", "requirepass", ""), "OK");
      restored = true;
      await waitCacheUp(server, 1, 10_000);
      const back = await cacheCounters(server.url);
      await poll(
        "a cache hit after Redis accepted the server again",
        async () => {
          assert.deepEqual(await timedSchedule(ctx, a), held, "never the stale free day");
          return (await cacheCounters(server.url)).hit > back.hit;
        },
        10_000,
      );
      assert.deepEqual(await timedSchedule(ctx, a), held);
    } finally {
      if (!restored) await redisCli(port, password, "CONFIG", "SET", "requirepass", "").catch(() => "");
    }
  });
});

// (c) -------------------------------------------------------------------------------------------------

describe("without REDIS_URL", () => {
  let server: ServerHandle;
  let ctx: Ctx;

  before(async () => {
    server = await startServer({ env: { REDIS_URL: undefined } });
    ctx = await newCtx(server.url, "cache-c");
  });

  after(async () => {
    await server?.stop();
  });

  test("schedules are computed correctly and follow every change; nothing is a hit", async () => {
    const a = await newArtist(ctx);
    assert.deepEqual(await timedSchedule(ctx, a), FREE_DAY);
    assert.deepEqual(await timedSchedule(ctx, a), FREE_DAY);
    const h = await book(ctx, { artistId: a, startTime: at("10:00"), endTime: at("11:00") });
    assert.deepEqual((await timedSchedule(ctx, a))[2], [at("10:00"), at("11:00"), "held", h.id]);
    await must(ctx, h.id, "release");
    assert.deepEqual(await timedSchedule(ctx, a), FREE_DAY);
    await putAvailability(ctx.base, ctx.tokens.manager, a, { weekly: [] });
    assert.deepEqual(await timedSchedule(ctx, a), [[FROM, TO, "unavailable"]]);
    const m = await cacheCounters(server.url);
    assert.equal(m.hit, 0, "no hits without Redis");
    assert.equal(m.up, 0, "ptool_cache_up 0 without Redis");
  });
});

test("a malformed REDIS_URL ends startup with exit 2 and says why (never a crash)", async () => {
  const run = promisify(execFile);
  const err = await run(ptoolBin(), ["serve", "--port", "0", "--host", "127.0.0.1"], {
    timeout: 10_000,
    env: { ...process.env, JWT_SECRET: TEST_JWT_SECRET, REDIS_URL: "http://127.0.0.1:6379" },
  }).then(
    () => assert.fail("ptool serve started with a malformed REDIS_URL"),
    (e: { code?: number; stderr?: string }) => e,
  );
  assert.equal(err.code, 2);
  assert.match(String(err.stderr), /REDIS_URL: invalid Redis URL/);
});
