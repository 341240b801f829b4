// Fetch wrapper for /api/v1: bearer token, If-Match, problem+json → ApiError, responses parsed with Zod.
import type { z } from "zod";
import { ApiError, apiErrorFrom, networkError } from "./errors";
import {
  ArtistPageSchema,
  BookingPageSchema,
  BookingSchema,
  ScheduleSchema,
  type Artist,
  type Booking,
  type Schedule,
} from "./wire";

export type TransitionAction = "pencil" | "confirm" | "release" | "cancel" | "challenge" | "extend";

interface RequestOptions<T> {
  schema: z.ZodType<T>;
  body?: unknown;
  ifMatch?: number;
  query?: Record<string, string | number | undefined>;
}

export class ApiClient {
  constructor(
    private readonly token: string,
    private readonly onUnauthenticated: () => void,
    private readonly base = "/api/v1",
  ) {}

  async request<T>(method: string, path: string, opts: RequestOptions<T>): Promise<T> {
    const url = new URL(this.base + path, window.location.origin);
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.token}`,
      Accept: "application/json, application/problem+json",
    };
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    if (opts.ifMatch !== undefined) headers["If-Match"] = `"${opts.ifMatch}"`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      });
    } catch {
      throw networkError();
    }
    const text = await res.text();
    if (!res.ok) {
      const err = apiErrorFrom(res.status, text);
      if (err.status === 401) this.onUnauthenticated();
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ApiError(res.status, { code: "malformed_response", title: "The server sent an unreadable answer" });
    }
    const parsed = opts.schema.safeParse(json);
    if (!parsed.success) {
      throw new ApiError(res.status, { code: "malformed_response", title: "The server sent an unexpected answer" });
    }
    return parsed.data;
  }

  async listArtists(): Promise<Artist[]> {
    const all: Artist[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.request("GET", "/artists", { schema: ArtistPageSchema, query: { limit: 500, cursor } });
      all.push(...page.data);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return all;
  }

  /** Every booking overlapping [from, to), all statuses, following nextCursor. */
  async listBookings(from: string, to: string): Promise<Booking[]> {
    const all: Booking[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.request("GET", "/bookings", {
        schema: BookingPageSchema,
        query: { from, to, limit: 500, cursor },
      });
      all.push(...page.data);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return all;
  }

  getBooking(id: string): Promise<Booking> {
    return this.request("GET", `/bookings/${encodeURIComponent(id)}`, { schema: BookingSchema });
  }

  getSchedule(artistId: string, from: string, to: string): Promise<Schedule> {
    return this.request("GET", `/artists/${encodeURIComponent(artistId)}/schedule`, {
      schema: ScheduleSchema,
      query: { from, to },
    });
  }

  createHold(artistId: string, startTime: string, endTime: string): Promise<Booking> {
    return this.request("POST", "/bookings", { schema: BookingSchema, body: { artistId, startTime, endTime } });
  }

  transition(id: string, action: TransitionAction, version: number): Promise<Booking> {
    return this.request("POST", `/bookings/${encodeURIComponent(id)}/${action}`, {
      schema: BookingSchema,
      body: {},
      ifMatch: version,
    });
  }

  updateTitle(id: string, version: number, title: string | null): Promise<Booking> {
    return this.request("PATCH", `/bookings/${encodeURIComponent(id)}`, {
      schema: BookingSchema,
      body: { title },
      ifMatch: version,
    });
  }
}
