// `import wasmUrl from "steadysocket/steadysocket_bg.wasm"` (and steadysocket/stomp/stomp_bg.wasm):
// what a bundler configured to emit the file gives, its URL (esbuild `--loader:.wasm=file`,
// Rollup `@rollup/plugin-url`, webpack `type: "asset/resource"`). Pass it to init:
// `await init({ module_or_path: wasmUrl })`.
declare const wasmUrl: string;
export default wasmUrl;
