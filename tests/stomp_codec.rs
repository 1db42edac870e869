//! The STOMP 1.2 frame codec (`core::stomp`): round trips, escaping, binary bodies, frames
//! split across or packed into pushes, heart-beats, RabbitMQ-shaped frames, the size limit,
//! typed errors, and fuzzing (arbitrary bytes in arbitrary chunks never panic; decoding does
//! not depend on how the bytes are chunked; arbitrary frames round-trip).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use steadysocket::core::stomp::{
    encode, encode_with, Command, ContentLength, DecodeError, Decoded, Decoder, Frame,
};

const MAX: usize = 1 << 20;

/// Everything the decoder yields for `chunks`, pushed one after the other (draining after
/// each push).
fn decode_chunks<'a>(
    max: usize,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> Vec<Result<Decoded, DecodeError>> {
    let mut d = Decoder::new(max);
    let mut out = Vec::new();
    for c in chunks {
        d.push(c);
        out.extend(d.by_ref());
    }
    out
}

fn decode_all(bytes: &[u8]) -> Vec<Result<Decoded, DecodeError>> {
    decode_chunks(MAX, [bytes])
}

fn frames(bytes: &[u8]) -> Vec<Frame> {
    decode_all(bytes)
        .into_iter()
        .filter_map(|r| match r.expect("decodes") {
            Decoded::Frame(f) => Some(f),
            Decoded::Heartbeat => None,
        })
        .collect()
}

fn one(bytes: &[u8]) -> Frame {
    let mut f = frames(bytes);
    assert_eq!(f.len(), 1, "{f:?}");
    f.remove(0)
}

fn first_error(max: usize, bytes: &[u8]) -> DecodeError {
    decode_chunks(max, [bytes]).into_iter().find_map(Result::err).expect("an error")
}

#[test]
fn encode_layout() {
    let f = Frame::new(Command::Send).with_header("destination", "/queue/a").with_body("hi");
    assert_eq!(encode(&f), b"SEND\ndestination:/queue/a\n\nhi\0");
    assert_eq!(
        encode_with(&f, ContentLength::Always),
        b"SEND\ndestination:/queue/a\ncontent-length:2\n\nhi\0"
    );
    assert_eq!(
        encode_with(&Frame::new(Command::Disconnect), ContentLength::Always),
        b"DISCONNECT\n\n\0"
    );
}

#[test]
fn escaping_round_trips() {
    let f = Frame::new(Command::Send)
        .with_header("a:b\\c", "line1\nline2\r:x\\")
        .with_header("", "")
        .with_body("text");
    let bytes = encode(&f);
    assert_eq!(&bytes, b"SEND\na\\cb\\\\c:line1\\nline2\\r\\cx\\\\\n:\n\ntext\0");
    assert_eq!(one(&bytes), f);
}

#[test]
fn connect_and_connected_are_not_escaped() {
    let f =
        Frame::new(Command::Connect).with_header("login", "a\\b:c").with_header("passcode", "p");
    let bytes = encode(&f);
    assert_eq!(&bytes, b"CONNECT\nlogin:a\\b:c\npasscode:p\n\n\0");
    assert_eq!(one(&bytes), f);
    // CR/LF cannot inject headers: they are dropped; ':' is dropped from names.
    let evil = Frame::new(Command::Connect).with_header("lo:gin", "x\npasscode:y\r");
    assert_eq!(encode(&evil), b"CONNECT\nlogin:xpasscode:y\n\n\0");
    // A CONNECTED with backslashes keeps them literally; `\t` is no error there.
    let got = one(b"CONNECTED\nserver:a\\tb\\c\n\n\0");
    assert_eq!(got.header("server"), Some("a\\tb\\c"));
    // STOMP (the 1.2 CONNECT) is escaped like other frames.
    let s = Frame::new(Command::Stomp).with_header("host", "a:b");
    assert_eq!(encode(&s), b"STOMP\nhost:a\\cb\n\n\0");
}

#[test]
fn binary_bodies_with_nuls_round_trip() {
    let body = vec![0u8, 1, 0, 255, b'\n', 0];
    let f =
        Frame::new(Command::Send).with_header("destination", "/topic/b").with_body(body.clone());
    let bytes = encode(&f);
    assert!(bytes.windows(17).any(|w| w == b"content-length:6\n"));
    let got = one(&bytes);
    assert_eq!(got.body, body);
    assert_eq!(got.header("content-length"), Some("6"));
    // Non-UTF-8 without NUL also gets a length; UTF-8 text does not.
    assert!(String::from_utf8_lossy(&encode(&Frame::new(Command::Send).with_body(vec![0xff])))
        .contains("content-length:1"));
    assert!(!String::from_utf8_lossy(&encode(&Frame::new(Command::Send).with_body("é")))
        .contains("content-length"));
}

