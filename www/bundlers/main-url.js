// Recipe "wasm URL": esbuild (--loader:.wasm=file) and Rollup (@rollup/plugin-url) emit the
// file for this import and give its URL.
import init, { SteadySocket } from "steadysocket";
import wasmUrl from "steadysocket/steadysocket_bg.wasm";
import { run } from "./app.js";

run(() => init({ module_or_path: wasmUrl }), SteadySocket, document.documentElement.dataset.app);
