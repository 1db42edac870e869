//! Browser tests (headless Chromium) of the driver + engine through the Rust API, against
//! the reference server and its fault controls. What's tested:
//! - open, typed echo, requests (resolve, remote error, timeout, connection-lost, closed)
//! - reconnect after `/control/drop` within the jittered delay window
//! - refused connections: backoff growth, then recovery
//! - `connectTimeoutMs`: a hanging handshake is abandoned and counted as a failed attempt
//! - half-open peer detected by the heartbeat within interval + timeout (+ slack)
//! - close policy: 1008 → closed; `retryAfterMs` honoured
//! - queue order across a reconnect, exactly once (server log)
//! - overflow policies and TTL expiry while disconnected
//! - `maxMessageBytes`: refused frame → error event, connection survives
//! - malformed frames → raw / protocol errors, connection keeps working
//! - `offline`/`online` events on `window`, `visibilitychange` on `document`
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod web_util;

use serde_json::json;
use steadysocket::client::{RawMessage, SocketEvent, SteadySocket};
use steadysocket::core::heartbeat::HeartbeatConfig;
use steadysocket::core::{
    BackoffConfig, DropReason, ErrorKind, OutboxConfig, Overflow, ReconnectConfig, Sent, State,
};
use steadysocket::{Error, RequestErrorKind};
use wasm_bindgen_test::*;
use web_util::*;

wasm_bindgen_test_configure!(run_in_browser);

fn fast(min: f64, jitter: f64) -> ReconnectConfig {
    ReconnectConfig {
        backoff: BackoffConfig {
            min_delay_ms: min,
            max_delay_ms: 2000.0,
            factor: 2.0,
            jitter,
            max_attempts: None,
        },
        ..Default::default()
    }
}

#[wasm_bindgen_test]
async fn open_echo_and_requests() {
    let t = tag("basic");
    let s = SteadySocket::builder(ws(&t)).build().unwrap();
    let mut ev = s.events();
    assert_eq!(s.send("echo", &json!({"n": 1})).unwrap(), Sent::Queued);
    opened(&mut ev, 5000).await;
    let m = wait_for(&mut ev, 3000, |e| matches!(e, SocketEvent::Message(m) if m.ty == "echo"))
        .await
        .expect("echo");
    let SocketEvent::Message(m) = m else { unreachable!() };
    assert_eq!(m.data::<serde_json::Value>().unwrap(), json!({"n": 1}));

    let sum: f64 = within(3000, s.request("add", &json!({"a": 2, "b": 3}))).await.unwrap();
    assert_eq!(sum, 5.0);
    let back: serde_json::Value =
        within(3000, s.request("echo", &json!([1, "two"]))).await.unwrap();
    assert_eq!(back, json!([1, "two"]));
    let err = within(
        3000,
        s.request::<_, serde_json::Value>("fail", &json!({"message": "nope", "code": "E42"})),
    )
    .await;
    assert_eq!(
        err,
        Err(Error::Request {
            kind: RequestErrorKind::Remote,
            code: Some("E42".into()),
            message: "nope".into()
        })
    );
    let timeout = within(
        3000,
        s.request_with_timeout::<_, serde_json::Value>("slow", &json!({"ms": 2000}), Some(200.0)),
    )
    .await;
    assert!(
        matches!(timeout, Err(Error::Request { kind: RequestErrorKind::Timeout, .. })),
        "{timeout:?}"
    );
    s.close(1000, "done").unwrap();
    wait_for(&mut ev, 3000, |e| matches!(e, SocketEvent::State { to: State::Closed, .. }))
        .await
        .expect("closed");
    assert!(matches!(s.send("x", &1), Err(Error::Closed)));
}

