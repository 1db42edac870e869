//! The Rust API (`steadysocket::client`) on a native target, as a Leptos SSR build or
//! rust-analyzer's default check compiles it. What's tested:
//! - the whole surface type-checks natively: the builder with every option and both URL
//!   forms (a fixed URL, a provider), every protocol (v1, raw with both pong matchers, a
//!   codec), the events `Stream`, `send`/`send_message`/`send_raw`/`request` signatures,
//!   `RequestFuture` as a `Future`, the error kinds; with feature `stomp`, `StompClient`'s; with feature `socketio`, `SocketIo`'s (builder options, emit/acks, events, `Bin`)
//! - `build()` validates as in the browser (bad URL, bad option, a codec's binary ping),
//!   then returns the documented `Error::Unsupported`; the URL provider is never called
//! - `Incoming::data`/`to_message` return `Error::Unsupported` (no panic)
//! - `RequestErrorKind`'s strings are the JS `error.kind`s
#![cfg(all(not(target_arch = "wasm32"), feature = "rust-api"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;

use futures_core::Stream;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use steadysocket::client::{
    Builder, Codec, Events, Incoming, Pong, Protocol, RawMessage, RequestFuture, SocketEvent,
    SteadySocket,
};
use steadysocket::core::{
    BackoffConfig, ClosePolicy, HeartbeatConfig, Metrics, OutboxConfig, Overflow, ReconnectConfig,
    Sent, State,
};
use steadysocket::{Error, OptionError, RequestErrorKind};
use wasm_bindgen::JsValue;

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
enum Msg {
    #[serde(rename = "chat")]
    Chat { text: String },
}

/// A JSON-lines codec (shape only).
struct Lines;

impl Codec for Lines {
    fn encode(&self, msg: &Value) -> Result<RawMessage, Error> {
        Ok(RawMessage::Text(msg.to_string()))
    }
    fn decode(&self, frame: &RawMessage) -> Option<Value> {
        serde_json::from_str(frame.as_text()?).ok()
    }
}

/// A codec whose ping is binary (refused at build time unless the heartbeat is off).
struct BinaryPing;

impl Codec for BinaryPing {
    fn encode(&self, msg: &Value) -> Result<RawMessage, Error> {
        Ok(RawMessage::Binary(msg.to_string().into_bytes()))
    }
    fn decode(&self, _: &RawMessage) -> Option<Value> {
        None
    }
}

/// Every builder option.
fn every_option(b: Builder) -> Builder {
    b.reconnect(ReconnectConfig {
        backoff: BackoffConfig::default(),
        stable_ms: 5000.0,
        policy: ClosePolicy::default(),
        max_retry_after_ms: 60_000.0,
    })
    .no_reconnect()
    .reconnect(ReconnectConfig::default())
    .heartbeat(HeartbeatConfig { interval_ms: 15_000.0, ..HeartbeatConfig::default() })
    .no_heartbeat()
    .heartbeat(HeartbeatConfig::default())
    .queue(OutboxConfig { max_messages: 10, overflow: Overflow::Error, ..Default::default() })
    .connect_timeout_ms(5000.0)
    .request_timeout_ms(5000.0)
    .max_message_bytes(1 << 20)
    .protocols(vec!["chat.v1".into()])
    .protocol(Protocol::V1)
    .water_marks(1 << 20, 1 << 18)
    .seed(7)
}

fn is_stream<S: Stream<Item = SocketEvent> + Unpin>(_: &S) {}
fn is_future<F: Future<Output = Result<T, Error>> + Unpin, T>(_: &F) {}

/// Every socket method, type-checked (a socket cannot be made natively, so this never runs).
#[allow(dead_code)]
fn surface(s: &SteadySocket) -> Result<(), Error> {
    let events: Events = s.events();
    is_stream(&events);
    let _: State = s.state();
    let _: usize = s.queued();
    let _: Metrics = s.metrics();
    let _: Sent = s.send("chat", &json!({"text": "hi"}))?;
    let _: Sent = s.send_message(&Msg::Chat { text: "hi".into() })?;
    let _: Sent = s.send_raw(RawMessage::Binary(vec![1, 2]))?;
    let r: RequestFuture<f64> = s.request("add", &json!({"a": 1, "b": 2}));
    is_future(&r);
    let r: RequestFuture<Value> = s.request_with_timeout("add", &[1, 2], Some(500.0));
    is_future(&r);
    let sub: steadysocket::client::SubscriptionId = s.subscribe("watch", &json!({"room": "a"}))?;
    let _: bool = s.unsubscribe(sub);
    let _: bool = s.writable();
    drop(s.ready());
    drop(s.send_acked("chat", &json!({"text": "hi"})));
    s.close(1000, "bye")?;
    s.reconnect();
    Ok(())
}

