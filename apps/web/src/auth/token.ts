// Pure token helpers: read the `#token=` fragment and decode the JWT claims the UI shows (no verification:
// the server verifies; the page only needs sub, role and exp).

export const ROLES = ["admin", "manager", "booker", "artist", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export interface TokenClaims {
  sub: string;
  role: Role;
  tid: string;
  /** Seconds since the epoch. */
  exp: number;
}

/** The token from a location hash like `#token=<jwt>` (other fragment parameters are ignored). */
export function tokenFromFragment(hash: string): string | null {
  const raw = hash.startsWith("#") ? hash.slice(1) : hash;
  if (!raw) return null;
  const value = new URLSearchParams(raw).get("token");
  const token = value?.trim();
  return token ? token : null;
}

function base64UrlDecode(part: string): string {
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
  const padded = b64 + "=".repeat((4 - (b64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** Claims of a well-formed JWT, or null when it is not one the app can use. */
export function decodeToken(token: string): TokenClaims | null {
  const parts = token.split(".");
  if (parts.length !== 3 || !parts[1]) return null;
  let payload: unknown;
  try {
    payload = JSON.parse(base64UrlDecode(parts[1]));
  } catch {
    return null;
  }
  if (typeof payload !== "object" || payload === null) return null;
  const p = payload as Record<string, unknown>;
  if (typeof p.sub !== "string" || p.sub === "" || !isRole(p.role)) return null;
  if (typeof p.tid !== "string" || typeof p.exp !== "number") return null;
  return { sub: p.sub, role: p.role, tid: p.tid, exp: p.exp };
}

/** True when the token's `exp` has passed (with the server's 30 s leeway). */
export function isExpired(claims: TokenClaims, nowMs: number): boolean {
  return claims.exp * 1000 + 30_000 <= nowMs;
}
