//! Range checks of a [`Config`], naming each option by its JS path, and the argument checks
//! shared by the JS and Rust facades ([`close_code`], [`close_reason`], [`request_timeout`],
//! [`protocols`]). Type checks (a string where a number belongs: `TypeError`) stay in the JS
//! facade; everything here is about values and answers with a `Range` [`OptionError`].

use super::machine::Config;
use super::text::{digits, num};
use crate::error::OptionError;

fn non_negative(path: &str, v: f64) -> Result<(), OptionError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(OptionError::range_error(
            path,
            ["must be a finite number >= 0, got ", &num(v)].concat(),
        ))
    }
}

/// A duration option that must be finite and `> 0` (e.g. `handshakeTimeoutMs`).
///
/// # Errors
/// A range error naming `path`.
pub fn positive_ms(path: &str, v: f64) -> Result<(), OptionError> {
    positive(path, v)
}

fn positive(path: &str, v: f64) -> Result<(), OptionError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(OptionError::range_error(path, ["must be a finite number > 0, got ", &num(v)].concat()))
    }
}

fn at_least_one(path: &str, v: f64) -> Result<(), OptionError> {
    if v.is_finite() && v >= 1.0 {
        Ok(())
    } else {
        Err(OptionError::range_error(
            path,
            ["must be a finite number >= 1, got ", &num(v)].concat(),
        ))
    }
}

/// The close code for `close(code)`: `None` means `1000`; otherwise `1000` or an integer in
/// `3000–4999` (the codes a browser lets a page send).
///
/// # Errors
/// A `Range` error for path `code`.
pub fn close_code(code: Option<f64>) -> Result<u16, OptionError> {
    let Some(c) = code else { return Ok(1000) };
    if c == 1000.0 || ((3000.0..=4999.0).contains(&c) && c.fract() == 0.0) {
        Ok(c as u16)
    } else {
        Err(OptionError::range_error(
            "code",
            ["must be 1000 or an integer in 3000–4999, got ", &num(c)].concat(),
        ))
    }
}

/// The close reason for `close(code, reason)`: at most 123 bytes of UTF-8.
///
/// # Errors
/// A `Range` error for path `reason`.
pub fn close_reason(reason: &str) -> Result<(), OptionError> {
    let n = reason.len();
    if n <= 123 {
        Ok(())
    } else {
        let got = digits(n as u64);
        Err(OptionError::range_error(
            "reason",
            ["must be at most 123 UTF-8 bytes, got ", &got].concat(),
        ))
    }
}

/// A per-request timeout: `None` (use `requestTimeoutMs`) or a finite number `> 0`. `NaN`,
/// `0`, negatives and `Infinity` are refused (they must not mean "time out at once" or
/// "never").
///
/// # Errors
/// A `Range` error for path `timeoutMs`.
pub fn request_timeout(t: Option<f64>) -> Result<Option<f64>, OptionError> {
    match t {
        Some(v) => positive("timeoutMs", v).map(|()| Some(v)),
        None => Ok(None),
    }
}

/// WebSocket subprotocols: each a non-empty token (RFC 6455 / RFC 7230 `tchar`s: letters,
/// digits and ``!#$%&'*+-.^_`|~``), no duplicates (compared exactly, as browsers do).
///
/// # Errors
/// A `Range` error for path `protocols[i]`, the first offending entry.
pub fn protocols(list: &[String]) -> Result<(), OptionError> {
    for (i, p) in list.iter().enumerate() {
        let bad = |why: &str| {
            Err(OptionError::range_error(["protocols[", &digits(i as u64), "]"].concat(), why))
        };
        if p.is_empty() {
            return bad("must not be empty");
        }
        if !p.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)) {
            return bad("must be a token: letters, digits and !#$%&'*+-.^_`|~ only");
        }
        if list.iter().take(i).any(|q| q == p) {
            return bad("is a duplicate");
        }
    }
    Ok(())
}

