//! Browser tests of the Rust API's protocol choice against the reference server's `/ws/raw`
//! (a plain echo):
//! - raw: text and binary frames round trip as `Raw` events; `send`/`request` are refused
//! - raw heartbeat: a ping echoed back matches the pong (exact text, or a closure), gives RTT
//!   samples and is never delivered
//! - a custom `Codec` (tab-separated): events, requests (the echo is the reply), binary frames,
//!   heartbeat ping/pong through the codec, `Sent` events described by the codec
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod web_util;

use serde_json::{json, Value};
use steadysocket::client::{Codec, Pong, Protocol, RawMessage, SocketEvent, SteadySocket};
use steadysocket::core::heartbeat::HeartbeatConfig;
use steadysocket::Error;
use wasm_bindgen_test::*;
use web_util::*;

wasm_bindgen_test_configure!(run_in_browser);

fn raw_url(tag: &str) -> String {
    format!("{}/ws/raw?tag={tag}", server().replacen("http", "ws", 1))
}

fn fast_heartbeat(ping: &str) -> HeartbeatConfig {
    HeartbeatConfig { interval_ms: 150.0, timeout_ms: 2000.0, ping: ping.into() }
}

#[wasm_bindgen_test]
async fn raw_round_trips_text_and_binary() {
    let s = SteadySocket::builder(raw_url(&tag("raw"))).protocol(Protocol::raw()).build().unwrap();
    let mut ev = s.events();
    s.send_raw(RawMessage::Text(r#"{"type":"echo","data":1}"#.into())).unwrap();
    s.send_raw(RawMessage::Binary(vec![0, 1, 255])).unwrap();
    opened(&mut ev, 5000).await;
    // Even a v1-shaped text is a raw frame in raw mode.
    let a = wait_for(&mut ev, 3000, |e| matches!(e, SocketEvent::Raw(_) | SocketEvent::Message(_)))
        .await
        .expect("text echo");
    assert!(
        matches!(&a, SocketEvent::Raw(RawMessage::Text(t)) if t == r#"{"type":"echo","data":1}"#),
        "{a:?}"
    );
    let b = wait_for(&mut ev, 3000, |e| matches!(e, SocketEvent::Raw(_))).await.expect("binary");
    assert!(matches!(&b, SocketEvent::Raw(RawMessage::Binary(v)) if v == &[0, 1, 255]), "{b:?}");
    assert!(matches!(s.send("x", &1), Err(Error::Unsupported(_))));
    let r = s.request::<_, Value>("x", &1).await;
    assert!(matches!(r, Err(Error::Unsupported(_))), "{r:?}");
    // No heartbeat by default in raw mode: nothing but what we sent has gone out.
    assert_eq!(s.metrics().messages_out, 2);
    assert!(s.metrics().rtt.latest.is_none());
}

async fn raw_heartbeat(pong: Pong, ping: &str) {
    let s = SteadySocket::builder(raw_url(&tag("rawhb")))
        .protocol(Protocol::Raw { pong: Some(pong) })
        .heartbeat(fast_heartbeat(ping))
        .build()
        .unwrap();
    let mut ev = s.events();
    opened(&mut ev, 5000).await;
    let mut rtts = 0;
    while rtts < 2 {
        match wait_for(&mut ev, 3000, |e| matches!(e, SocketEvent::Rtt(_) | SocketEvent::Raw(_)))
            .await
        {
            Some(SocketEvent::Rtt(r)) => {
                assert!(r.latest.is_some());
                rtts += 1;
            }
            other => panic!("expected RTT samples, the pong must not be delivered: {other:?}"),
        }
    }
    // Other frames are still delivered.
    s.send_raw(RawMessage::Text("hello".into())).unwrap();
    let e = wait_for(&mut ev, 3000, |e| matches!(e, SocketEvent::Raw(_))).await.expect("echo");
    assert!(matches!(&e, SocketEvent::Raw(RawMessage::Text(t)) if t == "hello"), "{e:?}");
}

#[wasm_bindgen_test]
async fn raw_heartbeat_with_exact_pong() {
    raw_heartbeat("hb".into(), "hb").await;
}

#[wasm_bindgen_test]
async fn raw_heartbeat_with_pong_closure() {
    raw_heartbeat(Pong::matching(|m| m.as_text().is_some_and(|t| t.starts_with("beat"))), "beat!")
        .await;
}

/// `type \t id \t data-json` text frames, or `bin` + bytes for binary; the echo server sends
/// each back, so a request's echo (it has an id) decodes as its reply.
struct Tsv;

impl Codec for Tsv {
    fn encode(&self, msg: &Value) -> Result<RawMessage, Error> {
        let ty = msg["type"].as_str().ok_or_else(|| Error::Serde("no type".into()))?;
        if ty == "bin" {
            let bytes: Vec<u8> = serde_json::from_value(msg["data"].clone())
                .map_err(|e| Error::Serde(e.to_string()))?;
            return Ok(RawMessage::Binary([b"bin".as_slice(), &bytes].concat()));
        }
        let id = msg.get("id").map(Value::to_string).unwrap_or_default();
        let data = msg.get("data").unwrap_or(&Value::Null);
        Ok(RawMessage::Text(format!("{ty}\t{id}\t{data}")))
    }

    fn decode(&self, frame: &RawMessage) -> Option<Value> {
        match frame {
            RawMessage::Binary(b) => {
                Some(json!({"type": "bin", "data": b.strip_prefix(b"bin".as_slice())?}))
            }
            RawMessage::Text(t) => {
                let mut it = t.splitn(3, '\t');
                let (ty, id, data) = (it.next()?, it.next()?, it.next()?);
                let data: Value = serde_json::from_str(data).ok()?;
                Some(match id.parse::<u64>() {
                    Ok(id) => json!({"replyTo": id, "data": data}),
                    Err(_) => json!({"type": ty, "data": data}),
                })
            }
        }
    }
}

#[wasm_bindgen_test]
async fn codec_events_requests_binary_and_heartbeat() {
    let s = SteadySocket::builder(raw_url(&tag("codec")))
        .protocol(Protocol::codec(Tsv))
        .heartbeat(HeartbeatConfig { interval_ms: 150.0, ..HeartbeatConfig::default() })
        .build()
        .unwrap();
    let mut ev = s.events();
    s.send("chat", &json!({"text": "hi"})).unwrap(); // queued until open
    opened(&mut ev, 5000).await;
    let sent = wait_for(&mut ev, 3000, |e| matches!(e, SocketEvent::Sent { .. })).await;
    assert!(
        matches!(&sent, Some(SocketEvent::Sent { ty: Some(t), data_json: Some(d) })
            if t == "chat" && d == r#"{"text":"hi"}"#),
        "{sent:?}"
    );
    let m = wait_for(&mut ev, 3000, |e| matches!(e, SocketEvent::Message(m) if m.ty == "chat"))
        .await
        .expect("chat echo");
    let SocketEvent::Message(m) = m else { unreachable!() };
    assert_eq!(m.data::<Value>().unwrap(), json!({"text": "hi"}));

    let back: Value = within(3000, s.request("sum", &json!([1, 2]))).await.unwrap();
    assert_eq!(back, json!([1, 2]));

    s.send("bin", &[0u8, 7, 255]).unwrap();
    let m = wait_for(&mut ev, 3000, |e| matches!(e, SocketEvent::Message(m) if m.ty == "bin"))
        .await
        .expect("binary echo");
    let SocketEvent::Message(m) = m else { unreachable!() };
    assert_eq!(m.data::<Vec<u8>>().unwrap(), vec![0, 7, 255]);

    // The codec's ping goes out, comes back (a ping to us: answered with the codec's pong),
    // and that pong's echo is the RTT sample.
    let rtt = wait_for(&mut ev, 3000, |e| matches!(e, SocketEvent::Rtt(_))).await;
    assert!(matches!(rtt, Some(SocketEvent::Rtt(r)) if r.latest.is_some()), "{rtt:?}");

    // A frame the codec does not decode is raw.
    s.send_raw(RawMessage::Text("no tabs".into())).unwrap();
    let r = wait_for(&mut ev, 3000, |e| matches!(e, SocketEvent::Raw(_))).await;
    assert!(matches!(&r, Some(SocketEvent::Raw(RawMessage::Text(t))) if t == "no tabs"), "{r:?}");
}

/// A codec whose heartbeat frames are binary: the builder refuses the default heartbeat.
struct BinaryOnly;

impl Codec for BinaryOnly {
    fn encode(&self, _: &Value) -> Result<RawMessage, Error> {
        Ok(RawMessage::Binary(vec![1]))
    }
    fn decode(&self, _: &RawMessage) -> Option<Value> {
        None
    }
}

#[wasm_bindgen_test]
fn codec_with_binary_ping_needs_a_text_ping() {
    let e = SteadySocket::builder(raw_url("x")).protocol(Protocol::codec(BinaryOnly)).build();
    assert!(matches!(e, Err(Error::Option(ref o)) if o.path == "heartbeat.ping"), "{e:?}");
    let ok = SteadySocket::builder(raw_url("x"))
        .protocol(Protocol::codec(BinaryOnly))
        .no_heartbeat()
        .build();
    assert!(ok.is_ok());
}