#[wasm_bindgen_test]
async fn reconnects_after_drop_within_delay_window() {
    let t = tag("drop");
    let s = SteadySocket::builder(ws(&t)).reconnect(fast(300.0, 0.5)).build().unwrap();
    let mut ev = s.events();
    opened(&mut ev, 5000).await;
    let dropped = control(&format!("/control/drop?tag={t}")).await;
    assert_eq!(dropped["dropped"], 1);
    let t0 = now();
    let close =
        wait_for(&mut ev, 3000, |e| matches!(e, SocketEvent::Close { .. })).await.expect("close");
    assert!(
        matches!(close, SocketEvent::Close { code: 1006, will_reconnect: true, .. }),
        "{close:?}"
    );
    let Some(SocketEvent::Reconnecting { delay_ms: Some(d), attempt: 1 }) =
        wait_for(&mut ev, 1000, |e| matches!(e, SocketEvent::Reconnecting { .. })).await
    else {
        panic!("no reconnecting event")
    };
    assert!((150.0..=300.0).contains(&d), "delay {d} outside [150, 300]");
    let open = opened(&mut ev, 5000).await;
    let waited = now() - t0;
    assert!(matches!(open, SocketEvent::Open { reconnected: true, .. }));
    assert!(waited >= d - 20.0 && waited < d + 1500.0, "reopened after {waited} ms, delay {d}");
    assert_eq!(s.metrics().reconnects, 1);
}

