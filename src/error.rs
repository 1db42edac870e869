//! Errors.

use std::fmt;

/// Whether a bad option had the wrong type or a value out of range (JS: `TypeError` or
/// `RangeError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionErrorKind {
    /// Wrong type (JS `TypeError`).
    Type,
    /// Right type, value out of range (JS `RangeError`).
    Range,
}

/// An invalid option. `path` names it the way JS users write it, e.g.
/// `reconnect.maxDelayMs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionError {
    /// The option path, e.g. `queue.overflow`.
    pub path: String,
    /// Type or range.
    pub kind: OptionErrorKind,
    /// What was expected and what was given.
    pub message: String,
}

impl OptionError {
    /// A type error for `path`.
    pub fn type_error(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { path: path.into(), kind: OptionErrorKind::Type, message: message.into() }
    }

    /// A range error for `path`.
    pub fn range_error(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { path: path.into(), kind: OptionErrorKind::Range, message: message.into() }
    }
}

impl OptionError {
    /// The message: ``steadysocket: option `path` message`` (the `Display` text, built
    /// without `core::fmt`, which the wasm build leaves out).
    /// `steadysocket: option `path` message`; method arguments (`code`, `reason`,
    /// `timeoutMs`) are called "argument".
    pub fn text(&self) -> String {
        let what = if matches!(self.path.as_str(), "code" | "reason" | "timeoutMs") {
            "steadysocket: argument `"
        } else {
            "steadysocket: option `"
        };
        [what, &self.path, "` ", &self.message].concat()
    }
}

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl std::error::Error for OptionError {}

/// Why a request failed ([`Error::Request`]). `as_str()` and `Display` give the JS
/// `error.kind` string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestErrorKind {
    /// `"timeout"`: no reply before the request's deadline (time spent queued included).
    Timeout,
    /// `"connection-lost"`: it was transmitted, then its connection died before the reply
    /// (it is never re-sent: it may or may not have arrived).
    ConnectionLost,
    /// `"closed"`: the socket was closed (or dropped) before a reply.
    Closed,
    /// `"dropped"`: its frame left the queue untransmitted (overflow or TTL).
    Dropped,
    /// `"too-big"`: its frame was over the server's size limit (Socket.IO's `maxPayload`) and
    /// was never sent.
    TooBig,
    /// `"remote"`: the server answered with an error (a v1 error reply, a codec's `error`, a
    /// STOMP `ERROR` for the receipt).
    Remote,
}

impl RequestErrorKind {
    /// The JS `error.kind`: `"timeout"`, `"connection-lost"`, `"closed"`, `"dropped"` or
    /// `"remote"`.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestErrorKind::Timeout => "timeout",
            RequestErrorKind::ConnectionLost => "connection-lost",
            RequestErrorKind::Closed => "closed",
            RequestErrorKind::Dropped => "dropped",
            RequestErrorKind::TooBig => "too-big",
            RequestErrorKind::Remote => "remote",
        }
    }
}

impl fmt::Display for RequestErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<crate::core::Failure> for RequestErrorKind {
    fn from(f: crate::core::Failure) -> Self {
        match f {
            crate::core::Failure::Timeout => RequestErrorKind::Timeout,
            crate::core::Failure::ConnectionLost => RequestErrorKind::ConnectionLost,
            crate::core::Failure::Closed => RequestErrorKind::Closed,
            crate::core::Failure::Dropped => RequestErrorKind::Dropped,
            crate::core::Failure::TooBig => RequestErrorKind::TooBig,
        }
    }
}