/// Checks a transport preference list: non-empty, no duplicates, and SockJS's transports
/// (`xhr-streaming`, `eventsource`, `xhr-polling`) exactly when `sockjs` (then no `sse` or
/// `long-polling`).
///
/// # Errors
/// A `Range` [`OptionError`] for `transports` (empty) or `transports[i]` (a duplicate, or a
/// transport of the other family).
pub fn transports(list: &[super::transport::Transport], sockjs: bool) -> Result<(), OptionError> {
    use super::transport::Transport;
    if list.is_empty() {
        return Err(OptionError::range_error("transports", "must name at least one transport"));
    }
    for (i, t) in list.iter().enumerate() {
        if *t != Transport::WebSocket && t.is_sockjs() != sockjs {
            let why = if sockjs {
                "is not a SockJS transport (websocket, xhr-streaming, eventsource, xhr-polling): "
            } else {
                "is a SockJS transport (set sockjs): "
            };
            return Err(OptionError::range_error(
                ["transports[", &digits(i as u64), "]"].concat(),
                [why, t.as_str()].concat(),
            ));
        }
        if list.iter().take(i).any(|u| u == t) {
            return Err(OptionError::range_error(
                ["transports[", &digits(i as u64), "]"].concat(),
                ["is a duplicate: ", t.as_str()].concat(),
            ));
        }
    }
    Ok(())
}

impl Config {
    /// Checks every value's range.
    ///
    /// # Errors
    /// The first invalid option, as an [`OptionError`] of kind `Range` naming its path.
    pub fn validate(&self) -> Result<(), OptionError> {
        if let Some((high, low)) = self.water_marks {
            water_marks(high as f64, Some(low as f64))?;
        }
        if let Some(r) = &self.reliable {
            if !super::reliable::ReliableConfig::valid_session(&r.session) {
                return Err(OptionError::range_error(
                    "delivery",
                    "needs a session id of 1-64 characters of A-Z a-z 0-9 - _".to_string(),
                ));
            }
            non_negative("reliable.ackDelayMs", r.ack_delay_ms)?;
        }
        if let Some(r) = &self.reconnect {
            let b = &r.backoff;
            // >= 1: with 0, every delay is 0 (0 × factorⁿ) and a server that accepts and
            // closes gets a connection storm.
            at_least_one("reconnect.minDelayMs", b.min_delay_ms)?;
            non_negative("reconnect.maxDelayMs", b.max_delay_ms)?;
            if b.max_delay_ms < b.min_delay_ms {
                return Err(OptionError::range_error(
                    "reconnect.maxDelayMs",
                    [
                        "must be >= reconnect.minDelayMs (",
                        &num(b.min_delay_ms),
                        "), got ",
                        &num(b.max_delay_ms),
                    ]
                    .concat(),
                ));
            }
            if !(b.factor.is_finite() && b.factor >= 1.0) {
                return Err(OptionError::range_error(
                    "reconnect.factor",
                    ["must be a finite number >= 1, got ", &num(b.factor)].concat(),
                ));
            }
            if !(0.0..=1.0).contains(&b.jitter) {
                return Err(OptionError::range_error(
                    "reconnect.jitter",
                    ["must be in [0, 1], got ", &num(b.jitter)].concat(),
                ));
            }
            non_negative("reconnect.stableMs", r.stable_ms)?;
            non_negative("reconnect.maxRetryAfterMs", r.max_retry_after_ms)?;
            for (i, &(lo, hi)) in r.policy.stop_codes.iter().enumerate() {
                if !(1000..=4999).contains(&lo) || !(1000..=4999).contains(&hi) || lo > hi {
                    return Err(OptionError::range_error(
                        ["reconnect.stopOnCodes[", &digits(i as u64), "]"].concat(),
                        [
                            "must be a close code (or [from, to] range) within 1000–4999, got ",
                            &digits(lo.into()),
                            "–",
                            &digits(hi.into()),
                        ]
                        .concat(),
                    ));
                }
            }
        }
        if let Some(h) = &self.heartbeat {
            positive("heartbeat.intervalMs", h.interval_ms)?;
            positive("heartbeat.timeoutMs", h.timeout_ms)?;
            if h.ping.is_empty() {
                return Err(OptionError::range_error("heartbeat.ping", "must not be empty"));
            }
        }
        if let Some(ttl) = self.queue.ttl_ms {
            positive("queue.ttlMs", ttl)?;
        }
        if self.sockjs && !cfg!(feature = "sockjs") {
            return Err(OptionError::type_error("sockjs", "needs the cargo feature `sockjs`"));
        }
        transports(&self.transports, self.sockjs)?;
        non_negative("upgradeProbeMs", self.upgrade_probe_ms)?;
        non_negative("endpointSkipMs", self.endpoint_skip_ms)?;
        positive("connectTimeoutMs", self.connect_timeout_ms)?;
        positive("requestTimeoutMs", self.request_timeout_ms)?;
        positive("closeTimeoutMs", self.close_timeout_ms)?;
        if self.max_message_bytes == 0 {
            return Err(OptionError::range_error(
                "maxMessageBytes",
                "must be an integer >= 1, got 0",
            ));
        }
        Ok(())
    }
}

