//! Browser tests of the Rust API over SockJS (`Builder::sockjs`, feature `sockjs`) against the
//! real npm `sockjs` server `tests/e2e/sockjs-test-server.mjs` at `SOCKJS_TEST_SERVER`
//! (compile time; `make test` starts it and sets it; every test skips when it is not set):
//! raw text both ways over each SockJS transport, queued first, in order; `/info`
//! `"websocket": false` falls to xhr-streaming at once; a server close code reaches `Close`.
#![cfg(all(target_arch = "wasm32", feature = "sockjs"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod web_util;

use steadysocket::client::{Protocol, RawMessage, SocketEvent, SteadySocket};
use steadysocket::core::Transport;
use wasm_bindgen_test::*;
use web_util::*;

wasm_bindgen_test_configure!(run_in_browser);

fn sockjs() -> Option<&'static str> {
    let s = option_env!("SOCKJS_TEST_SERVER");
    if s.is_none() {
        console_log!("skipped: SOCKJS_TEST_SERVER was not set at compile time");
    }
    s
}

fn text(e: &SocketEvent) -> Option<String> {
    match e {
        SocketEvent::Raw(RawMessage::Text(t)) => Some(t.clone()),
        _ => None,
    }
}

#[wasm_bindgen_test]
async fn raw_text_over_every_sockjs_transport() {
    let Some(base) = sockjs() else { return };
    for t in [
        Transport::WebSocket,
        Transport::XhrStreaming,
        Transport::EventSource,
        Transport::XhrPolling,
    ] {
        let s = SteadySocket::builder(format!("{base}/echo"))
            .sockjs()
            .transports(&[t])
            .protocol(Protocol::raw())
            .build()
            .unwrap();
        let mut ev = s.events();
        s.send_raw(RawMessage::Text("queued".into())).unwrap();
        opened(&mut ev, 8000).await;
        assert_eq!(s.transport(), t);
        s.send_raw(RawMessage::Text("hé \u{2028} 😀".into())).unwrap();
        let mut got = Vec::new();
        while got.len() < 2 {
            let e = wait_for(&mut ev, 5000, |e| text(e).is_some()).await.expect("echo");
            got.push(text(&e).unwrap());
        }
        assert_eq!(got, ["queued", "hé \u{2028} 😀"], "{t:?}");
        s.close(1000, "done").unwrap();
    }
}

#[wasm_bindgen_test]
async fn no_websocket_falls_to_xhr_streaming_and_close_codes_arrive() {
    let Some(base) = sockjs() else { return };
    let s = SteadySocket::builder(format!("{base}/echo-nows"))
        .sockjs()
        .protocol(Protocol::raw())
        .build()
        .unwrap();
    let mut ev = s.events();
    opened(&mut ev, 8000).await;
    assert_eq!(s.transport(), Transport::XhrStreaming);
    s.close(1000, "done").unwrap();

    let c = SteadySocket::builder(format!("{base}/close"))
        .sockjs()
        .protocol(Protocol::raw())
        .no_reconnect()
        .build()
        .unwrap();
    let mut ev = c.events();
    match wait_for(&mut ev, 8000, |e| matches!(e, SocketEvent::Close { .. })).await {
        Some(SocketEvent::Close { code, reason, .. }) => {
            assert_eq!((code, reason.as_str()), (3000, "Go away!"));
        }
        other => panic!("{other:?}"),
    }
}
