// The template of every npm entry point (scripts/build-pkg.sh fills in __NAME__, __CLASS__ and
// __FACADE__, then bundles and minifies it with wasm-bindgen's glue and the facade).
//
// It exports the facade's class, wasm-bindgen's `initSync`, and `init` (default): wasm-bindgen's,
// plus one case for Node (SSR, test runners, scripts): called without an argument where
// `process.getBuiltinModule` exists (Node >= 20.16 / 22.3) and this module is a `file:` URL, it
// reads __NAME___bg.wasm beside it with node:fs instead of `fetch`ing it (Node's fetch has no
// `file:`). Bundlers never see node:fs (no import of it), and a browser has no `process`, so
// browser builds are unchanged.
import wbgInit from "./__NAME__.js";
export { initSync } from "./__NAME__.js";
export { __CLASS__ } from "./__FACADE__";

export default async function init(module_or_path) {
  const p = globalThis.process;
  if (module_or_path === undefined && p?.getBuiltinModule) {
    // The same expression as wasm-bindgen's glue: a bundler that rewrites it emits one file.
    const file = new URL("__NAME___bg.wasm", import.meta.url);
    if (file.protocol == "file:") module_or_path = { module_or_path: p.getBuiltinModule("fs").readFileSync(file) };
  }
  return wbgInit(module_or_path);
}
