//! Peers that do not speak wire protocol v1, for the client's `protocol` option (issue 11):
//!
//! - `/ws/silent`: completes the upgrade (selecting `v12.stomp`/`v11.stomp` if offered, so a
//!   STOMP client connects), reads and discards every frame, never sends one (a peer that
//!   never answers a heartbeat ping or a STOMP `CONNECT`);
//! - `/ws/events`: a custom JSON shape `{"event": string, "payload"?: any, "ref"?: integer}`:
//!   - `{"event":"ping"}` → `{"event":"pong"}`;
//!   - `{"event":"pingme"}` → `{"event":"ping"}` (the server pings the client), and a later
//!     `{"event":"pong"}` from the client → `{"event":"ponged"}` (so a test sees the answer);
//!   - with an integer `ref`, a request: `echo` → `{"reply": ref, "payload": payload}`, any
//!     other event → `{"reply": ref, "error": "unknown event: NAME"}`;
//!   - anything else (other events, non-JSON text, binary) is echoed verbatim.
//!
//! Neither route is registered with the controls (no tags, stats or fault injection).

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};

/// `GET /ws/silent`.
pub(crate) async fn silent(ws: WebSocketUpgrade) -> Response {
    ws.protocols(["v12.stomp", "v11.stomp"]).on_upgrade(|mut socket: WebSocket| async move {
        while let Some(Ok(msg)) = socket.recv().await {
            if let Message::Close(_) = msg {
                break; // tungstenite answers the close itself
            }
        }
    })
}

/// `GET /ws/events`.
pub(crate) async fn events(ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(|socket: WebSocket| async move {
        let (mut sink, mut stream) = socket.split();
        while let Some(Ok(msg)) = stream.next().await {
            let out = match msg {
                Message::Text(t) => match answer(t.as_str()) {
                    Some(a) => Message::Text(a.into()),
                    None => Message::Text(t),
                },
                Message::Binary(b) => Message::Binary(b),
                Message::Close(_) => break,
                Message::Ping(_) | Message::Pong(_) => continue,
            };
            if sink.send(out).await.is_err() {
                break;
            }
        }
    })
}

/// The `/ws/events` answer to a text frame (`None`: echo it verbatim).
fn answer(raw: &str) -> Option<String> {
    let Ok(Value::Object(m)) = serde_json::from_str::<Value>(raw) else { return None };
    let event = m.get("event")?.as_str()?;
    let payload = m.get("payload").cloned().unwrap_or(Value::Null);
    let reply = match (m.get("ref").filter(|r| r.is_u64() || r.is_i64()), event) {
        (Some(r), "echo") => json!({ "reply": r, "payload": payload }),
        (Some(r), other) => json!({ "reply": r, "error": format!("unknown event: {other}") }),
        (None, "ping") => json!({ "event": "pong" }),
        (None, "pingme") => json!({ "event": "ping" }),
        (None, "pong") => json!({ "event": "ponged" }),
        (None, _) => return None,
    };
    Some(reply.to_string())
}
