//! Browser tests (headless Chromium) of the Rust API's URL provider
//! (`SteadySocket::builder_with`) against the reference server. What's tested:
//! - the provider is called once per attempt and its fresh URL is the one connected to: the
//!   server sees tag `<t>-1`, then `<t>-2` after `/control/drop` (asked with `whoami`)
//! - as in JS, an `Err` or a URL that is not `ws:`/`wss:` fails that attempt only: an
//!   `Error` event of kind `url` with the message, a `Reconnecting`, then the next attempt
//! - the provider's future is awaited (the attempt waits for it); dropping the socket while
//!   it is pending, then resolving it, is harmless
//! - an endpoint list (`builder_endpoints`): a dead first node skipped, `Endpoint(1)` on the
//!   open; an empty list or a bad URL in it refused at build time
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod web_util;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures_channel::oneshot;
use serde_json::{json, Value};
use steadysocket::client::{SocketEvent, SteadySocket};
use steadysocket::core::{BackoffConfig, ErrorKind, ReconnectConfig, State};
use wasm_bindgen_test::*;
use web_util::*;

wasm_bindgen_test_configure!(run_in_browser);

fn fast() -> ReconnectConfig {
    ReconnectConfig {
        backoff: BackoffConfig {
            min_delay_ms: 50.0,
            max_delay_ms: 200.0,
            factor: 2.0,
            jitter: 0.0,
            max_attempts: None,
        },
        ..Default::default()
    }
}

async fn whoami(s: &SteadySocket) -> String {
    let who: Value = within(3000, s.request("whoami", &json!(null))).await.unwrap();
    who["tag"].as_str().unwrap_or_default().to_owned()
}

#[wasm_bindgen_test]
async fn fresh_url_per_attempt() {
    let base = tag("urlp");
    let calls = Rc::new(Cell::new(0u32));
    let (c, b) = (calls.clone(), base.clone());
    let s = SteadySocket::builder_with(move || {
        c.set(c.get() + 1);
        let url = ws(&format!("{b}-{}", c.get()));
        async move { Ok::<_, String>(url) }
    })
    .reconnect(fast())
    .build()
    .unwrap();
    let mut ev = s.events();
    opened(&mut ev, 5000).await;
    assert_eq!(whoami(&s).await, format!("{base}-1"));
    assert_eq!(calls.get(), 1);

    control(&format!("/control/drop?tag={base}-1")).await;
    let SocketEvent::Open { reconnected, .. } = opened(&mut ev, 5000).await else { unreachable!() };
    assert!(reconnected);
    assert_eq!(whoami(&s).await, format!("{base}-2"));
    assert_eq!(calls.get(), 2);
}

#[wasm_bindgen_test]
async fn failed_provider_fails_the_attempt_only() {
    let t = tag("urlp-err");
    let calls = Rc::new(Cell::new(0u32));
    let (c, url) = (calls.clone(), ws(&t));
    let s = SteadySocket::builder_with(move || {
        c.set(c.get() + 1);
        let r = match c.get() {
            1 => Err("no token yet".to_owned()),
            2 => Ok("http://127.0.0.1:1/ws".to_owned()),
            _ => Ok(url.clone()),
        };
        async move { r }
    })
    .reconnect(fast())
    .build()
    .unwrap();
    let mut ev = s.events();
    let mut seen = Vec::new();
    let open = wait_for(&mut ev, 5000, |e| {
        match e {
            SocketEvent::Error { kind, message } => seen.push((*kind, message.clone())),
            SocketEvent::Reconnecting { attempt, .. } => {
                seen.push((ErrorKind::Url, ["reconnecting ", &attempt.to_string()].concat()))
            }
            _ => {}
        }
        matches!(e, SocketEvent::Open { .. })
    })
    .await;
    assert!(open.is_some(), "no open after the failed attempts: {seen:?}");
    assert_eq!(calls.get(), 3);
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert_eq!(seen[0].0, ErrorKind::Url);
    assert!(seen[0].1.contains("url provider rejected: no token yet"), "{seen:?}");
    assert_eq!(seen[1].1, "reconnecting 1");
    assert_eq!(seen[2].0, ErrorKind::Url);
    assert!(seen[2].1.contains("the scheme must be ws: or wss:"), "{seen:?}");
    assert_eq!(seen[3].1, "reconnecting 2");
    assert_eq!(whoami(&s).await, t);
}

/// A provider whose URL the test hands over later, and which says when it was called.
fn gated(
    url_rx: oneshot::Receiver<String>,
) -> (impl Fn() -> oneshot::Receiver<String> + 'static, oneshot::Receiver<()>) {
    let (called_tx, called_rx) = oneshot::channel();
    let slot = Rc::new(RefCell::new(Some((url_rx, called_tx))));
    let f = move || {
        let (rx, called) = slot.borrow_mut().take().expect("called once");
        let _ = called.send(());
        rx
    };
    (f, called_rx)
}

#[wasm_bindgen_test]
async fn provider_future_is_awaited() {
    let t = tag("urlp-async");
    let (url_tx, url_rx) = oneshot::channel::<String>();
    let (f, called) = gated(url_rx);
    let s = SteadySocket::builder_with(move || {
        let rx = f();
        async move { rx.await.map_err(|_| "cancelled") }
    })
    .build()
    .unwrap();
    let mut ev = s.events();
    within(3000, called).await.unwrap();
    assert_eq!(s.state(), State::Connecting);
    assert_eq!(s.metrics().attempts, 1);
    url_tx.send(ws(&t)).unwrap();
    opened(&mut ev, 5000).await;
    assert_eq!(whoami(&s).await, t);

    // Dropped while its provider is pending, then the URL arrives: nothing opens, no panic.
    let (url_tx, url_rx) = oneshot::channel::<String>();
    let (f, called) = gated(url_rx);
    let t2 = tag("urlp-gone");
    let s2 = SteadySocket::builder_with(move || {
        let rx = f();
        async move { rx.await.map_err(|_| "cancelled") }
    })
    .build()
    .unwrap();
    within(3000, called).await.unwrap();
    drop(s2);
    url_tx.send(ws(&t2)).unwrap();
    // A server round trip: the provider's Promise has settled by then.
    let stats = control(&format!("/control/stats?tag={t2}")).await;
    assert_eq!(stats["connections"], 0, "a dropped socket connected: {stats}");
    assert_eq!(whoami(&s).await, t);
}

/// An endpoint list (`SteadySocket::builder_endpoints`): a dead first endpoint is skipped,
/// the second opens and is named by `SocketEvent::Endpoint(1)`; an empty list, or a bad URL
/// in it, fails at build time.
#[wasm_bindgen_test]
async fn endpoint_list_skips_a_dead_node() {
    let t = tag("eplist");
    let s = SteadySocket::builder_endpoints(["ws://127.0.0.1:9/ws".to_string(), ws(&t)])
        .reconnect(fast())
        .build()
        .unwrap();
    let mut ev = s.events();
    let e = wait_for(&mut ev, 5000, |e| matches!(e, SocketEvent::Endpoint(_))).await;
    assert!(matches!(e, Some(SocketEvent::Endpoint(1))), "{e:?}");
    assert_eq!(whoami(&s).await, t);
    assert!(SteadySocket::builder_endpoints(Vec::<String>::new()).build().is_err());
    assert!(SteadySocket::builder_endpoints(["ws://ok/ws", "http://x"]).build().is_err());
}