/// Every event variant's fields, type-checked.
#[allow(dead_code)]
fn events(ev: SocketEvent) -> Option<String> {
    match ev {
        SocketEvent::Message(m) => m.to_message::<Msg>().ok().map(|Msg::Chat { text }| text),
        SocketEvent::Error { kind, message } => Some([kind.as_str(), &message].concat()),
        SocketEvent::Raw(r) => r.as_text().map(Into::into),
        _ => None,
    }
}

fn assert_native_unsupported<T: std::fmt::Debug>(r: Result<T, Error>) {
    match r {
        Err(Error::Unsupported(m)) => {
            assert!(m.contains("only in the browser") && m.contains("wasm32"), "{m}");
        }
        other => panic!("expected Error::Unsupported, got {other:?}"),
    }
}

#[test]
fn build_returns_unsupported_after_every_option() {
    let b = every_option(SteadySocket::builder("wss://example.com/ws"));
    assert!(format!("{b:?}").contains("wss://example.com/ws"));
    assert_native_unsupported(b.build());
    assert_native_unsupported(SteadySocket::builder("ws://127.0.0.1:8080/ws").build());
}

#[test]
fn build_returns_unsupported_for_every_protocol() {
    for p in [
        Protocol::V1,
        Protocol::raw(),
        Protocol::raw_with_pong("pong"),
        Protocol::raw_with_pong(Pong::matching(|m| m.as_text() == Some("pong"))),
        Protocol::codec(Lines),
    ] {
        assert_native_unsupported(SteadySocket::builder("ws://h/ws").protocol(p).build());
    }
}

#[test]
fn build_validates_as_in_the_browser() {
    let r = SteadySocket::builder("http://example.com/ws").build();
    assert!(matches!(r, Err(Error::InvalidUrl { ref url, .. }) if url == "http://example.com/ws"));
    let r = SteadySocket::builder("ws://h/ws").connect_timeout_ms(-1.0).build();
    assert!(
        matches!(r, Err(Error::Option(OptionError { ref path, .. })) if path == "connectTimeoutMs"),
        "{r:?}"
    );
    let r = SteadySocket::builder("ws://h/ws").protocol(Protocol::codec(BinaryPing)).build();
    assert!(
        matches!(r, Err(Error::Option(OptionError { ref path, .. })) if path == "heartbeat.ping"),
        "{r:?}"
    );
    // With the heartbeat off, that codec is accepted: then the target is the refusal.
    assert_native_unsupported(
        SteadySocket::builder("ws://h/ws")
            .protocol(Protocol::codec(BinaryPing))
            .no_heartbeat()
            .build(),
    );
}

#[test]
fn url_provider_builds_unsupported_and_is_never_called() {
    let calls = Rc::new(Cell::new(0u32));
    let c = calls.clone();
    let b = SteadySocket::builder_with(move || {
        c.set(c.get() + 1);
        let n = c.get();
        async move { Ok::<_, String>(format!("ws://127.0.0.1:8080/ws?token={n}")) }
    });
    assert!(format!("{b:?}").contains("Provider(..)"));
    // A provider's URLs are checked per attempt, not at build time.
    assert_native_unsupported(every_option(b).build());
    // Any `Display` error type.
    let b = SteadySocket::builder_with(|| async { Err::<String, _>(std::fmt::Error) });
    assert_native_unsupported(b.build());
    assert_eq!(calls.get(), 0);
}

#[test]
fn incoming_data_is_unsupported_not_a_panic() {
    let m = Incoming { ty: "chat".into(), data: JsValue::NULL };
    assert_native_unsupported(m.data::<Value>());
    assert_native_unsupported(m.to_message::<Msg>());
}

