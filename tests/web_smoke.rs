//! Browser smoke tests: headless Chromium can reach the reference server from wasm.
//! - a raw `web_sys::WebSocket` to `/ws/raw` gets its text frame echoed back
//! - a raw `web_sys::WebSocket` to `/ws` gets a protocol `echo` envelope echoed back
//!
//! The server URL is baked in at compile time from `STEADYSOCKET_SERVER`
//! (e.g. `http://127.0.0.1:8080`); `scripts/test.sh` sets it.
#![cfg(target_arch = "wasm32")]
// `#[wasm_bindgen_test]` functions are not `#[test]`s to clippy: allow what tests may do.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::cell::RefCell;
use std::rc::Rc;

use futures_channel::oneshot;
use gloo_timers::callback::Timeout;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

wasm_bindgen_test_configure!(run_in_browser);

/// How long to wait for the echo before failing (no sleeps: the wait ends on the reply).
const TIMEOUT_MS: u32 = 10_000;

/// `ws://host:port{path}` for the server named by `STEADYSOCKET_SERVER` at compile time.
fn ws_url(path: &str) -> String {
    let Some(base) = option_env!("STEADYSOCKET_SERVER") else {
        panic!(
            "STEADYSOCKET_SERVER was not set when this test was compiled; \
             run the browser tests through `make test` (scripts/test.sh), or set it to the \
             reference server's URL, e.g. STEADYSOCKET_SERVER=http://127.0.0.1:8080"
        );
    };
    let base = base.trim_end_matches('/');
    let rest = base
        .strip_prefix("http://")
        .or_else(|| base.strip_prefix("ws://"))
        .unwrap_or_else(|| panic!("STEADYSOCKET_SERVER must be http://HOST:PORT, got {base:?}"));
    format!("ws://{rest}{path}")
}

type Reply = Rc<RefCell<Option<oneshot::Sender<Result<String, String>>>>>;

/// Sends the first result to the waiting test; later ones are ignored.
fn settle(reply: &Reply, result: Result<String, String>) {
    if let Some(tx) = reply.borrow_mut().take() {
        let _ = tx.send(result);
    }
}

/// Opens a WebSocket to `url`, sends `text` once open, and returns the first text frame
/// received, or an error on `error`/`close`/timeout. Listeners are removed and the socket
/// closed before returning.
async fn echo_once(url: &str, text: &str) -> Result<String, String> {
    let ws = WebSocket::new(url).map_err(|e| format!("new WebSocket({url}): {e:?}"))?;
    let (tx, rx) = oneshot::channel();
    let reply: Reply = Rc::new(RefCell::new(Some(tx)));

    let on_open = {
        let (ws, reply, text) = (ws.clone(), reply.clone(), text.to_owned());
        Closure::<dyn FnMut(Event)>::new(move |_: Event| {
            if let Err(e) = ws.send_with_str(&text) {
                settle(&reply, Err(format!("send failed: {e:?}")));
            }
        })
    };
    let on_message = {
        let reply = reply.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let result = ev.data().as_string().ok_or_else(|| "non-text frame".to_owned());
            settle(&reply, result);
        })
    };
    let on_error = {
        let reply = reply.clone();
        Closure::<dyn FnMut(Event)>::new(move |_: Event| {
            settle(&reply, Err("error event".to_owned()));
        })
    };
    let on_close = {
        let reply = reply.clone();
        Closure::<dyn FnMut(CloseEvent)>::new(move |ev: CloseEvent| {
            settle(&reply, Err(format!("closed before the echo: {} {:?}", ev.code(), ev.reason())));
        })
    };
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    // Cancelled on drop, so a passing test leaves no timer behind.
    let _timeout = {
        let reply = reply.clone();
        Timeout::new(TIMEOUT_MS, move || {
            settle(&reply, Err(format!("no echo within {TIMEOUT_MS} ms")));
        })
    };

    let result = rx.await.unwrap_or_else(|_| Err("reply channel dropped".to_owned()));

    ws.set_onopen(None);
    ws.set_onmessage(None);
    ws.set_onerror(None);
    ws.set_onclose(None);
    let _ = ws.close();
    result.map_err(|e| format!("{url}: {e}"))
}

#[wasm_bindgen_test]
async fn raw_endpoint_echoes_text() {
    let sent = "hello from wasm";
    let got = echo_once(&ws_url("/ws/raw"), sent).await;
    assert_eq!(got.as_deref(), Ok(sent));
}

#[wasm_bindgen_test]
async fn protocol_endpoint_echoes_envelope() {
    let sent = r#"{"type":"echo","data":{"n":1}}"#;
    let got = echo_once(&ws_url("/ws"), sent).await.expect("echo");
    let got: serde_json::Value = serde_json::from_str(&got).expect("reply is JSON");
    let want: serde_json::Value = serde_json::from_str(sent).expect("sent is JSON");
    assert_eq!(got, want);
}
