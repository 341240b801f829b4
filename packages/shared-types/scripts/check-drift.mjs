// The drift check of scripts/test: (1) src/openapi.ts must be exactly what the generator makes of
// the OpenAPI document now; (2) the package must typecheck, which includes src/checks.ts, where
// every Zod schema must agree with its generated OpenAPI type. Exits non-zero on either failure.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";

import { documentPath, generate, generatedFile, packageDir, repoRoot } from "./openapi.mjs";

const doc = documentPath();
const tmp = mkdtempSync(join(tmpdir(), "shared-types-drift-"));
let fresh;
try {
  const out = join(tmp, "openapi.ts");
  generate(doc, out);
  fresh = readFileSync(out, "utf8");
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const committed = readFileSync(generatedFile, "utf8");
if (fresh !== committed) {
  const a = committed.split("\n");
  const b = fresh.split("\n");
  let line = 0;
  while (line < a.length && line < b.length && a[line] === b[line]) line++;
  console.error(
    `packages/shared-types/src/openapi.ts is out of date with ${relative(repoRoot, doc)}; ` +
      "run npm -w packages/shared-types run generate",
  );
  console.error(`  first difference at line ${line + 1}:`);
  console.error(`  committed: ${a[line] ?? "<end of file>"}`);
  console.error(`  generated: ${b[line] ?? "<end of file>"}`);
  process.exit(1);
}
console.log(`shared-types: src/openapi.ts matches ${relative(repoRoot, doc)}`);

const require = createRequire(import.meta.url);
const tsc = resolve(dirname(require.resolve("typescript/package.json")), "bin/tsc");
try {
  execFileSync(process.execPath, [tsc, "--noEmit", "-p", packageDir], { stdio: "inherit" });
} catch {
  console.error(
    "shared-types: typecheck failed (src/checks.ts fails when a Zod schema and its OpenAPI type disagree: " +
      "mirror the OpenAPI change in the Zod schemas)",
  );
  process.exit(1);
}
console.log("shared-types: typecheck passed (Zod schemas agree with the OpenAPI types)");
