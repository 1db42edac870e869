//! Browser tests of the Rust Socket.IO client (`client::socketio`, features `rust-api` +
//! `socketio`) against the real socket.io 4.8 server `tests/e2e/sio-test-server.mjs` at
//! `SIO_TEST_SERVER` (compile time; `make test` starts it and sets it). Every test skips
//! (passes with a note) when it is not set.
//! - connect; events both ways with binary attachments; emit_with_ack; an ack timeout
//! - a server `emitWithAck` answered from Rust through the `AckHandle`
//! - auth: a middleware refusal is a `ConnectError` with the server's `data` (no retry);
//!   an `auth_with` closure called per attempt
//! - disconnect(): "io client disconnect"; a server kick: "io server disconnect"; connect()
//! - HTTP long-polling upgraded to WebSocket
#![cfg(all(target_arch = "wasm32", feature = "socketio"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod web_util;

use std::cell::Cell;
use std::rc::Rc;

use futures_util::future::{select, Either};
use futures_util::StreamExt;
use gloo_timers::future::TimeoutFuture;
use serde_json::{json, Value};
use steadysocket::client::socketio::{attachment, Bin, SioEvent, SioEvents, SocketIo};
use steadysocket::core::{State, Transport};
use steadysocket::{Error, RequestErrorKind};
use wasm_bindgen_test::*;
use web_util::{now, within};

wasm_bindgen_test_configure!(run_in_browser);

/// The socket.io server's `http://127.0.0.1:PORT`, if this build knows it.
fn server() -> Option<&'static str> {
    let s = option_env!("SIO_TEST_SERVER");
    if s.is_none() {
        console_log!("skipped: SIO_TEST_SERVER was not set at compile time");
    }
    s
}

/// The next event matching `pred` within `ms`, or `None`.
async fn wait(
    events: &mut SioEvents,
    ms: u32,
    mut pred: impl FnMut(&SioEvent) -> bool,
) -> Option<SioEvent> {
    let deadline = now() + f64::from(ms);
    loop {
        let left = (deadline - now()).max(0.0) as u32;
        let next = events.next();
        futures_util::pin_mut!(next);
        match select(next, TimeoutFuture::new(left)).await {
            Either::Left((Some(ev), _)) if pred(&ev) => return Some(ev),
            Either::Left((Some(_), _)) => {}
            Either::Left((None, _)) | Either::Right(_) => return None,
        }
    }
}

async fn connected(events: &mut SioEvents) -> (String, bool) {
    match wait(events, 5000, |e| matches!(e, SioEvent::Connect { .. })).await {
        Some(SioEvent::Connect { id, recovered, .. }) => (id, recovered),
        other => panic!("no connect: {other:?}"),
    }
}

async fn event(events: &mut SioEvents, name: &str) -> SioEvent {
    wait(events, 5000, |e| matches!(e, SioEvent::Event { name: n, .. } if n == name))
        .await
        .unwrap_or_else(|| panic!("no {name} event"))
}

#[wasm_bindgen_test]
async fn connect_events_both_ways_binary_and_acks() {
    let Some(base) = server() else { return };
    let s = SocketIo::builder(base).build().unwrap();
    let mut ev = s.events();
    assert!(!s.connected());
    // Queued before the namespace connects.
    s.emit("echo", &("early",)).unwrap();
    let (id, recovered) = connected(&mut ev).await;
    assert!(!recovered);
    assert!(s.connected());
    assert_eq!(s.id().as_deref(), Some(id.as_str()));
    assert_eq!(s.state(), State::Open);
    match event(&mut ev, "echo").await {
        SioEvent::Event { args, ack: None, .. } => assert_eq!(args, vec![json!("early")]),
        other => panic!("{other:?}"),
    }

    // Several arguments, one binary (an attachment), nested.
    s.emit("echo", &("hi", 1, json!({"n": [true, null]}), Bin(vec![0, 1, 255]))).unwrap();
    match event(&mut ev, "echo").await {
        SioEvent::Event { args, attachments, .. } => {
            assert_eq!(args.len(), 4);
            assert_eq!(args[0], json!("hi"));
            assert_eq!(args[1], json!(1));
            assert_eq!(args[2], json!({"n": [true, null]}));
            assert_eq!(attachment(&args[3], &attachments), Some(&[0u8, 1, 255][..]));
        }
        other => panic!("{other:?}"),
    }

    // Acks: the first argument; none at all is Null.
    let v = within(5000, s.emit_with_ack("ack", &("x", 2))).await.unwrap();
    assert_eq!(v, json!("x"));
    let v = within(5000, s.emit_with_ack("ack", &())).await.unwrap();
    assert_eq!(v, Value::Null);
    // No handler acks "nothing": the timeout.
    let e = within(5000, s.emit_with_ack_timeout("nothing", &(1,), Some(200.0))).await;
    assert!(matches!(e, Err(Error::Request { kind: RequestErrorKind::Timeout, .. })), "{e:?}");

    // The server's whoami sees our id.
    let who = within(5000, s.emit_with_ack("whoami", &())).await.unwrap();
    assert_eq!(who["id"], json!(id));

    // Refused locally: a reserved name, args that are not a list.
    assert!(matches!(s.emit("connect", &()), Err(Error::Option(_))));
    assert!(matches!(s.emit("echo", &json!({"a": 1})), Err(Error::Serde(_))));

    s.disconnect();
    match wait(&mut ev, 3000, |e| matches!(e, SioEvent::Disconnect { .. })).await {
        Some(SioEvent::Disconnect { reason, will_reconnect }) => {
            assert_eq!(reason, "io client disconnect");
            assert!(!will_reconnect);
        }
        other => panic!("{other:?}"),
    }
    assert!(!s.connected());
    assert_eq!(s.id(), None);
    assert!(matches!(s.emit("echo", &(1,)), Err(Error::Closed)));
}

