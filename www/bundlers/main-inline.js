// Recipe "inline": the wasm embedded in the JS; no bundler configuration at all.
import init, { SteadySocket } from "steadysocket/inline";
import { run } from "./app.js";

run(() => init(), SteadySocket, document.documentElement.dataset.app);