/// The backpressure water marks `(high, low)` from the JS options `highWaterMark` and
/// `lowWaterMark` (bytes): `high` an integer `>= 1`, `low` an integer in `0..=high`
/// (default `high / 4`).
///
/// # Errors
/// A range error naming the option.
pub fn water_marks(high: f64, low: Option<f64>) -> Result<(usize, usize), OptionError> {
    let int = |v: f64| v.fract() == 0.0 && (0.0..=9_007_199_254_740_991.0).contains(&v);
    if !int(high) || high < 1.0 {
        return Err(OptionError::range_error(
            "highWaterMark",
            ["must be an integer >= 1, got ", &super::text::num(high)].concat(),
        ));
    }
    let low = low.unwrap_or((high / 4.0).floor());
    if !int(low) || low > high {
        return Err(OptionError::range_error(
            "lowWaterMark",
            ["must be an integer from 0 to highWaterMark, got ", &super::text::num(low)].concat(),
        ));
    }
    Ok((high as usize, low as usize))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{BackoffConfig, ClosePolicy, ReconnectConfig};

    #[test]
    fn defaults_are_valid() {
        assert_eq!(Config::default().validate(), Ok(()));
    }

    #[test]
    fn each_bad_value_names_its_path() {
        let rc = |b: BackoffConfig| Config {
            reconnect: Some(ReconnectConfig { backoff: b, ..Default::default() }),
            ..Default::default()
        };
        let cases: Vec<(Config, &str)> = vec![
            (
                rc(BackoffConfig { min_delay_ms: -1.0, ..Default::default() }),
                "reconnect.minDelayMs",
            ),
            (
                rc(BackoffConfig { max_delay_ms: 10.0, ..Default::default() }),
                "reconnect.maxDelayMs",
            ),
            (rc(BackoffConfig { factor: 0.5, ..Default::default() }), "reconnect.factor"),
            (rc(BackoffConfig { jitter: 1.5, ..Default::default() }), "reconnect.jitter"),
            (
                rc(BackoffConfig { min_delay_ms: f64::NAN, ..Default::default() }),
                "reconnect.minDelayMs",
            ),
            (rc(BackoffConfig { min_delay_ms: 0.0, ..Default::default() }), "reconnect.minDelayMs"),
            (rc(BackoffConfig { min_delay_ms: 0.5, ..Default::default() }), "reconnect.minDelayMs"),
            (
                Config {
                    reconnect: Some(ReconnectConfig {
                        max_retry_after_ms: -1.0,
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                "reconnect.maxRetryAfterMs",
            ),
            (
                Config {
                    reconnect: Some(ReconnectConfig {
                        max_retry_after_ms: f64::NAN,
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                "reconnect.maxRetryAfterMs",
            ),
            (
                Config {
                    reconnect: Some(ReconnectConfig {
                        max_retry_after_ms: f64::INFINITY,
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                "reconnect.maxRetryAfterMs",
            ),
            (
                Config {
                    reconnect: Some(ReconnectConfig {
                        policy: ClosePolicy { stop_codes: vec![(4000, 3000)] },
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                "reconnect.stopOnCodes[0]",
            ),
            (Config { connect_timeout_ms: 0.0, ..Default::default() }, "connectTimeoutMs"),
            (
                Config { request_timeout_ms: f64::INFINITY, ..Default::default() },
                "requestTimeoutMs",
            ),
            (Config { max_message_bytes: 0, ..Default::default() }, "maxMessageBytes"),
        ];
        for (cfg, path) in cases {
            let err = cfg.validate().err().map(|e| e.path);
            assert_eq!(err.as_deref(), Some(path));
        }
    }

    #[test]
    fn min_delay_floor_and_retry_ceiling_accept_edges() {
        let mut cfg = Config::default();
        if let Some(r) = &mut cfg.reconnect {
            r.backoff.min_delay_ms = 1.0;
            r.max_retry_after_ms = 0.0;
        }
        assert_eq!(cfg.validate(), Ok(()));
        assert_eq!(ReconnectConfig::default().max_retry_after_ms, 300_000.0);
    }

    fn range_path<T: std::fmt::Debug>(r: Result<T, OptionError>) -> Option<String> {
        let e = r.err()?;
        assert_eq!(e.kind, crate::error::OptionErrorKind::Range, "{e}");
        Some(e.path)
    }

    #[test]
    fn close_codes() {
        assert_eq!(close_code(None), Ok(1000));
        for ok in [1000.0, 3000.0, 3008.0, 4000.0, 4999.0] {
            assert_eq!(close_code(Some(ok)), Ok(ok as u16));
        }
        for bad in [
            999.0,
            1001.0,
            1006.0,
            2999.0,
            5000.0,
            3000.5,
            -1000.0,
            0.0,
            65536.0 + 1000.0,
            f64::NAN,
            f64::INFINITY,
        ] {
            assert_eq!(range_path(close_code(Some(bad))).as_deref(), Some("code"), "{bad}");
        }
        let msg = close_code(Some(f64::NAN)).err().map(|e| e.message);
        assert_eq!(msg.as_deref(), Some("must be 1000 or an integer in 3000–4999, got NaN"));
    }

    #[test]
    fn close_reasons() {
        assert_eq!(close_reason(""), Ok(()));
        assert_eq!(close_reason(&"a".repeat(123)), Ok(()));
        assert_eq!(range_path(close_reason(&"a".repeat(124))).as_deref(), Some("reason"));
        // 62 two-byte characters: 124 bytes although 62 UTF-16 units.
        assert_eq!(range_path(close_reason(&"é".repeat(62))).as_deref(), Some("reason"));
        assert_eq!(close_reason(&"é".repeat(61)), Ok(()));
    }

    #[test]
    fn request_timeouts() {
        assert_eq!(request_timeout(None), Ok(None));
        assert_eq!(request_timeout(Some(0.5)), Ok(Some(0.5)));
        assert_eq!(request_timeout(Some(30_000.0)), Ok(Some(30_000.0)));
        for bad in [f64::NAN, 0.0, -0.0, -1.0, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(
                range_path(request_timeout(Some(bad))).as_deref(),
                Some("timeoutMs"),
                "{bad}"
            );
        }
    }

    #[test]
    fn subprotocols() {
        let v = |xs: &[&str]| xs.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        assert_eq!(protocols(&[]), Ok(()));
        assert_eq!(protocols(&v(&["chat", "v2.json", "a!#$%&'*+-.^_`|~9"])), Ok(()));
        assert_eq!(protocols(&v(&["x", "X"])), Ok(()), "case-sensitive");
        for (list, path) in [
            (v(&["a b"]), "protocols[0]"),
            (v(&["ok", ""]), "protocols[1]"),
            (v(&["x", "x"]), "protocols[1]"),
            (v(&["a", "b", "a"]), "protocols[2]"),
            (v(&["a,b"]), "protocols[0]"),
            (v(&["é"]), "protocols[0]"),
            (v(&["a\"x"]), "protocols[0]"),
            (v(&["(a)"]), "protocols[0]"),
            (v(&["a\u{7f}"]), "protocols[0]"),
        ] {
            assert_eq!(range_path(protocols(&list)).as_deref(), Some(path), "{list:?}");
        }
    }
}
