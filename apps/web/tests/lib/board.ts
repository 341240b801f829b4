// What the suites see of the board, by the UI contract (data-testid, roles, accessible names):
// polling waits, the booking panel, and dragSelect, which drags on @event-calendar/core's time grid.
import assert from "node:assert/strict";

import type { Locator, Page, Response } from "playwright-core";

import { minutes } from "./time.ts";

export const STATUSES = ["hold", "pencil", "confirmed", "expired", "released", "cancelled"] as const;
export type Status = (typeof STATUSES)[number];
export const ACTION_NAMES = ["Pencil", "Confirm", "Release", "Cancel booking", "Challenge", "Extend hold"] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

const POLL_MS = 100;
const VERBOSE = process.env.PTOOL_E2E_VERBOSE === "1";

/**
 * Retries `check` (which throws while the condition does not hold) until it passes; fails with
 * its last error after `timeoutMs`. This is how the suites wait for behaviour, never by sleeping.
 */
export async function eventually<T>(what: string, check: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const start = Date.now();
  const deadline = start + timeoutMs;
  for (;;) {
    try {
      const v = await check();
      if (VERBOSE) process.stderr.write(`[eventually] ${what}: ${Date.now() - start} ms\n`);
      return v;
    } catch (err) {
      if (Date.now() > deadline) {
        const msg = err instanceof Error ? err.message : String(err);
        throw new Error(`${what}: not within ${timeoutMs} ms; last: ${msg}`);
      }
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Waits until the locator's visible text matches. */
export async function textMatches(loc: Locator, re: RegExp, timeoutMs = 10_000): Promise<string> {
  return eventually(
    `text ${re}`,
    async () => {
      const text = (await loc.innerText({ timeout: 1_000 })).trim();
      assert.match(text, re);
      return text;
    },
    timeoutMs,
  );
}

export function connection(page: Page): Locator {
  return page.getByTestId("connection");
}

/** The connection indicator says `Live` (text and data-state). */
export async function waitLive(page: Page, timeoutMs = 15_000): Promise<void> {
  await waitConnection(page, "live", "Live", timeoutMs);
}

export async function waitConnection(page: Page, state: string, text: string, timeoutMs = 15_000): Promise<void> {
  const loc = connection(page);
  await eventually(
    `connection indicator ${text}`,
    async () => {
      assert.equal(await loc.getAttribute("data-state", { timeout: 1_000 }), state);
      assert.equal((await loc.innerText({ timeout: 1_000 })).trim(), text);
    },
    timeoutMs,
  );
}

/** A booking's element(s) on the calendar; with `status`, only while it has that status. */
export function bookingEl(page: Page, id: string, status?: Status): Locator {
  const sel = `[data-booking-id="${id}"]` + (status ? `[data-status="${status}"]` : "");
  return page.getByTestId("board").locator(sel);
}

/** Waits until the booking is on the board with this status. */
export async function waitBooking(page: Page, id: string, status: Status, timeoutMs = 10_000): Promise<Locator> {
  const loc = bookingEl(page, id, status).first();
  await loc.waitFor({ state: "attached", timeout: timeoutMs });
  return loc;
}

/** Waits until the booking has left the board. */
export async function waitGone(page: Page, id: string, timeoutMs = 10_000): Promise<void> {
  await eventually(`booking ${id} gone from the board`, async () => assert.equal(await bookingEl(page, id).count(), 0), timeoutMs);
}

export function panel(page: Page): Locator {
  return page.getByTestId("booking-panel");
}

/** Waits until the panel shows this status word. */
export async function panelStatus(page: Page, status: Status, timeoutMs = 10_000): Promise<void> {
  await panel(page).waitFor({ timeout: timeoutMs });
  await textMatches(panel(page).getByTestId("booking-status"), new RegExp(`^${status}$`, "i"), timeoutMs);
}

export async function panelVersion(page: Page, version: number, timeoutMs = 10_000): Promise<void> {
  await textMatches(panel(page).getByTestId("booking-version"), new RegExp(`^Version ${version}$`), timeoutMs);
}

export function actionButton(page: Page, name: ActionName): Locator {
  return panel(page).getByRole("button", { name, exact: true });
}

/** The action buttons the panel shows now, in ACTION_NAMES order. */
export async function visibleActions(page: Page): Promise<ActionName[]> {
  const out: ActionName[] = [];
  for (const name of ACTION_NAMES) if (await actionButton(page, name).isVisible()) out.push(name);
  return out;
}

/** Waits until the panel offers exactly these actions. */
export async function waitActions(page: Page, expected: ActionName[], timeoutMs = 10_000): Promise<void> {
  const want = ACTION_NAMES.filter((n) => expected.includes(n));
  await eventually(`panel actions ${JSON.stringify(want)}`, async () => assert.deepEqual(await visibleActions(page), want), timeoutMs);
}

/** Opens a booking's panel by clicking it on the board. */
export async function openBooking(page: Page, id: string, status?: Status): Promise<void> {
  const el = await waitBooking(page, id, status ?? (await bookingStatus(page, id)));
  // Live updates re-render the calendar's events, so an element may be replaced mid-click.
  await eventually(`open booking ${id}`, async () => {
    await el.click({ timeout: 2_000 });
    await panel(page).waitFor({ timeout: 2_000 });
  });
}

async function bookingStatus(page: Page, id: string): Promise<Status> {
  const loc = bookingEl(page, id).first();
  await loc.waitFor({ state: "attached", timeout: 10_000 });
  return (await loc.getAttribute("data-status")) as Status;
}

/** What identifies the shown week: the first date the calendar prints, else the board's text. */
function weekSignature(page: Page): Promise<string> {
  return page.evaluate(() => {
    const board = document.querySelector('[data-testid="board"]');
    return board?.querySelector(".ec time[datetime]")?.getAttribute("datetime") ?? (board as HTMLElement | null)?.innerText ?? "";
  });
}

export async function nextWeek(page: Page): Promise<void> {
  const before = await weekSignature(page);
  await page.getByRole("button", { name: "Next week" }).first().click();
  // The calendar re-renders the week; wait for that before using its geometry.
  await eventually("the calendar shows the next week", async () => assert.notEqual(await weekSignature(page), before));
}

/** Is this response the POST that creates a booking? */
export function isCreate(r: Response): boolean {
  return r.request().method() === "POST" && new URL(r.url()).pathname === "/api/v1/bookings";
}

/** Is this response the POST of a transition (`pencil`, `confirm`, ...) of booking `id`? */
export function isAction(id: string, action: string): (r: Response) => boolean {
  return (r) => r.request().method() === "POST" && new URL(r.url()).pathname === `/api/v1/bookings/${id}/${action}`;
}

export interface Selected {
  /** Local date of the column, "YYYY-MM-DD". */
  date: string;
  /** The artist named in the column's header. */
  artist: string;
}

/** Geometry of the time grid as the page lays it out now (see @event-calendar/core's Day.svelte). */
interface Grid {
  date: string;
  artist: string;
  x: number;
  yFrom: number;
  yTo: number;
}

/**
 * Drags with the mouse in the resource time grid from `from` to `to` (local "HH:MM", 30-minute
 * slots) in the column of the `artistIndex`-th artist on the `dayIndex`-th day of the shown week,
 * scrolling the grid so the range is visible. The pointer goes down in the slot starting at `from`
 * and is released in the slot ending at `to`.
 */
export async function dragSelect(page: Page, artistIndex: number, dayIndex: number, from: string, to: string): Promise<Selected> {
  const fromMin = minutes(from);
  const toMin = minutes(to);
  assert.ok(toMin - fromMin >= 60, "dragSelect needs at least two slots (one slot is a click, not a drag)");
  const g: Grid = await page.evaluate(
    ({ artistIndex, dayIndex, fromMin, toMin }) => {
      const SLOT = 30;
      const root = document.querySelector('[data-testid="board"] .ec');
      if (!root) throw new Error("no .ec calendar inside [data-testid=board]");
      const dayHeads = [...root.querySelectorAll(".ec-header .ec-col-group time[datetime]")];
      const colHeads = [...root.querySelectorAll(".ec-header .ec-col-head")] as HTMLElement[];
      const days = [...root.querySelectorAll(".ec-body .ec-day")] as HTMLElement[];
      if (dayHeads.length === 0 || days.length === 0) throw new Error("not a resource time grid with dates above resources");
      const perDay = days.length / dayHeads.length;
      if (artistIndex >= perDay || dayIndex >= dayHeads.length) throw new Error(`no column for artist ${artistIndex} on day ${dayIndex}`);
      const index = dayIndex * perDay + artistIndex;
      const day = days[index];
      const main = root.querySelector(".ec-main") as HTMLElement;
      const slotPx = parseFloat(getComputedStyle(main).getPropertyValue("--ec-slot-height"));
      const firstLabel = root.querySelector(".ec-body .ec-sidebar .ec-slot time")?.getAttribute("datetime") ?? "";
      const m = /T(\d{2}):(\d{2})/.exec(firstLabel);
      if (!m || !(slotPx > 0)) throw new Error(`cannot read the time axis (first label ${firstLabel}, slot height ${slotPx})`);
      const minMin = Number(m[1]) * 60 + Number(m[2]);
      const y = (min: number): number => {
        const r = day.getBoundingClientRect();
        return r.top + ((min - minMin) / SLOT) * slotPx * (r.height / day.offsetHeight);
      };
      // Down a quarter into the first slot, up a quarter into the last one.
      const downMin = fromMin + SLOT / 4;
      const upMin = toMin - SLOT + SLOT / 4;
      // Scroll whatever scrolls (the calendar body or the page) so the range is in view.
      let scroller: HTMLElement | null = day.parentElement;
      while (scroller && !(/(auto|scroll)/.test(getComputedStyle(scroller).overflowY) && scroller.scrollHeight > scroller.clientHeight)) {
        scroller = scroller.parentElement;
      }
      const headerBottom = (root.querySelector(".ec-header") as HTMLElement).getBoundingClientRect().bottom;
      if (scroller) {
        const top = Math.max(scroller.getBoundingClientRect().top, headerBottom);
        scroller.scrollTop += y(downMin) - top - 40;
      }
      if (y(downMin) < 0 || y(upMin) > window.innerHeight) window.scrollBy(0, y(downMin) - window.innerHeight / 3);
      const yFrom = y(downMin);
      const yTo = y(upMin);
      const visibleTop = Math.max(scroller ? scroller.getBoundingClientRect().top : 0, headerBottom, 0);
      const visibleBottom = Math.min(scroller ? scroller.getBoundingClientRect().bottom : window.innerHeight, window.innerHeight);
      if (yFrom < visibleTop || yTo > visibleBottom) throw new Error(`range not visible after scrolling (${yFrom}..${yTo} in ${visibleTop}..${visibleBottom})`);
      // Press where the day itself gets the pointer: events leave a gap at the column's end.
      const r = day.getBoundingClientRect();
      let x = -1;
      for (let cx = r.right - 2; cx > r.left + 1; cx -= 3) {
        const hit = document.elementFromPoint(cx, yFrom);
        if (hit && (hit === day || day.contains(hit))) {
          x = cx;
          break;
        }
      }
      if (x < 0) throw new Error("no free spot to press in that column (covered by events?)");
      const date = dayHeads[dayIndex].getAttribute("datetime") ?? "";
      return { date: date.slice(0, 10), artist: (colHeads[index]?.textContent ?? "").replace(/\s+/g, " ").trim(), x, yFrom, yTo };
    },
    { artistIndex, dayIndex, fromMin, toMin },
  );
  await page.mouse.move(g.x, g.yFrom);
  await page.mouse.down();
  await page.mouse.move(g.x, g.yFrom + 6, { steps: 3 });
  await page.mouse.move(g.x, g.yTo, { steps: 8 });
  await page.mouse.up();
  return { date: g.date, artist: g.artist };
}

/** dragSelect that waits for the booking POST it causes; resolves with the response too. */
export async function dragCreate(
  page: Page,
  artistIndex: number,
  dayIndex: number,
  from: string,
  to: string,
): Promise<Selected & { status: number; body: unknown }> {
  const [res, sel] = await Promise.all([
    page.waitForResponse(isCreate, { timeout: 10_000 }),
    dragSelect(page, artistIndex, dayIndex, from, to),
  ]);
  return { ...sel, status: res.status(), body: (await res.json()) as unknown };
}
