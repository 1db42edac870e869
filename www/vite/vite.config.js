// Bundler check: the package in ../../pkg/ (built by scripts/build-pkg.sh) imported by its
// npm name through an alias, built with `vite build`. base "./" makes dist/ relocatable, so
// the reference server can serve it at /vite/dist/.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  logLevel: "warn",
  resolve: {
    alias: { steadysocket: fileURLToPath(new URL("../../pkg/steadysocket.js", import.meta.url)) },
  },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
});
