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
//! - several namespaces on one connection (`SocketIo::socket`/`namespace`): the same
//!   Engine.IO id, events/acks/Sent/Drop routed to their namespace's handle, connection
//!   events to all; a refused namespace or a failing `auth` leaves the others connected;
//!   `disconnect()`/drop of one keeps the others; a slow namespace's queued emits go after
//!   its CONNECT, in order, while "/" works meanwhile
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

// ---------- several namespaces on one connection ----------

/// The server's `whoami` answer on `s`: `{ id, recovered, auth, nsp, eid }`.
async fn whoami(s: &SocketIo) -> Value {
    within(5000, s.emit_with_ack("whoami", &())).await.unwrap()
}

/// The args of the next `echo` event.
async fn echo(events: &mut SioEvents) -> Vec<Value> {
    match event(events, "echo").await {
        SioEvent::Event { args, .. } => args,
        other => panic!("{other:?}"),
    }
}

async fn disconnected(events: &mut SioEvents) -> (String, bool) {
    match wait(events, 5000, |e| matches!(e, SioEvent::Disconnect { .. })).await {
        Some(SioEvent::Disconnect { reason, will_reconnect }) => (reason, will_reconnect),
        other => panic!("no disconnect: {other:?}"),
    }
}

/// The next Connect's id and the Sent events before it (a namespace's backlog goes out
/// right at its CONNECT answer, before its `connect` event).
async fn sent_then_connected(events: &mut SioEvents) -> (String, Vec<(String, Vec<Value>)>) {
    let mut sent = Vec::new();
    let ev = wait(events, 5000, |e| {
        if let SioEvent::Sent { event, args } = e {
            sent.push((event.clone().unwrap_or_default(), args.clone()));
        }
        matches!(e, SioEvent::Connect { .. })
    })
    .await;
    match ev {
        Some(SioEvent::Connect { id, .. }) => (id, sent),
        other => panic!("no connect: {other:?}"),
    }
}

/// A key no earlier run used (the server's logs outlive connections).
fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", (js_sys::Math::random() * 1e12) as u64)
}

#[wasm_bindgen_test]
async fn namespaces_share_one_connection() {
    let Some(base) = server() else { return };
    let root = SocketIo::builder(base).build().unwrap();
    let mut rev = root.events();
    // Emitted before its namespace connects: queued on the shared connection.
    let chat = root.socket("/chat").unwrap();
    let mut cev = chat.events();
    chat.emit("echo", &("queued",)).unwrap();
    let admin = root.namespace("/admin").auth(json!({"token": "good"})).build().unwrap();
    let mut aev = admin.events();
    assert_eq!((root.nsp(), chat.nsp(), admin.nsp()), ("/", "/chat", "/admin"));

    // Refused: a bad namespace, one that already has a handle, an auth that is no object.
    for bad in ["chat", "/a,b", "", "/chat", "/", "/admin"] {
        assert!(matches!(root.socket(bad), Err(Error::Option(_))), "{bad}");
    }
    assert!(matches!(root.namespace("/x").auth(json!(1)).build(), Err(Error::Option(_))));

    let (rid, rsent) = sent_then_connected(&mut rev).await;
    let (cid, csent) = sent_then_connected(&mut cev).await;
    assert_eq!(csent, vec![("echo".to_string(), vec![json!("queued")])]);
    assert!(rsent.is_empty(), "{rsent:?}");
    let (aid, _) = connected(&mut aev).await;
    assert!(rid != cid && cid != aid && rid != aid);
    assert_eq!(chat.id().as_deref(), Some(cid.as_str()));
    assert!(root.connected() && chat.connected() && admin.connected());
    assert_eq!(chat.state(), State::Open);

    // One Engine.IO connection: every namespace reports the same eid.
    let (r, c, a) = (whoami(&root).await, whoami(&chat).await, whoami(&admin).await);
    assert_eq!(
        (r["nsp"].as_str(), c["nsp"].as_str(), a["nsp"].as_str()),
        (Some("/"), Some("/chat"), Some("/admin"))
    );
    assert_eq!(r["id"], json!(rid));
    assert_eq!(c["id"], json!(cid));
    assert_eq!(a["auth"], json!({"token": "good"}));
    assert!(r["eid"].is_string());
    assert_eq!(r["eid"], c["eid"]);
    assert_eq!(r["eid"], a["eid"]);

    // The queued emit went after chat's CONNECT.
    assert_eq!(echo(&mut cev).await, vec![json!("queued")]);

    // Events reach their own namespace's handle only.
    chat.emit("echo", &("c",)).unwrap();
    assert_eq!(echo(&mut cev).await, vec![json!("c")]);
    root.emit("echo", &("r",)).unwrap();
    assert_eq!(echo(&mut rev).await, vec![json!("r")]); // not chat's "c"
    admin.emit("echo", &("a",)).unwrap();
    assert_eq!(echo(&mut aev).await, vec![json!("a")]); // not "c" or "r"
    chat.emit("echo", &("c2",)).unwrap();
    assert_eq!(echo(&mut cev).await, vec![json!("c2")]); // not "r" or "a"

    // Acks (global request ids) settle on the right future, concurrently.
    let (x, y, z) = within(
        5000,
        futures_util::future::join3(
            chat.emit_with_ack("ack", &("to-chat",)),
            root.emit_with_ack("ack", &("to-root",)),
            admin.emit_with_ack("ack", &("to-admin",)),
        ),
    )
    .await;
    assert_eq!(
        (x.unwrap(), y.unwrap(), z.unwrap()),
        (json!("to-chat"), json!("to-root"), json!("to-admin"))
    );

    // Connection-level events reach every handle: the server's pings.
    for ev in [&mut rev, &mut cev, &mut aev] {
        assert!(wait(ev, 5000, |e| matches!(e, SioEvent::Ping)).await.is_some());
    }

    // The connection drops (the server closes the Engine.IO connection): a Disconnect
    // ("transport close", reconnecting) for each connected namespace, then each reconnects.
    chat.emit("drop", &()).unwrap();
    for ev in [&mut rev, &mut cev, &mut aev] {
        assert_eq!(disconnected(ev).await, ("transport close".to_string(), true));
    }
    for ev in [&mut rev, &mut cev, &mut aev] {
        connected(ev).await;
    }
    let (r, c) = (whoami(&root).await, whoami(&chat).await);
    assert_eq!(r["eid"], c["eid"]);
    root.disconnect();
    chat.disconnect();
    admin.disconnect();
    assert_eq!(root.state(), State::Closed);
}

