// Scalar formats of the wire (SPEC §3.5, §10): instants as the server writes them, UUIDs, integers.
// Every schema of this package builds on these, so a format change is made in one place.
import { z } from "zod";

/** Instants out: `YYYY-MM-DDTHH:MM:SSZ`, fractional seconds only when non-zero (SPEC §10). */
export const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d*[1-9])?Z$/;

/** Ids as the server writes them: lower-case 8-4-4-4-12 hex (not only RFC 9562 versions: demo ids are not v4). */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An instant in the server's output form that is also a real date (no 2040-02-30). */
export const Instant = z
  .string()
  .regex(INSTANT_RE, "not an instant in the form YYYY-MM-DDTHH:MM:SS[.fff]Z")
  .refine((s) => !Number.isNaN(Date.parse(s)), "not a real date");
export type Instant = z.infer<typeof Instant>;

export const Uuid = z.string().regex(UUID_RE, "not a lower-case UUID");
export type Uuid = z.infer<typeof Uuid>;

/** A JSON number that is a safe integer (seq, version, priority, settings). */
export const Int = z.int();
