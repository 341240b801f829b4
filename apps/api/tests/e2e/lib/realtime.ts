// Socket.IO helpers for realtime.test.ts (SPEC §7, §10 "Real time"): connect with the stock npm
// `socket.io-client` (v4) and get a connected socket or the connect_error, a recorder of every
// event a socket receives (in arrival order) with event-driven waiting, acks with a timeout,
// the server's realtime metrics, and clean-up of every socket a test opened.
import assert from "node:assert/strict";

import { io, type ManagerOptions, type Socket, type SocketOptions } from "socket.io-client";

import { metric, metricsText } from "./availability.ts";
import { poll } from "./bookings.ts";

/** The handshake payload (SPEC §7), or socket.io-client's callback form of it. */
export type Auth = Record<string, unknown> | ((cb: (data: object) => void) => void);

export type ConnectOptions = Partial<ManagerOptions & SocketOptions> & {
  /** How long to wait for `connect` / `connect_error` (default 10 s). */
  timeoutMs?: number;
};

/** One event as a socket received it. */
export interface Received {
  event: string;
  args: any[];
  /** Date.now() on arrival. */
  at: number;
}

const open = new Set<Socket>();

/**
 * Records every event `socket` receives (socket.onAny: server emits only, not connect/disconnect)
 * in arrival order. Attach it before the socket connects so replayed events are not missed.
 */
