// The test-only conformance server (apps/api/tests/conformance/sio_conformance_server.cpp) end to
// end: the Engine.IO v4 echo at /engine.io/ by hand over HTTP long-polling and WebSocket
// (handshake, payload framing, errors, maxPayload as HTTP 413 and close code 1009, the polling →
// WebSocket upgrade), and Socket.IO v5 at /socket.io/ with the stock npm `socket.io-client`
// (auth payload, message echo with binary, acks, the custom and an unknown namespace).
// The binary comes from $PTOOL_CONFORMANCE_BIN, else build/debug/ptool_sio_conformance.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { after, afterEach, before, describe, test } from "node:test";

import { io, type ManagerOptions, type Socket, type SocketOptions } from "socket.io-client";

// --- the `ws` package (a dependency of socket.io-client, without type declarations) ----------

/** The part of a `ws` WebSocket these tests use. */
interface WsSocket {
  readonly readyState: number;
  send(data: string | Buffer): void;
  close(code?: number): void;
  terminate(): void;
  on(event: "open", cb: () => void): this;
  on(event: "message", cb: (data: Buffer, isBinary: boolean) => void): this;
  on(event: "close", cb: (code: number, reason: Buffer) => void): this;
  on(event: "error", cb: (err: Error) => void): this;
  on(event: "unexpected-response", cb: (req: unknown, res: IncomingMessage) => void): this;
}
type WsConstructor = new (url: string, options?: { maxPayload?: number }) => WsSocket;
const WebSocket = createRequire(import.meta.url)("ws") as WsConstructor;
const WS_OPEN = 1;

// --- the server ---------------------------------------------------------------------------------

const PING_INTERVAL = 300;
const PING_TIMEOUT = 200;
const MAX_PAYLOAD = 1_000_000;
const RS = "\x1e";

function conformanceBin(): string {
  const bin =
    process.env.PTOOL_CONFORMANCE_BIN ||
    fileURLToPath(new URL("../../../../build/debug/ptool_sio_conformance", import.meta.url));
  if (!existsSync(bin)) {
    throw new Error(`no conformance server at ${bin} (set PTOOL_CONFORMANCE_BIN, or run scripts/test)`);
  }
  return bin;
}

let proc: ChildProcess | undefined;
let output = "";
let port = 0;
let httpBase = "";
let wsBase = "";

