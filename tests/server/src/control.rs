//! `/control/*` fault-injection endpoints. Each answers only once its fault is in effect.
//!
//! They apply to HTTP-transport sessions on `/ws` (`http`) as to WebSocket connections: each
//! session is a registered connection with the same control channel and outbound queue.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, Method};
use axum::response::Response;
use serde_json::{json, Value};
use tokio::sync::oneshot;

use crate::ws::{close, event, text, Ctl, Frame};
use crate::{
    json, sendable_close_code, tag_matches, BadParam, Kind, Query, Shared, MAX_REASON_BYTES,
};
use axum::extract::ws::Message;

const MAX_MS: u64 = 600_000;

/// Dispatches `/control/{name}`.
pub(crate) async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    Path(name): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    if method == Method::OPTIONS {
        return Response::builder()
            .status(204)
            .header(header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS")
            .header(header::ACCESS_CONTROL_ALLOW_HEADERS, "*")
            .header(header::ACCESS_CONTROL_MAX_AGE, "600")
            .body(Default::default())
            .unwrap_or_default();
    }
    if method != Method::GET && method != Method::POST {
        return json(405, json!({ "error": "use GET or POST" }));
    }
    let q = Query::parse(q.as_deref());
    let result = match name.as_str() {
        "drop" | "refuse" | "block-ws" | "halfopen" | "stall" | "close" | "garbage" | "delay"
        | "reset" | "stats" | "log" | "log/clear" => run(&shared, &name, &q).await,
        "session" | "push" => match q.tag() {
            Ok(tag) => crate::session::control_route(&shared, &name, &q, tag.as_deref())
                .map(|v| json(200, v)),
            Err(bad) => Err(bad),
        },
        _ => return json(404, json!({ "error": format!("unknown control: {name}") })),
    };
    result.unwrap_or_else(|bad| bad.response())
}

async fn run(shared: &Shared, name: &str, q: &Query) -> Result<Response, BadParam> {
    let tag = q.tag()?;
    let tag = tag.as_deref();
    let body = match name {
        "drop" => json!({ "dropped": drop_conns(shared, tag).await }),
        "refuse" => {
            let ms = q.required_int("ms", 0, MAX_MS)?;
            let also_drop = q.int("drop", 0, 1)? == Some(1);
            shared.lock().refuse.set(tag, ms);
            let mut body = json!({ "refusingForMs": ms });
            if also_drop {
                body["dropped"] = drop_conns(shared, tag).await.into();
            }
            body
        }
        "block-ws" => {
            // A proxy that blocks WebSockets: upgrades on `/ws` get 403, HTTP transports work.
            let ms = q.required_int("ms", 0, MAX_MS)?;
            shared.lock().block_ws.set(tag, ms);
            json!({ "blockingWsForMs": ms })
        }
        "halfopen" => {
            let ms = q.required_int("ms", 1, MAX_MS)?;
            let acks: Vec<_> = {
                let mut inner = shared.lock();
                let mut acks = Vec::new();
                for entry in inner.conns.values_mut() {
                    if !entry.frozen && tag_matches(tag, entry.tag.as_deref()) {
                        entry.frozen = true;
                        let (ack, done) = oneshot::channel();
                        let _ = entry.ctl.send(Ctl::HalfOpen(Duration::from_millis(ms), ack));
                        acks.push(done);
                    }
                }
                acks
            };
            json!({ "halfOpen": count_acks(acks).await })
        }
        "stall" => {
            // Stop reading for `ms` (then read again): a slow consumer.
            let ms = q.required_int("ms", 1, MAX_MS)?;
            let acks: Vec<_> = {
                let inner = shared.lock();
                let mut acks = Vec::new();
                for entry in inner.conns.values() {
                    if !entry.frozen && tag_matches(tag, entry.tag.as_deref()) {
                        let (ack, done) = oneshot::channel();
                        let _ = entry.ctl.send(Ctl::Stall(Duration::from_millis(ms), ack));
                        acks.push(done);
                    }
                }
                acks
            };
            json!({ "stalled": count_acks(acks).await })
        }
        "close" => {
            let code = match q.get("code").map(str::parse::<u64>) {
                Some(Ok(code)) if sendable_close_code(code) => code as u16,
                _ => {
                    return Err(crate::bad_param(
                        "code",
                        "must be an integer in 1000-1003, 1007-1014 or 3000-4999",
                    ))
                }
            };
            let reason = q.get("reason").unwrap_or("");
            if reason.len() > MAX_REASON_BYTES {
                return Err(crate::bad_param("reason", "must be at most 123 UTF-8 bytes"));
            }
            let acks = send_all(shared, tag, true, || vec![close(code, reason)]);
            json!({ "closed": count_acks(acks).await })
        }
        "garbage" => {
            let acks = send_all(shared, tag, false, garbage);
            json!({ "sent": count_acks(acks).await })
        }
        "delay" => {
            let ms = q.required_int("ms", 0, MAX_MS)?;
            let mut inner = shared.lock();
            let delay = Duration::from_millis(ms);
            match tag {
                None => {
                    inner.delay_tag.clear();
                    inner.delay_all = delay;
                }
                Some(t) => drop(inner.delay_tag.insert(t.to_owned(), delay)),
            }
            json!({ "delayMs": ms })
        }
        "reset" => {
            let mut inner = shared.lock();
            inner.refuse.clear(tag);
            inner.block_ws.clear(tag);
            match tag {
                None => {
                    inner.delay_all = Duration::ZERO;
                    inner.delay_tag.clear();
                }
                Some(t) => drop(inner.delay_tag.remove(t)),
            }
            json!({ "ok": true })
        }
        "stats" => {
            let list = q.int("list", 0, 1)? == Some(1);
            let inner = shared.lock();
            let mut open: Vec<_> = inner
                .conns
                .iter()
                .filter(|(_, e)| tag_matches(tag, e.tag.as_deref()))
                .map(|(id, e)| (*id, e))
                .collect();
            let mut body = json!({
                "connections": open.len(),
                "accepted": shared.accepted.load(Ordering::Relaxed),
                "refused": shared.refused.load(Ordering::Relaxed),
            });
            if list {
                // `list=1`: each open connection (oldest first) with its transport.
                open.sort_by_key(|(id, _)| *id);
                let conns: Vec<Value> = open
                    .iter()
                    .map(|(id, e)| {
                        let kind = if e.kind == Kind::Raw { "raw" } else { "protocol" };
                        json!({ "conn": id, "tag": e.tag, "kind": kind,
                                "transport": e.transport.as_str() })
                    })
                    .collect();
                body["conns"] = conns.into();
            }
            body
        }
        "log" => {
            let ty = q.get("type");
            let inner = shared.lock();
            let events: Vec<&Value> = inner
                .log
                .iter()
                .filter(|e| tag_matches(tag, e["tag"].as_str()))
                .filter(|e| ty.is_none() || e["type"].as_str() == ty)
                .collect();
            json!({ "events": events })
        }
        "log/clear" => {
            let mut inner = shared.lock();
            inner.log.retain(|e| !tag_matches(tag, e["tag"].as_str()));
            json!({ "ok": true })
        }
        _ => return Ok(json(404, json!({ "error": format!("unknown control: {name}") }))),
    };
    Ok(json(200, body))
}

