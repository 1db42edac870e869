//! Browser tests (headless Chromium) of the Rust API's subscriptions and backpressure against
//! the reference server. What's tested:
//! - `subscribe` is sent on every open before the backlog (the server's log across a drop);
//!   `unsubscribe` stops it
//! - `water_marks`: against a stalled server (`/control/stall`) sends are held (`Queued`,
//!   `writable()` false) until the buffer drains; `ready()` resolves then; all arrive in order
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod web_util;

use serde_json::{json, Value};
use steadysocket::client::{SocketEvent, SteadySocket};
use steadysocket::core::{BackoffConfig, OutboxConfig, ReconnectConfig, Sent};
use wasm_bindgen_test::*;
use web_util::*;

wasm_bindgen_test_configure!(run_in_browser);

fn fast() -> ReconnectConfig {
    ReconnectConfig {
        backoff: BackoffConfig { min_delay_ms: 50.0, jitter: 0.0, ..Default::default() },
        ..Default::default()
    }
}

/// The server's log for `t`: `type:data` of each event it received.
async fn log(t: &str) -> Vec<String> {
    let v = control(&format!("/control/log?tag={t}")).await;
    v["events"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| format!("{}:{}", e["type"].as_str().unwrap_or(""), e["data"]))
                .collect()
        })
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn subscriptions_are_sent_on_every_open_before_the_backlog() {
    let t = tag("rsubs");
    let s = SteadySocket::builder(ws(&t)).reconnect(fast()).build().unwrap();
    let mut ev = s.events();
    let watch = s.subscribe("watch", &json!({"room": "a"})).unwrap();
    assert_eq!(s.send("m", &1).unwrap(), Sent::Queued);
    opened(&mut ev, 5000).await;
    wait_for(&mut ev, 3000, |e| matches!(e, SocketEvent::Message(m) if m.ty == "m")).await.unwrap();
    control(&format!("/control/drop?tag={t}")).await;
    opened(&mut ev, 5000).await;
    s.send("m", &2).unwrap();
    wait_for(&mut ev, 3000, |e| {
        matches!(e, SocketEvent::Message(m) if m.ty == "m" && m.data::<Value>().ok() == Some(json!(2)))
    })
    .await
    .unwrap();
    assert!(s.unsubscribe(watch));
    assert!(!s.unsubscribe(watch));
    assert_eq!(log(&t).await, vec![r#"watch:{"room":"a"}"#, "m:1", r#"watch:{"room":"a"}"#, "m:2"]);
}

#[wasm_bindgen_test]
async fn water_marks_hold_sends_until_the_drain_and_ready_waits_for_it() {
    let t = tag("rbp");
    let s = SteadySocket::builder(ws(&t))
        .water_marks(256 * 1024, 64 * 1024)
        .queue(OutboxConfig { max_messages: 100_000, max_bytes: 8 << 20, ..Default::default() })
        .build()
        .unwrap();
    let mut ev = s.events();
    opened(&mut ev, 5000).await;
    assert!(s.writable());
    control(&format!("/control/stall?tag={t}&ms=1000")).await;
    let pad = "x".repeat(16 * 1024);
    let mut n = 0u32;
    let mut held = false;
    while n < 2000 {
        let r = s.send("p", &json!({"n": n, "pad": pad})).unwrap();
        n += 1;
        if r == Sent::Queued {
            held = true;
            break;
        }
    }
    assert!(held, "the buffer never passed the high water mark in {n} sends");
    assert!(!s.writable());
    // Resolves at the drain (the held messages then go, possibly filling the buffer again).
    within(10_000, s.ready()).await;
    // Every message reaches the server once, in order (it echoes them back).
    let mut next = 0u32;
    while next < n {
        let e = wait_for(&mut ev, 10_000, |e| matches!(e, SocketEvent::Message(m) if m.ty == "p"))
            .await
            .expect("all echoes");
        if let SocketEvent::Message(m) = e {
            let v: Value = m.data().unwrap();
            assert_eq!(v["n"], json!(next));
            next += 1;
        }
    }
}

#[wasm_bindgen_test]
async fn send_acked_resolves_when_the_server_acknowledges() {
    let t = tag("racked");
    let s = SteadySocket::builder(ws(&t)).at_least_once().reconnect(fast()).build().unwrap();
    let mut ev = s.events();
    // Queued before the connection: acknowledged once it opens and the server has it.
    within(5000, s.send_acked("m", &1)).await.unwrap();
    opened(&mut ev, 1).await;
    within(5000, s.send_acked("m", &2)).await.unwrap();
    assert!(log(&t).await.ends_with(&["m:1".to_string(), "m:2".to_string()]));
    // Without reliable mode: Unsupported.
    let plain = SteadySocket::builder(ws(&t)).build().unwrap();
    assert!(matches!(plain.send_acked("m", &3).await, Err(steadysocket::Error::Unsupported(_))));
}
