// Regenerates src/openapi.ts from the OpenAPI document (default apps/api/openapi.json; see openapi.mjs).
import { relative } from "node:path";

import { documentPath, generate, generatedFile, repoRoot } from "./openapi.mjs";

const doc = documentPath();
const version = generate(doc, generatedFile);
console.log(`openapi-typescript ${version}: ${relative(repoRoot, doc)} -> ${relative(repoRoot, generatedFile)}`);
