// Tenants and tokens for the suites: through the real CLI (`ptool tenant create`, `ptool token`),
// plus signJwt to forge tokens the CLI would never make.
import { execFile } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { promisify } from "node:util";

import { ptoolBin, ptoolEnv, TEST_JWT_SECRET } from "./server.ts";

const run = promisify(execFile);

export type Role = "admin" | "manager" | "booker" | "artist" | "viewer";
export const ROLES: readonly Role[] = ["admin", "manager", "booker", "artist", "viewer"];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function lastLine(stdout: string): string {
  const lines = stdout.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
  return lines.at(-1) ?? "";
}

async function ptool(args: string[]): Promise<string> {
  try {
    const { stdout } = await run(ptoolBin(), args, { env: ptoolEnv(), timeout: 30_000 });
    return lastLine(stdout);
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`ptool ${args[0]} failed: ${e.message}\nstdout: ${e.stdout}\nstderr: ${e.stderr}`);
  }
}

/** Creates a tenant with `ptool tenant create --name NAME`; resolves with its UUID. */
export async function createTenant(name = `e2e ${randomUUID().slice(0, 8)}`): Promise<string> {
  const id = await ptool(["tenant", "create", "--name", name]);
  if (!UUID.test(id)) throw new Error(`ptool tenant create printed "${id}" as its last line, not a UUID`);
  return id;
}

export interface TokenOptions {
  tenant: string;
  user: string;
  role: Role | string;
  ttl?: string;
}

/** A JWT from `ptool token` (signed with TEST_JWT_SECRET, like the test servers expect). */
export async function token(o: TokenOptions): Promise<string> {
  const args = ["token", "--tenant", o.tenant, "--user", o.user, "--role", o.role];
  if (o.ttl) args.push("--ttl", o.ttl);
  const jwt = await ptool(args);
  if (jwt.split(".").length !== 3) throw new Error(`ptool token printed "${jwt}" as its last line, not a JWT`);
  return jwt;
}

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString("base64url");
}

/** HS256-signs any header and payload (tests forge bad tokens with it). */
export function signJwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret: string = TEST_JWT_SECRET,
): string {
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const sig = createHmac("sha256", secret).update(signingInput).digest("base64url");
  return `${signingInput}.${sig}`;
}

/** Seconds since the epoch, as JWT claims count them. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Claims of a valid token, to be spoiled one at a time. */
export function validClaims(tenant: string, role: Role | string = "admin", sub = "forger@e2e"): Record<string, unknown> {
  const now = nowSeconds();
  return { sub, tid: tenant, role, iat: now, exp: now + 3600 };
}
