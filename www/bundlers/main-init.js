// Recipe "init()": Vite, webpack 5 and no bundler find the wasm themselves.
import init, { SteadySocket } from "steadysocket";
import { run } from "./app.js";

run(() => init(), SteadySocket, document.documentElement.dataset.app);
