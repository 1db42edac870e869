//! Fault-injection controls: drop (abrupt end, no close frame), refuse (503 window, `ms=0`
//! cancels, `drop=1`), halfopen (no pongs, then TCP drop; new connections unaffected), close
//! (exact code/reason; invalid code/reason → 400), garbage (exact frame sequence), delay
//! (pong no earlier than the delay; per tag), reset, stats, tag isolation, parameter
//! validation (400/404) and the CORS preflight.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::{self, Message};

#[tokio::test]
async fn drop_ends_connections_without_close_frame() {
    let s = start().await;
    let mut ws = s.ws("/ws").await;
    let mut raw = s.ws("/ws/raw?tag=x").await;
    assert_eq!(s.ok("drop").await, json!({"dropped": 2}));
    expect_abrupt_end(&mut ws).await;
    expect_abrupt_end(&mut raw).await;
    assert_eq!(s.ok("stats").await["connections"], 0);
}

#[tokio::test]
async fn drop_with_tag_spares_other_tags() {
    let s = start().await;
    let mut a = s.ws("/ws?tag=a").await;
    let mut b = s.ws("/ws?tag=b").await;
    let mut untagged = s.ws("/ws").await;
    assert_eq!(s.ok("drop?tag=a").await, json!({"dropped": 1}));
    expect_abrupt_end(&mut a).await;
    ping_ok(&mut b).await;
    ping_ok(&mut untagged).await;
    assert_eq!(s.ok("stats?tag=b").await["connections"], 1);
    assert_eq!(s.ok("stats").await["connections"], 2);
}

fn assert_503(result: Result<Ws, tungstenite::Error>) {
    match result {
        Err(tungstenite::Error::Http(res)) => assert_eq!(res.status(), 503),
        Err(e) => panic!("expected HTTP 503, got {e}"),
        Ok(_) => panic!("expected HTTP 503, got a connection"),
    }
}

#[tokio::test]
async fn refuse_window_then_cancel() {
    let s = start().await;
    assert_eq!(s.ok("refuse?ms=600000&tag=a").await, json!({"refusingForMs": 600000}));
    assert_503(s.try_ws("/ws?tag=a").await);
    assert_503(s.try_ws("/ws/raw?tag=a").await);
    let mut b = s.ws("/ws?tag=b").await; // other tags are unaffected
    ping_ok(&mut b).await;
    assert_eq!(s.ok("stats").await["refused"], 2);
    s.ok("refuse?ms=0&tag=a").await;
    ping_ok(&mut s.ws("/ws?tag=a").await).await;

    // Untagged refuse covers everyone; reset clears it.
    s.ok("refuse?ms=600000").await;
    assert_503(s.try_ws("/ws?tag=b").await);
    assert_503(s.try_ws("/ws").await);
    assert_eq!(s.ok("reset").await, json!({"ok": true}));
    ping_ok(&mut s.ws("/ws").await).await;
}

#[tokio::test]
async fn refuse_with_drop_simulates_a_restart() {
    let s = start().await;
    let mut a = s.ws("/ws?tag=a").await;
    let mut b = s.ws("/ws?tag=b").await;
    assert_eq!(
        s.ok("refuse?ms=600000&drop=1&tag=a").await,
        json!({"refusingForMs": 600000, "dropped": 1})
    );
    expect_abrupt_end(&mut a).await;
    assert_503(s.try_ws("/ws?tag=a").await);
    ping_ok(&mut b).await;
}

#[tokio::test]
async fn halfopen_freezes_then_drops() {
    let s = start().await;
    let mut a = s.ws("/ws?tag=a").await;
    let mut b = s.ws("/ws?tag=b").await;
    assert_eq!(s.ok("halfopen?ms=1500&tag=a").await, json!({"halfOpen": 1}));
    send(&mut a, json!({"type": "ping"})).await; // TCP is still open, so the write succeeds
    let started = Instant::now();
    assert!(
        timeout(Duration::from_millis(300), futures_util::StreamExt::next(&mut a)).await.is_err(),
        "a frozen connection must not answer"
    );
    ping_ok(&mut b).await; // other tags unaffected
    ping_ok(&mut s.ws("/ws?tag=a").await).await; // new connections behave normally
    expect_abrupt_end(&mut a).await;
    assert!(started.elapsed() >= Duration::from_millis(1000), "dropped too early");
}

#[tokio::test]
async fn close_sends_exact_code_and_reason() {
    let s = start().await;
    let mut a = s.ws("/ws?tag=a").await;
    let mut raw = s.ws("/ws/raw?tag=a").await;
    let mut b = s.ws("/ws?tag=b").await;
    assert_eq!(s.ok("close?code=4321&reason=bye%20now&tag=a").await, json!({"closed": 2}));
    assert_eq!(expect_close(&mut a).await, (4321, "bye now".to_owned()));
    assert_eq!(expect_close(&mut raw).await, (4321, "bye now".to_owned()));
    ping_ok(&mut b).await;
    assert_eq!(s.ok("close?code=1001").await, json!({"closed": 1}));
    assert_eq!(expect_close(&mut b).await, (1001, String::new()));
}