#[wasm_bindgen_test]
async fn refused_connections_back_off_then_recover() {
    let t = tag("refuse");
    control(&format!("/control/refuse?ms=60000&tag={t}")).await;
    let s = SteadySocket::builder(ws(&t)).reconnect(fast(100.0, 0.0)).build().unwrap();
    let mut ev = s.events();
    let mut delays = vec![];
    while delays.len() < 4 {
        match wait_for(&mut ev, 5000, |e| {
            matches!(e, SocketEvent::Reconnecting { .. } | SocketEvent::Error { .. })
        })
        .await
        {
            Some(SocketEvent::Reconnecting { delay_ms: Some(d), .. }) => delays.push(d),
            Some(SocketEvent::Error { kind, .. }) => assert_eq!(kind, ErrorKind::Connect),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(delays, [100.0, 200.0, 400.0, 800.0]);
    control(&format!("/control/refuse?ms=0&tag={t}")).await;
    let open = opened(&mut ev, 5000).await;
    assert!(matches!(open, SocketEvent::Open { reconnected: false, attempt: 4 | 5 }), "{open:?}");
}

#[wasm_bindgen_test]
async fn half_open_peer_detected_by_heartbeat() {
    let t = tag("half");
    let hb = HeartbeatConfig { interval_ms: 400.0, timeout_ms: 300.0, ..Default::default() };
    let s = SteadySocket::builder(ws(&t)).heartbeat(hb).reconnect(fast(50.0, 0.0)).build().unwrap();
    let mut ev = s.events();
    opened(&mut ev, 5000).await;
    // One round trip so the RTT is measured.
    wait_for(&mut ev, 100, |_| false).await;
    let frozen = control(&format!("/control/halfopen?ms=10000&tag={t}")).await;
    assert_eq!(frozen["halfOpen"], 1);
    let t0 = now();
    let close = wait_for(&mut ev, 3000, |e| matches!(e, SocketEvent::Close { .. }))
        .await
        .expect("dead peer not detected");
    let took = now() - t0;
    assert!(
        matches!(&close, SocketEvent::Close { reason, will_reconnect: true, .. } if reason == "heartbeat timeout"),
        "{close:?}"
    );
    assert!(took <= 400.0 + 300.0 + 250.0, "detected after {took} ms (interval 400 + timeout 300)");
    assert!(took >= 250.0, "detected too early: {took} ms");
    opened(&mut ev, 5000).await;
    let v: f64 = within(3000, s.request("add", &json!({"a": 1, "b": 1}))).await.unwrap();
    assert_eq!(v, 2.0);
}

#[wasm_bindgen_test]
async fn close_policy_and_retry_after() {
    let t = tag("policy");
    let s = SteadySocket::builder(ws(&t)).reconnect(fast(50.0, 0.0)).build().unwrap();
    let mut ev = s.events();
    opened(&mut ev, 5000).await;
    let reason = r#"{"retryAfterMs":700}"#;
    control(&format!(
        "/control/close?code=4100&reason={}&tag={t}",
        js_sys::encode_uri_component(reason)
    ))
    .await;
    let rec = wait_for(&mut ev, 3000, |e| matches!(e, SocketEvent::Reconnecting { .. })).await;
    assert!(
        matches!(rec, Some(SocketEvent::Reconnecting { delay_ms: Some(d), .. }) if d == 700.0),
        "{rec:?}"
    );
    opened(&mut ev, 5000).await;
    control(&format!("/control/close?code=1008&reason=go+away&tag={t}")).await;
    let close =
        wait_for(&mut ev, 3000, |e| matches!(e, SocketEvent::Close { .. })).await.expect("close");
    assert!(
        matches!(&close, SocketEvent::Close { code: 1008, will_reconnect: false, reason, .. } if reason == "go away"),
        "{close:?}"
    );
    wait_for(&mut ev, 1000, |e| matches!(e, SocketEvent::State { to: State::Closed, .. }))
        .await
        .expect("closed");
    assert_eq!(s.state(), State::Closed);
}

#[wasm_bindgen_test]
async fn queue_order_across_reconnect_exactly_once() {
    let t = tag("order");
    let s = SteadySocket::builder(ws(&t)).reconnect(fast(50.0, 0.0)).build().unwrap();
    let mut ev = s.events();
    opened(&mut ev, 5000).await;
    control(&format!("/control/refuse?ms=600&drop=1&tag={t}")).await;
    wait_for(&mut ev, 2000, |e| matches!(e, SocketEvent::Close { .. })).await.expect("close");
    for i in 0..20 {
        assert_eq!(s.send("q", &i).unwrap(), Sent::Queued);
    }
    assert_eq!(s.queued(), 20);
    opened(&mut ev, 5000).await;
    s.send("q", &20).unwrap();
    let v: serde_json::Value = within(3000, s.request("echo", &0)).await.unwrap();
    assert_eq!(v, 0);
    let log = control(&format!("/control/log?type=q&tag={t}")).await;
    let got: Vec<i64> =
        log["events"].as_array().unwrap().iter().map(|e| e["data"].as_i64().unwrap()).collect();
    assert_eq!(got, (0..=20).collect::<Vec<_>>());
}

#[wasm_bindgen_test]
async fn overflow_policies_and_ttl_while_disconnected() {
    let t = tag("overflow");
    control(&format!("/control/refuse?ms=60000&tag={t}")).await;
    let q =
        |overflow, ttl_ms| OutboxConfig { max_messages: 2, max_bytes: 1 << 20, overflow, ttl_ms };

    let s = SteadySocket::builder(ws(&t)).queue(q(Overflow::DropOldest, None)).build().unwrap();
    let mut ev = s.events();
    for i in 0..4 {
        assert_eq!(s.send("m", &i).unwrap(), Sent::Queued);
    }
    for want in ["0", "1"] {
        let d = wait_for(&mut ev, 1000, |e| matches!(e, SocketEvent::Dropped { .. }))
            .await
            .expect("drop");
        assert!(
            matches!(&d, SocketEvent::Dropped { reason: DropReason::Overflow, data_json: Some(j), .. } if j == want),
            "{d:?}"
        );
    }
    drop(s);

    let s = SteadySocket::builder(ws(&t)).queue(q(Overflow::DropNewest, None)).build().unwrap();
    let got: Vec<Sent> = (0..3).map(|i| s.send("m", &i).unwrap()).collect();
    assert_eq!(got, [Sent::Queued, Sent::Queued, Sent::Dropped]);
    drop(s);

    let s = SteadySocket::builder(ws(&t)).queue(q(Overflow::Error, None)).build().unwrap();
    s.send("m", &0).unwrap();
    s.send("m", &1).unwrap();
    assert!(matches!(s.send("m", &2), Err(Error::QueueFull)));
    drop(s);

    let s =
        SteadySocket::builder(ws(&t)).queue(q(Overflow::DropOldest, Some(250.0))).build().unwrap();
    let mut ev = s.events();
    let t0 = now();
    s.send("m", &7).unwrap();
    let d = wait_for(&mut ev, 2000, |e| matches!(e, SocketEvent::Dropped { .. }))
        .await
        .expect("expiry");
    let took = now() - t0;
    assert!(matches!(d, SocketEvent::Dropped { reason: DropReason::Expired, .. }), "{d:?}");
    assert!((240.0..1000.0).contains(&took), "expired after {took} ms");
    control(&format!("/control/refuse?ms=0&tag={t}")).await;
}

#[wasm_bindgen_test]
async fn requests_fail_with_connection_lost_and_closed() {
    let t = tag("reqfail");
    let s = SteadySocket::builder(ws(&t)).reconnect(fast(50.0, 0.0)).build().unwrap();
    let mut ev = s.events();
    opened(&mut ev, 5000).await;
    let lost = s.request::<_, serde_json::Value>("slow", &json!({"ms": 5000}));
    // Make sure it is on the wire before dropping.
    let _: serde_json::Value = within(3000, s.request("echo", &1)).await.unwrap();
    control(&format!("/control/drop?tag={t}")).await;
    let r = within(3000, lost).await;
    assert!(
        matches!(r, Err(Error::Request { kind: RequestErrorKind::ConnectionLost, .. })),
        "{r:?}"
    );
    opened(&mut ev, 5000).await;
    let pending = s.request::<_, serde_json::Value>("slow", &json!({"ms": 5000}));
    s.close(1000, "").unwrap();
    let r = within(5000, pending).await;
    assert!(matches!(r, Err(Error::Request { kind: RequestErrorKind::Closed, .. })), "{r:?}");
}

#[wasm_bindgen_test]
async fn max_message_bytes_refuses_frame_and_survives() {
    let t = tag("big");
    let s = SteadySocket::builder(ws(&t)).max_message_bytes(1000).build().unwrap();
    let mut ev = s.events();
    opened(&mut ev, 5000).await;
    s.send("burst", &json!({"count": 1, "size": 5000})).unwrap();
    let e = wait_for(&mut ev, 3000, |e| {
        matches!(e, SocketEvent::Error { .. } | SocketEvent::Message(_))
    })
    .await;
    assert!(matches!(e, Some(SocketEvent::Error { kind: ErrorKind::MessageTooBig, .. })), "{e:?}");
    let v: f64 = within(3000, s.request("add", &json!({"a": 20, "b": 22}))).await.unwrap();
    assert_eq!(v, 42.0);
    assert_eq!(s.state(), State::Open);
}

#[wasm_bindgen_test]
async fn malformed_frames_become_raw_or_errors() {
    let t = tag("garbage");
    let s = SteadySocket::builder(ws(&t)).build().unwrap();
    let mut ev = s.events();
    opened(&mut ev, 5000).await;
    control(&format!("/control/garbage?tag={t}")).await;
    let mut raws = vec![];
    let mut protocol_errors = 0;
    loop {
        match wait_for(&mut ev, 3000, |e| {
            matches!(e, SocketEvent::Raw(_) | SocketEvent::Error { .. } | SocketEvent::Message(_))
        })
        .await
        {
            Some(SocketEvent::Raw(r)) => raws.push(r),
            Some(SocketEvent::Error { kind: ErrorKind::Protocol, .. }) => protocol_errors += 1,
            Some(SocketEvent::Message(m)) if m.ty == "garbage-done" => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        raws,
        [
            RawMessage::Text("not json {".into()),
            RawMessage::Text("[1,2,3]".into()),
            RawMessage::Text(r#"{"foo":1}"#.into()),
            RawMessage::Text(r#"{"type":42}"#.into()),
            RawMessage::Binary(vec![0, 255, 1, 254]),
        ]
    );
    assert_eq!(protocol_errors, 2, "replyTo \"x\" and an unknown reply id");
    let v: f64 = within(3000, s.request("add", &json!({"a": 1, "b": 2}))).await.unwrap();
    assert_eq!(v, 3.0);
}

#[wasm_bindgen_test]
async fn offline_online_and_visibility_events() {
    let t = tag("env");
    control(&format!("/control/refuse?ms=60000&tag={t}")).await;
    let s = SteadySocket::builder(ws(&t)).reconnect(fast(2000.0, 0.0)).build().unwrap();
    let mut ev = s.events();
    wait_for(&mut ev, 5000, |e| matches!(e, SocketEvent::Reconnecting { .. }))
        .await
        .expect("reconnecting");
    js("window.dispatchEvent(new Event('offline'))");
    let r = wait_for(&mut ev, 1000, |e| matches!(e, SocketEvent::Reconnecting { .. })).await;
    assert!(matches!(r, Some(SocketEvent::Reconnecting { delay_ms: None, .. })), "offline: {r:?}");
    control(&format!("/control/refuse?ms=0&tag={t}")).await;
    let t0 = now();
    js("window.dispatchEvent(new Event('online'))");
    opened(&mut ev, 3000).await;
    assert!(now() - t0 < 1500.0, "online must attempt at once, not after the 2 s backoff");

    // Hidden → visible while open: an immediate heartbeat probe measures the RTT.
    assert!(s.metrics().rtt.latest.is_none());
    js("Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true}); document.dispatchEvent(new Event('visibilitychange'));");
    js("Object.defineProperty(document, 'visibilityState', {value: 'visible', configurable: true}); document.dispatchEvent(new Event('visibilitychange'));");
    let t1 = now();
    while s.metrics().rtt.latest.is_none() {
        assert!(now() - t1 < 2000.0, "no probe after becoming visible");
        wait_for(&mut ev, 20, |_| false).await;
    }
    js("delete document.visibilityState");
}

#[wasm_bindgen_test]
async fn connect_timeout_abandons_a_hanging_handshake() {
    let url = format!("{}/ws/hang?ms=5000", server().replacen("http", "ws", 1));
    let s = SteadySocket::builder(url)
        .connect_timeout_ms(300.0)
        .reconnect(fast(1500.0, 0.0))
        .build()
        .unwrap();
    let mut ev = s.events();
    let t0 = now();
    let e = wait_for(&mut ev, 3000, |e| matches!(e, SocketEvent::Error { .. })).await;
    let took = now() - t0;
    assert!(matches!(e, Some(SocketEvent::Error { kind: ErrorKind::ConnectTimeout, .. })), "{e:?}");
    assert!((250.0..1500.0).contains(&took), "timed out after {took} ms (connectTimeoutMs 300)");
    let r = wait_for(&mut ev, 1000, |e| matches!(e, SocketEvent::Reconnecting { .. })).await;
    assert!(
        matches!(r, Some(SocketEvent::Reconnecting { attempt: 1, delay_ms: Some(d) }) if d == 1500.0),
        "{r:?}"
    );
    assert_eq!(s.state(), State::Reconnecting);
}

/// The Rust facade applies the same argument checks as the JS one (core::validate): a NaN
/// or zero per-request timeout is refused (NaN must not mean "time out at once"); close
/// codes and reasons are checked; subprotocols must be distinct tokens.
#[wasm_bindgen_test]
async fn rust_facade_checks_arguments_like_js() {
    let t = tag("rustargs");
    let bad = SteadySocket::builder(ws(&t)).protocols(vec!["a b".into()]).build();
    assert!(matches!(bad, Err(Error::Option(ref e)) if e.path == "protocols[0]"), "{bad:?}");
    let dup = SteadySocket::builder(ws(&t)).protocols(vec!["x".into(), "x".into()]).build();
    assert!(matches!(dup, Err(Error::Option(ref e)) if e.path == "protocols[1]"), "{dup:?}");
    let s = SteadySocket::builder(ws(&t)).build().unwrap();
    let mut ev = s.events();
    opened(&mut ev, 5000).await;
    for t in [f64::NAN, 0.0, -1.0, f64::INFINITY] {
        let r: Result<serde_json::Value, Error> =
            within(1000, s.request_with_timeout("echo", &1, Some(t))).await;
        assert!(matches!(r, Err(Error::Option(ref e)) if e.path == "timeoutMs"), "{t}: {r:?}");
    }
    let ok: serde_json::Value =
        within(3000, s.request_with_timeout("echo", &1, Some(2000.0))).await.unwrap();
    assert_eq!(ok, json!(1));
    assert!(matches!(s.close(999, ""), Err(Error::Option(ref e)) if e.path == "code"));
    assert!(
        matches!(s.close(1000, &"x".repeat(124)), Err(Error::Option(ref e)) if e.path == "reason")
    );
    s.close(1000, "bye").unwrap();
}