#[test]
fn existing_content_length_is_kept() {
    let f = Frame::new(Command::Send).with_header("content-length", "3").with_body(vec![0, 0, 0]);
    assert_eq!(encode_with(&f, ContentLength::Always), b"SEND\ncontent-length:3\n\n\0\0\0\0");
    assert_eq!(one(&encode(&f)), f);
}

#[test]
fn body_without_length_ends_at_first_nul() {
    let got = frames(b"MESSAGE\n\nab\0SEND\n\ncd\0");
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].body, b"ab");
    assert_eq!(got[1].command, Command::Send);
    assert_eq!(got[1].body, b"cd");
}

#[test]
fn repeated_headers_first_wins() {
    let f = one(b"MESSAGE\nfoo:1\nfoo:2\ncontent-length:1\ncontent-length:9\n\nx\0");
    assert_eq!(f.header("foo"), Some("1"));
    assert_eq!(f.headers.len(), 4);
    assert_eq!(f.body, b"x");
    assert_eq!(f.header("missing"), None);
}

#[test]
fn crlf_line_endings_and_heartbeats() {
    let bytes = b"\n\r\nMESSAGE\r\na:b\r\n\r\nbody\0\r\n\nRECEIPT\nreceipt-id:7\n\n\0";
    let got = decode_all(bytes);
    let hb = Ok(Decoded::Heartbeat);
    assert_eq!(got.len(), 6, "{got:?}");
    assert_eq!(got[0], hb);
    assert_eq!(got[1], hb);
    assert_eq!(
        got[2],
        Ok(Decoded::Frame(Frame::new(Command::Message).with_header("a", "b").with_body("body")))
    );
    assert_eq!(got[3], hb);
    assert_eq!(got[4], hb);
    assert_eq!(
        got[5],
        Ok(Decoded::Frame(Frame::new(Command::Receipt).with_header("receipt-id", "7")))
    );
}

#[test]
fn rabbitmq_connected_with_trailing_eol() {
    let got = decode_all(
        b"CONNECTED\nserver:RabbitMQ/3.10.8\nsession:x\nheart-beat:2000,2000\nversion:1.2\n\n\0\n",
    );
    let want = Frame::new(Command::Connected)
        .with_header("server", "RabbitMQ/3.10.8")
        .with_header("session", "x")
        .with_header("heart-beat", "2000,2000")
        .with_header("version", "1.2");
    assert_eq!(got, vec![Ok(Decoded::Frame(want)), Ok(Decoded::Heartbeat)]);
}

#[test]
fn rabbitmq_message_and_receipt() {
    let msg = b"MESSAGE\nsubscription:sub-0\ndestination:/queue/q\nmessage-id:T_sub-0@@session-Ab@@1\nredelivered:false\nack:T_sub-0@@session-Ab@@1\nreceipt:r1\ncontent-length:5\n\nh\0l\nx\0";
    let mut bytes = msg.to_vec();
    bytes.extend_from_slice(b"RECEIPT\nreceipt-id:r1\n\n\0\n");
    let got = frames(&bytes);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].command, Command::Message);
    assert_eq!(got[0].body, b"h\0l\nx");
    assert_eq!(got[0].header("message-id"), Some("T_sub-0@@session-Ab@@1"));
    assert_eq!(got[1].header("receipt-id"), Some("r1"));
}

#[test]
fn every_split_point_gives_the_same_items() {
    let mut stream = Vec::new();
    stream
        .extend(encode(&Frame::new(Command::Message).with_header("k:\n", "v\\").with_body("one")));
    stream.extend_from_slice(b"\n\r\n");
    stream.extend(encode(&Frame::new(Command::Message).with_body(vec![0, 9, 0])));
    stream.extend_from_slice(b"ERROR\r\nmessage:bad\r\n\r\noops\0\n");
    stream.extend(encode(&Frame::new(Command::Other("PING".into()))));
    let whole = decode_all(&stream);
    assert_eq!(whole.iter().filter(|r| matches!(r, Ok(Decoded::Frame(_)))).count(), 4);
    assert!(whole.iter().all(Result::is_ok));
    for i in 0..=stream.len() {
        let (a, b) = stream.split_at(i);
        assert_eq!(decode_chunks(MAX, [a, b]), whole, "split at {i}");
        for j in i..=stream.len() {
            let (b, c) = b.split_at(j - i);
            assert_eq!(decode_chunks(MAX, [a, b, c]), whole, "split at {i}, {j}");
        }
    }
    assert_eq!(decode_chunks(MAX, stream.chunks(1)), whole);
}

