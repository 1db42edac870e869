// Vitest for the package in Node: the README's config as written ("Node: SSR, tests, scripts").
// The `node` environment; nothing else: the package is loaded from node_modules by Node
// itself, so `init()` reads its wasm file. (tests/e2e/runners.test.mjs runs `vitest run vitest/`.)
import { defineConfig } from "vitest/config";
export default defineConfig({ test: { environment: "node" } });