/// The malformed-frame sequence of `/control/garbage`, ending with a `garbage-done` event.
fn garbage() -> Vec<Frame> {
    let mut frames: Vec<Frame> = [
        "not json {",
        "[1,2,3]",
        r#"{"foo":1}"#,
        r#"{"type":42}"#,
        r#"{"replyTo":"x","data":1}"#,
        r#"{"replyTo":999999999,"data":null}"#,
    ]
    .into_iter()
    .map(text)
    .collect();
    frames.push(Frame::Msg(Message::Binary(vec![0u8, 255, 1, 254].into())));
    frames.push(event("garbage-done", Value::Null));
    frames
}

/// Queues `frames()` on every matching, non-frozen connection (`raw_too`: include `/ws/raw`).
/// Returns one receiver per connection that fires once its last frame was written.
fn send_all(
    shared: &Shared,
    tag: Option<&str>,
    raw_too: bool,
    frames: impl Fn() -> Vec<Frame>,
) -> Vec<oneshot::Receiver<()>> {
    let inner = shared.lock();
    let mut acks = Vec::new();
    for entry in inner.conns.values() {
        if entry.frozen
            || !tag_matches(tag, entry.tag.as_deref())
            || (!raw_too && entry.kind == Kind::Raw)
        {
            continue;
        }
        let (ack, done) = oneshot::channel();
        let mut frames = frames();
        let last = frames.pop();
        for frame in frames {
            entry.outbox.push(&inner, frame, None);
        }
        if let Some(last) = last {
            entry.outbox.push(&inner, last, Some(ack));
        }
        acks.push(done);
    }
    acks
}

/// Drops every matching connection and waits until their sockets are closed.
async fn drop_conns(shared: &Shared, tag: Option<&str>) -> usize {
    let acks: Vec<_> = {
        let inner = shared.lock();
        let mut acks = Vec::new();
        for entry in inner.conns.values().filter(|e| tag_matches(tag, e.tag.as_deref())) {
            let (ack, done) = oneshot::channel();
            let _ = entry.ctl.send(Ctl::Drop(ack));
            acks.push(done);
        }
        acks
    };
    count_acks(acks).await
}

/// Waits for every ack; counts those that fired (a dropped sender means the connection ended
/// on its own first).
async fn count_acks(acks: Vec<oneshot::Receiver<()>>) -> usize {
    let mut n = 0;
    for ack in acks {
        if ack.await.is_ok() {
            n += 1;
        }
    }
    n
}
