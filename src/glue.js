// Small JS helpers imported by the wasm (one snippet file for all of them).

/** `ws.send(d)` on an OPEN socket; false when not OPEN (browsers silently drop those) or send threw. */
export function trySend(ws, d) {
  if (ws.readyState !== 1) return false;
  try { ws.send(d); return true; } catch (e) { return false; }
}

/** UTF-8 byte length of a string, without copying it anywhere. */
export function utf8Len(s) {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) n += 1; // each surrogate half: 2 bytes (4 per pair)
    else if (c > 0x7ff) n += 2;
    else if (c > 0x7f) n += 1;
  }
  return n;
}

/** A short description of a thrown value: `Name: message` for an Error, a string as is. */
export const describe = (e) => (e instanceof Error ? `${e.name}: ${e.message}` : typeof e == "string" ? e : "unknown error");

/** `JSON.stringify(d)` for a request's data, run once before the engine step; `undefined` (or what stringifies to nothing) becomes `null`. When JSON.stringify (or a `toJSON`) throws, throws the facade's TypeError (as `send` does in src/facade.js). */
export function dataJson(d) {
  let s;
  try {
    s = JSON.stringify(d);
  } catch (e) {
    throw new TypeError("steadysocket: data is not JSON-serializable: " + describe(e));
  }
  return s === undefined ? "null" : s;
}

/** A request envelope from the type, the id and the already-stringified data: no user code runs here. */
export function requestEnvelope(type, id, data) {
  return '{"type":' + JSON.stringify(type) + ',"id":' + id + ',"data":' + data + "}";
}
