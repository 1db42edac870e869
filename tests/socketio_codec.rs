//! The Engine.IO v4 / Socket.IO v5 codec (`core::socketio`): every example of the two protocol
//! documents (docs/engine.io-protocol/v4-current.md, docs/socket.io-protocol/v5-current.md in
//! socketio/socket.io) and the test vectors of engine.io-parser and socket.io-parser, round
//! trips, every error, attachment reassembly, the payload helpers, and proptests (no decoder
//! panics on arbitrary input; encode → decode round-trips; the JSON scanner agrees with
//! serde_json).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

use std::borrow::Cow;

use proptest::prelude::*;
use serde_json::{json, Value};
use steadysocket::core::socketio::{
    base64_decode, base64_encode, decode_payload, encode_payload, event_array, quote, split_event,
    strip_offset, BinaryPacket, EioPacket, EioType, Error, Fed, Handshake, Reassembly, Record,
    SioPacket, SioType, EIO_VERSION, MAX_ATTACHMENTS, PING_PROBE, PONG, PONG_PROBE,
    RESERVED_EVENTS, SEPARATOR, UPGRADE,
};

fn eio(text: &str) -> (EioType, &str) {
    let p = EioPacket::decode(text).expect(text);
    (p.kind, p.data)
}

fn sio(text: &str) -> SioPacket<'_> {
    SioPacket::decode(text).unwrap_or_else(|e| panic!("{text}: {e:?}"))
}

fn sio_err(text: &str) -> Error {
    SioPacket::decode(text).expect_err(text)
}

/// Decodes `text`, checks the fields, and that re-encoding gives `text` back.
fn sio_case(text: &str, kind: SioType, att: u32, nsp: &str, id: Option<u64>, data: &str) {
    let p = sio(text);
    assert_eq!((p.kind, p.attachments, p.nsp, p.id, p.data), (kind, att, nsp, id, data), "{text}");
    assert_eq!(p.encode().unwrap(), text);
}

fn text(p: Record<'_>) -> (EioType, String) {
    match p {
        Record::Packet(p) => (p.kind, p.data.to_string()),
        Record::Binary(b) => panic!("binary {b:?}"),
    }
}

// ---------- Engine.IO: the protocol document ----------

#[test]
fn eio_types_and_codes() {
    use EioType::*;
    for (i, t) in [Open, Close, Ping, Pong, Message, Upgrade, Noop].into_iter().enumerate() {
        assert_eq!(t.code(), i as u8);
        assert_eq!(EioType::from_code(i as u8), Some(t));
        let frame = EioPacket::new(t, "").encode();
        assert_eq!(frame, i.to_string());
        assert_eq!(eio(&frame), (t, ""));
    }
    assert_eq!(EioType::from_code(7), None);
    assert_eq!(EIO_VERSION, 4);
}

#[test]
fn eio_websocket_frame_example() {
    // "4hello" => message packet type + payload.
    assert_eq!(eio("4hello"), (EioType::Message, "hello"));
    assert_eq!(EioPacket::message("hello").encode(), "4hello");
    assert_eq!(EioPacket::message("é€😀").encode(), "4é€😀");
    assert_eq!(eio("4é€😀"), (EioType::Message, "é€😀"));
}

#[test]
fn eio_heartbeat_and_upgrade_examples() {
    assert_eq!(eio("2"), (EioType::Ping, ""));
    assert_eq!(eio("3"), (EioType::Pong, ""));
    assert_eq!(eio(PING_PROBE), (EioType::Ping, "probe"));
    assert_eq!(eio(PONG_PROBE), (EioType::Pong, "probe"));
    assert_eq!(eio(UPGRADE), (EioType::Upgrade, ""));
    assert_eq!(eio(PONG), (EioType::Pong, ""));
    assert_eq!(eio("6"), (EioType::Noop, ""));
    assert_eq!(eio("1"), (EioType::Close, ""));
    assert_eq!(EioPacket::new(EioType::Ping, "probe").encode(), PING_PROBE);
}

#[test]
fn eio_handshake_example() {
    let doc = r#"{
  "sid": "lv_VI97HAXpY6yYWAAAC",
  "upgrades": ["websocket"],
  "pingInterval": 25000,
  "pingTimeout": 20000,
  "maxPayload": 1000000
}"#;
    let h = Handshake::parse(doc).unwrap();
    assert_eq!(
        h,
        Handshake {
            sid: "lv_VI97HAXpY6yYWAAAC".into(),
            upgrades: vec!["websocket".into()],
            ping_interval_ms: 25000.0,
            ping_timeout_ms: 20000.0,
            max_payload: Some(1_000_000),
        }
    );
    // The sample session's open packet, over polling.
    let body = r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000,"maxPayload":1000000}"#;
    let recs = decode_payload(body).unwrap();
    let (kind, data) = text(recs.into_iter().next().unwrap());
    assert_eq!(kind, EioType::Open);
    let h = Handshake::parse(&data).unwrap();
    assert_eq!(h.ping_timeout_ms, 5000.0);
    assert_eq!(h.to_json(), &body[1..]);
    assert_eq!(Handshake::parse(&h.to_json()).unwrap(), h);
}

#[test]
fn eio_handshake_tolerance() {
    // Any key order, whitespace, unknown keys (skipped whatever their shape), escapes,
    // no maxPayload (Socket.IO 3), empty upgrades, the last of repeated keys.
    let h = Handshake::parse(
        "\t{ \"pingTimeout\" : 2e4 ,\"x\":{\"sid\":[1,{\"a\":null}]},\"upgrades\" :[ ],\r\n\
         \"sid\":\"a\\\"b\\u00e9\", \"pingInterval\":1.5E3, \"pingInterval\":300 } ",
    )
    .unwrap();
    assert_eq!(h.sid, "a\"bé");
    assert!(h.upgrades.is_empty());
    assert_eq!((h.ping_interval_ms, h.ping_timeout_ms, h.max_payload), (300.0, 20000.0, None));
    let two = r#"{"sid":"s","upgrades":["websocket","webtransport"],"pingInterval":0,"pingTimeout":0,"maxPayload":0}"#;
    let h = Handshake::parse(two).unwrap();
    assert_eq!(h.upgrades, ["websocket", "webtransport"]);
    assert_eq!(h.max_payload, Some(0));
    assert_eq!(h.to_json(), two);
}

