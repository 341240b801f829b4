// Per-file harness of the browser suites: one real `ptool serve --test-clock --web-root dist`,
// one tenant (lib/fixture.ts), one headless Debian chromium with a fresh context per user, and a
// test wrapper that saves a screenshot of every open page when a test fails.
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test, type TestContext } from "node:test";

import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

import { startServer, type ServerHandle } from "../../../api/tests/e2e/lib/server.ts";
import { makeFixture, type Fixture, type Role } from "./fixture.ts";
import { TZ } from "./time.ts";
import { waitLive } from "./board.ts";

const here = dirname(fileURLToPath(import.meta.url));
/** apps/web */
export const WEB_DIR = resolve(here, "../..");
export const RESULTS_DIR = join(WEB_DIR, "test-results");

export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 390, height: 844 } as const;

/** The built app: $PTOOL_WEB_DIST, else apps/web/dist. */
export function webDist(): string {
  const dist = process.env.PTOOL_WEB_DIST || join(WEB_DIR, "dist");
  if (!existsSync(join(dist, "index.html"))) {
    throw new Error(`no ${join(dist, "index.html")}: build the web app first: npm -w apps/web run build`);
  }
  return dist;
}

export interface Harness {
  server: ServerHandle;
  /** Base URL of the server, e.g. http://127.0.0.1:41234 */
  url: string;
  f: Fixture;
  browser: Browser;
  /** Open pages, for failure screenshots. */
  pages: Set<Page>;
  /** What each page logged (console, page errors, failed requests), for failure reports. */
  logs: Map<Page, string[]>;
}

export interface HarnessOptions {
  /** Extra `ptool serve` arguments. */
  serverArgs?: string[];
}

/**
 * Registers before/after hooks for the calling test file; the returned object is filled in by
 * `before` and so may only be used inside tests.
 */
export function useHarness(tag: string, opts: HarnessOptions = {}): Harness {
  const h = { pages: new Set<Page>(), logs: new Map<Page, string[]>() } as Harness;
  before(async () => {
    const dist = webDist();
    const t0 = Date.now();
    h.server = await startServer({ args: ["--test-clock", "--web-root", dist, ...(opts.serverArgs ?? [])] });
    h.url = h.server.url;
    h.f = await makeFixture(h.url, tag);
    h.browser = await chromium.launch({
      executablePath: process.env.PTOOL_CHROMIUM ?? "/usr/bin/chromium",
      headless: true,
      args: ["--no-sandbox"],
    });
    if (process.env.PTOOL_E2E_VERBOSE === "1") process.stderr.write(`[${tag}] harness ready in ${Date.now() - t0} ms\n`);
  });
  after(async () => {
    await h.browser?.close().catch(() => undefined);
    await h.server?.stop();
  });
  return h;
}

export interface OpenOptions {
  viewport?: { width: number; height: number };
  /** Wait for the board and the `Live` indicator (default true). */
  waitForBoard?: boolean;
}

/** A fresh browser context (one user) with a page, not yet navigated. */
export async function newPage(h: Harness, viewport: { width: number; height: number } = DESKTOP): Promise<Page> {
  const context: BrowserContext = await h.browser.newContext({ viewport, timezoneId: TZ, locale: "en-GB" });
  // tsx (esbuild keepNames) wraps named functions in __name(...); functions passed to
  // page.evaluate carry that call into the page, which has no such helper.
  await context.addInitScript({ content: "globalThis.__name = globalThis.__name || ((f) => f);" });
  const page = await context.newPage();
  const log: string[] = [];
  h.pages.add(page);
  h.logs.set(page, log);
  page.on("console", (m) => log.push(`console.${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => log.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => log.push(`requestfailed: ${r.method()} ${r.url().replace(/#.*/, "")} ${r.failure()?.errorText}`));
  page.on("close", () => h.pages.delete(page));
  return page;
}

/** Signs in by the token link (`/#token=<jwt>`) in a fresh context; by default waits for the live board. */
export async function openAs(h: Harness, who: Role | { token: string }, opts: OpenOptions = {}): Promise<Page> {
  const page = await newPage(h, opts.viewport);
  const jwt = typeof who === "string" ? h.f.ctx.tokens[who] : who.token;
  await page.goto(`${h.url}/#token=${jwt}`);
  if (opts.waitForBoard ?? true) {
    await page.getByTestId("board").waitFor({ timeout: 15_000 });
    await waitLive(page);
  }
  return page;
}

/** Closes a page's whole context (the user leaves). */
export async function closePage(page: Page): Promise<void> {
  await page.context().close();
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 80);
}

export function resultPath(file: string): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  return join(RESULTS_DIR, file);
}

/**
 * A node:test test that, when it fails, saves `<test-name>-failure[-N].png` of every open page
 * under apps/web/test-results/ and prints what the pages logged.
 */
export function browserTest(h: Harness, name: string, fn: (t: TestContext) => Promise<void>, timeoutMs = 90_000): void {
  test(name, { timeout: timeoutMs }, async (t) => {
    // A failure screenshot from an earlier run must not outlive a pass.
    const stale = new RegExp(`^${slug(name)}-failure(-\\d+)?\\.png$`);
    if (existsSync(RESULTS_DIR)) for (const f of readdirSync(RESULTS_DIR)) if (stale.test(f)) rmSync(join(RESULTS_DIR, f));
    try {
      await fn(t);
    } catch (err) {
      let n = 0;
      for (const page of [...h.pages]) {
        const file = resultPath(`${slug(name)}-failure${n === 0 ? "" : `-${n}`}.png`);
        n++;
        await page.screenshot({ path: file, fullPage: true, timeout: 5_000 }).catch(() => undefined);
        const log = h.logs.get(page) ?? [];
        if (log.length > 0) t.diagnostic(`page ${n} (${file}) logged:\n${log.slice(-30).join("\n")}`);
      }
      // The server's side of the story (its JSON log lines; tokens are never logged).
      const out = h.server?.output() ?? "";
      if (out) t.diagnostic(`server log (last 40 lines):\n${out.trimEnd().split("\n").slice(-40).join("\n")}`);
      throw err;
    } finally {
      // Each test starts from fresh contexts; leftovers would skew the next test's screenshots.
      for (const page of [...h.pages]) await page.context().close().catch(() => undefined);
    }
  });
}