#[test]
fn size_limit() {
    let f = encode(&Frame::new(Command::Send).with_body("0123456789"));
    // Exactly at the limit is fine, one byte less is not (found when the NUL arrives at once,
    // or as soon as the limit is buffered without a NUL).
    assert!(decode_chunks(f.len(), [&f[..]]).iter().all(Result::is_ok));
    assert_eq!(
        first_error(f.len() - 1, &f),
        DecodeError::FrameTooLarge { limit: f.len() - 1, size: f.len() }
    );
    let mut d = Decoder::new(8);
    d.push(b"SEND\n\n01");
    assert_eq!(d.next(), Some(Err(DecodeError::FrameTooLarge { limit: 8, size: 9 })));
    // A declared content-length over the limit fails before the body arrives.
    let mut d = Decoder::new(100);
    d.push(b"SEND\ncontent-length:1000\n\n");
    assert_eq!(d.next(), Some(Err(DecodeError::FrameTooLarge { limit: 100, size: 1027 })));
    // Absurd lengths saturate instead of overflowing.
    assert!(matches!(
        first_error(100, b"SEND\ncontent-length:99999999999999999999999\n\n"),
        DecodeError::FrameTooLarge { limit: 100, .. }
    ));
    // A command line that never ends.
    let mut d = Decoder::new(16);
    d.push(&[b'A'; 16]);
    assert!(matches!(d.next(), Some(Err(DecodeError::FrameTooLarge { limit: 16, .. }))));
}

#[test]
fn invalid_escapes() {
    assert_eq!(
        first_error(MAX, b"MESSAGE\na:x\\ty\n\n\0"),
        DecodeError::InvalidEscape { line: b"a:x\\ty".to_vec() }
    );
    assert_eq!(
        first_error(MAX, b"MESSAGE\na\\:x\n\n\0"),
        DecodeError::InvalidEscape { line: b"a\\:x".to_vec() }
    );
    assert_eq!(
        first_error(MAX, b"MESSAGE\na:x\\\n\n\0"),
        DecodeError::InvalidEscape { line: b"a:x\\".to_vec() }
    );
}

#[test]
fn other_typed_errors() {
    assert_eq!(
        first_error(MAX, b"MESSAGE\na:\xff\n\n\0"),
        DecodeError::NonUtf8 { line: b"a:\xff".to_vec() }
    );
    assert_eq!(
        first_error(MAX, b"SEND\nnocolon\n\n\0"),
        DecodeError::MissingColon { line: b"nocolon".to_vec() }
    );
    assert_eq!(
        first_error(MAX, b"SEND\ncontent-length:1x\n\nab\0"),
        DecodeError::InvalidContentLength { value: "1x".into() }
    );
    assert_eq!(
        first_error(MAX, b"SEND\ncontent-length:\n\n\0"),
        DecodeError::InvalidContentLength { value: String::new() }
    );
    assert_eq!(
        first_error(MAX, b"SEND\ncontent-length:1\n\nab\0"),
        DecodeError::MissingNul { content_length: 1 }
    );
    // A non-STOMP peer fails on its first bad byte, before any EOL.
    assert_eq!(
        first_error(MAX, b"{\"type\":\"ping\"}"),
        DecodeError::InvalidCommand { line: b"{".to_vec() }
    );
    assert_eq!(
        first_error(MAX, b"SE\rND\n"),
        DecodeError::InvalidCommand { line: b"SE\r".to_vec() }
    );
    assert_eq!(first_error(MAX, b"send\n"), DecodeError::InvalidCommand { line: b"s".to_vec() });
}

#[test]
fn stays_failed_until_reset() {
    let mut d = Decoder::new(MAX);
    d.push(b"MESSAGE\na:\\t\n\n\0SEND\n\n\0");
    assert!(matches!(d.next(), Some(Err(DecodeError::InvalidEscape { .. }))));
    assert!(d.is_failed());
    assert_eq!(d.next(), None);
    d.push(b"SEND\n\n\0");
    assert_eq!(d.next(), None);
    d.reset();
    assert!(!d.is_failed());
    d.push(b"SEND\n\n\0");
    assert_eq!(d.next(), Some(Ok(Decoded::Frame(Frame::new(Command::Send)))));
    assert_eq!(d.next(), None);
}

