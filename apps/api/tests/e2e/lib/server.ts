// Starts the real `ptool serve` on a free port and stops it again.
// The binary comes from $PTOOL_BIN (scripts/test sets build/release/ptool); its database and
// Redis from DATABASE_URL / REDIS_URL; every server of this process shares TEST_JWT_SECRET so
// that tokens from lib/tenant.ts are accepted.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** One random secret per test process, shared by the servers and `ptool token`. */
export const TEST_JWT_SECRET = randomBytes(32).toString("hex");

export interface StartOptions {
  /** Extra arguments after `serve --port 0 --host 127.0.0.1`, e.g. ["--test-clock"]. */
  args?: string[];
  /** Extra environment (wins over the defaults). */
  env?: Record<string, string | undefined>;
  /** How long to wait for the "listening on" line. */
  timeoutMs?: number;
}

export interface ServerHandle {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  port: number;
  proc: ChildProcess;
  /** Everything the server printed so far (stdout and stderr interleaved). */
  output(): string;
  /** Sends the signal (if still running) and resolves with the exit code (null if killed). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolves with the exit code once the process has exited. */
  exited(): Promise<number | null>;
}

const LISTENING = /listening on [0-9.]+:(\d+)/;
const live = new Set<ChildProcess>();

function killLeftovers(): void {
  for (const p of live) {
    try {
      p.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  live.clear();
}
process.on("exit", killLeftovers);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(sig, () => {
    killLeftovers();
    process.exit(128 + (sig === "SIGINT" ? 2 : sig === "SIGTERM" ? 15 : 1));
  });
}

/** $PTOOL_BIN, else the repo's build/release/ptool. */
export function ptoolBin(): string {
  const bin = process.env.PTOOL_BIN || fileURLToPath(new URL("../../../../../build/release/ptool", import.meta.url));
  if (!existsSync(bin)) throw new Error(`no ptool binary at ${bin} (set PTOOL_BIN, or run scripts/test)`);
  return bin;
}

/** The environment for ptool sub-commands and servers: the caller's, plus the test secret. */
export function ptoolEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, JWT_SECRET: TEST_JWT_SECRET, ...extra };
  delete env.PORT; // --port 0 decides
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return env;
}

export async function startServer(opts: StartOptions = {}): Promise<ServerHandle> {
  const args = ["serve", "--port", "0", "--host", "127.0.0.1", ...(opts.args ?? [])];
  const proc = spawn(ptoolBin(), args, {
    env: ptoolEnv(opts.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(proc);
  let out = "";
  const verbose = process.env.PTOOL_E2E_VERBOSE === "1";
  let hasExited = false;
  const exitedP = new Promise<number | null>((resolve) => {
    proc.once("exit", (code) => {
      hasExited = true;
      live.delete(proc);
      resolve(code);
    });
  });

  const port = await new Promise<number>((resolve, reject) => {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`ptool serve did not announce "listening on" within ${timeoutMs} ms; output:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      out += text;
      if (verbose) process.stderr.write(text);
      const m = LISTENING.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    proc.stdout!.on("data", onData);
    proc.stderr!.on("data", onData);
    proc.once("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${ptoolBin()}: ${err.message}`));
    });
    proc.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`ptool serve exited (code ${code}, signal ${signal}) before listening; output:\n${out}`));
    });
  });

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    proc,
    output: () => out,
    exited: () => exitedP,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (!hasExited) {
        proc.kill(signal);
        const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
        try {
          return await exitedP;
        } finally {
          clearTimeout(timer);
        }
      }
      return exitedP;
    },
  };
}
