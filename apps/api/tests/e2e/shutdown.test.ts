// Graceful shutdown (SPEC §9): on SIGTERM the server stops accepting, finishes the requests in
// flight, closes idle connections and exits 0.
import assert from "node:assert/strict";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { after, test } from "node:test";

import { startServer, type ServerHandle } from "./lib/server.ts";
import { createTenant, token } from "./lib/tenant.ts";

const servers: ServerHandle[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.stop("SIGKILL")));
});

/** A raw HTTP/1.1 connection that collects what the server sends. */
class RawConnection {
  readonly socket: net.Socket;
  received = "";
  closed = false;
  private waiters: Array<() => void> = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => {
      this.received += d;
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {
      /* "close" follows */
    });
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => resolve(new RawConnection(s)));
      s.once("error", reject);
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves once a whole response (Content-Length framed) has arrived after `from`. */
  async response(from = 0, timeoutMs = 10_000): Promise<{ status: number; headers: string; body: string; end: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.received.slice(from);
      const head = text.indexOf("\r\n\r\n");
      if (head >= 0) {
        const headers = text.slice(0, head);
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1] ?? 0);
        const len = /\r\ncontent-length:\s*(\d+)/i.exec(headers);
        if (len) {
          const n = Number(len[1]);
          // Content-Length counts bytes; our bodies are ASCII JSON.
          if (text.length >= head + 4 + n) {
            return { status, headers, body: text.slice(head + 4, head + 4 + n), end: from + head + 4 + n };
          }
        } else if (this.closed) {
          return { status, headers, body: text.slice(head + 4), end: this.received.length };
        }
      }
      if (this.closed) throw new Error(`connection closed before a complete response; got: ${JSON.stringify(text)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no complete response within ${timeoutMs} ms; got: ${JSON.stringify(text)}`);
      await Promise.race([new Promise<void>((r) => this.waiters.push(r)), sleep(left, undefined, { ref: false })]);
    }
  }

  async closedWithin(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) {
      await Promise.race([
        new Promise<void>((r) => this.waiters.push(r)),
        sleep(Math.max(0, deadline - Date.now()), undefined, { ref: false }),
      ]);
    }
    return this.closed;
  }
}

function connectRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", (err: NodeJS.ErrnoException) => resolve(err.code === "ECONNREFUSED"));
  });
}

async function exitCodeWithin(server: ServerHandle, ms: number): Promise<number | null> {
  const exited = await Promise.race([
    server.exited().then((code) => ({ code })),
    sleep(ms, undefined, { ref: false }).then(() => undefined),
  ]);
  if (!exited) {
    throw new Error(`the server did not exit within ${ms} ms after SIGTERM; output:\n${server.output().slice(-2000)}`);
  }
  return exited.code;
}

test("SIGTERM finishes a request in flight, then exits 0 and refuses new connections", { timeout: 60_000 }, async () => {
  const server = await startServer();
  servers.push(server);
  const tenant = await createTenant("shutdown e2e");
  const admin = await token({ tenant, user: "admin@e2e", role: "admin" });

  const conn = await RawConnection.open(server.port);
  // One full request first, so the connection is surely accepted and being served.
  conn.socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`);
  const first = await conn.response();
  assert.equal(first.status, 200, first.headers);

  const body = JSON.stringify({ holdTtlMinutes: 50 });
  const split = body.indexOf(":") + 1; // '{"holdTtlMinutes":' now, '50}' later
  conn.socket.write(
    `PATCH /api/v1/tenant HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
      `Authorization: Bearer ${admin}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, split)}`,
  );
  await sleep(100); // let the server read the headers and wait for the body
  server.proc.kill("SIGTERM");
  await sleep(300);
  assert.equal(conn.closed, false, "the server closed a connection with a request in flight");
  conn.socket.write(body.slice(split));

  const res = await conn.response(first.end);
  assert.equal(res.status, 200, `${res.headers}\r\n\r\n${res.body}`);
  assert.equal(JSON.parse(res.body).holdTtlMinutes, 50);

  assert.equal(await exitCodeWithin(server, 15_000), 0, "exit code after SIGTERM");
  assert.ok(await connectRefused(server.port), "a new connection after shutdown was not refused");
});

test("SIGTERM closes idle keep-alive connections and exits 0 promptly", { timeout: 60_000 }, async () => {
  const server = await startServer();
  servers.push(server);
  const conn = await RawConnection.open(server.port);
  conn.socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`);
  assert.equal((await conn.response()).status, 200);

  const started = Date.now();
  server.proc.kill("SIGTERM");
  assert.equal(await exitCodeWithin(server, 10_000), 0, "exit code after SIGTERM");
  assert.ok(await conn.closedWithin(2_000), "the idle connection was not closed");
  assert.ok(Date.now() - started < 10_000);
});
