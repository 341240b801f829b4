// The one place that knows how src/openapi.ts is made: which openapi-typescript (the installed
// one) with which options. `generate.mjs` and `check-drift.mjs` both call it, so they cannot differ.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
/** packages/shared-types */
export const packageDir = resolve(here, "..");
/** The repository root. */
export const repoRoot = resolve(packageDir, "../..");
/** The committed generated file. */
export const generatedFile = resolve(packageDir, "src/openapi.ts");

/**
 * The OpenAPI document: argv `--doc PATH`, else env OPENAPI_DOC, else apps/api/openapi.json
 * (the override exists so the drift check can be proven against a modified copy).
 */
export function documentPath(argv = process.argv.slice(2)) {
  const i = argv.indexOf("--doc");
  if (i >= 0 && argv[i + 1]) return resolve(argv[i + 1]);
  if (process.env.OPENAPI_DOC) return resolve(process.env.OPENAPI_DOC);
  return resolve(repoRoot, "apps/api/openapi.json");
}

/**
 * Options: `--default-non-nullable false` keeps request members that have a default
 * (BookingCreate.status, .priority, .overrideAvailability) optional, as the server treats them.
 */
export const OPTIONS = ["--default-non-nullable", "false"];

function cliPath() {
  const require = createRequire(import.meta.url);
  const pkgJson = require.resolve("openapi-typescript/package.json");
  const pkg = JSON.parse(readFileSync(pkgJson, "utf8"));
  const bin = typeof pkg.bin === "string" ? pkg.bin : pkg.bin["openapi-typescript"];
  return { cli: resolve(dirname(pkgJson), bin), version: pkg.version };
}

/** Runs openapi-typescript on `doc`, writing `out`; returns the generator's version. */
export function generate(doc, out) {
  const { cli, version } = cliPath();
  execFileSync(process.execPath, [cli, doc, "-o", out, ...OPTIONS], { stdio: ["ignore", "ignore", "inherit"] });
  return version;
}