/// Errors of the Rust API.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// An option is invalid.
    Option(OptionError),
    /// The URL is not a valid absolute `ws:`/`wss:` URL.
    InvalidUrl {
        /// The URL given.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// The socket is closing or closed; nothing can be sent.
    Closed,
    /// The queue is full and the overflow policy is `error`.
    QueueFull,
    /// Serializing or deserializing a message failed.
    Serde(String),
    /// A request (or a STOMP receipt) failed: see [`RequestErrorKind`]; for
    /// [`RequestErrorKind::Remote`], `code` and `message` come from the server.
    Request {
        /// The failure kind (its [`as_str`](RequestErrorKind::as_str) is the JS
        /// `error.kind`).
        kind: RequestErrorKind,
        /// The server's error code, for `remote`.
        code: Option<String>,
        /// A description.
        message: String,
    },
    /// The operation is not available: the socket's protocol has no such operation (e.g.
    /// `request` with the raw protocol, which has no replies), or the target has no browser
    /// (`build()` on targets other than wasm32: see the `client` module).
    Unsupported(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Option(e) => e.fmt(f),
            Error::InvalidUrl { url, reason } => {
                write!(f, "steadysocket: invalid URL `{url}`: {reason}")
            }
            Error::Closed => f.write_str("steadysocket: the socket is closed"),
            Error::QueueFull => {
                f.write_str("steadysocket: the queue is full (overflow policy `error`)")
            }
            Error::Serde(m) => write!(f, "steadysocket: {m}"),
            Error::Request { kind, message, .. } => {
                write!(f, "steadysocket: request failed ({kind}): {message}")
            }
            Error::Unsupported(m) => write!(f, "steadysocket: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<OptionError> for Error {
    fn from(e: OptionError) -> Self {
        Error::Option(e)
    }
}

/// Checks that `url` is an absolute `ws:` or `wss:` URL (cheap syntactic check; the browser
/// does the full parse).
///
/// # Errors
/// [`Error::InvalidUrl`] naming the URL.
pub fn check_ws_url(url: &str) -> Result<(), Error> {
    let bad = |reason: &str| Err(Error::InvalidUrl { url: url.to_string(), reason: reason.into() });
    let Some(i) = crate::core::text::find(url, "://") else {
        return bad("expected an absolute URL like ws://host/path");
    };
    let (scheme, rest) = (url.get(..i).unwrap_or(""), url.get(i + 3..).unwrap_or(""));
    if !(scheme.eq_ignore_ascii_case("ws") || scheme.eq_ignore_ascii_case("wss")) {
        return bad("the scheme must be ws: or wss:");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    // After any `user:pass@`; an IPv6 literal `[..]` may hold colons.
    let host = authority.rsplit('@').next().unwrap_or("");
    if host.is_empty() || host.contains(char::is_whitespace) {
        return bad("missing or invalid host");
    }
    let port = match host.strip_prefix('[') {
        Some(h) => match h.split_once(']') {
            Some((_, "")) => None,
            Some((_, tail)) => match tail.strip_prefix(':') {
                Some(p) => Some(p),
                None => return bad("missing or invalid host"),
            },
            None => return bad("missing or invalid host"),
        },
        None => match host.split_once(':') {
            Some(("", _)) => return bad("missing or invalid host"),
            Some((_, p)) => Some(p),
            None => None,
        },
    };
    if let Some(port) = port {
        // Empty means the default port; otherwise decimal digits up to 65535.
        let mut n = 0u32;
        for b in port.bytes() {
            if !b.is_ascii_digit() {
                return bad("invalid port: expected digits");
            }
            n = (n * 10 + u32::from(b - b'0')).min(65_536);
        }
        if n > 65_535 {
            return bad("invalid port: must be at most 65535");
        }
        // Parses, but no connection to port 0 can ever succeed: refuse it now rather than
        // retry forever.
        if !port.is_empty() && n == 0 {
            return bad("port 0 cannot be connected to");
        }
    }
    if url.contains('#') {
        return bad("WebSocket URLs cannot have a fragment");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_kinds_are_the_js_strings() {
        use crate::core::Failure;
        for (f, s) in [
            (Failure::Timeout, "timeout"),
            (Failure::ConnectionLost, "connection-lost"),
            (Failure::Closed, "closed"),
            (Failure::Dropped, "dropped"),
            (Failure::TooBig, "too-big"),
        ] {
            let k = RequestErrorKind::from(f);
            assert_eq!((k.as_str(), f.as_str()), (s, s));
            assert_eq!(k.to_string(), s);
        }
        assert_eq!(RequestErrorKind::Remote.as_str(), "remote");
        let e = Error::Request {
            kind: RequestErrorKind::ConnectionLost,
            code: None,
            message: "request failed: connection-lost".into(),
        };
        assert_eq!(
            e.to_string(),
            "steadysocket: request failed (connection-lost): request failed: connection-lost"
        );
    }

    #[test]
    fn urls() {
        for ok in [
            "ws://127.0.0.1:8080/ws",
            "wss://example.com",
            "WS://h/p?q=1",
            "ws://h:65535/",
            "ws://h:0080",
            "ws://h:/x",
            "ws://[::1]:8080/ws",
            "ws://[::1]/",
            "ws://u:p@h:1/x",
            "ws://h?x=a:b",
            "ws://h/a:b",
        ] {
            assert_eq!(check_ws_url(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://x/ws",
            "ws:/x",
            "ws://",
            "ws:// x",
            "/ws",
            "",
            "ws://h/#f",
            "ftp://h",
            "ws://h:99999/",
            "ws://h:0/",
            "ws://h:00/",
            "ws://h:65536",
            "ws://h:abc/",
            "ws://h:-1/",
            "ws://h:1a",
            "ws://h:99999999999999999999/",
            "ws://:80/",
            "ws://[::1/",
            "ws://[::1]x:80/",
            "ws://[::1]:8x/",
        ] {
            assert!(matches!(check_ws_url(bad), Err(Error::InvalidUrl { .. })), "{bad}");
        }
    }
}