before(async () => {
  const bin = conformanceBin();
  const child = spawn(bin, ["--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  proc = child;
  port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening on" line within 10 s; output:\n${output}`)), 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const m = /listening on [0-9.]+:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${bin}: ${err.message}`));
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${bin} exited (code ${code}, signal ${signal}) before listening; output:\n${output}`));
    });
  });
  httpBase = `http://127.0.0.1:${port}`;
  wsBase = `ws://127.0.0.1:${port}`;
});

after(async () => {
  const child = proc;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  const code = await exited;
  clearTimeout(timer);
  // ASan/UBSan findings of the debug build would show up here.
  assert.equal(code, 0, `the conformance server exited with ${code}; output:\n${output}`);
});

process.on("exit", () => {
  if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
});

// --- Engine.IO over HTTP long-polling -----------------------------------------------------------

function pollingUrl(sid?: string, query = "EIO=4&transport=polling"): string {
  return `${httpBase}/engine.io/?${query}${sid ? `&sid=${encodeURIComponent(sid)}` : ""}`;
}

interface Reply {
  status: number;
  body: string;
}

async function httpGet(url: string, signal?: AbortSignal): Promise<Reply> {
  const res = await fetch(url, { signal });
  return { status: res.status, body: await res.text() };
}

async function httpPost(url: string, body: string | Buffer): Promise<Reply> {
  const res = await fetch(url, { method: "POST", body, headers: { "content-type": "text/plain;charset=UTF-8" } });
  return { status: res.status, body: await res.text() };
}

/** Opens a polling session; returns the sid and the parsed handshake. */
async function openPolling(): Promise<{ sid: string; handshake: Record<string, unknown> }> {
  const res = await httpGet(pollingUrl());
  assert.equal(res.status, 200, `handshake: ${res.status} ${res.body}`);
  assert.equal(res.body[0], "0", `handshake body: ${res.body}`);
  const handshake = JSON.parse(res.body.slice(1)) as Record<string, unknown>;
  assert.equal(typeof handshake.sid, "string");
  return { sid: handshake.sid as string, handshake };
}

/**
 * GETs the session's next payload and returns its packets without pings, answering every ping
 * with a pong first; a payload of nothing but pings is followed by another GET.
 */
async function pollPackets(sid: string): Promise<string[]> {
  for (let i = 0; i < 10; i++) {
    const res = await httpGet(pollingUrl(sid));
    assert.equal(res.status, 200, `GET: ${res.status} ${res.body}`);
    const packets = res.body.split(RS);
    const pings = packets.filter((p) => p === "2").length;
    for (let n = 0; n < pings; n++) assert.equal((await httpPost(pollingUrl(sid), "3")).body, "ok");
    const rest = packets.filter((p) => p !== "2");
    if (rest.length > 0) return rest;
  }
  assert.fail("only pings arrived");
}

function assertHandshake(handshake: Record<string, unknown>, upgrades: string[]): void {
  assert.deepEqual(Object.keys(handshake).sort(), ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"]);
  assert.equal(typeof handshake.sid, "string");
  assert.ok((handshake.sid as string).length > 0);
  assert.deepEqual(handshake.upgrades, upgrades);
  assert.equal(handshake.pingInterval, PING_INTERVAL);
  assert.equal(handshake.pingTimeout, PING_TIMEOUT);
  assert.equal(handshake.maxPayload, MAX_PAYLOAD);
}

// --- Engine.IO over WebSocket -------------------------------------------------------------------

interface Frame {
  data: Buffer;
  binary: boolean;
}

/**
 * A raw WebSocket that buffers every frame (none is lost between two awaits) and answers the
 * server's pings ("2") with pongs ("3") without showing them to the test.
 */
class RawWs {
  readonly ws: WsSocket;
  private readonly frames: Frame[] = [];
  private readonly unsent: Array<string | Buffer> = [];
  private waiter: (() => void) | undefined;
  closed: { code: number; reason: string } | undefined;
  error: Error | undefined;
  httpStatus: number | undefined;

  constructor(url: string) {
    this.ws = new WebSocket(url, { maxPayload: 10 * MAX_PAYLOAD });
    this.ws.on("open", () => {
      for (const data of this.unsent.splice(0)) this.ws.send(data);
    });
    this.ws.on("message", (data, isBinary) => {
      if (!isBinary && data.length === 1 && data[0] === 0x32 /* "2" */) {
        if (this.ws.readyState === WS_OPEN) this.ws.send("3");
        return;
      }
      this.frames.push({ data, binary: isBinary });
      this.wake();
    });
    this.ws.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString("utf8") };
      this.wake();
    });
    this.ws.on("error", (err) => {
      this.error = err;
      this.wake();
    });
    this.ws.on("unexpected-response", (_req, res) => {
      this.httpStatus = res.statusCode;
      res.resume();
      this.closed = { code: -1, reason: `HTTP ${res.statusCode}` };
      this.ws.terminate();
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private async until<T>(what: string, check: () => T | undefined, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined) return value;
      const left = deadline - Date.now();
      if (left <= 0) assert.fail(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** The next frame (pings excluded); fails if the socket closes first. */
  next(timeoutMs = 2_000): Promise<Frame> {
    return this.until(
      "a frame",
      () => {
        const f = this.frames.shift();
        if (f) return f;
        if (this.closed) assert.fail(`closed (${this.closed.code} ${this.closed.reason}) while waiting for a frame`);
        if (this.error) assert.fail(`error while waiting for a frame: ${this.error.message}`);
        return undefined;
      },
      timeoutMs,
    );
  }

  /** The next frame, which must be text. */
  async nextText(timeoutMs = 2_000): Promise<string> {
    const f = await this.next(timeoutMs);
    assert.equal(f.binary, false, `expected a text frame, got binary ${f.data.toString("hex")}`);
    return f.data.toString("utf8");
  }

  /** The close code (or -1 for a refused upgrade) once the connection is closed. */
  closeCode(timeoutMs = 2_000): Promise<number> {
    return this.until("the close", () => this.closed?.code, timeoutMs);
  }

  /** Sends now, or once the connection is open (in order). */
  send(data: string | Buffer): void {
    if (this.ws.readyState === WS_OPEN) this.ws.send(data);
    else this.unsent.push(data);
  }

  dispose(): void {
    if (!this.closed) this.ws.terminate();
  }
}

const rawSockets = new Set<RawWs>();

function openWs(sid?: string): RawWs {
  const url = `${wsBase}/engine.io/?EIO=4&transport=websocket${sid ? `&sid=${encodeURIComponent(sid)}` : ""}`;
  const ws = new RawWs(url);
  rawSockets.add(ws);
  return ws;
}

function closeRawSockets(): void {
  for (const ws of rawSockets) ws.dispose();
  rawSockets.clear();
}

/** Opens a WebSocket session and checks its OPEN packet. */
async function openWsSession(): Promise<RawWs> {
  const ws = openWs();
  const open = await ws.nextText();
  assert.equal(open[0], "0", `open packet: ${open}`);
  assertHandshake(JSON.parse(open.slice(1)), []);
  return ws;
}

describe("Engine.IO at /engine.io/", { timeout: 10_000 }, () => {
  afterEach(() => closeRawSockets());

  test("polling handshake: exactly one OPEN packet with the configured settings", async () => {
    const res = await httpGet(pollingUrl());
    assert.equal(res.status, 200);
    assert.match(res.body, /^0\{/);
    assert.ok(!res.body.includes(RS), `nothing may follow the OPEN packet: ${res.body}`);
    assertHandshake(JSON.parse(res.body.slice(1)), ["websocket"]);
  });

  test("polling: text and binary packets are echoed in one payload", async () => {
    const { sid } = await openPolling();
    const payload = `4hello${RS}bAQIDBA==`;
    const post = await httpPost(pollingUrl(sid), payload);
    assert.deepEqual(post, { status: 200, body: "ok" });
    assert.deepEqual(await pollPackets(sid), ["4hello", "bAQIDBA=="]);
  });

  test("polling: a bad EIO version is 400", async () => {
    for (const query of ["EIO=3&transport=polling", "EIO=abc&transport=polling", "transport=polling"]) {
      const res = await httpGet(pollingUrl(undefined, query));
      assert.equal(res.status, 400, `${query}: ${res.status} ${res.body}`);
    }
  });

  test("polling: an unknown sid is 400", async () => {
    assert.equal((await httpGet(pollingUrl("no-such-session"))).status, 400);
    assert.equal((await httpPost(pollingUrl("no-such-session"), "4hello")).status, 400);
  });

  test("polling: a POST over maxPayload is 413 and the session lives on", async () => {
    const { sid } = await openPolling();
    const big = "4" + "x".repeat(MAX_PAYLOAD); // one byte over the limit
    const res = await httpPost(pollingUrl(sid), big);
    assert.equal(res.status, 413, `oversized POST: ${res.status} ${res.body.slice(0, 200)}`);
    assert.deepEqual(await httpPost(pollingUrl(sid), "4still here"), { status: 200, body: "ok" });
    assert.deepEqual(await pollPackets(sid), ["4still here"]);
  });

  test("websocket: OPEN packet without upgrades, text and binary echo", async () => {
    const ws = await openWsSession();
    ws.send("4hello");
    assert.equal(await ws.nextText(), "4hello");
    ws.send(Buffer.from([1, 2, 3, 4]));
    const frame = await ws.next();
    assert.equal(frame.binary, true, "binary stays binary");
    assert.deepEqual([...frame.data], [1, 2, 3, 4]);
    ws.dispose();
  });

  test("websocket: a frame over maxPayload closes with 1009", async () => {
    const ws = await openWsSession();
    ws.send("4" + "x".repeat(MAX_PAYLOAD));
    assert.equal(await ws.closeCode(), 1009);
  });

  test("upgrade from polling: a poll pending during the probe is answered NOOP", async () => {
    const { sid } = await openPolling();
    const pending = pollPackets(sid); // held by the server until there is something to send
    await new Promise((resolve) => setTimeout(resolve, 20));
    const ws = openWs(sid);
    ws.send("2probe");
    assert.equal(await ws.nextText(), "3probe");
    assert.deepEqual(await pending, ["6"]);
    ws.send("5");
    ws.send(Buffer.from([9, 8, 7]));
    const frame = await ws.next();
    assert.equal(frame.binary, true);
    assert.deepEqual([...frame.data], [9, 8, 7]);
    assert.equal((await httpGet(pollingUrl(sid))).status, 400);
  });

  test("upgrade from polling: probe, NOOP to the next poll, then echo over WebSocket only", async () => {
    const { sid } = await openPolling();
    const ws = openWs(sid);
    ws.send("2probe");
    assert.equal(await ws.nextText(), "3probe");
    // The poll is answered at once with a NOOP so that the client can pause polling.
    const started = Date.now();
    const poll = await httpGet(pollingUrl(sid));
    assert.deepEqual(poll, { status: 200, body: "6" });
    assert.ok(Date.now() - started < PING_INTERVAL, `the NOOP took ${Date.now() - started} ms`);
    ws.send("5");
    ws.send("4hello");
    assert.equal(await ws.nextText(), "4hello");
    const stale = await httpGet(pollingUrl(sid));
    assert.equal(stale.status, 400, `polling after the upgrade: ${stale.status} ${stale.body}`);
    // The upgraded session survives the stale request.
    ws.send("4again");
    assert.equal(await ws.nextText(), "4again");
    ws.dispose();
  });
});

// --- Socket.IO with socket.io-client ------------------------------------------------------------

type ClientOptions = Partial<ManagerOptions & SocketOptions>;

const clients = new Set<Socket>();

function client(nsp: string, opts: ClientOptions = {}): Socket {
  const socket = io(`${httpBase}${nsp}`, { forceNew: true, reconnection: false, timeout: 3_000, ...opts });
  clients.add(socket);
  return socket;
}

function closeClients(): void {
  for (const s of clients) s.close();
  clients.clear();
}

/** Resolves with the arguments of the first `event` on `socket`; rejects on timeout. */
function nextEvent(socket: Socket, event: string, timeoutMs = 3_000): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, handler);
      reject(new Error(`no "${event}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const handler = (...args: any[]) => {
      clearTimeout(timer);
      socket.off(event, handler);
      resolve(args);
    };
    socket.on(event, handler);
  });
}

/** Connects (listening for `auth` from the start) and resolves with the auth event's arguments. */
async function connected(socket: Socket, timeoutMs = 3_000): Promise<any[]> {
  const auth = nextEvent(socket, "auth", timeoutMs);
  auth.catch(() => {}); // awaited below, once connected
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("connect_error", onError);
      if (err) reject(err);
      else resolve();
    };
    const onConnect = () => done();
    const onError = (err: Error) => done(new Error(`connect_error: ${err.message}`));
    const timer = setTimeout(() => done(new Error(`not connected within ${timeoutMs} ms`)), timeoutMs);
    socket.on("connect", onConnect);
    socket.on("connect_error", onError);
  });
  return auth;
}

/** The bytes of binary data as socket.io-client hands it over (Buffer in Node). */
function bytes(value: unknown): number[] {
  assert.ok(
    Buffer.isBuffer(value) || value instanceof ArrayBuffer || ArrayBuffer.isView(value),
    `expected binary, got ${JSON.stringify(value)}`,
  );
  if (value instanceof ArrayBuffer) return [...new Uint8Array(value)];
  const view = value as ArrayBufferView;
  return [...new Uint8Array(view.buffer, view.byteOffset, view.byteLength)];
}

const TRANSPORTS: Array<[string, ClientOptions]> = [
  ["default options (polling, then upgrade)", {}],
  ["transports ['websocket']", { transports: ["websocket"] }],
];

describe("Socket.IO at /socket.io/ with socket.io-client", { timeout: 10_000 }, () => {
  afterEach(() => closeClients());

  for (const [name, opts] of TRANSPORTS) {
    describe(name, () => {
      test("connect: `auth` with {} without a payload, the payload otherwise", async () => {
        const plain = client("/", opts);
        assert.deepEqual(await connected(plain), [{}]);
        const withAuth = client("/", { ...opts, auth: { token: "123" } });
        assert.deepEqual(await connected(withAuth), [{ token: "123" }]);
      });

      test("`message` comes back as `message-back` with the same arguments, binary as binary", async () => {
        const socket = client("/", opts);
        await connected(socket);
        const back = nextEvent(socket, "message-back");
        socket.emit("message", 1, "2", { 3: [true] }, Buffer.from([1, 2, 3]));
        const args = await back;
        assert.equal(args.length, 4, JSON.stringify(args));
        assert.deepEqual(args.slice(0, 3), [1, "2", { 3: [true] }]);
        assert.deepEqual(bytes(args[3]), [1, 2, 3]);
      });

      test("`message-with-ack` is acknowledged with the same arguments", async () => {
        const socket = client("/", opts);
        await connected(socket);
        const all = await new Promise<any[]>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error("no ack within 3 s")), 3_000);
          socket.emit("message-with-ack", 1, "2", { 3: [false] }, (...args: any[]) => {
            clearTimeout(timer);
            resolve(args);
          });
        });
        assert.deepEqual(all, [1, "2", { 3: [false] }]);
        // emitWithAck resolves with the first argument of the ack.
        assert.equal(await socket.timeout(3_000).emitWithAck("message-with-ack", 1, "2", { 3: [false] }), 1);
      });

      test("the /custom namespace emits `auth` on connect", async () => {
        const socket = client("/custom", { ...opts, auth: { token: "abc" } });
        assert.deepEqual(await connected(socket), [{ token: "abc" }]);
        const plain = client("/custom", opts);
        assert.deepEqual(await connected(plain), [{}]);
      });

      test("an unknown namespace is a connect_error `Invalid namespace`", async () => {
        const socket = client("/nope", opts);
        const [err] = await nextEvent(socket, "connect_error");
        assert.equal((err as Error).message, "Invalid namespace");
        assert.equal(socket.connected, false);
      });
    });
  }
});
