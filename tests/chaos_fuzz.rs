//! R4 of the chaos suite: fuzz targets (proptest's `TestRunner`, so every case is counted and
//! timed) over the inbound side, which sees whatever a server or a network sends:
//! - `envelope_decode`: wire protocol v1 decode + classification (`core::envelope::decode`) of
//!   arbitrary text, of arbitrary bytes (lossy UTF-8) and of JSON-shaped envelopes built from
//!   edge-case tokens then truncated or corrupted. Invariants: no panic; a non-object is `Raw`;
//!   a `replyTo` gives `Reply` (a safe integer equal to it) or `Malformed`; nothing else;
//! - `envelope_classify`: `classify` over every field shape with edge-case numbers (NaN, ±inf,
//!   −0, fractions, 2^53 ± 1);
//! - `stomp_decoder`: the STOMP 1.2 decoder (`core::stomp::Decoder`) over arbitrary and
//!   STOMP-shaped bytes in arbitrary chunks with any frame limit: no panic, at most one error
//!   and nothing after it, and after `reset()` a valid frame decodes;
//! - `socketio_decoders`: the Engine.IO / Socket.IO codec (`core::socketio`) over sequences of
//!   WebSocket messages (Socket.IO-shaped text built from edge-case pieces, then corrupted, or
//!   arbitrary; binary messages) and the same as polling bodies: no panic; whatever decodes
//!   re-encodes to an equal packet; the reassembly completes a packet with exactly its
//!   attachment count, never holds more than its limit, and is idle after any error; the
//!   payload helpers return what the codec itself accepts;
//! - `sockjs_frames`: the SockJS framing (`core::sockjs::decode`, `Info::parse`) over
//!   SockJS-shaped frames built from edge-case pieces, then truncated or corrupted, and over
//!   arbitrary text: no panic; every accepted `a[...]` frame re-encodes to an equal frame;
//!   a close code fits 0..=65535;
//! - `engine_inbound`: the engine (`core::Engine`, simulated driver) fed random sequences of
//!   inbound frames (the JSON-shaped ones above), sends, requests, replies, time and drops:
//!   no panic, an inbound frame never closes the connection, every `Malformed` frame is an
//!   `error` event of kind `protocol`, every request settles exactly once by the end.
//!
//! Case counts: `CHAOS_FUZZ_CASES` (per target; default 2000, the short form in `make test`);
//! `make chaos` sets it so the total is >= 1M (scripts/chaos.sh). Each target prints
//! `chaos-fuzz: <target> <cases> cases in <s> s`. The engine's invariant model
//! (tests/engine_props.rs) takes `ENGINE_PROPS_CASES` likewise.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use common::Sim;
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};
use steadysocket::core::envelope::{classify, decode, Field};
use steadysocket::core::socketio::{
    decode_payload, split_event, strip_offset, EioPacket, EioType, Error as SioError, Fed,
    Handshake, Reassembly, Record, SioPacket, SioType,
};
use steadysocket::core::stomp::{encode, Command, Decoder, Frame as StompFrame};
use steadysocket::core::{Config, Delivery, ErrorKind, Event, FrameKind, State};

const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

