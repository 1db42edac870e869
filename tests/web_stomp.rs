//! Browser tests of the Rust STOMP client (`client::stomp`, features `rust-api` + `stomp`)
//! against RabbitMQ's Web-STOMP (guest/guest, subprotocol v12.stomp) at
//! `STEADYSOCKET_STOMP_URL` (compile time; default `ws://127.0.0.1:15674/ws`). Every test
//! skips (passes with a note) when no broker answers there.
//! - subscribe with a receipt, publish with a receipt, text and binary (NUL) bodies, ack
//! - subscriptions re-sent after a reconnect; an ack is bound to its connection
//! - transactions: commit delivers, abort and drop do not
//! - connect headers from a closure, called per attempt; bad credentials: handshake errors
//! - an `ERROR` that answers no receipt is a `ServerError` event (the receipt times out)
//! - close: DISCONNECT, state closed, subscription streams end
#![cfg(all(target_arch = "wasm32", feature = "stomp"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod web_util;

use std::cell::Cell;
use std::rc::Rc;

use futures_channel::oneshot;
use futures_util::StreamExt;
use steadysocket::client::stomp::{StompClient, StompMessage, Subscription};
use steadysocket::client::SocketEvent;
use steadysocket::core::{ErrorKind, State};
use steadysocket::{Error, RequestErrorKind};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_util::*;

wasm_bindgen_test_configure!(run_in_browser);

fn url() -> &'static str {
    option_env!("STEADYSOCKET_STOMP_URL").unwrap_or("ws://127.0.0.1:15674/ws")
}

/// Whether a Web-STOMP endpoint answers at [`url`] (a plain WebSocket opens within 3 s).
async fn broker_up() -> bool {
    let Ok(ws) = web_sys::WebSocket::new_with_str(url(), "v12.stomp") else { return false };
    let (tx, rx) = oneshot::channel::<bool>();
    let tx = Rc::new(Cell::new(Some(tx)));
    let (t1, t2) = (tx.clone(), tx);
    let on_open = Closure::<dyn Fn()>::new(move || {
        if let Some(t) = t1.take() {
            let _ = t.send(true);
        }
    });
    let on_error = Closure::<dyn Fn()>::new(move || {
        if let Some(t) = t2.take() {
            let _ = t.send(false);
        }
    });
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let up = futures_util::future::select(rx, gloo_timers::future::TimeoutFuture::new(3000)).await;
    let up = matches!(up, futures_util::future::Either::Left((Ok(true), _)));
    ws.set_onopen(None);
    ws.set_onerror(None);
    let _ = ws.close();
    if !up {
        console_log!("skipped: no STOMP broker at {}", url());
    }
    up
}

fn client() -> StompClient {
    StompClient::builder(url())
        .connect_headers(&[("login", "guest"), ("passcode", "guest"), ("host", "/")])
        .build()
        .unwrap()
}

async fn next(sub: &mut Subscription) -> StompMessage {
    within(5000, sub.next()).await.expect("subscription ended")
}

#[wasm_bindgen_test]
async fn publish_subscribe_receipts_binary_and_ack() {
    if !broker_up().await {
        return;
    }
    let q = format!("/queue/{}", tag("rs-basic"));
    let c = client();
    let mut ev = c.events();
    let (mut sub, receipt) = c.subscribe_with_receipt(&q, &[("ack", "client-individual")]).unwrap();
    assert_eq!(sub.id(), "sub-1");
    assert_eq!(c.state(), State::Connecting);
    within(5000, receipt).await.unwrap();
    assert!(matches!(
        wait_for(&mut ev, 100, |e| matches!(e, SocketEvent::Open { .. })).await,
        None | Some(SocketEvent::Open { reconnected: false, .. })
    ));
    within(5000, c.publish_with_receipt(&q, &[("content-type", "text/plain")], "héllo"))
        .await
        .unwrap();
    let m = next(&mut sub).await;
    assert_eq!(m.body_text(), Some("héllo"));
    assert_eq!(m.header("destination"), Some(q.as_str()));
    assert_eq!(m.header("subscription"), Some("sub-1"));
    assert_eq!(m.header("content-type"), Some("text/plain"));
    assert!(m.ack());

    let bin = vec![0u8, 1, 0, 255, 254];
    c.publish(&q, &[], bin.clone()).unwrap();
    let m = next(&mut sub).await;
    assert_eq!(m.body, bin);
    assert!(m.nack() || m.ack());
    c.close();
}

#[wasm_bindgen_test]
async fn resubscribes_after_reconnect_and_acks_stay_on_their_connection() {
    if !broker_up().await {
        return;
    }
    let q = format!("/queue/{}", tag("rs-re"));
    let c = client();
    let mut ev = c.events();
    let (mut sub, r) = c.subscribe_with_receipt(&q, &[("ack", "client")]).unwrap();
    within(5000, r).await.unwrap();
    c.publish(&q, &[], "one").unwrap();
    let first = next(&mut sub).await;
    assert_eq!(first.body_text(), Some("one"));

    c.reconnect();
    let open =
        wait_for(&mut ev, 8000, |e| matches!(e, SocketEvent::Open { reconnected: true, .. })).await;
    assert!(open.is_some(), "no reopen");
    // The message came on the old connection: its ack must not reach the new one.
    assert!(!first.ack());
    // Unacked, it is redelivered to the re-sent subscription, then new messages follow.
    let again = next(&mut sub).await;
    assert_eq!(again.body_text(), Some("one"));
    assert_eq!(again.header("redelivered"), Some("true"));
    assert!(again.ack());
    within(5000, c.publish_with_receipt(&q, &[], "two")).await.unwrap();
    assert_eq!(next(&mut sub).await.body_text(), Some("two"));
    assert_eq!(c.metrics().reconnects, 1);
    c.close();
}