#[wasm_bindgen_test]
async fn server_ack_answered_from_rust() {
    let Some(base) = server() else { return };
    let s = SocketIo::builder(base).build().unwrap();
    let mut ev = s.events();
    connected(&mut ev).await;
    // The server asks "question" with emitWithAck and answers our ack with {ok: answer}.
    let asked = s.emit_with_ack("ask", &(21,));
    match event(&mut ev, "question").await {
        SioEvent::Event { args, ack: Some(ack), .. } => {
            assert_eq!(args, vec![json!(21)]);
            let twin = ack.clone();
            assert!(ack.ack(&(42, "x")).unwrap());
            // Answered once only.
            assert!(!twin.ack(&(0,)).unwrap());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(within(5000, asked).await.unwrap(), json!({"ok": 42}));

    // A binary ack argument.
    let asked = s.emit_with_ack("ask", &("bin",));
    match event(&mut ev, "question").await {
        SioEvent::Event { ack: Some(ack), .. } => assert!(ack.ack(&(Bin(vec![7, 8]),)).unwrap()),
        other => panic!("{other:?}"),
    }
    // The server sends the Buffer back as an attachment: a placeholder in the ack's value.
    let v = within(5000, asked).await.unwrap();
    assert_eq!(v["ok"]["_placeholder"], json!(true), "{v}");
}

#[wasm_bindgen_test]
async fn auth_refused_then_accepted_per_attempt() {
    let Some(base) = server() else { return };
    let admin = format!("{base}/admin");
    let s = SocketIo::builder(admin.as_str()).auth(json!({"token": "bad"})).build().unwrap();
    let mut ev = s.events();
    match wait(&mut ev, 5000, |e| matches!(e, SioEvent::ConnectError { .. })).await {
        Some(SioEvent::ConnectError { message, data }) => {
            assert_eq!(message, "bad token");
            assert_eq!(data, Some(json!({"code": 401, "token": "bad"})));
        }
        other => panic!("{other:?}"),
    }
    // No retry after a middleware refusal.
    assert!(wait(&mut ev, 1500, |e| matches!(e, SioEvent::Connect { .. })).await.is_none());
    assert!(!s.connected());
    assert_eq!(s.state(), State::Closed);
    drop(s);

    // auth produced per attempt.
    let calls = Rc::new(Cell::new(0));
    let c = calls.clone();
    let s = SocketIo::builder(admin.as_str())
        .auth_with(move || {
            c.set(c.get() + 1);
            Ok(json!({"token": "good", "n": c.get()}))
        })
        .build()
        .unwrap();
    let mut ev = s.events();
    connected(&mut ev).await;
    assert_eq!(calls.get(), 1);
    let who = within(5000, s.emit_with_ack("whoami", &())).await.unwrap();
    assert_eq!(who["auth"]["token"], json!("good"));
    assert_eq!(who["auth"]["n"], json!(1));
    s.reconnect();
    connected(&mut ev).await;
    assert_eq!(calls.get(), 2);

    // An async auth that fails: a connect error; the namespace stays disconnected (as after a
    // refusal: the only namespace, so the connection closes) until connect() tries again.
    let calls = Rc::new(Cell::new(0));
    let c = calls.clone();
    let s = SocketIo::builder(admin.as_str())
        .auth_async(move || {
            c.set(c.get() + 1);
            async { Err::<Value, _>("no token yet".to_string()) }
        })
        .reconnect(Default::default())
        .build()
        .unwrap();
    let mut ev = s.events();
    for n in 1..=2 {
        match wait(&mut ev, 5000, |e| matches!(e, SioEvent::ConnectError { .. })).await {
            Some(SioEvent::ConnectError { message, data: None }) => {
                assert!(message.contains("no token yet"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(calls.get(), n);
        assert!(wait(&mut ev, 1500, |e| matches!(e, SioEvent::Connect { .. })).await.is_none());
        assert!(!s.connected());
        assert_eq!(s.state(), State::Closed);
        s.connect();
    }
    s.disconnect();
}

#[wasm_bindgen_test]
async fn server_kick_then_connect() {
    let Some(base) = server() else { return };
    let s = SocketIo::builder(base).build().unwrap();
    let mut ev = s.events();
    connected(&mut ev).await;
    s.emit("kick", &()).unwrap();
    match wait(&mut ev, 5000, |e| matches!(e, SioEvent::Disconnect { .. })).await {
        Some(SioEvent::Disconnect { reason, will_reconnect: false }) => {
            assert_eq!(reason, "io server disconnect")
        }
        other => panic!("{other:?}"),
    }
    s.connect();
    connected(&mut ev).await;
    assert!(s.connected());
    s.disconnect();
}

#[wasm_bindgen_test]
async fn long_polling_upgrades_to_websocket() {
    let Some(base) = server() else { return };
    let s = SocketIo::builder(base)
        .transports(&[Transport::LongPolling, Transport::WebSocket])
        .build()
        .unwrap();
    let mut ev = s.events();
    connected(&mut ev).await;
    s.emit("count", &(5, 40)).unwrap();
    for i in 1..=5 {
        match event(&mut ev, "num").await {
            SioEvent::Event { args, .. } => assert_eq!(args, vec![json!(i)]),
            other => panic!("{other:?}"),
        }
    }
    let v = within(5000, s.emit_with_ack("ack", &("p",))).await.unwrap();
    assert_eq!(v, json!("p"));
    s.disconnect();
}