#[test]
fn eio_handshake_errors() {
    for bad in ["", "[]", "\"x\"", "{", r#"{"sid":"x",}"#, "{} {}", "null", "{'sid':1}"] {
        assert_eq!(Handshake::parse(bad), Err(Error::OpenNotObject), "{bad}");
    }
    let full = [
        ("sid", r#""s""#),
        ("upgrades", r#"["websocket"]"#),
        ("pingInterval", "25000"),
        ("pingTimeout", "20000"),
        ("maxPayload", "1000000"),
    ];
    let with = |skip: &str, over: Option<(&str, &str)>| {
        let members: Vec<String> = full
            .iter()
            .filter(|(k, _)| *k != skip)
            .map(|(k, v)| match over {
                Some((ok, ov)) if ok == *k => format!("\"{k}\":{ov}"),
                _ => format!("\"{k}\":{v}"),
            })
            .collect();
        format!("{{{}}}", members.join(","))
    };
    for field in ["sid", "upgrades", "pingInterval", "pingTimeout"] {
        assert_eq!(Handshake::parse(&with(field, None)), Err(Error::MissingField { field }));
    }
    assert_eq!(Handshake::parse(&with("maxPayload", None)).unwrap().max_payload, None);
    let invalid = [
        ("sid", "5"),
        ("sid", "null"),
        ("sid", r#"["s"]"#),
        ("upgrades", r#""websocket""#),
        ("upgrades", r#"["websocket",1]"#),
        ("upgrades", "{}"),
        ("pingInterval", "-1"),
        ("pingInterval", r#""25000""#),
        ("pingInterval", "null"),
        ("pingInterval", "1e999"),
        ("pingTimeout", "true"),
        ("maxPayload", "1.5"),
        ("maxPayload", "-1"),
        ("maxPayload", r#""1""#),
        ("maxPayload", "1e300"),
        ("maxPayload", "null"),
    ];
    for (field, v) in invalid {
        let text = with("", Some((field, v)));
        assert_eq!(Handshake::parse(&text), Err(Error::InvalidField { field }), "{text}");
    }
}

#[test]
fn eio_decode_errors() {
    // engine.io-parser: "should fail to decode a malformed packet".
    assert_eq!(EioPacket::decode(""), Err(Error::EioType { found: None }));
    assert_eq!(EioPacket::decode("a123"), Err(Error::EioType { found: Some('a') }));
    assert_eq!(EioPacket::decode("7"), Err(Error::EioType { found: Some('7') }));
    assert_eq!(EioPacket::decode("é4"), Err(Error::EioType { found: Some('é') }));
    // A `b` record is a polling body's binary message, not a WebSocket text packet.
    assert_eq!(EioPacket::decode("bAQIDBA=="), Err(Error::EioType { found: Some('b') }));
}

// ---------- Engine.IO: polling payloads ----------

#[test]
fn payload_examples() {
    // 4hello\x1e2\x1e4world
    let recs = decode_payload("4hello\x1e2\x1e4world").unwrap();
    let got: Vec<_> = recs.into_iter().map(text).collect();
    assert_eq!(
        got,
        [
            (EioType::Message, "hello".into()),
            (EioType::Ping, String::new()),
            (EioType::Message, "world".into())
        ]
    );
    // 4hello\x1ebAQIDBA==
    let recs = decode_payload("4hello\x1ebAQIDBA==").unwrap();
    assert_eq!(
        recs,
        [Record::Packet(EioPacket::message("hello")), Record::Binary(Cow::Owned(vec![1, 2, 3, 4]))]
    );
    assert_eq!(encode_payload(&recs).unwrap(), "4hello\x1ebAQIDBA==");
    // engine.io-parser: "should encode/decode all packet types", "string + Buffer payload".
    let all = [
        Record::Packet(EioPacket::new(EioType::Open, "")),
        Record::Packet(EioPacket::new(EioType::Close, "")),
        Record::Packet(EioPacket::new(EioType::Ping, "probe")),
        Record::Packet(EioPacket::new(EioType::Pong, "probe")),
        Record::Packet(EioPacket::message("test")),
    ];
    let body = encode_payload(&all).unwrap();
    assert_eq!(body, "0\x1e1\x1e2probe\x1e3probe\x1e4test");
    assert_eq!(decode_payload(&body).unwrap(), all);
    let mixed = [
        Record::Packet(EioPacket::message("test")),
        Record::Binary(Cow::Borrowed(&[1u8, 2, 3, 4][..])),
    ];
    assert_eq!(encode_payload(&mixed).unwrap(), "4test\x1ebAQIDBA==");
    // The sample session: two events in one POST, the namespace approval, a server emit.
    let recs = decode_payload("42[\"hello\"]\x1e42[\"world\"]").unwrap();
    let sio_texts: Vec<String> = recs.into_iter().map(|r| text(r).1).collect();
    assert_eq!(sio_texts, [r#"2["hello"]"#, r#"2["world"]"#]);
    let (_, d) = text(decode_payload("40").unwrap().remove(0));
    sio_case(&d, SioType::Connect, 0, "/", None, "");
    let (_, d) = text(decode_payload(r#"40{"sid":"wZX3oN0bSVIhsaknAAAI"}"#).unwrap().remove(0));
    sio_case(&d, SioType::Connect, 0, "/", None, r#"{"sid":"wZX3oN0bSVIhsaknAAAI"}"#);
    let (_, d) = text(decode_payload(r#"42["hey","Jude"]"#).unwrap().remove(0));
    assert_eq!(split_event(sio(&d).data).unwrap().name, "hey");
    assert_eq!(SEPARATOR, '\u{1e}');
}

#[test]
fn payload_errors() {
    // engine.io-parser: "should fail to decode a malformed payload".
    assert_eq!(decode_payload("{"), Err(Error::EioType { found: Some('{') }));
    assert_eq!(decode_payload("{}"), Err(Error::EioType { found: Some('{') }));
    assert_eq!(decode_payload(r#"["a123", "a456"]"#), Err(Error::EioType { found: Some('[') }));
    assert_eq!(decode_payload(""), Err(Error::EioType { found: None }));
    assert_eq!(decode_payload("4a\x1e"), Err(Error::EioType { found: None }));
    assert_eq!(decode_payload("4a\x1e\x1e4b"), Err(Error::EioType { found: None }));
    assert_eq!(decode_payload("4a\x1ebAQ!D"), Err(Error::Base64 { at: 2 }));
    let rec = [Record::Packet(EioPacket::message("a\x1e4b"))];
    assert_eq!(encode_payload(&rec), Err(Error::SeparatorInData));
    assert_eq!(encode_payload(&[]).unwrap(), "");
    // An empty binary message is `b`.
    let empty = [Record::Binary(Cow::Borrowed(&[][..]))];
    assert_eq!(encode_payload(&empty).unwrap(), "b");
    assert_eq!(decode_payload("b").unwrap(), empty);
}

#[test]
fn base64_vectors() {
    // RFC 4648 §10.
    for (raw, enc) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64_encode(raw.as_bytes()), enc);
        assert_eq!(base64_decode(enc).unwrap(), raw.as_bytes());
        assert_eq!(base64_decode(enc.trim_end_matches('=')).unwrap(), raw.as_bytes(), "{enc}");
    }
    assert_eq!(base64_encode(&[0xfb, 0xff, 0xfe]), "+//+");
    assert_eq!(base64_decode("+//+").unwrap(), [0xfb, 0xff, 0xfe]);
    let all: Vec<u8> = (0..=255).collect();
    assert_eq!(base64_decode(&base64_encode(&all)).unwrap(), all);
}

#[test]
fn base64_errors() {
    for (bad, at) in [
        ("Z", 1),        // 4n+1 characters
        ("Zm9vY", 5),    // likewise
        ("=", 1),        // padding alone
        ("==", 2),       // likewise
        ("Zg=", 3),      // padding, but not to a multiple of 4
        ("Zg===", 2),    // three `=`: the first is no symbol
        ("Z===", 1),     // `Z=` + padding: that first `=` is not a symbol
        ("Zm9v!A==", 4), // a character outside the alphabet
        ("Zm-v", 2),     // URL-safe alphabet
        ("Zm_v", 2),
        ("Zg==Zg==", 2), // padding inside
        ("Zh==", 1),     // non-zero unused bits (not canonical)
        ("Zm9=", 2),
        ("Zm 9v", 2), // whitespace
        ("Zm9vé", 4), // non-ASCII
    ] {
        assert_eq!(base64_decode(bad), Err(Error::Base64 { at }), "{bad}");
    }
}

// ---------- Socket.IO: the protocol document ----------

#[test]
fn sio_types_and_codes() {
    use SioType::*;
    let all = [Connect, Disconnect, Event, Ack, ConnectError, BinaryEvent, BinaryAck];
    for (i, t) in all.into_iter().enumerate() {
        assert_eq!(t.code(), i as u8);
        assert_eq!(SioType::from_code(i as u8), Some(t));
        assert_eq!(t.is_binary(), i >= 5);
    }
    assert_eq!(SioType::from_code(7), None);
}

#[test]
fn sio_connect_examples() {
    sio_case("0", SioType::Connect, 0, "/", None, "");
    sio_case(
        r#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#,
        SioType::Connect,
        0,
        "/admin",
        None,
        r#"{"sid":"oSO0OpakMV_3jnilAAAA"}"#,
    );
    sio_case(
        r#"0/admin,{"token":"123"}"#,
        SioType::Connect,
        0,
        "/admin",
        None,
        r#"{"token":"123"}"#,
    );
    let p = SioPacket::new(SioType::Connect, "/admin", r#"{"sid":"iLnRaVGHY4B75TeVAAAB"}"#);
    assert_eq!(p.encode().unwrap(), r#"0/admin,{"sid":"iLnRaVGHY4B75TeVAAAB"}"#);
    sio_case(
        r#"4{"message":"Not authorized"}"#,
        SioType::ConnectError,
        0,
        "/",
        None,
        r#"{"message":"Not authorized"}"#,
    );
    // The sample session over WebSocket.
    sio_case("0/admin,", SioType::Connect, 0, "/admin", None, "");
    assert_eq!(eio("40/admin,"), (EioType::Message, "0/admin,"));
    let (_, d) = eio(r#"40/admin,{"sid":"-G5j-67EZFp-q59rADQM"}"#);
    sio_case(d, SioType::Connect, 0, "/admin", None, r#"{"sid":"-G5j-67EZFp-q59rADQM"}"#);
}

#[test]
fn sio_event_examples() {
    sio_case(r#"2["foo"]"#, SioType::Event, 0, "/", None, r#"["foo"]"#);
    sio_case(r#"2/admin,["bar"]"#, SioType::Event, 0, "/admin", None, r#"["bar"]"#);
    sio_case(
        r#"51-["baz",{"_placeholder":true,"num":0}]"#,
        SioType::BinaryEvent,
        1,
        "/",
        None,
        r#"["baz",{"_placeholder":true,"num":0}]"#,
    );
    sio_case(
        r#"52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
        SioType::BinaryEvent,
        2,
        "/admin",
        None,
        r#"["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
    );
    // "will be sent as 42["foo"]".
    let p = SioPacket::new(SioType::Event, "/", r#"["foo"]"#).encode().unwrap();
    assert_eq!(EioPacket::message(&p).encode(), r#"42["foo"]"#);
    // The sample session.
    let (_, d) = eio(r#"42["hey","Jude"]"#);
    sio_case(d, SioType::Event, 0, "/", None, r#"["hey","Jude"]"#);
    let (_, d) = eio(r#"42/admin,1["tellme"]"#);
    sio_case(d, SioType::Event, 0, "/admin", Some(1), r#"["tellme"]"#);
}

#[test]
fn sio_ack_examples() {
    sio_case(r#"212["foo"]"#, SioType::Event, 0, "/", Some(12), r#"["foo"]"#);
    // The document writes it with a stray backtick: 3/admin,13["bar"]`
    sio_case(r#"3/admin,13["bar"]"#, SioType::Ack, 0, "/admin", Some(13), r#"["bar"]"#);
    sio_case(
        r#"61-15["bar",{"_placeholder":true,"num":0}]"#,
        SioType::BinaryAck,
        1,
        "/",
        Some(15),
        r#"["bar",{"_placeholder":true,"num":0}]"#,
    );
    // The exchange examples, written out.
    let enc = |kind, nsp, data, id| SioPacket::new(kind, nsp, data).with_id(id).encode().unwrap();
    assert_eq!(enc(SioType::Ack, "/", "[]", 12), "312[]");
    assert_eq!(enc(SioType::Event, "/admin", r#"["foo"]"#, 13), r#"2/admin,13["foo"]"#);
    assert_eq!(enc(SioType::Ack, "/", r#"["bar"]"#, 14), r#"314["bar"]"#);
    assert_eq!(enc(SioType::Event, "/", r#"["foo"]"#, 15), r#"215["foo"]"#);
    let bin = SioPacket::new(SioType::BinaryEvent, "/", r#"["foo",{"_placeholder":true,"num":0}]"#)
        .with_id(14)
        .with_attachments(1);
    assert_eq!(bin.encode().unwrap(), r#"51-14["foo",{"_placeholder":true,"num":0}]"#);
    // The sample session's binary ack.
    let (_, d) = eio(r#"461-/admin,1[{"_placeholder":true,"num":0}]"#);
    sio_case(d, SioType::BinaryAck, 1, "/admin", Some(1), r#"[{"_placeholder":true,"num":0}]"#);
}

#[test]
fn sio_disconnect_examples() {
    sio_case("1", SioType::Disconnect, 0, "/", None, "");
    sio_case("1/admin,", SioType::Disconnect, 0, "/admin", None, "");
    // Without the trailing comma (socket.io-parser reads the namespace to the end).
    let p = sio("1/admin");
    assert_eq!((p.kind, p.nsp), (SioType::Disconnect, "/admin"));
    assert_eq!(p.encode().unwrap(), "1/admin,");
    // The main namespace written out decodes to the same packet.
    assert_eq!(sio("0/,"), sio("0"));
}

// ---------- Socket.IO: socket.io-parser's vectors ----------

#[test]
fn parser_encode_vectors() {
    sio_case(r#"0/woot,{"token":"123"}"#, SioType::Connect, 0, "/woot", None, r#"{"token":"123"}"#);
    sio_case("1/woot,", SioType::Disconnect, 0, "/woot", None, "");
    sio_case(r#"2["a",1,{}]"#, SioType::Event, 0, "/", None, r#"["a",1,{}]"#);
    sio_case(r#"2[1,"a",{}]"#, SioType::Event, 0, "/", None, r#"[1,"a",{}]"#);
    sio_case(r#"2/test,1["a",1,{}]"#, SioType::Event, 0, "/test", Some(1), r#"["a",1,{}]"#);
    sio_case(r#"3123["a",1,{}]"#, SioType::Ack, 0, "/", Some(123), r#"["a",1,{}]"#);
    sio_case(r#"4"Unauthorized""#, SioType::ConnectError, 0, "/", None, r#""Unauthorized""#);
    sio_case(
        r#"4{"message":"Unauthorized"}"#,
        SioType::ConnectError,
        0,
        "/",
        None,
        r#"{"message":"Unauthorized"}"#,
    );
    // Buffers: nested placeholders, a binary ack.
    sio_case(
        r#"51-/cool,23["a",{"b":["c",{"_placeholder":true,"num":0}]}]"#,
        SioType::BinaryEvent,
        1,
        "/cool",
        Some(23),
        r#"["a",{"b":["c",{"_placeholder":true,"num":0}]}]"#,
    );
    sio_case(
        r#"61-/back,127["a",{"_placeholder":true,"num":0},{}]"#,
        SioType::BinaryAck,
        1,
        "/back",
        Some(127),
        r#"["a",{"_placeholder":true,"num":0},{}]"#,
    );
}

#[test]
fn parser_invalid_payloads() {
    use SioType::*;
    for (text, kind) in [
        (r#"442["some","data""#, ConnectError),
        (r#"0/admin,"invalid""#, Connect),
        ("0[]", Connect),
        ("1/admin,{}", Disconnect),
        (r#"2/admin,"invalid"#, Event),
        ("2/admin,{}", Event),
        (r#"2[{"toString":"foo"}]"#, Event),
        (r#"2[true,"foo"]"#, Event),
        (r#"2[null,"bar"]"#, Event),
    ] {
        assert_eq!(sio_err(text), Error::InvalidPayload { kind }, "{text}");
    }
    assert_eq!(sio_err(r#"2["connect"]"#), Error::ReservedEvent { name: "connect".into() });
    assert_eq!(
        sio_err(r#"2["disconnect","123"]"#),
        Error::ReservedEvent { name: "disconnect".into() }
    );
    for text in ["5", "51", "5a-", "51.23-"] {
        assert_eq!(sio_err(text), Error::InvalidAttachments, "{text}");
    }
    assert_eq!(sio_err("999"), Error::SioType { found: Some('9') });
}

// ---------- Socket.IO: the other rules and errors ----------

#[test]
fn sio_payload_shapes() {
    use SioType::*;
    let ok = [
        "0",
        "0{}",
        "0 { } ",
        "1",
        r#"2["a"]"#,
        r#"2[-1.5e3]"#,
        r#"2 [ "a" , [ ] ] "#,
        r#"2["a\u0062",null,true,false,0,"\ud800",{"k":[{}]}]"#,
        "3/x,0[]",
        "30[]",
        "4{}",
        r#"4"""#,
        "50-[\"a\"]",
        "60-1[]",
        "61-1[{\"_placeholder\":true,\"num\":0}]",
        r#"2["é😀"]"#,
        r#"2["Connect"]"#,
        r#"2["connect "]"#,
    ];
    for text in ok {
        let p = sio(text);
        assert_eq!(SioPacket::decode(&p.encode().unwrap()).unwrap(), p, "{text}");
    }
    for (text, kind) in [
        ("0 ", Connect),
        ("0null", Connect),
        ("0[]", Connect),
        ("0{} x", Connect),
        ("0{},", Connect),
        ("0{", Connect),
        ("1{}", Disconnect),
        ("1 ", Disconnect),
        ("2", Event),
        ("2[]", Event),
        ("2 []", Event),
        (r#"2["a",]"#, Event),
        (r#"2["a"]]"#, Event),
        (r#"2{"a":1}"#, Event),
        (r#"2"a""#, Event),
        (r#"2[01]"#, Event),
        (r#"2[1.]"#, Event),
        (r#"2[.5]"#, Event),
        (r#"2[+1]"#, Event),
        (r#"2[1e]"#, Event),
        (r#"2["a\x"]"#, Event),
        (r#"2["a\u12G4"]"#, Event),
        ("2[\"a\u{1}\"]", Event),
        ("2[\"a\nb\"]", Event),
        (r#"2["a",tru]"#, Event),
        (r#"2["a",nul]"#, Event),
        (r#"2["a",NaN]"#, Event),
        (r#"2["a",{a:1}]"#, Event),
        (r#"2["a",{"a" 1}]"#, Event),
        (r#"2["a",{"a":1,}]"#, Event),
        (r#"2["a" "b"]"#, Event),
        ("2['a']", Event),
        ("3", Ack),
        ("31", Ack),
        ("31{}", Ack),
        (r#"31"a""#, Ack),
        ("4", ConnectError),
        ("4[]", ConnectError),
        ("45", ConnectError),
        ("50-", BinaryEvent),
        ("50-[]", BinaryEvent),
        ("61-1{}", BinaryAck),
    ] {
        assert_eq!(sio_err(text), Error::InvalidPayload { kind }, "{text}");
    }
    for name in RESERVED_EVENTS {
        let text = format!("2[{}]", quote(name));
        assert_eq!(sio_err(&text), Error::ReservedEvent { name: name.into() });
        let bin = format!("51-[{},{{\"_placeholder\":true,\"num\":0}}]", quote(name));
        assert_eq!(sio_err(&bin), Error::ReservedEvent { name: name.into() });
    }
    // Escaped, still reserved.
    assert_eq!(sio_err(r#"2["conn\u0065ct"]"#), Error::ReservedEvent { name: "connect".into() });
}

#[test]
fn sio_header_errors() {
    assert_eq!(sio_err(""), Error::SioType { found: None });
    assert_eq!(sio_err("7"), Error::SioType { found: Some('7') });
    assert_eq!(sio_err("x2[]"), Error::SioType { found: Some('x') });
    assert_eq!(sio_err("é"), Error::SioType { found: Some('é') });
    for text in ["5-[\"a\"]", "5 1-[\"a\"]", "5+1-[\"a\"]", "54294967296-[\"a\"]", "5/a,1-[\"a\"]"]
    {
        assert_eq!(sio_err(text), Error::InvalidAttachments, "{text}");
    }
    assert_eq!(sio("54294967295-[\"a\"]").attachments, u32::MAX);
    assert_eq!(sio(r#"218446744073709551615["a"]"#).id, Some(u64::MAX));
    assert_eq!(sio_err(r#"218446744073709551616["a"]"#), Error::InvalidId);
    assert_eq!(sio_err("3[]"), Error::MissingId);
    assert_eq!(sio_err("3/a,[]"), Error::MissingId);
    assert_eq!(sio_err("61-[]"), Error::MissingId);
    assert_eq!(sio_err("0/admin,1{}"), Error::UnexpectedId);
    assert_eq!(sio_err("01"), Error::UnexpectedId);
    assert_eq!(sio_err("112"), Error::UnexpectedId);
    assert_eq!(sio_err("41{}"), Error::UnexpectedId);
    // A namespace without its comma runs to the end: here it swallows the payload.
    assert_eq!(sio_err(r#"2/admin["x"]"#), Error::InvalidPayload { kind: SioType::Event });
    // Not a namespace (no leading `/`): read as the payload.
    assert_eq!(sio_err(r#"2admin,["x"]"#), Error::InvalidPayload { kind: SioType::Event });
    // Leading zeros in an id are read as decimal.
    assert_eq!(sio(r#"2007["x"]"#).id, Some(7));
    // Non-ASCII namespaces are fine.
    assert_eq!(sio("0/é€,").nsp, "/é€");
}

#[test]
fn sio_encode_errors() {
    let p = |kind, nsp, data| SioPacket::new(kind, nsp, data);
    for nsp in ["", "admin", "/a,b", ","] {
        assert_eq!(p(SioType::Connect, nsp, "").encode(), Err(Error::InvalidNamespace), "{nsp}");
    }
    let with_att = p(SioType::Event, "/", r#"["a"]"#).with_attachments(1);
    assert_eq!(with_att.encode(), Err(Error::InvalidAttachments));
    assert_eq!(p(SioType::Ack, "/", "[]").encode(), Err(Error::MissingId));
    assert_eq!(p(SioType::Connect, "/", "").with_id(1).encode(), Err(Error::UnexpectedId));
    let kind = SioType::Event;
    assert_eq!(p(kind, "/", "[").encode(), Err(Error::InvalidPayload { kind }));
    assert_eq!(p(kind, "/", "").encode(), Err(Error::InvalidPayload { kind }));
    assert_eq!(
        p(kind, "/", r#"["newListener"]"#).encode(),
        Err(Error::ReservedEvent { name: "newListener".into() })
    );
    // Binary types with 0 attachments encode (socket.io-parser decodes them as complete).
    let zero = p(SioType::BinaryEvent, "/x", r#"["a"]"#);
    assert_eq!(zero.encode().unwrap(), r#"50-/x,["a"]"#);
}

#[test]
fn every_error_describes_itself() {
    let all = [
        Error::EioType { found: None },
        Error::OpenNotObject,
        Error::MissingField { field: "sid" },
        Error::InvalidField { field: "pingInterval" },
        Error::Base64 { at: 0 },
        Error::SeparatorInData,
        Error::SioType { found: Some('9') },
        Error::InvalidAttachments,
        Error::TooManyAttachments { count: 11, limit: 10 },
        Error::InvalidNamespace,
        Error::InvalidId,
        Error::MissingId,
        Error::UnexpectedId,
        Error::InvalidPayload { kind: SioType::Event },
        Error::ReservedEvent { name: "connect".into() },
        Error::UnexpectedText { missing: 1 },
        Error::UnexpectedBinary,
        Error::NoOffset,
    ];
    let texts: Vec<String> = all.iter().map(Error::describe).collect();
    for t in &texts {
        assert!(!t.is_empty());
    }
    assert_eq!(texts[2], "Engine.IO open packet without sid");
    assert_eq!(texts[3], "invalid Engine.IO open pingInterval");
    assert_eq!(texts[8], "more than 10 Socket.IO attachments");
    assert_eq!(texts[14], "reserved Socket.IO event name: connect");
    let unique: std::collections::HashSet<&String> = texts.iter().collect();
    assert_eq!(unique.len(), texts.len());
}

// ---------- attachment reassembly ----------

fn complete(r: Option<BinaryPacket<Vec<u8>>>) -> BinaryPacket<Vec<u8>> {
    r.expect("complete")
}

#[test]
fn reassembly_doc_examples() {
    let mut r = Reassembly::<Vec<u8>>::default();
    // 51-["baz",...] + <Buffer 01 02 03 04>
    let head = r#"51-["baz",{"_placeholder":true,"num":0}]"#;
    assert_eq!(r.text(head), Ok(Fed::Awaiting(1)));
    assert_eq!(r.missing(), 1);
    let p = complete(r.binary(vec![1, 2, 3, 4]).unwrap());
    assert_eq!(r.missing(), 0);
    assert_eq!(p.text(), head);
    assert_eq!(p.attachments, [vec![1, 2, 3, 4]]);
    let h = p.packet();
    assert_eq!((h.kind, h.attachments, h.nsp, h.id), (SioType::BinaryEvent, 1, "/", None));
    assert_eq!(h.data, r#"["baz",{"_placeholder":true,"num":0}]"#);
    // Two attachments, in order.
    let head = r#"52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
    assert_eq!(r.text(head), Ok(Fed::Awaiting(2)));
    assert_eq!(r.binary(vec![1, 2]), Ok(None));
    assert_eq!(r.missing(), 1);
    let p = complete(r.binary(vec![3, 4]).unwrap());
    assert_eq!(p.attachments, [vec![1, 2], vec![3, 4]]);
    assert_eq!(p.packet().nsp, "/admin");
    // A binary ack, then a plain packet right after.
    assert_eq!(r.text(r#"61-15["bar",{"_placeholder":true,"num":0}]"#), Ok(Fed::Awaiting(1)));
    let p = complete(r.binary(vec![9]).unwrap());
    assert_eq!((p.packet().kind, p.packet().id), (SioType::BinaryAck, Some(15)));
    let Ok(Fed::Packet(p)) = r.text(r#"2["foo"]"#) else { panic!() };
    assert_eq!(p.data, r#"["foo"]"#);
}

#[test]
fn reassembly_errors() {
    let mut r = Reassembly::<Vec<u8>>::default();
    // socket.io-parser: "throws an error when adding an attachment without header".
    assert_eq!(r.binary(b"world".to_vec()), Err(Error::UnexpectedBinary));
    // "throws an error when decoding a binary event without attachments": text while pending.
    assert_eq!(r.text(r#"51-["hello",{"_placeholder":true,"num":0}]"#), Ok(Fed::Awaiting(1)));
    assert_eq!(r.text(r#"2["hello"]"#), Err(Error::UnexpectedText { missing: 1 }));
    // ... which reset it: the next packet decodes, the late attachment is unexpected.
    assert_eq!(r.missing(), 0);
    assert!(matches!(r.text(r#"2["hello"]"#), Ok(Fed::Packet(_))));
    assert_eq!(r.binary(b"world".to_vec()), Err(Error::UnexpectedBinary));
    // Even invalid text while pending is that error (and resets).
    assert_eq!(r.text(r#"52-["a"]"#), Ok(Fed::Awaiting(2)));
    assert_eq!(r.binary(vec![1]), Ok(None));
    assert_eq!(r.text("garbage"), Err(Error::UnexpectedText { missing: 1 }));
    assert_eq!(r.missing(), 0);
    // A bad header leaves it idle.
    assert_eq!(r.text("51["), Err(Error::InvalidAttachments));
    assert_eq!(r.missing(), 0);
    // "throws an error when receiving too many attachments" (maxAttachments: 2).
    let mut r2 = Reassembly::<Vec<u8>>::new(2);
    let three = r#"53-["hello",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1},{"_placeholder":true,"num":2}]"#;
    assert_eq!(r2.text(three), Err(Error::TooManyAttachments { count: 3, limit: 2 }));
    assert_eq!(r2.missing(), 0);
    let ten = format!("5{MAX_ATTACHMENTS}-[\"a\"]");
    assert_eq!(r.text(&ten), Ok(Fed::Awaiting(MAX_ATTACHMENTS)));
    r.reset();
    let eleven = format!("5{}-[\"a\"]", MAX_ATTACHMENTS + 1);
    assert_eq!(r.text(&eleven), Err(Error::TooManyAttachments { count: 11, limit: 10 }));
    // A huge limit does not allocate for the declared count.
    let mut big = Reassembly::<Vec<u8>>::new(u32::MAX);
    assert_eq!(big.text("54294967295-[\"a\"]"), Ok(Fed::Awaiting(u32::MAX)));
}

#[test]
fn reassembly_resume_after_reset() {
    // socket.io-parser: "should resume decoding after calling destroy()".
    let mut r = Reassembly::<Vec<u8>>::default();
    assert_eq!(r.text(r#"51-["hello"]"#), Ok(Fed::Awaiting(1)));
    r.reset();
    let Ok(Fed::Packet(p)) = r.text(r#"2["hello"]"#) else { panic!() };
    assert_eq!(p.data, r#"["hello"]"#);
    // A binary packet with 0 attachments is complete at once (its type stays binary).
    let Ok(Fed::Packet(p)) = r.text(r#"50-["hello"]"#) else { panic!() };
    assert_eq!((p.kind, p.attachments), (SioType::BinaryEvent, 0));
}

#[test]
fn reassembly_is_generic_over_the_buffer() {
    // The browser driver keeps JS handles; here a stand-in that is not bytes at all.
    #[derive(Debug, PartialEq)]
    struct Handle(u32);
    let mut r = Reassembly::<Handle>::default();
    assert_eq!(r.text(r#"61-/x,3[{"_placeholder":true,"num":0}]"#), Ok(Fed::Awaiting(1)));
    let p = r.binary(Handle(7)).unwrap().unwrap();
    assert_eq!(p.attachments, [Handle(7)]);
}

#[test]
fn reassembly_over_a_polling_body() {
    // Attachments can arrive as `b` records of a polling body.
    let body = "451-[\"up\",{\"_placeholder\":true,\"num\":0}]\x1ebAQIDBA==\x1e42[\"after\"]";
    let mut r = Reassembly::<Vec<u8>>::default();
    let mut done = Vec::new();
    for rec in decode_payload(body).unwrap() {
        match rec {
            Record::Packet(p) if p.kind == EioType::Message => match r.text(p.data).unwrap() {
                Fed::Packet(p) => done.push((p.data.to_string(), vec![])),
                Fed::Awaiting(_) => {}
            },
            Record::Packet(p) => panic!("{p:?}"),
            Record::Binary(b) => {
                if let Some(p) = r.binary(b.into_owned()).unwrap() {
                    done.push((p.packet().data.to_string(), p.attachments));
                }
            }
        }
    }
    assert_eq!(
        done,
        [
            (r#"["up",{"_placeholder":true,"num":0}]"#.to_string(), vec![vec![1, 2, 3, 4]]),
            (r#"["after"]"#.to_string(), vec![]),
        ]
    );
}

// ---------- payload helpers ----------

#[test]
fn split_event_examples() {
    let d = r#"["hey","Jude"]"#;
    let e = split_event(d).unwrap();
    assert_eq!(e.name, "hey");
    assert!(matches!(e.name, Cow::Borrowed(_)));
    assert_eq!(&d[e.args.clone()], r#""Jude""#);
    let e = split_event(r#"["foo"]"#).unwrap();
    assert_eq!((e.name.as_ref(), e.args.is_empty()), ("foo", true));
    let d = r#" [ "a\"b\u00e9\ud83d\ude00\n" , 1 , {"k":["]"]} , [2] ] "#;
    let e = split_event(d).unwrap();
    assert_eq!(e.name, "a\"bé😀\n");
    assert_eq!(&d[e.args.clone()], r#"1 , {"k":["]"]} , [2]"#);
    let args: Value = serde_json::from_str(&format!("[{}]", &d[e.args])).unwrap();
    assert_eq!(args, json!([1, {"k": ["]"]}, [2]]));
    // A numeric name, as its JSON text (JS listeners key it as a string too).
    let e = split_event(r#"[1,"a",{}]"#).unwrap();
    assert_eq!(e.name, "1");
    // A lone surrogate becomes U+FFFD.
    assert_eq!(split_event(r#"["\ud800x"]"#).unwrap().name, "\u{fffd}x");
    assert_eq!(split_event(r#"["\udc00\ud800\u0041"]"#).unwrap().name, "\u{fffd}\u{fffd}A");
    let kind = SioType::Event;
    for bad in ["", "[]", "{}", r#"[true]"#, r#"["a""#, r#""a""#] {
        assert_eq!(split_event(bad), Err(Error::InvalidPayload { kind }), "{bad}");
    }
    assert_eq!(
        split_event(r#"["disconnect"]"#),
        Err(Error::ReservedEvent { name: "disconnect".into() })
    );
}

#[test]
fn strip_offset_examples() {
    let (rest, off) = strip_offset(r#"["hey","Jude","MzUPkW0"]"#).unwrap();
    assert_eq!((rest.as_str(), off.as_ref()), (r#"["hey","Jude"]"#, "MzUPkW0"));
    let (rest, off) = strip_offset(r#"["ping","1-0"]"#).unwrap();
    assert_eq!((rest.as_str(), off.as_ref()), (r#"["ping"]"#, "1-0"));
    // Strings and nesting are respected; whitespace before the offset is dropped with it.
    let d = r#"["ev", {"a":"],\"x"}, ["y", ","] , "o\u0031" ]"#;
    let (rest, off) = strip_offset(d).unwrap();
    assert_eq!(rest, r#"["ev", {"a":"],\"x"}, ["y", ","]]"#);
    assert_eq!(off, "o1");
    let v: Value = serde_json::from_str(&rest).unwrap();
    assert_eq!(v, json!(["ev", {"a": "],\"x"}, ["y", ","]]));
    // Then the event splits as usual.
    assert_eq!(split_event(&rest).unwrap().name, "ev");
    for bad in [r#"["ev"]"#, r#"["ev",1]"#, r#"["ev",{}]"#, "[]", "{}", "", r#"["ev","o""#, "\"x\""]
    {
        assert_eq!(strip_offset(bad), Err(Error::NoOffset), "{bad}");
    }
}

#[test]
fn event_array_and_quote() {
    assert_eq!(event_array("hey", &[r#""Jude""#, "1"]), r#"["hey","Jude",1]"#);
    assert_eq!(event_array("a\"b\\c\n", &[]), r#"["a\"b\\c\n"]"#);
    let name = "ctl\u{0}\u{1f}\u{8}\u{c}\t\r é😀\u{2028}";
    let arr = event_array(name, &["{}", "[1,2]"]);
    let v: Value = serde_json::from_str(&arr).unwrap();
    assert_eq!(v, json!([name, {}, [1, 2]]));
    assert_eq!(quote("\u{0}\u{1f}"), r#""\u0000\u001f""#);
    assert_eq!(quote(name), serde_json::to_string(name).unwrap());
    let e = split_event(&arr).unwrap();
    assert_eq!(e.name, name);
    let packet = SioPacket::new(SioType::Event, "/chat", &arr).with_id(3).encode().unwrap();
    assert_eq!(packet, format!("2/chat,3{arr}"));
}

// ---------- proptests ----------

fn cases() -> u32 {
    std::env::var("CHAOS_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512)
}

/// Text made of the codec's own characters, plus anything.
fn wire() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        6 => prop::sample::select(vec![
            "0", "1", "2", "3", "4", "5", "6", "7", "-", "/", ",", "[", "]", "{", "}", "\"", "\\",
            ":", "b", "=", "\u{1e}", " ", "\"a\"", "\"connect\"", "12", "\\u", "\\ud800", "null",
            "true", "1e5", "-0.5", "AQID", "{\"_placeholder\":true,\"num\":0}", "é", "\"sid\"",
            "\"upgrades\"", "\"pingInterval\"", "\"maxPayload\"",
        ]).prop_map(String::from),
        1 => any::<char>().prop_map(String::from),
    ];
    prop_oneof![
        8 => prop::collection::vec(piece, 0..30).prop_map(|v| v.concat()),
        1 => any::<String>(),
    ]
}

/// A JSON value without `\u` escapes, shallow enough for serde_json's recursion limit.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-4000i32..4000).prop_map(|n| json!(f64::from(n) / 8.0)),
        "[a-z\"\\\\/ é😀\n\t]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(("[a-z\"]{0,4}", inner), 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn kind() -> impl Strategy<Value = SioType> {
    (0u8..7).prop_map(|c| SioType::from_code(c).unwrap())
}

/// A valid packet's parts: (kind, attachments, nsp, id, data).
fn valid_parts() -> impl Strategy<Value = (SioType, u32, String, Option<u64>, String)> {
    (
        kind(),
        any::<u32>(),
        prop_oneof![Just("/".to_string()), "/[a-zé0-9/_{}\\[\\]-]{0,8}"],
        any::<u64>(),
        json_value(),
        "[a-zA-Z0-9 é]{1,8}",
        prop::collection::vec(json_value(), 0..3),
    )
        .prop_map(|(kind, att, nsp, id, obj, name, args)| {
            let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let object = match obj {
                Value::Object(m) => Value::Object(m).to_string(),
                other => json!({ "v": other }).to_string(),
            };
            let (id, data) = match kind {
                SioType::Connect => (None, if att % 2 == 0 { String::new() } else { object }),
                SioType::Disconnect => (None, String::new()),
                SioType::Event | SioType::BinaryEvent => {
                    ((att % 2 == 0).then_some(id), event_array(&name, &args))
                }
                SioType::Ack | SioType::BinaryAck => (Some(id), format!("[{}]", args.join(","))),
                SioType::ConnectError => (None, if att % 2 == 0 { quote(&name) } else { object }),
            };
            let att = if kind.is_binary() { att } else { 0 };
            (kind, att, nsp, id, data)
        })
        .prop_filter("reserved names", |(_, _, _, _, d)| {
            RESERVED_EVENTS.iter().all(|r| !d.starts_with(&format!("[\"{r}\"")))
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn decoders_never_panic(text in wire(), bytes in prop::collection::vec(any::<u8>(), 0..8)) {
        let _ = EioPacket::decode(&text);
        let _ = decode_payload(&text);
        let _ = Handshake::parse(&text);
        let _ = base64_decode(&text);
        let _ = split_event(&text);
        let _ = strip_offset(&text);
        for t in [&text[..], text.get(1..).unwrap_or_default()] {
            if let Ok(p) = SioPacket::decode(t) {
                // What decodes re-encodes (canonically) to an equal packet.
                let again = p.encode().unwrap();
                prop_assert_eq!(SioPacket::decode(&again).unwrap(), p);
            }
        }
        let mut r = Reassembly::<Vec<u8>>::new(3);
        for (i, t) in text.split('\u{1e}').enumerate() {
            if i % 2 == 1 {
                let _ = r.binary(bytes.clone());
            }
            match r.text(t) {
                Err(Error::UnexpectedText { .. }) => prop_assert_eq!(r.missing(), 0),
                Ok(Fed::Awaiting(n)) => prop_assert!((1..=3).contains(&n) && r.missing() == n),
                _ => prop_assert_eq!(r.missing(), 0),
            }
        }
    }

    #[test]
    fn eio_round_trips(code in 0u8..7, data in any::<String>(), bins in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..20), 0..3)) {
        let p = EioPacket::new(EioType::from_code(code).unwrap(), &data);
        let frame = p.encode();
        prop_assert_eq!(EioPacket::decode(&frame).unwrap(), p);
        let clean = data.replace('\u{1e}', "");
        let mut recs = vec![Record::Packet(EioPacket::new(p.kind, &clean))];
        recs.extend(bins.iter().map(|b| Record::Binary(Cow::Borrowed(&b[..]))));
        let body = encode_payload(&recs).unwrap();
        prop_assert_eq!(decode_payload(&body).unwrap(), recs);
    }

    #[test]
    fn base64_round_trips(bytes in prop::collection::vec(any::<u8>(), 0..100)) {
        let enc = base64_encode(&bytes);
        prop_assert_eq!(enc.len() % 4, 0);
        prop_assert_eq!(base64_decode(&enc).unwrap(), bytes.clone());
        prop_assert_eq!(base64_decode(enc.trim_end_matches('=')).unwrap(), bytes);
    }

    #[test]
    fn base64_is_canonical(text in "[A-Za-z0-9+/=]{0,12}") {
        // Whatever decodes re-encodes to the same text (modulo omitted padding).
        if let Ok(bytes) = base64_decode(&text) {
            let again = base64_encode(&bytes);
            prop_assert_eq!(again.trim_end_matches('='), text.trim_end_matches('='));
        }
    }

    #[test]
    fn handshake_round_trips(
        sid in any::<String>(),
        upgrades in prop::collection::vec(any::<String>(), 0..3),
        interval in 0u32..u32::MAX,
        timeout in 0u32..u32::MAX,
        max in prop::option::of(0u64..9_007_199_254_740_991),
    ) {
        let h = Handshake {
            sid,
            upgrades,
            ping_interval_ms: interval.into(),
            ping_timeout_ms: timeout.into(),
            max_payload: max,
        };
        prop_assert_eq!(Handshake::parse(&h.to_json()).unwrap(), h.clone());
        // And serde_json reads it the same way.
        let v: Value = serde_json::from_str(&h.to_json()).unwrap();
        prop_assert_eq!(v["sid"].as_str().unwrap(), h.sid.as_str());
    }

    #[test]
    fn sio_round_trips(parts in valid_parts()) {
        let (kind, att, nsp, id, data) = &parts;
        let mut p = SioPacket::new(*kind, nsp, data).with_attachments(*att);
        p.id = *id;
        let text = p.encode().unwrap();
        prop_assert_eq!(SioPacket::decode(&text).unwrap(), p);
        // Through Engine.IO and the reassembly too.
        let frame = EioPacket::message(&text).encode();
        let inner = EioPacket::decode(&frame).unwrap().data;
        let mut r = Reassembly::<u8>::new(u32::MAX);
        match r.text(inner).unwrap() {
            Fed::Packet(q) => prop_assert_eq!(q, p),
            Fed::Awaiting(n) => {
                prop_assert_eq!(n, *att);
                for _ in 1..n.min(3) {
                    prop_assert_eq!(r.binary(0).unwrap(), None);
                }
                if n <= 3 {
                    let done = r.binary(0).unwrap().unwrap();
                    prop_assert_eq!(done.packet(), p);
                }
            }
        }
    }

    #[test]
    fn event_helpers_agree_with_serde(
        name in any::<String>(),
        args in prop::collection::vec(json_value(), 0..4),
        offset in any::<String>(),
    ) {
        prop_assume!(!RESERVED_EVENTS.contains(&name.as_str()));
        let arg_texts: Vec<String> = args.iter().map(Value::to_string).collect();
        let refs: Vec<&str> = arg_texts.iter().map(String::as_str).collect();
        let arr = event_array(&name, &refs);
        let v: Value = serde_json::from_str(&arr).unwrap();
        let mut expect = vec![Value::String(name.clone())];
        expect.extend(args.iter().cloned());
        prop_assert_eq!(&v, &Value::Array(expect));
        let e = split_event(&arr).unwrap();
        prop_assert_eq!(e.name.as_ref(), name.as_str());
        let got: Value = serde_json::from_str(&format!("[{}]", &arr[e.args])).unwrap();
        prop_assert_eq!(got, Value::Array(args));
        // With an offset appended (what a recovering server sends), strip gives both back.
        let with = format!("{},{}]", &arr[..arr.len() - 1], quote(&offset));
        let (rest, off) = strip_offset(&with).unwrap();
        prop_assert_eq!(&rest, &arr);
        prop_assert_eq!(off.as_ref(), offset.as_str());
    }

    #[test]
    fn json_scanner_agrees_with_serde(v in json_value(), cut in any::<usize>(), byte in any::<u8>(), how in 0u8..3) {
        // A valid value, maybe truncated or with a byte inserted/replaced (kept UTF-8).
        let mut s = v.to_string().into_bytes();
        let at = cut % (s.len() + 1);
        match how {
            0 => {}
            1 => s.truncate(at),
            _ => s.insert(at, byte),
        }
        let s = String::from_utf8_lossy(&s).into_owned();
        prop_assume!(!s.contains("\\u"));
        // As the arguments of an ack (`31[<value>]`): valid iff serde_json reads `[<value>]`.
        let ours = SioPacket::decode(&format!("31[{s}]")).is_ok();
        let theirs = match serde_json::from_str::<Vec<Value>>(&format!("[{s}]")) {
            Ok(_) => true,
            // serde_json refuses numbers beyond f64 (`1e999`); JSON.parse and we accept them.
            Err(e) if e.to_string().contains("out of range") => return Ok(()),
            Err(_) => false,
        };
        prop_assert_eq!(ours, theirs, "{}", s);
    }
}