export class Recorder {
  readonly all: Received[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(readonly socket: Socket) {
    socket.onAny((event: string, ...args: any[]) => {
      this.all.push({ event, args, at: Date.now() });
      for (const w of [...this.waiters]) w();
    });
    // Lifecycle changes wake waiters too (a predicate may look at socket.connected).
    const wake = () => {
      for (const w of [...this.waiters]) w();
    };
    socket.on("disconnect", wake);
    socket.on("connect", wake);
  }

  /** Payloads of the `booking.*` events, in arrival order. */
  bookingEvents(): any[] {
    return this.all.filter((r) => r.event.startsWith("booking.")).map((r) => r.args[0]);
  }

  /** Payloads (first argument) of the events named `event`, in arrival order. */
  named(event: string): any[] {
    return this.all.filter((r) => r.event === event).map((r) => r.args[0]);
  }

  /** The highest `seq` of a booking event received so far (undefined before the first). */
  lastSeq(): number | undefined {
    let max: number | undefined;
    for (const e of this.bookingEvents()) if (typeof e?.seq === "number" && (max === undefined || e.seq > max)) max = e.seq;
    return max;
  }

  /** Short text of what arrived, for assertion messages. */
  describe(): string {
    return JSON.stringify(
      this.all.map((r) => (r.event.startsWith("booking.") ? `${r.args[0]?.seq}:${r.event}` : `${r.event}`)),
    );
  }

  /**
   * Resolves with the first truthy value of `check()`, re-evaluated after every received event
   * (no polling); rejects after `timeoutMs` with `what` and what arrived so far.
   */
  waitFor<T>(what: string, check: (rec: Recorder) => T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const first = check(this);
      if (first) {
        resolve(first);
        return;
      }
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter = () => {
        let v: T | undefined | null | false;
        try {
          v = check(this);
        } catch (err) {
          done();
          reject(err);
          return;
        }
        if (v) {
          done();
          resolve(v);
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${this.describe()}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Waits for the booking event with this seq; resolves with its payload. */
  waitSeq(seq: number, timeoutMs = 10_000): Promise<any> {
    return this.waitFor(`booking event seq ${seq}`, (r) => r.bookingEvents().find((e) => e.seq === seq), timeoutMs);
  }

  /** Waits until at least `n` booking events arrived; resolves with all of them. */
  waitCount(n: number, timeoutMs = 10_000): Promise<any[]> {
    return this.waitFor(`${n} booking events`, (r) => {
      const b = r.bookingEvents();
      return b.length >= n ? b : undefined;
    }, timeoutMs);
  }
}

/** A socket (not connected yet; autoConnect off, no reconnection unless opts say so). */
export function makeSocket(url: string, auth: Auth | undefined, opts: ConnectOptions = {}): { socket: Socket; rec: Recorder } {
  const { timeoutMs: _t, ...rest } = opts;
  const socket = io(url, {
    autoConnect: false,
    reconnection: false,
    forceNew: true,
    ...(auth !== undefined ? { auth } : {}),
    ...rest,
  });
  open.add(socket);
  return { socket, rec: new Recorder(socket) };
}

/** Connects `socket` (made by makeSocket); resolves on `connect`, rejects with the connect_error. */
export function connectSocket(socket: Socket, timeoutMs = 10_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("connect_error", onError);
    };
    const onConnect = () => {
      cleanup();
      resolve();
    };
    const onError = (err: Error) => {
      cleanup();
      socket.close();
      reject(err);
    };
    const timer = setTimeout(() => {
      cleanup();
      socket.close();
      reject(new Error(`no connect / connect_error within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on("connect", onConnect);
    socket.on("connect_error", onError);
    socket.connect();
  });
}

/**
 * A connected socket with a recorder attached before connecting; throws the connect_error
 * (an Error whose `message` is the server's, e.g. "unauthenticated", and `data` its details).
 */
export async function connect(url: string, auth: Auth | undefined, opts: ConnectOptions = {}): Promise<{ socket: Socket; rec: Recorder }> {
  const made = makeSocket(url, auth, opts);
  await connectSocket(made.socket, opts.timeoutMs);
  return made;
}

/** Connects expecting a refusal; resolves with the connect_error and checks the socket stays down. */
export async function connectError(url: string, auth: Auth | undefined, opts: ConnectOptions = {}): Promise<Error & { data?: any }> {
  const { socket } = makeSocket(url, auth, opts);
  try {
    await connectSocket(socket, opts.timeoutMs);
  } catch (err) {
    assert.equal(socket.connected, false, "a refused socket is not connected");
    return err as Error & { data?: any };
  }
  socket.close();
  assert.fail(`connected with auth ${JSON.stringify(auth)}, expected a connect_error`);
}

/** emitWithAck with a timeout (default 5 s); resolves with the ack's first argument. */
export function ack(socket: Socket, event: string, ...args: unknown[]): Promise<any> {
  return socket.timeout(5_000).emitWithAck(event, ...args);
}

/** The name of the Engine.IO transport in use ("polling" or "websocket"). */
export function transportName(socket: Socket): string {
  return socket.io.engine.transport.name;
}

/** The raw TCP socket under a WebSocket transport (engine.io-client uses `ws` in Node). */
export function rawTcp(socket: Socket): import("node:net").Socket {
  const transport = socket.io.engine.transport as unknown as { name: string; ws?: { _socket?: import("node:net").Socket } };
  assert.equal(transport.name, "websocket", "rawTcp needs the websocket transport");
  const tcp = transport.ws?._socket;
  assert.ok(tcp, "no ws._socket under the websocket transport");
  return tcp;
}

/** Resolves when the socket is disconnected (at once if it is); rejects after timeoutMs. */
export function disconnected(socket: Socket, timeoutMs = 10_000): Promise<string> {
  if (!socket.connected) return Promise.resolve("already disconnected");
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still connected after ${timeoutMs} ms`)), timeoutMs);
    socket.once("disconnect", (reason: string) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

/** Closes every socket made by this module (call it after each test). */
export function closeSockets(): void {
  for (const s of open) {
    s.removeAllListeners();
    s.offAny();
    s.close();
    // forceNew gives each socket its own Manager; close its engine too.
    s.io.engine?.close();
  }
  open.clear();
}

/** Waits `ms` (only to prove that something does NOT arrive, after a later sentinel did). */
export function quiet(ms = 400): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// Server side ----------------------------------------------------------------------------------

export interface RealtimeMetrics {
  sessions: number;
  sockets: number;
  deliveredSeq: number;
  listening: number;
}

export async function realtimeMetrics(base: string): Promise<RealtimeMetrics> {
  const t = await metricsText(base);
  return {
    sessions: metric(t, "ptool_realtime_sessions"),
    sockets: metric(t, "ptool_realtime_sockets"),
    deliveredSeq: metric(t, "ptool_realtime_delivered_seq"),
    listening: metric(t, "ptool_realtime_listening"),
  };
}

/** Waits until the server's event pump is listening (so live events flow to new sockets). */
export async function realtimeReady(base: string, timeoutMs = 15_000): Promise<void> {
  await poll(`ptool_realtime_listening 1 on ${base}`, async () => (await realtimeMetrics(base)).listening === 1, timeoutMs);
}

/** Asserts booking events have strictly increasing seqs (so: no duplicate, in order). */
export function assertIncreasing(events: any[], what = "events"): void {
  for (let i = 1; i < events.length; i++) {
    assert.ok(
      events[i].seq > events[i - 1].seq,
      `${what}: seq ${events[i].seq} (${events[i].type}) after ${events[i - 1].seq}: ${JSON.stringify(events.map((e) => e.seq))}`,
    );
  }
}