#[wasm_bindgen_test]
async fn transactions_commit_abort_and_drop() {
    if !broker_up().await {
        return;
    }
    let q = format!("/queue/{}", tag("rs-tx"));
    let c = client();
    let (mut sub, r) = c.subscribe_with_receipt(&q, &[]).unwrap();
    within(5000, r).await.unwrap();

    let tx = c.begin().unwrap();
    tx.publish(&q, &[], "aborted").unwrap();
    tx.abort().unwrap();
    {
        let tx = c.begin().unwrap();
        tx.publish(&q, &[], "dropped").unwrap();
    } // dropped: aborted
    let tx = c.begin().unwrap();
    assert!(tx.id().starts_with("tx-"));
    tx.publish(&q, &[], "a").unwrap();
    tx.publish(&q, &[], "b").unwrap();
    tx.commit().unwrap();
    // A receipt after the commit: everything before it has been processed.
    within(5000, c.publish_with_receipt(&q, &[], "after")).await.unwrap();
    let got: Vec<String> = [next(&mut sub).await, next(&mut sub).await, next(&mut sub).await]
        .iter()
        .map(|m| m.body_text().unwrap().to_owned())
        .collect();
    assert_eq!(got, ["a", "b", "after"]);
    c.close();
}

#[wasm_bindgen_test]
async fn connect_headers_closure_per_attempt_and_bad_credentials() {
    if !broker_up().await {
        return;
    }
    let calls = Rc::new(Cell::new(0));
    let n = calls.clone();
    let c = StompClient::builder(url())
        .connect_headers_with(move || {
            n.set(n.get() + 1);
            Ok(vec![("login".into(), "guest".into()), ("passcode".into(), "guest".into())])
        })
        .build()
        .unwrap();
    let mut ev = c.events();
    opened(&mut ev, 5000).await;
    c.reconnect();
    wait_for(&mut ev, 8000, |e| matches!(e, SocketEvent::Open { reconnected: true, .. }))
        .await
        .expect("reopen");
    assert_eq!(calls.get(), 2);
    c.close();

    let bad = StompClient::builder(url())
        .connect_headers(&[("login", "guest"), ("passcode", "wrong")])
        .no_reconnect()
        .build()
        .unwrap();
    let mut ev = bad.events();
    let e = wait_for(&mut ev, 5000, |e| matches!(e, SocketEvent::Error { .. })).await;
    assert!(matches!(&e, Some(SocketEvent::Error { kind: ErrorKind::Handshake, .. })), "{e:?}");

    let failing = StompClient::builder(url())
        .connect_headers_with(|| Err("no token".into()))
        .no_reconnect()
        .build()
        .unwrap();
    let mut ev = failing.events();
    let e = wait_for(&mut ev, 5000, |e| matches!(e, SocketEvent::Error { .. })).await;
    assert!(
        matches!(&e, Some(SocketEvent::Error { kind: ErrorKind::Handshake, message })
            if message.contains("no token")),
        "{e:?}"
    );
}

#[wasm_bindgen_test]
async fn server_error_is_an_event_and_the_receipt_times_out() {
    if !broker_up().await {
        return;
    }
    // RabbitMQ 3.10 answers a SEND to an unknown destination with an ERROR that carries no
    // receipt-id and keeps the connection: a ServerError event; the receipt times out.
    let c = StompClient::builder(url())
        .connect_headers(&[("login", "guest"), ("passcode", "guest")])
        .receipt_timeout_ms(1500.0)
        .build()
        .unwrap();
    let mut ev = c.events();
    let r = within(5000, c.publish_with_receipt("/no-such-kind/x", &[], "x")).await;
    assert!(matches!(&r, Err(Error::Request { kind: RequestErrorKind::Timeout, .. })), "{r:?}");
    let e = wait_for(&mut ev, 100, |e| matches!(e, SocketEvent::ServerError { .. })).await;
    let Some(SocketEvent::ServerError { message, headers, body }) = e else { panic!("{e:?}") };
    assert!(message.contains("Unknown destination"), "{message}");
    assert!(headers.contains(&("message".into(), "Unknown destination".into())), "{headers:?}");
    assert!(String::from_utf8_lossy(&body).contains("/no-such-kind/x"));
    assert_eq!(c.state(), State::Open);
    c.close();
}

#[wasm_bindgen_test]
async fn close_disconnects_and_ends_subscriptions() {
    if !broker_up().await {
        return;
    }
    let q = format!("/queue/{}", tag("rs-close"));
    let c = client();
    let mut ev = c.events();
    let mut sub = c.subscribe(&q, &[]).unwrap();
    let other = c.subscribe(&q, &[("id", "mine")]).unwrap();
    assert_eq!(other.id(), "mine");
    assert!(matches!(c.subscribe(&q, &[("id", "mine")]), Err(Error::Option(_))));
    other.unsubscribe();
    opened(&mut ev, 5000).await;
    c.close();
    let closed = wait_for(&mut ev, 5000, |e| matches!(e, SocketEvent::Close { .. })).await;
    // RabbitMQ answers the DISCONNECT by closing (1000, "STOMP died") and may drop the TCP
    // connection before the closing handshake completes: `was_clean` is the broker's timing.
    assert!(
        matches!(closed, Some(SocketEvent::Close { code: 1000, will_reconnect: false, .. })),
        "{closed:?}"
    );
    assert_eq!(c.state(), State::Closed);
    assert!(within(1000, sub.next()).await.is_none());
    assert!(matches!(c.publish(&q, &[], "x"), Err(Error::Closed)));
    assert!(matches!(c.subscribe(&q, &[]), Err(Error::Closed)));
}
