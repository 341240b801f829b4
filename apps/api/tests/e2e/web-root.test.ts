// `ptool serve --web-root DIR`: the web app's files at "/" from memory, next to the API, with
// cache validators and security headers; a bad web root ends startup loudly.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { ptoolBin, ptoolEnv, startServer, type ServerHandle } from "./lib/server.ts";

const INDEX = '<!doctype html><html lang="en"><script type="module" src="/assets/index-abc123.js"></script></html>';
const SCRIPT = "document.title = 'board';";

/** GET with the path sent verbatim. */
function rawGet(port: number, path: string): Promise<{ status: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, contentType: res.headers["content-type"] ?? "", body }));
    });
    req.on("error", reject);
  });
}

let dir: string;
let server: ServerHandle;
let bare: ServerHandle;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "ptool-web-"));
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), INDEX);
  writeFileSync(join(dir, "assets", "index-abc123.js"), SCRIPT);
  writeFileSync(join(dir, "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
  writeFileSync(join(dir, ".secret"), "no");
  server = await startServer({ args: ["--web-root", dir] });
  bare = await startServer();
});

after(async () => {
  await server?.stop();
  await bare?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the web app at /", () => {
  test("GET / is index.html, revalidated, with a CSP that allows this origin only", async () => {
    const res = await fetch(`${server.url}/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(res.headers.get("cache-control"), "no-cache");
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("referrer-policy"), "no-referrer");
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /connect-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(await res.text(), INDEX);
    assert.equal((await fetch(`${server.url}/index.html`)).status, 200);
  });

  test("hashed assets are immutable; If-None-Match answers 304", async () => {
    const res = await fetch(`${server.url}/assets/index-abc123.js`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.equal(await res.text(), SCRIPT);
    const etag = res.headers.get("etag");
    assert.ok(etag && /^"[0-9a-f]+-[0-9a-f]+"$/.test(etag), `etag ${etag}`);

    const again = await fetch(`${server.url}/assets/index-abc123.js`, { headers: { "If-None-Match": etag } });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), "");
    const changed = await fetch(`${server.url}/assets/index-abc123.js`, { headers: { "If-None-Match": '"x"' } });
    assert.equal(changed.status, 200);
  });

  test("HEAD has the headers without a body; other methods are 405 with Allow", async () => {
    const head = await fetch(`${server.url}/favicon.svg`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-type"), "image/svg+xml");
    assert.equal(await head.text(), "");

    const post = await fetch(`${server.url}/`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET");
    assert.equal(((await post.json()) as { code: string }).code, "method_not_allowed");
  });

  test("unknown files, dot files and traversal are 404 problems; the API is unchanged", async () => {
    // node:http sends the path as written (fetch would normalise the dot segments away).
    for (const path of ["/nope.js", "/.secret", "/assets/../index.html", "/assets/%2e%2e/index.html", "/assets/", "/../../etc/passwd"]) {
      const res = await rawGet(server.port, path);
      assert.equal(res.status, 404, path);
      assert.equal(res.contentType, "application/problem+json", path);
      assert.equal(JSON.parse(res.body).code, "not_found", path);
    }
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${server.url}/api/v1/openapi.json`)).status, 200);
    assert.equal((await fetch(`${server.url}/api/v1/tenant`)).status, 401);
  });

  test("without --web-root, / is a 404 problem and the log says the web app is not served", async () => {
    const res = await fetch(`${bare.url}/`);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { code: string }).code, "not_found");
    assert.match(bare.output(), /web app not served/);
  });
});

describe("a bad web root", () => {
  for (const [name, make] of [
    ["a missing directory", () => join(dir, "missing")],
    ["a directory without index.html", () => join(dir, "assets")],
  ] as const) {
    test(`${name} ends startup with an error and a non-zero exit`, async () => {
      const proc = spawn(ptoolBin(), ["serve", "--port", "0", "--host", "127.0.0.1", "--web-root", make()], {
        env: ptoolEnv(),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      proc.stdout.on("data", (c: Buffer) => (out += c.toString()));
      proc.stderr.on("data", (c: Buffer) => (out += c.toString()));
      const code = await new Promise<number | null>((resolve) => proc.once("exit", resolve));
      assert.equal(code, 1, out);
      assert.match(out, /cannot serve the web app/);
      assert.doesNotMatch(out, /listening on/);
    });
  }
});
