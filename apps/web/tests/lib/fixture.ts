// The data the browser suites work on, made through the real API with the e2e library: a tenant
// with a token per role (plus a second booker), named artists (one with availability, so the board
// shades its unavailable time), and bookings placed at local times of the page's zone.
import assert from "node:assert/strict";

import { z } from "zod";

import { createArtist, type Artist } from "../../../api/tests/e2e/lib/api.ts";
import { putAvailability } from "../../../api/tests/e2e/lib/availability.ts";
import { api, book, get, newCtx, type Ctx } from "../../../api/tests/e2e/lib/bookings.ts";
import { token, type Role } from "../../../api/tests/e2e/lib/tenant.ts";
import { addDays, iso, localDate, TZ, zoned } from "./time.ts";

export type { Ctx, Role };

/** The artists every suite gets, in the order the board shows them (by name). */
export const ARTIST_NAMES = ["Ada Drums", "Ben Bass", "Cleo Keys"] as const;
/** Cleo Keys works 08:00–20:00 (TZ) every day; the rest of her week is shaded. */
export const AVAILABLE_FROM = "08:00";
export const AVAILABLE_TO = "20:00";

export interface Fixture {
  ctx: Ctx;
  artists: Artist[];
  /** A second booker (a colleague), `booker2@<tag>`. */
  booker2: { token: string; sub: string };
}

export async function makeFixture(base: string, tag: string): Promise<Fixture> {
  const ctx = await newCtx(base, tag);
  const artists: Artist[] = [];
  for (const name of ARTIST_NAMES) artists.push(await createArtist(base, ctx.tokens.manager, { name, timezone: TZ }));
  const days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
  await putAvailability(base, ctx.tokens.admin, artists[2].id, {
    timezone: TZ,
    weekly: days.map((day) => ({ day, start: AVAILABLE_FROM, end: AVAILABLE_TO })),
    overrides: [],
  });
  const sub = `booker2@${tag}`;
  const booker2 = { sub, token: await token({ tenant: ctx.tenant, user: sub, role: "booker", ttl: "400d" }) };
  return { ctx, artists, booker2 };
}

/** A local date of the board's "next week": seven days from today in TZ lies in it whatever the first weekday. */
export function nextWeekDate(offsetDays = 0): string {
  return addDays(localDate(Date.now()), 7 + offsetDays);
}

/** The members of a booking (SPEC §10) the suites look at; responses are parsed with it. */
export const BookingSchema = z.object({
  id: z.string(),
  artistId: z.string(),
  startTime: z.string(),
  endTime: z.string(),
  status: z.enum(["hold", "pencil", "confirmed", "expired", "released", "cancelled"]),
  version: z.number().int(),
  expiresAt: z.string().nullable(),
  title: z.string().nullable(),
  createdBy: z.string(),
});
export type Booking = z.infer<typeof BookingSchema>;

/** A problem+json body (SPEC §4 errors). */
export const ProblemSchema = z.looseObject({ code: z.string(), status: z.number(), detail: z.string() });

/** POST /bookings at local `date` `from`–`to` (TZ); asserts 201. */
export async function bookAt(
  f: Fixture,
  artist: number,
  date: string,
  from: string,
  to: string,
  extra: { status?: "hold" | "pencil" | "confirmed"; title?: string; role?: Role } = {},
): Promise<Booking> {
  const { role, ...rest } = extra;
  return BookingSchema.parse(await book(
    f.ctx,
    { artistId: f.artists[artist].id, startTime: iso(zoned(date, from)), endTime: iso(zoned(date, to)), ...rest },
    role ?? (rest.status === "confirmed" ? "manager" : "booker"),
  ));
}

/** GET /bookings/{id} (viewer). */
export async function fetchBooking(f: Fixture, id: string): Promise<Booking> {
  return BookingSchema.parse(await get(f.ctx, id));
}

/** A transition through the API with If-Match of the booking's current version; asserts 200. */
export async function transition(
  f: Fixture,
  id: string,
  action: "pencil" | "confirm" | "release" | "cancel" | "extend",
  role: Role,
): Promise<Booking> {
  const current = await fetchBooking(f, id);
  const res = await api(f.ctx, "POST", `/bookings/${id}/${action}`, {
    role,
    headers: { "if-match": `"${current.version}"` },
  });
  assert.equal(res.status, 200, `POST /bookings/${id}/${action}: ${res.status} ${res.text}`);
  return BookingSchema.parse(res.json);
}

/** Every booking of an artist overlapping the local day `date` (TZ), any status. */
export async function bookingsOn(f: Fixture, artist: number, date: string): Promise<Booking[]> {
  const q = new URLSearchParams({
    artistId: f.artists[artist].id,
    from: iso(zoned(date, "00:00")),
    to: iso(zoned(addDays(date, 1), "00:00")),
    limit: "200",
  });
  const res = await api(f.ctx, "GET", `/bookings?${q}`, { role: "viewer" });
  assert.equal(res.status, 200, `GET /bookings?${q}: ${res.status} ${res.text}`);
  return z.array(BookingSchema).parse(res.json.data);
}

/** Moves the server's test clock forward (admin); resolves with the server's new now (ms). */
export async function advanceClock(f: Fixture, seconds: number): Promise<number> {
  const res = await api(f.ctx, "POST", "/test/clock", { role: "admin", body: { advanceSeconds: seconds } });
  assert.equal(res.status, 200, `POST /test/clock: ${res.status} ${res.text}`);
  return Date.parse(res.json.now);
}