#[test]
fn request_error_kinds_are_the_js_strings() {
    let kinds = [
        (RequestErrorKind::Timeout, "timeout"),
        (RequestErrorKind::ConnectionLost, "connection-lost"),
        (RequestErrorKind::Closed, "closed"),
        (RequestErrorKind::Dropped, "dropped"),
        (RequestErrorKind::Remote, "remote"),
    ];
    for (k, s) in kinds {
        assert_eq!(k.as_str(), s);
        assert_eq!(k.to_string(), s);
    }
    let e = Error::Request {
        kind: RequestErrorKind::Remote,
        code: Some("E42".into()),
        message: "nope".into(),
    };
    assert!(matches!(e, Error::Request { kind: RequestErrorKind::Remote, .. }));
    assert_eq!(e.to_string(), "steadysocket: request failed (remote): nope");
}

#[cfg(feature = "stomp")]
mod stomp {
    use super::*;
    use steadysocket::client::stomp::{
        Headers, Receipt, StompBuilder, StompClient, StompMessage, Subscription, Transaction,
    };

    fn every_stomp_option(b: StompBuilder) -> StompBuilder {
        b.connect_headers(&[("login", "guest"), ("passcode", "guest")])
            .connect_headers_with(|| Ok::<Headers, String>(vec![("login".into(), "g".into())]))
            .heart_beat(10_000, 10_000)
            .no_heart_beat()
            .heart_beat(5000, 5000)
            .handshake_timeout_ms(5000.0)
            .reconnect(ReconnectConfig::default())
            .no_reconnect()
            .queue(OutboxConfig::default())
            .connect_timeout_ms(5000.0)
            .receipt_timeout_ms(5000.0)
            .max_message_bytes(1 << 20)
            .protocols(vec!["v12.stomp".into()])
            .seed(7)
    }

    fn is_receipt<F: Future<Output = Result<(), Error>>>(_: &F) {}
    fn is_sub<S: Stream<Item = StompMessage>>(_: &S) {}

    /// Every client method, type-checked.
    #[allow(dead_code)]
    fn surface(c: &StompClient) -> Result<(), Error> {
        is_stream(&c.events());
        let _: (State, usize, Metrics) = (c.state(), c.queued(), c.metrics());
        let sub: Subscription = c.subscribe("/queue/a", &[("ack", "client")])?;
        is_sub(&sub);
        let _: &str = sub.id();
        let (sub2, r): (Subscription, Receipt) = c.subscribe_with_receipt("/queue/b", &[])?;
        is_receipt(&r);
        sub2.unsubscribe();
        let _: Sent = c.publish("/queue/a", &[("content-type", "text/plain")], "hi")?;
        is_receipt(&c.publish_with_receipt("/queue/a", &[], b"hi".to_vec()));
        let tx: Transaction<'_> = c.begin()?;
        let _: Sent = tx.publish("/queue/a", &[], "in tx")?;
        let _: &str = tx.id();
        tx.commit()?;
        c.begin()?.abort()?;
        c.reconnect();
        c.close();
        Ok(())
    }

    #[allow(dead_code)]
    fn message(m: &StompMessage, tx: &Transaction<'_>) -> bool {
        let _: (Option<&str>, Option<&str>, &Headers, &[u8]) =
            (m.header("ack"), m.body_text(), &m.headers, &m.body);
        m.ack() && m.nack() && m.ack_in(tx) && m.nack_in(tx)
    }

    #[test]
    fn stomp_build_returns_unsupported() {
        assert_native_unsupported(
            every_stomp_option(StompClient::builder("ws://127.0.0.1:15674/ws")).build(),
        );
        let b = StompClient::builder_with(|| async { Ok::<_, String>("ws://h/ws".into()) });
        assert_native_unsupported(every_stomp_option(b).build());
        let r = StompClient::builder("ws://h/ws").handshake_timeout_ms(0.0).build();
        assert!(
            matches!(r, Err(Error::Option(OptionError { ref path, .. })) if path == "handshakeTimeoutMs"),
            "{r:?}"
        );
        assert!(matches!(StompClient::builder("tcp://h").build(), Err(Error::InvalidUrl { .. })));
    }
}