#[test]
fn commands_parse_and_print() {
    for name in [
        "CONNECT",
        "STOMP",
        "CONNECTED",
        "SEND",
        "SUBSCRIBE",
        "UNSUBSCRIBE",
        "ACK",
        "NACK",
        "BEGIN",
        "COMMIT",
        "ABORT",
        "DISCONNECT",
        "MESSAGE",
        "RECEIPT",
        "ERROR",
        "FOO",
    ] {
        let c = Command::parse(name);
        assert_eq!(c.as_str(), name);
        assert_eq!(matches!(c, Command::Other(_)), name == "FOO");
    }
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        Just(Command::Connect),
        Just(Command::Connected),
        Just(Command::Stomp),
        Just(Command::Send),
        Just(Command::Message),
        Just(Command::Error),
        Just(Command::Ack),
        "X[A-Z]{0,6}".prop_map(Command::Other),
    ]
}

fn frame() -> impl Strategy<Value = Frame> {
    (
        command(),
        prop::collection::vec(("(?s).{0,6}", "(?s).{0,6}"), 0..4),
        prop::collection::vec(any::<u8>(), 0..24),
    )
        .prop_map(|(command, headers, body)| {
            let headers = if command.escapes_headers() {
                headers
            } else {
                // CONNECT/CONNECTED cannot carry CR, LF, or ':' in names (the encoder drops them).
                let clean = |s: String, colon: bool| {
                    s.replace(['\r', '\n'], "").replace(':', if colon { "" } else { ":" })
                };
                headers.into_iter().map(|(k, v)| (clean(k, true), clean(v, false))).collect()
            };
            Frame { command, headers, body }
        })
}

/// Splits `bytes` at the given cut points (taken modulo its length).
fn chunked(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    let mut out = Vec::new();
    let mut at = 0;
    for c in cuts.into_iter().chain([bytes.len()]) {
        out.push(bytes[at..c].to_vec());
        at = c;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic_and_chunking_does_not_matter(
        bytes in prop::collection::vec(prop_oneof![
            4 => any::<u8>(),
            4 => prop::sample::select(b"\n\r\0:\\ncSENDMESAGcontent-length:9".to_vec()),
        ], 0..300),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
        max in 1usize..400,
    ) {
        let chunks = chunked(&bytes, &cuts);
        // Any limit: no panic, at most one error and nothing after it.
        let got = decode_chunks(max, chunks.iter().map(Vec::as_slice));
        if let Some(i) = got.iter().position(Result::is_err) {
            prop_assert_eq!(i + 1, got.len());
        }
        // A limit the input cannot reach: the chunking changes nothing.
        let big = bytes.len() + 1;
        prop_assert_eq!(decode_chunks(big, chunks.iter().map(Vec::as_slice)), decode_chunks(big, [&bytes[..]]));
    }

    #[test]
    fn arbitrary_frames_round_trip(
        frames in prop::collection::vec((frame(), any::<bool>(), 0usize..3), 1..6),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let mut stream = Vec::new();
        for (f, always, beats) in &frames {
            let mode = if *always { ContentLength::Always } else { ContentLength::IfNeeded };
            stream.extend(encode_with(f, mode));
            for _ in 0..*beats {
                stream.extend_from_slice(b"\r\n");
            }
        }
        let chunks = chunked(&stream, &cuts);
        let got: Vec<Frame> = decode_chunks(MAX, chunks.iter().map(Vec::as_slice))
            .into_iter()
            .filter_map(|r| match r {
                Ok(Decoded::Frame(f)) => Some(f),
                Ok(Decoded::Heartbeat) => None,
                Err(e) => panic!("{e:?}"),
            })
            .collect();
        prop_assert_eq!(got.len(), frames.len());
        for (g, (f, _, _)) in got.iter().zip(&frames) {
            prop_assert_eq!(&g.command, &f.command);
            prop_assert_eq!(&g.body, &f.body);
            prop_assert_eq!(&g.headers[..f.headers.len()], &f.headers[..]);
            let extra = &g.headers[f.headers.len()..];
            if f.body.contains(&0) {
                prop_assert!(g.header("content-length").is_some());
            }
            prop_assert!(extra.is_empty() || extra == [("content-length".to_string(), f.body.len().to_string())]);
        }
    }
}
