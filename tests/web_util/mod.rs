//! Helpers for browser tests: the reference server's address, its fault controls, and
//! waiting for events with a deadline (never a fixed sleep).
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::option_env_unwrap
)]

use futures_util::future::{select, Either};
use futures_util::StreamExt;
use gloo_timers::future::TimeoutFuture;
use steadysocket::client::{Events, SocketEvent};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn js_fetch(url: &str, init: &JsValue) -> js_sys::Promise;
}

/// `http://127.0.0.1:PORT` of the reference server (set by `make test` at compile time).
pub fn server() -> &'static str {
    option_env!("STEADYSOCKET_SERVER")
        .expect("STEADYSOCKET_SERVER must be set at compile time (run via make test)")
}

/// A unique tag so tests never disturb each other's connections.
pub fn tag(name: &str) -> String {
    format!("{name}-{}", (js_sys::Math::random() * 1e9) as u64)
}

/// The `/ws` URL for `tag`.
pub fn ws(tag: &str) -> String {
    format!("{}/ws?tag={tag}", server().replacen("http", "ws", 1))
}

/// Calls a control endpoint (`path` like `/control/drop?tag=x`); returns its JSON.
pub async fn control(path: &str) -> serde_json::Value {
    let init = js_sys::Object::new();
    js_sys::Reflect::set(&init, &"method".into(), &"POST".into()).unwrap();
    let resp =
        JsFuture::from(js_fetch(&format!("{}{path}", server()), &init)).await.expect("fetch");
    let status = js_sys::Reflect::get(&resp, &"status".into()).unwrap().as_f64().unwrap_or(0.0);
    let text_fn: js_sys::Function = js_sys::Reflect::get(&resp, &"text".into()).unwrap().into();
    let text = JsFuture::from(js_sys::Promise::from(text_fn.call0(&resp).unwrap())).await.unwrap();
    let text = text.as_string().unwrap_or_default();
    assert_eq!(status, 200.0, "control {path} answered {status}: {text}");
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

/// `performance.now()`.
pub fn now() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0)
}

/// The next event matching `pred`, or `None` after `ms`. Non-matching events are skipped.
pub async fn wait_for(
    events: &mut Events,
    ms: u32,
    mut pred: impl FnMut(&SocketEvent) -> bool,
) -> Option<SocketEvent> {
    let deadline = now() + f64::from(ms);
    loop {
        let left = (deadline - now()).max(0.0) as u32;
        let next = events.next();
        futures_util::pin_mut!(next);
        match select(next, TimeoutFuture::new(left)).await {
            Either::Left((Some(ev), _)) => {
                if pred(&ev) {
                    return Some(ev);
                }
            }
            Either::Left((None, _)) | Either::Right(_) => return None,
        }
    }
}

/// Waits for an `Open` event or fails the test.
pub async fn opened(events: &mut Events, ms: u32) -> SocketEvent {
    wait_for(events, ms, |e| matches!(e, SocketEvent::Open { .. }))
        .await
        .expect("no open event in time")
}

/// Awaits `fut` or fails after `ms`.
pub async fn within<T>(ms: u32, fut: impl std::future::Future<Output = T>) -> T {
    futures_util::pin_mut!(fut);
    match select(fut, TimeoutFuture::new(ms)).await {
        Either::Left((v, _)) => v,
        Either::Right(_) => panic!("timed out after {ms} ms"),
    }
}

/// Runs a JS snippet (tests only: dispatching window events, faking visibility).
pub fn js(code: &str) {
    js_sys::Function::new_no_args(code).call0(&JsValue::UNDEFINED).expect("js snippet");
}