fn cases(default: u32) -> u32 {
    std::env::var("CHAOS_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Runs `strategy` through `test` for `CHAOS_FUZZ_CASES` cases; prints the count and time.
fn run<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let n = cases(2000);
    let count = AtomicU64::new(0);
    let config = RunnerConfig { cases: n, failure_persistence: None, ..RunnerConfig::default() };
    let mut runner = TestRunner::new(config);
    let t = Instant::now();
    let result = runner.run(&strategy, |v| {
        count.fetch_add(1, Ordering::Relaxed);
        test(v)
    });
    let secs = t.elapsed().as_secs_f64();
    // The line scripts/chaos.sh collects (cases run, including shrinking on a failure).
    println!("chaos-fuzz: {name} {} cases in {secs:.2} s", count.load(Ordering::Relaxed));
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

/// JSON tokens that probe the edges of the envelope rules.
const TOKENS: &[&str] = &[
    r#""ping""#,
    r#""pong""#,
    r#""x""#,
    r#""""#,
    r#""\ud800""#,
    r#""\u0000""#,
    "0",
    "42",
    "-1",
    "1.5",
    "1e300",
    "-0",
    "1e999",
    "9007199254740991",
    "9007199254740992",
    "9007199254740993",
    "null",
    "true",
    "{}",
    "[]",
    r#"{"a":[1,{"b":null}]}"#,
    r#"[[[[[]]]]]"#,
    r#""__proto__""#,
];
const KEYS: &[&str] = &["type", "replyTo", "error", "id", "data", "__proto__", "type"];

/// A JSON-shaped frame: an object of edge-case members, maybe truncated or corrupted, or
/// arbitrary text, or arbitrary bytes read as lossy UTF-8.
fn frame_text() -> impl Strategy<Value = String> {
    let member = (prop::sample::select(KEYS), prop::sample::select(TOKENS))
        .prop_map(|(k, v)| format!("\"{k}\":{v}"));
    let object = prop::collection::vec(member, 0..5).prop_map(|m| format!("{{{}}}", m.join(",")));
    let mutated =
        (object.clone(), any::<usize>(), any::<u8>(), 0u8..3).prop_map(|(s, at, b, how)| {
            let at = at % (s.len() + 1);
            let mut bytes = s.into_bytes();
            match how {
                0 => bytes.truncate(at),
                1 => bytes.insert(at, b),
                _ => {
                    if let Some(x) = bytes.get_mut(at) {
                        *x = b;
                    }
                }
            }
            String::from_utf8_lossy(&bytes).into_owned()
        });
    prop_oneof![
        4 => object,
        3 => mutated,
        1 => any::<String>(),
        1 => prop::collection::vec(any::<u8>(), 0..80).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        1 => (1usize..2000, any::<bool>()).prop_map(|(d, arr)| if arr {
            format!(r#"{{"type":"deep","data":{}{}}}"#, "[".repeat(d), "]".repeat(d))
        } else {
            format!(r#"{{"type":"deep","data":{}1{}}}"#, r#"{"a":"#.repeat(d), "}".repeat(d))
        }),
    ]
}

#[test]
fn envelope_decode() {
    run("envelope_decode", frame_text(), |text| {
        let d = decode(&text);
        let parsed: Option<serde_json::Value> = serde_json::from_str(&text).ok();
        match parsed.as_ref() {
            Some(serde_json::Value::Object(map)) => match (&d.kind, map.get("replyTo")) {
                (FrameKind::Reply { id, .. }, Some(r)) => {
                    let f = r.as_f64().expect("a numeric replyTo");
                    prop_assert!(f <= MAX_SAFE && *id as f64 == f, "{text}");
                }
                (FrameKind::Malformed(_), Some(_)) => {}
                (FrameKind::Event | FrameKind::Ping | FrameKind::Pong | FrameKind::Raw, None) => {}
                (k, r) => prop_assert!(false, "{text}: {k:?} with replyTo {r:?}"),
            },
            _ => prop_assert_eq!(&d.kind, &FrameKind::Raw, "{}", text),
        }
        Ok(())
    });
}

fn mk((k, s, n): &(u8, String, f64)) -> Field<'_> {
    match k {
        0 => Field::Absent,
        1 => Field::Str(s),
        2 => Field::Num(*n),
        _ => Field::Other,
    }
}

fn field() -> impl Strategy<Value = (u8, String, f64)> {
    let num = prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        Just(0.5),
        Just(MAX_SAFE),
        Just(MAX_SAFE + 1.0),
        Just(MAX_SAFE + 2.0),
        Just(-1.0),
        any::<f64>(),
        (0u64..1000).prop_map(|n| n as f64),
    ];
    (0u8..4, prop_oneof![Just("ping".to_string()), Just("pong".into()), ".{0,6}"], num)
}

#[test]
fn envelope_classify() {
    run("envelope_classify", (field(), field(), any::<bool>()), |(t, r, err)| {
        let kind = classify(mk(&t), mk(&r), err);
        match (&kind, mk(&r)) {
            (FrameKind::Reply { id, error }, Field::Num(n)) => {
                prop_assert!(n >= 0.0 && n.fract() == 0.0 && n <= MAX_SAFE && *id as f64 == n);
                prop_assert_eq!(*error, err);
            }
            (FrameKind::Malformed(_), f) => prop_assert!(f != Field::Absent),
            (
                FrameKind::Event | FrameKind::Ping | FrameKind::Pong | FrameKind::Raw,
                Field::Absent,
            ) => {}
            (k, f) => prop_assert!(false, "{k:?} for replyTo {f:?}"),
        }
        Ok(())
    });
}

#[test]
fn stomp_decoder() {
    let bytes = prop::collection::vec(
        prop_oneof![
            4 => any::<u8>(),
            4 => prop::sample::select(b"\n\r\0:\\ncSENDMESAGEcontent-length:9ERRORCONNECTED".to_vec()),
        ],
        0..400,
    );
    let cuts = prop::collection::vec(any::<usize>(), 0..12);
    run("stomp_decoder", (bytes, cuts, 1usize..500), |(bytes, cuts, max)| {
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        points.sort_unstable();
        let mut d = Decoder::new(max);
        let mut got = Vec::new();
        let mut from = 0;
        for p in points.into_iter().chain([bytes.len()]) {
            d.push(&bytes[from..p]);
            got.extend(d.by_ref());
            from = p;
        }
        if let Some(i) = got.iter().position(Result::is_err) {
            prop_assert_eq!(i + 1, got.len(), "nothing after an error");
            prop_assert!(d.is_failed());
        }
        d.reset();
        let frame = StompFrame::new(Command::Send).with_header("destination", "/q").with_body("hi");
        let mut d2 = Decoder::new(1 << 20);
        d2.push(&encode(&frame));
        prop_assert_eq!(d2.by_ref().filter(Result::is_ok).count(), 1);
        d.push(&encode(&frame));
        let after: Vec<_> = d.by_ref().collect();
        prop_assert!(after.iter().all(Result::is_ok) || max < 32, "{:?}", after);
        Ok(())
    });
}

/// Pieces of Engine.IO / Socket.IO text: type digits, separators, namespaces, ids, JSON.
const SIO_PIECES: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "7",
    "9",
    "-",
    "/",
    "/admin",
    ",",
    "[",
    "]",
    "{",
    "}",
    "\"",
    "\\",
    ":",
    "b",
    "=",
    "\u{1e}",
    " ",
    "\"ev\"",
    "\"connect\"",
    "12",
    "\\u",
    "\\ud800",
    "{\"_placeholder\":true,\"num\":0}",
    "AQIDBA==",
    "é",
    "\"sid\"",
    "\"upgrades\"",
    "\"pingInterval\":25000",
    "\"pingTimeout\":20000",
    "\"maxPayload\":1e6",
    "99999999999999999999",
];

/// One inbound WebSocket message: text (an Engine.IO packet or a polling body) or binary.
fn sio_message() -> impl Strategy<Value = Result<String, Vec<u8>>> {
    let pieces =
        prop::collection::vec(prop::sample::select(SIO_PIECES), 0..24).prop_map(|v| v.concat());
    let json = prop::collection::vec(prop::sample::select(TOKENS), 0..4).prop_map(|v| v.join(","));
    let shaped = (
        prop::sample::select(
            &["42", "451-", "452-", "461-1", "43", "40", "44", "41", "2", "0"][..],
        ),
        prop::option::of(prop::sample::select(&["/admin,", "/", "/x"][..])),
        prop::option::of(0u64..30),
        json,
        any::<bool>(),
    )
        .prop_map(|(head, nsp, id, json, obj)| {
            let (open, close) = if obj { ("{\"k\":[", "]}") } else { ("[\"ev\",", "]") };
            let id = id.map(|i| i.to_string()).unwrap_or_default();
            format!("{head}{}{id}{open}{json}{close}", nsp.unwrap_or_default())
        });
    let mutated =
        (shaped.clone(), any::<usize>(), any::<u8>(), 0u8..3).prop_map(|(s, at, b, how)| {
            let at = at % (s.len() + 1);
            let mut bytes = s.into_bytes();
            match how {
                0 => bytes.truncate(at),
                1 => bytes.insert(at, b),
                _ => {
                    if let Some(x) = bytes.get_mut(at) {
                        *x = b;
                    }
                }
            }
            String::from_utf8_lossy(&bytes).into_owned()
        });
    prop_oneof![
        4 => shaped.prop_map(Ok),
        3 => mutated.prop_map(Ok),
        2 => pieces.prop_map(Ok),
        1 => any::<String>().prop_map(Ok),
        3 => prop::collection::vec(any::<u8>(), 0..8).prop_map(Err),
    ]
}

/// Checks one Socket.IO packet the codec accepted: it re-encodes to an equal packet, and the
/// payload helpers return what the codec accepts again.
fn check_sio(p: &SioPacket<'_>) -> Result<(), TestCaseError> {
    let again = p.encode().map_err(|e| TestCaseError::fail(format!("{p:?}: {e:?}")))?;
    prop_assert_eq!(&SioPacket::decode(&again).expect("re-decodes"), p);
    if matches!(p.kind, SioType::Event | SioType::BinaryEvent) {
        let e = split_event(p.data).expect("an accepted event splits");
        prop_assert!(e.args.end <= p.data.len() && e.args.start <= e.args.end);
        if let Ok((rest, _)) = strip_offset(p.data) {
            let ack = SioPacket::new(SioType::Ack, "/", &rest).with_id(0);
            prop_assert!(ack.encode().is_ok(), "{}", rest);
        }
    }
    Ok(())
}

/// SockJS-shaped frames: a type letter then JSON-ish pieces, often corrupted.
fn sockjs_frame() -> impl Strategy<Value = String> {
    const PIECES: &[&str] = &[
        "[",
        "]",
        "\"",
        ",",
        "\"x\"",
        "3000",
        "\"Go away!\"",
        "\\u2028",
        "\\ud800",
        "\\",
        "-1",
        "65536",
        "1.5",
        "null",
        "{}",
        " ",
        "\\\"",
        "é",
        "😀",
        "\n",
    ];
    let shaped = (
        prop::sample::select(&["o", "h", "a", "c", "x", ""][..]),
        prop::collection::vec(prop::sample::select(PIECES), 0..10),
    )
        .prop_map(|(t, v)| [t, &v.concat()].concat());
    let mutated = (shaped.clone(), any::<usize>(), any::<char>(), any::<bool>()).prop_map(
        |(s, at, c, cut)| {
            let mut chars: Vec<char> = s.chars().collect();
            let at = at % (chars.len() + 1);
            if cut {
                chars.truncate(at);
            } else {
                chars.insert(at, c);
            }
            chars.into_iter().collect()
        },
    );
    prop_oneof![shaped, mutated, any::<String>()]
}

#[test]
fn sockjs_frames() {
    use steadysocket::core::sockjs::{
        decode as sj_decode, encode as sj_encode, Frame as SjFrame, Info,
    };
    run("sockjs_frames", sockjs_frame(), |f| {
        let _ = Info::parse(&f);
        if let Ok(SjFrame::Messages(list)) = sj_decode(&f) {
            let refs: Vec<&str> = list.iter().map(String::as_str).collect();
            let again = ["a", &sj_encode(&refs)].concat();
            prop_assert_eq!(sj_decode(&again), Ok(SjFrame::Messages(list.clone())));
        }
        Ok(())
    });
}

#[test]
fn socketio_decoders() {
    let msgs = prop::collection::vec(sio_message(), 1..12);
    run("socketio_decoders", (msgs, 0u32..4), |(msgs, limit)| {
        let mut r = Reassembly::<Vec<u8>>::new(limit);
        let mut expect = 0u32;
        let mut feed = |r: &mut Reassembly<Vec<u8>>, rec: Result<&str, Vec<u8>>| {
            match rec {
                Ok(text) => match r.text(text) {
                    Ok(Fed::Packet(p)) => check_sio(&p)?,
                    Ok(Fed::Awaiting(n)) => {
                        prop_assert!(n >= 1 && n <= limit && r.missing() == n);
                        expect = n;
                    }
                    Err(_) => prop_assert_eq!(r.missing(), 0),
                },
                Err(bytes) => match r.binary(bytes) {
                    Ok(Some(p)) => {
                        prop_assert_eq!(p.attachments.len() as u32, expect);
                        prop_assert_eq!(p.packet().attachments, expect);
                        prop_assert_eq!(r.missing(), 0);
                        check_sio(&p.packet())?;
                    }
                    Ok(None) => prop_assert!(r.missing() >= 1),
                    Err(e) => prop_assert_eq!(e, SioError::UnexpectedBinary),
                },
            }
            Ok(())
        };
        for m in &msgs {
            let Ok(text) = m else {
                feed(&mut r, Err(m.clone().unwrap_err()))?;
                continue;
            };
            // As a WebSocket text frame.
            if let Ok(p) = EioPacket::decode(text) {
                let frame = p.encode();
                prop_assert_eq!(EioPacket::decode(&frame).ok(), Some(p));
                match p.kind {
                    EioType::Message => feed(&mut r, Ok(p.data))?,
                    EioType::Open => {
                        if let Ok(h) = Handshake::parse(p.data) {
                            prop_assert_eq!(Handshake::parse(&h.to_json()).ok(), Some(h));
                        }
                    }
                    _ => {}
                }
            }
            // As a polling body (its own reassembly: a body is not part of the frame stream).
            if let Ok(recs) = decode_payload(text) {
                let mut r2 = Reassembly::<Vec<u8>>::new(limit);
                for rec in recs {
                    match rec {
                        Record::Packet(p) if p.kind == EioType::Message => {
                            if let Ok(Fed::Packet(p)) = r2.text(p.data) {
                                check_sio(&p)?;
                            }
                        }
                        Record::Packet(_) => {}
                        Record::Binary(b) => {
                            if let Ok(Some(p)) = r2.binary(b.into_owned()) {
                                check_sio(&p.packet())?;
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    });
}

#[derive(Debug, Clone)]
enum Op {
    Inbound(String),
    Send,
    Request,
    Reply(usize, bool),
    Advance(u16),
    Drop,
    Open,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => frame_text().prop_map(Op::Inbound),
        2 => Just(Op::Send),
        2 => Just(Op::Request),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(i, e)| Op::Reply(i, e)),
        2 => any::<u16>().prop_map(Op::Advance),
        1 => Just(Op::Drop),
        1 => Just(Op::Open),
    ]
}

#[test]
fn engine_inbound() {
    run("engine_inbound", prop::collection::vec(op(), 1..40), |ops| {
        let mut sim = Sim::new(Config::default());
        sim.open();
        let mut requests = Vec::new();
        let mut replied = Vec::new();
        let mut n = 0u32;
        for op in &ops {
            let was_open = sim.e.state() == State::Open;
            match op {
                Op::Inbound(text) => {
                    let before = sim.events.len();
                    let kind = decode(text).kind;
                    if let Delivery::Reply { id, .. } = sim.inbound(text) {
                        replied.push(id);
                    }
                    if was_open {
                        prop_assert_eq!(
                            sim.e.state(),
                            State::Open,
                            "an inbound frame closed it: {}",
                            text
                        );
                        if matches!(kind, FrameKind::Malformed(_)) {
                            let reported = sim.events[before..].iter().any(|e| {
                                matches!(e, Event::Error { kind: ErrorKind::Protocol, .. })
                            });
                            prop_assert!(reported, "malformed frame not reported: {}", text);
                        }
                    }
                }
                Op::Send => {
                    n += 1;
                    let _ = sim.send(n);
                }
                Op::Request => {
                    n += 1;
                    if let Ok((id, _)) = sim.request(n, Some(5000.0)) {
                        requests.push(id);
                    }
                }
                Op::Reply(i, error) if !requests.is_empty() && was_open => {
                    let id = requests[i % requests.len()];
                    let text = if *error {
                        format!(r#"{{"replyTo":{id},"error":{{"message":"no"}}}}"#)
                    } else {
                        format!(r#"{{"replyTo":{id},"data":1}}"#)
                    };
                    if let Delivery::Reply { id, .. } = sim.inbound(&text) {
                        replied.push(id);
                    }
                }
                Op::Reply(..) => {}
                Op::Advance(ms) => sim.advance(f64::from(*ms)),
                Op::Drop if was_open => sim.drop_conn(),
                Op::Open if sim.e.state() == State::Connecting => sim.open(),
                Op::Drop | Op::Open => {}
            }
        }
        // Every request settles exactly once once time runs out (replies, timeouts, losses).
        sim.advance(60_000.0);
        let failed = sim.events.iter().filter_map(|e| match e {
            Event::RequestFailed { id, .. } => Some(*id),
            _ => None,
        });
        let settled: Vec<u64> = failed.chain(replied.iter().copied()).collect();
        for id in &requests {
            let times = settled.iter().filter(|s| *s == id).count();
            prop_assert_eq!(times, 1, "request {} settled {} times", id, times);
        }
        Ok(())
    });
}
