// Builds one tiny app per bundler recipe (README "Setup by environment") from the freshly built
// package, as a user would get it: pkg/ is packed with `npm pack` and the tarball unpacked into
// www/bundlers/node_modules/steadysocket, so `import … from "steadysocket/…"` resolves through
// the package's `exports` (not an alias). Output: www/bundlers/dist/<app>/ (index.html + bundle +
// any emitted wasm), loaded and driven by tests/e2e/bundlers.test.mjs from the reference server
// (at /bundlers/dist/<app>/). Any bundler warning or error fails the build.
//
// Apps (main-*.js is the recipe; app.js the shared app):
//   webpack         main-init.js    webpack 5, no configuration for the wasm
//   esbuild         main-url.js     --loader:.wasm=file
//   esbuild-inline  main-inline.js  steadysocket/inline, no configuration
//   esbuild-plain   main-init.js    no recipe: the wasm is not emitted (the test expects the 404)
//   rollup          main-url.js     @rollup/plugin-node-resolve + @rollup/plugin-url
//   rollup-inline   main-inline.js  @rollup/plugin-node-resolve only
//   react           react/          Vite + React 19 (steadysocket/react), built with `vite build`
//   react18         react/          the same app against React 18: react/'s files are copied into
//                                   react18/app/ and the package into react18/node_modules/, so
//                                   `react` resolves to react18/'s own install (React 18.3, npm ci
//                                   --prefix www/bundlers/react18 by scripts/bootstrap.sh), not
//                                   the root's React 19 (npm refuses both in one tree)
// (No bundler: www/bundlers/esm/index.html, an import map, nothing to build. Vite without React:
// www/vite/, the "vite" step of scripts/test.sh.)
//
// Usage: node www/bundlers/build.mjs [app…]   (default: every app)
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const dist = path.join(here, "dist");
const rel = (p) => path.relative(root, p);

// ---- the package, from its tarball -----------------------------------------------------------
function unpack() {
  const out = path.join(root, "build/pack");
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const [info] = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", out, path.join(root, "pkg")], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    }),
  );
  const modules = path.join(here, "node_modules");
  rmSync(modules, { recursive: true, force: true });
  mkdirSync(modules, { recursive: true });
  execFileSync("tar", ["-xzf", path.join(out, info.filename), "-C", modules]);
  renameSync(path.join(modules, "package"), path.join(modules, "steadysocket"));
  console.log(`[bundlers] ${info.filename} (${info.entryCount} files) unpacked into ${rel(modules)}/steadysocket`);
}

function page(app, script) {
  const html = readFileSync(path.join(here, "index.html"), "utf8")
    .replaceAll("APP", app)
    .replace('<script type="module" src="./BUNDLE"></script>', script);
  writeFileSync(path.join(dist, app, "index.html"), html);
}

// ---- one builder per bundler ---------------------------------------------------------------
const fail = (app, what) => {
  throw new Error(`[bundlers] ${app}: ${what}`);
};

async function webpackApp(app, entry) {
  const { default: webpack } = await import("webpack");
  const out = path.join(dist, app);
  const stats = await new Promise((resolve, reject) =>
    webpack({
      mode: "production",
      context: here,
      entry: path.join(here, entry),
      output: { path: out, filename: "main.js", clean: true },
    }).run((err, stats) => (err ? reject(err) : resolve(stats))),
  );
  const info = stats.toJson({ all: false, errors: true, warnings: true });
  if (stats.hasErrors() || stats.hasWarnings()) {
    fail(app, JSON.stringify([...info.errors, ...info.warnings].map((e) => e.message), null, 2));
  }
  page(app, '<script defer src="./main.js"></script>');
}

async function esbuildApp(app, entry, { wasmFile }) {
  const esbuild = await import("esbuild");
  const out = path.join(dist, app);
  rmSync(out, { recursive: true, force: true });
  const result = await esbuild.build({
    entryPoints: { main: path.join(here, entry) },
    bundle: true,
    format: "esm",
    minify: true,
    outdir: out,
    logLevel: "silent",
    ...(wasmFile ? { loader: { ".wasm": "file" } } : {}),
  });
  if (result.errors.length || result.warnings.length) {
    fail(app, JSON.stringify([...result.errors, ...result.warnings].map((m) => m.text)));
  }
  page(app, '<script type="module" src="./main.js"></script>');
}

