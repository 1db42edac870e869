//! The close policy: which server close codes mean "do not come back", and `retryAfterMs`.

/// Which close codes stop reconnection (the `reconnect.stopOnCodes` option in JS).
#[derive(Debug, Clone, PartialEq)]
pub struct ClosePolicy {
    /// Inclusive code ranges that stop reconnection. Default `[1008, 4000–4099]`:
    /// 1008 is "policy violation"; 4000–4099 is reserved by steadysocket for servers that
    /// mean "do not reconnect".
    pub stop_codes: Vec<(u16, u16)>,
}

impl Default for ClosePolicy {
    fn default() -> Self {
        Self { stop_codes: vec![(1008, 1008), (4000, 4099)] }
    }
}

/// What to do after the server closed the connection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// Whether to reconnect.
    pub reconnect: bool,
    /// A lower bound on the next delay, from a JSON close reason `{"retryAfterMs": n}`.
    pub retry_after_ms: Option<f64>,
}

impl ClosePolicy {
    /// Whether `code` stops reconnection.
    pub fn stops(&self, code: u16) -> bool {
        self.stop_codes.iter().any(|&(lo, hi)| (lo..=hi).contains(&code))
    }

    /// The decision for a close with `code` and `reason`.
    pub fn decide(&self, code: u16, reason: &str) -> Decision {
        Decision { reconnect: !self.stops(code), retry_after_ms: retry_after_ms(reason) }
    }
}

/// Reads `retryAfterMs` from a close reason that is a JSON object, e.g.
/// `{"retryAfterMs": 3000, "why": "maintenance"}`. Close reasons are at most 123 bytes, so a
/// small scanner does instead of a JSON parser (which would cost bundle size). Returns `None`
/// unless the value is a finite, non-negative number.
pub fn retry_after_ms(reason: &str) -> Option<f64> {
    let s = reason.trim();
    if !(s.starts_with('{') && s.ends_with('}')) {
        return None;
    }
    let key = "\"retryAfterMs\"";
    let rest =
        s[super::text::find(s, key)? + key.len()..].trim_start().strip_prefix(':')?.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-')))
        .unwrap_or(rest.len());
    super::text::parse_decimal(&rest[..end])
}

/// A server's `retryAfterMs` advice clamped to `max` (`reconnect.maxRetryAfterMs`); `None`
/// (ignored) unless the advice is a finite number `>= 0`.
pub fn bound_retry_after(advice: f64, max: f64) -> Option<f64> {
    (advice.is_finite() && advice >= 0.0).then(|| advice.min(max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_table() {
        let p = ClosePolicy::default();
        for code in [1000, 1001, 1006, 1011, 1012, 3000, 3999, 4100, 4999] {
            assert!(p.decide(code, "").reconnect, "{code} should reconnect");
        }
        for code in [1008, 4000, 4050, 4099] {
            assert!(!p.decide(code, "").reconnect, "{code} should stop");
        }
    }

    #[test]
    fn configurable_table() {
        let p = ClosePolicy { stop_codes: vec![(1000, 1000)] };
        assert!(p.stops(1000));
        assert!(p.decide(1008, "").reconnect);
        assert!(ClosePolicy { stop_codes: vec![] }.decide(4000, "").reconnect);
    }

    #[test]
    fn retry_after_parsing() {
        assert_eq!(retry_after_ms(r#"{"retryAfterMs":3000}"#), Some(3000.0));
        assert_eq!(retry_after_ms(r#" { "why":"x", "retryAfterMs" : 1.5e3 } "#), Some(1500.0));
        assert_eq!(retry_after_ms(r#"{"retryAfterMs":-1}"#), None);
        assert_eq!(retry_after_ms(r#"{"retryAfterMs":"3000"}"#), None);
        assert_eq!(retry_after_ms("retryAfterMs: 3000"), None);
        assert_eq!(retry_after_ms(""), None);
        assert_eq!(retry_after_ms(r#"{"retryAfterMs":}"#), None);
        assert_eq!(retry_after_ms(r#"{"retryAfterMs":1e999}"#), None);
        assert_eq!(retry_after_ms(r#"{"retryAfterMs":NaN}"#), None);
        assert_eq!(retry_after_ms(r#"{"retryAfterMs":null}"#), None);
        assert!(retry_after_ms(r#"{"retryAfterMs":1e300}"#).is_some_and(|v| v > 1e299));
    }

    #[test]
    fn retry_after_is_bounded() {
        let max = 300_000.0;
        assert_eq!(bound_retry_after(3000.0, max), Some(3000.0));
        assert_eq!(bound_retry_after(0.0, max), Some(0.0));
        assert_eq!(bound_retry_after(1e300, max), Some(max));
        assert_eq!(bound_retry_after(max, max), Some(max));
        for bad in [f64::NAN, -1.0, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(bound_retry_after(bad, max), None, "{bad}");
        }
        let advice =
            retry_after_ms(r#"{"retryAfterMs":1e300}"#).and_then(|v| bound_retry_after(v, max));
        assert_eq!(advice, Some(max));
    }
}