#[tokio::test]
async fn bad_parameters_are_rejected() {
    let s = start().await;
    let long_reason = format!("close?code=1000&reason={}", "r".repeat(124));
    for (path, param) in [
        ("close?code=1005", "code"),
        ("close?code=999", "code"),
        ("close?code=5000", "code"),
        ("close?code=abc", "code"),
        ("close", "code"),
        (long_reason.as_str(), "reason"),
        ("refuse", "ms"),
        ("refuse?ms=-1", "ms"),
        ("refuse?ms=600001", "ms"),
        ("refuse?ms=5&drop=yes", "drop"),
        ("halfopen?ms=0", "ms"),
        ("delay?ms=x", "ms"),
        ("drop?tag=", "tag"),
        ("drop?tag=a%20b", "tag"),
    ] {
        let (status, body) = s.control(path).await;
        assert_eq!(status, 400, "{path}");
        assert!(body["error"].as_str().unwrap().contains(&format!("`{param}`")), "{path}: {body}");
    }
    // 123 bytes of reason is fine.
    assert_eq!(s.control(&format!("close?code=1000&reason={}", "r".repeat(123))).await.0, 200);
    assert_eq!(s.control("nope").await.0, 404);
    assert_eq!(
        s.try_ws("/ws?tag=bad%20tag").await.err().map(|e| match e {
            tungstenite::Error::Http(res) => res.status().as_u16(),
            _ => 0,
        }),
        Some(400)
    );
}

#[tokio::test]
async fn garbage_sends_exact_sequence() {
    let s = start().await;
    let mut ws = s.ws("/ws").await;
    let mut raw = s.ws("/ws/raw").await; // garbage targets /ws only
    assert_eq!(s.ok("garbage").await, json!({"sent": 1}));
    let expected = [
        Message::text("not json {"),
        Message::text("[1,2,3]"),
        Message::text(r#"{"foo":1}"#),
        Message::text(r#"{"type":42}"#),
        Message::text(r#"{"replyTo":"x","data":1}"#),
        Message::text(r#"{"replyTo":999999999,"data":null}"#),
        Message::binary(vec![0u8, 255, 1, 254]),
    ];
    for frame in expected {
        assert_eq!(recv(&mut ws).await, frame);
    }
    assert_eq!(recv_json(&mut ws).await, json!({"type": "garbage-done", "data": null}));
    raw.send_text("still echo").await;
    assert_eq!(recv(&mut raw).await, Message::text("still echo"));
}

#[tokio::test]
async fn delay_holds_frames_per_tag() {
    let s = start().await;
    let mut a = s.ws("/ws?tag=a").await;
    let mut b = s.ws("/ws?tag=b").await;
    assert_eq!(s.ok("delay?ms=400&tag=a").await, json!({"delayMs": 400}));
    let sent = Instant::now();
    send(&mut a, json!({"type": "ping"})).await;
    send(&mut a, json!({"type": "e", "data": 1})).await;
    send(&mut b, json!({"type": "ping"})).await;
    assert_eq!(recv_json(&mut b).await, json!({"type": "pong"}));
    assert!(sent.elapsed() < Duration::from_millis(400), "tag b must not be delayed");
    assert_eq!(recv_json(&mut a).await, json!({"type": "pong"}));
    assert!(sent.elapsed() >= Duration::from_millis(400), "pong came too early");
    assert_eq!(recv_json(&mut a).await, json!({"type": "e", "data": 1})); // order kept

    // New connections with the tag are delayed too; reset clears it.
    let mut a2 = s.ws("/ws?tag=a").await;
    let sent = Instant::now();
    ping_ok(&mut a2).await;
    assert!(sent.elapsed() >= Duration::from_millis(400));
    s.ok("reset?tag=a").await;
    let sent = Instant::now();
    ping_ok(&mut a2).await;
    assert!(sent.elapsed() < Duration::from_millis(400));
}

#[tokio::test]
async fn stats_count_per_tag() {
    let s = start().await;
    let _a1 = s.ws("/ws?tag=a").await;
    let _a2 = s.ws("/ws/raw?tag=a").await;
    let _b = s.ws("/ws?tag=b").await;
    assert_eq!(s.ok("stats?tag=a").await, json!({"connections": 2, "accepted": 3, "refused": 0}));
    assert_eq!(s.ok("stats").await["connections"], 3);
    // GET works too.
    let res = http(s.addr, "GET", "/control/stats?tag=b").await;
    assert_eq!(res.status, 200);
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&res.body).unwrap()["connections"], 1);
}

#[tokio::test]
async fn cors_preflight_and_headers_on_controls() {
    let s = start().await;
    let res = http(s.addr, "OPTIONS", "/control/drop").await;
    assert_eq!(res.status, 204);
    assert_eq!(res.header("access-control-allow-origin"), Some("*"));
    assert!(res.header("access-control-allow-methods").unwrap().contains("POST"));
    assert_eq!(res.header("access-control-allow-headers"), Some("*"));
    let res = http(s.addr, "POST", "/control/reset").await;
    assert_eq!(res.header("access-control-allow-origin"), Some("*"));
    assert_eq!(res.header("cross-origin-embedder-policy"), Some("require-corp"));
    assert_eq!(res.header("content-type"), Some("application/json"));
}