async function rollupApp(app, entry, { wasmFile }) {
  const { rollup } = await import("rollup");
  const { default: resolve } = await import("@rollup/plugin-node-resolve");
  const { default: url } = await import("@rollup/plugin-url");
  const out = path.join(dist, app);
  rmSync(out, { recursive: true, force: true });
  const warnings = [];
  const bundle = await rollup({
    input: path.join(here, entry),
    plugins: [resolve(), ...(wasmFile ? [url({ include: ["**/*.wasm"], limit: 0, fileName: "[name]-[hash][extname]" })] : [])],
    onwarn: (w) => warnings.push(w.message),
  });
  await bundle.write({ dir: out, format: "es", entryFileNames: "main.js" });
  await bundle.close();
  if (warnings.length) fail(app, JSON.stringify(warnings));
  page(app, '<script type="module" src="./main.js"></script>');
}

async function viteApp(app, dir) {
  const { build } = await import("vite");
  const warnings = [];
  await build({
    root: path.join(here, dir),
    base: "./",
    configFile: false,
    logLevel: "warn",
    customLogger: {
      info() {},
      warn: (m) => warnings.push(m),
      warnOnce: (m) => warnings.push(m),
      error: (m) => warnings.push(m),
      clearScreen() {},
      hasErrorLogged: () => false,
      hasWarned: false,
    },
    // A development build: React's StrictMode double effects run only there.
    mode: "development",
    define: { "process.env.NODE_ENV": JSON.stringify("development") },
    build: { outDir: path.join(dist, app), emptyOutDir: true, target: "es2022", minify: false },
  });
  if (warnings.length) fail(app, JSON.stringify(warnings));
}

// The React app against React 18: www/bundlers/react18/ is its own npm project (package.json +
// lockfile: react and react-dom 18.3.1); the app's sources and the unpacked package are copied
// in so that Node resolution finds React 18 from both (no alias).
async function react18App(app) {
  const proj = path.join(here, "react18");
  if (!existsSync(path.join(proj, "node_modules/react/package.json"))) {
    fail(app, "www/bundlers/react18/node_modules missing: run scripts/bootstrap.sh (npm ci --prefix www/bundlers/react18)");
  }
  const src = path.join(proj, "app");
  rmSync(src, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  for (const f of ["index.html", "main.js"]) cpSync(path.join(here, "react", f), path.join(src, f));
  const installed = path.join(proj, "node_modules/steadysocket");
  rmSync(installed, { recursive: true, force: true });
  cpSync(path.join(here, "node_modules/steadysocket"), installed, { recursive: true });
  await viteApp(app, "react18/app");
}

const apps = {
  webpack: () => webpackApp("webpack", "main-init.js"),
  esbuild: () => esbuildApp("esbuild", "main-url.js", { wasmFile: true }),
  "esbuild-inline": () => esbuildApp("esbuild-inline", "main-inline.js", { wasmFile: false }),
  // The counter-example (tests/e2e/bundlers.test.mjs expects its 404): esbuild without the recipe.
  "esbuild-plain": () => esbuildApp("esbuild-plain", "main-init.js", { wasmFile: false }),
  rollup: () => rollupApp("rollup", "main-url.js", { wasmFile: true }),
  "rollup-inline": () => rollupApp("rollup-inline", "main-inline.js", { wasmFile: false }),
  react: () => viteApp("react", "react"),
  react18: () => react18App("react18"),
};

// ---- main ------------------------------------------------------------------------------------
const wanted = process.argv.slice(2);
for (const a of wanted) if (!apps[a]) fail(a, `no such app (apps: ${Object.keys(apps).join(", ")})`);
if (!existsSync(path.join(root, "pkg/package.json"))) fail("pkg", "pkg/ is not built: run scripts/build-pkg.sh");
const t0 = performance.now();
unpack();
mkdirSync(dist, { recursive: true });
const gz = (f) => gzipSync(readFileSync(f), { level: 9 }).length;
for (const [app, buildIt] of Object.entries(apps)) {
  if (wanted.length && !wanted.includes(app)) continue;
  const t = performance.now();
  mkdirSync(path.join(dist, app), { recursive: true });
  await buildIt();
  const files = readdirSync(path.join(dist, app), { recursive: true })
    .map(String)
    .filter((f) => /\.(js|wasm)$/.test(f));
  if (!files.some((f) => f.endsWith(".js"))) fail(app, "no JavaScript emitted");
  const detail = files.map((f) => `${f} ${gz(path.join(dist, app, f))} B`).join(", ");
  const total = files.reduce((n, f) => n + gz(path.join(dist, app, f)), 0);
  console.log(`[bundlers] ${app}: ${Math.round(performance.now() - t)} ms; gzip -9: ${detail} = ${total} B`);
}
console.log(`[bundlers] done in ${Math.round(performance.now() - t0)} ms`);