#[wasm_bindgen_test]
async fn refused_namespace_leaves_the_others_connected() {
    let Some(base) = server() else { return };
    let root = SocketIo::builder(base).build().unwrap();
    let mut rev = root.events();
    connected(&mut rev).await;
    let eid = whoami(&root).await["eid"].clone();

    // A middleware refusal of /admin: its ConnectError with the server's data, no retry.
    let admin = root.namespace("/admin").auth(json!({"token": "bad"})).build().unwrap();
    let mut aev = admin.events();
    match wait(&mut aev, 5000, |e| matches!(e, SioEvent::ConnectError { .. })).await {
        Some(SioEvent::ConnectError { message, data }) => {
            assert_eq!(message, "bad token");
            assert_eq!(data, Some(json!({"code": 401, "token": "bad"})));
        }
        other => panic!("{other:?}"),
    }
    // A failing auth closure of /chat: its ConnectError, locally.
    let chat = root.namespace("/chat").auth_with(|| Err("no chat token".into())).build().unwrap();
    let mut cev = chat.events();
    match wait(&mut cev, 5000, |e| matches!(e, SioEvent::ConnectError { .. })).await {
        Some(SioEvent::ConnectError { message, data: None }) => {
            assert!(message.contains("no chat token"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert!(!admin.connected() && !chat.connected());

    // "/" stays connected on the same connection: no Disconnect, acks and events work.
    assert!(root.connected());
    assert_eq!(root.state(), State::Open);
    root.emit("echo", &("still",)).unwrap();
    assert_eq!(echo(&mut rev).await, vec![json!("still")]);
    assert_eq!(whoami(&root).await["eid"], eid);
    assert!(!rev_has_disconnect(&mut rev).await);
    // No retry of the refused namespace meanwhile.
    assert!(wait(&mut aev, 1500, |e| matches!(e, SioEvent::Connect { .. })).await.is_none());

    // A dropped handle frees its namespace: a new /admin handle with a good token connects
    // on the same connection.
    drop(admin);
    let admin = root.namespace("/admin").auth(json!({"token": "good"})).build().unwrap();
    let mut aev = admin.events();
    connected(&mut aev).await;
    assert_eq!(whoami(&admin).await["eid"], eid);
    drop(chat);
    drop(admin);
    assert!(root.connected());
    assert_eq!(within(5000, root.emit_with_ack("ack", &(1,))).await.unwrap(), json!(1));
    root.disconnect();
}

/// Whether a Disconnect is already in `events` (a ping proves the stream is being fed).
async fn rev_has_disconnect(events: &mut SioEvents) -> bool {
    let mut seen = false;
    wait(events, 5000, |e| {
        seen |= matches!(e, SioEvent::Disconnect { .. });
        matches!(e, SioEvent::Ping | SioEvent::Disconnect { .. })
    })
    .await;
    seen
}

#[wasm_bindgen_test]
async fn disconnect_of_one_namespace_keeps_the_other() {
    let Some(base) = server() else { return };
    let root = SocketIo::builder(base).build().unwrap();
    let mut rev = root.events();
    let chat = root.socket("/chat").unwrap();
    let mut cev = chat.events();
    connected(&mut rev).await;
    let (first, _) = connected(&mut cev).await;
    let eid = whoami(&root).await["eid"].clone();

    // chat leaves: its Disconnect; the connection stays for "/".
    chat.disconnect();
    assert_eq!(disconnected(&mut cev).await, ("io client disconnect".to_string(), false));
    assert!(!chat.connected());
    assert_eq!(chat.id(), None);
    assert!(root.connected());
    assert_eq!(root.state(), State::Open);
    root.emit("echo", &("root",)).unwrap();
    assert_eq!(echo(&mut rev).await, vec![json!("root")]);

    // chat's emits queue until its connect(), then go after its CONNECT, in order.
    assert_eq!(chat.emit("echo", &("later",)).unwrap(), steadysocket::core::Sent::Queued);
    assert!(chat.queued() >= 1);
    chat.connect();
    let (second, sent) = sent_then_connected(&mut cev).await;
    assert_ne!(first, second);
    assert_eq!(sent, vec![("echo".to_string(), vec![json!("later")])]);
    assert_eq!(echo(&mut cev).await, vec![json!("later")]);
    assert_eq!(whoami(&chat).await["eid"], eid);

    // "/" leaves while chat stays: the other way round.
    root.disconnect();
    assert_eq!(disconnected(&mut rev).await, ("io client disconnect".to_string(), false));
    chat.emit("echo", &("chat",)).unwrap();
    assert_eq!(echo(&mut cev).await, vec![json!("chat")]);
    assert_eq!(whoami(&chat).await["eid"], eid);

    // Dropping a handle while another lives leaves its namespace; the connection stays.
    let admin = root.namespace("/admin").auth(json!({"token": "good"})).build().unwrap();
    let mut aev = admin.events();
    connected(&mut aev).await;
    drop(admin);
    // Its streams end.
    within(2000, async { while aev.next().await.is_some() {} }).await;
    assert_eq!(within(5000, chat.emit_with_ack("ack", &(2,))).await.unwrap(), json!(2));

    // "/" is inactive: its emits queue, behind its (never coming) CONNECT.
    assert_eq!(root.emit("echo", &("never",)).unwrap(), steadysocket::core::Sent::Queued);

    // The last active namespace leaves: the connection closes for good; the queue is
    // dropped, each packet reported to the handle that emitted it.
    chat.disconnect();
    assert_eq!(disconnected(&mut cev).await, ("io client disconnect".to_string(), false));
    match wait(&mut rev, 5000, |e| matches!(e, SioEvent::Drop { .. })).await {
        Some(SioEvent::Drop { event, args, reason }) => {
            assert_eq!(event.as_deref(), Some("echo"));
            assert_eq!(args, vec![json!("never")]);
            assert_eq!(reason, steadysocket::core::DropReason::Closed);
        }
        other => panic!("{other:?}"),
    }
    assert!(wait(&mut cev, 300, |e| matches!(e, SioEvent::Drop { .. })).await.is_none());
    assert_eq!(chat.state(), State::Closed);
    assert!(matches!(chat.emit("echo", &(1,)), Err(Error::Closed)));
    assert!(matches!(root.emit("echo", &(1,)), Err(Error::Closed)));
    // connect() starts a new connection.
    root.connect();
    connected(&mut rev).await;
    assert_ne!(whoami(&root).await["eid"], eid);
    root.disconnect();
}

#[wasm_bindgen_test]
async fn slow_namespace_queues_in_order_while_root_works() {
    let Some(base) = server() else { return };
    let root = SocketIo::builder(base).build().unwrap();
    let mut rev = root.events();
    connected(&mut rev).await;
    let key = unique("order");
    let t0 = now();

    // /slow's middleware takes 3000 ms: its emits wait for its CONNECT.
    let slow = root.socket("/slow").unwrap();
    let mut sev = slow.events();
    for i in 1..=3 {
        slow.emit("log", &(&key, i)).unwrap();
    }
    let asked = slow.emit_with_ack("getlog", &(&key,));
    // Meanwhile "/" works on the same connection.
    root.emit("log", &(&key, "root")).unwrap();
    assert_eq!(within(5000, root.emit_with_ack("ack", &("fast",))).await.unwrap(), json!("fast"));
    assert_eq!(
        within(5000, root.emit_with_ack("getlog", &(&key,))).await.unwrap(),
        json!(["root"])
    );
    assert!(!slow.connected(), "slow connected too early");
    assert!(now() - t0 < 2000.0);
    assert!(slow.queued() >= 4);

    // Every queued packet goes at /slow's CONNECT answer, in order, reported Sent to its
    // handle.
    let (_, sent) = sent_then_connected(&mut sev).await;
    let mut want: Vec<(String, Vec<Value>)> =
        (1..=3).map(|i| ("log".to_string(), vec![json!(key), json!(i)])).collect();
    want.push(("getlog".to_string(), vec![json!(key)]));
    assert_eq!(sent, want);
    assert!(now() - t0 > 2000.0);
    slow.emit("log", &(&key, 4)).unwrap();
    // The ack queued before the CONNECT saw 1..3; one asked now sees 1..4.
    assert_eq!(within(5000, asked).await.unwrap(), json!([1, 2, 3]));
    assert_eq!(
        within(5000, slow.emit_with_ack("getlog", &(&key,))).await.unwrap(),
        json!([1, 2, 3, 4])
    );
    // "/"'s log is its own.
    assert_eq!(
        within(5000, root.emit_with_ack("getlog", &(&key,))).await.unwrap(),
        json!(["root"])
    );
    assert_eq!(whoami(&slow).await["eid"], whoami(&root).await["eid"]);
    slow.disconnect();
    root.disconnect();
}