#[cfg(feature = "socketio")]
mod socketio {
    use super::*;
    use steadysocket::client::socketio::{
        attachment, AckFuture, AckHandle, Bin, SioEvent, SioEvents, SocketIo, SocketIoBuilder,
    };
    use steadysocket::core::Transport;

    fn every_sio_option(b: SocketIoBuilder) -> SocketIoBuilder {
        b.path("/io")
            .query(&[("room", "a b"), ("v", "1")])
            .auth(json!({"token": "t"}))
            .auth_with(|| Ok(json!({"token": "fresh"})))
            .auth_async(|| async { Ok(json!({"token": "later"})) })
            .transports(&[Transport::LongPolling, Transport::WebSocket])
            .upgrade(false)
            .reconnect(ReconnectConfig::default())
            .no_reconnect()
            .queue(OutboxConfig::default())
            .connect_timeout_ms(5000.0)
            .ack_timeout_ms(3000.0)
            .max_message_bytes(1 << 20)
            .auto_connect(false)
            .seed(7)
    }

    fn is_ack<F: Future<Output = Result<Value, Error>>>(_: &F) {}
    fn is_sio_stream<S: Stream<Item = SioEvent>>(_: &S) {}

    /// Every socket method, type-checked.
    #[allow(dead_code)]
    fn surface(s: &SocketIo) -> Result<(), Error> {
        let ev: SioEvents = s.events();
        is_sio_stream(&ev);
        let _: (bool, Option<String>, bool) = (s.connected(), s.id(), s.recovered());
        let _: (State, usize, Metrics) = (s.state(), s.queued(), s.metrics());
        let _: Sent = s.emit("chat", &("hi", 1, Bin(vec![1, 2])))?;
        let _: Sent = s.emit("none", &())?;
        let _: bool = s.emit_volatile("pos", &vec![1, 2])?;
        let f: AckFuture = s.emit_with_ack("sum", &(1, 2));
        is_ack(&f);
        is_ack(&s.emit_with_ack_timeout("sum", &(1, 2), Some(500.0)));
        s.connect();
        s.reconnect();
        s.disconnect();
        Ok(())
    }

    #[allow(dead_code)]
    fn answer(ev: SioEvent) -> Result<bool, Error> {
        match ev {
            SioEvent::Event { name, args, attachments, ack: Some(ack) } => {
                let h: AckHandle = ack;
                let _: u64 = h.id();
                let _ = (name, attachment(&args[0], &attachments));
                h.ack(&(true,))
            }
            _ => Ok(false),
        }
    }

    #[test]
    fn sio_build_returns_unsupported() {
        for url in ["http://127.0.0.1:3000", "https://h/admin?x=1", "ws://h/", "wss://h:1/a/b"] {
            assert_native_unsupported(every_sio_option(SocketIo::builder(url)).build());
        }
        assert!(matches!(SocketIo::builder("ftp://h").build(), Err(Error::InvalidUrl { .. })));
        assert!(matches!(SocketIo::builder("h/chat").build(), Err(Error::InvalidUrl { .. })));
        assert!(matches!(SocketIo::builder("http://h/a,b").build(), Err(Error::InvalidUrl { .. })));
        let bad = |b: SocketIoBuilder, p: &str| {
            let r = b.build();
            assert!(
                matches!(r, Err(Error::Option(OptionError { ref path, .. })) if path == p),
                "{r:?}"
            );
        };
        bad(SocketIo::builder("http://h").auth(json!([1])), "auth");
        bad(SocketIo::builder("http://h").transports(&[]), "transports");
        bad(SocketIo::builder("http://h").transports(&[Transport::Sse]), "transports");
        bad(
            SocketIo::builder("http://h").transports(&[Transport::WebSocket, Transport::WebSocket]),
            "transports",
        );
    }

    #[test]
    fn bin_and_placeholders() {
        // Outside an emit, Bin is plain bytes.
        assert_eq!(serde_json::to_value(Bin(vec![1, 2])).unwrap(), json!([1, 2]));
        let atts = vec![vec![9u8, 8]];
        assert_eq!(
            attachment(&json!({"_placeholder": true, "num": 0}), &atts),
            Some(&[9u8, 8][..])
        );
        assert_eq!(attachment(&json!({"_placeholder": true, "num": 1}), &atts), None);
        assert_eq!(attachment(&json!({"num": 0}), &atts), None);
    }
}
