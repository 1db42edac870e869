//! Small text helpers that avoid pulling float formatting/parsing (tens of KB of wasm)
//! into the bundle.

/// Formats a number for messages: integers exactly, others with up to 3 decimals;
/// `NaN`, `Infinity`, `-Infinity` as in JS.
pub fn num(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    let neg = v < 0.0;
    let a = v.abs();
    if a >= 1e15 {
        return if neg { "-1e15+".into() } else { "1e15+".into() };
    }
    let milli = (a * 1000.0).round() as u64;
    let (int, frac) = (milli / 1000, milli % 1000);
    let mut s = String::new();
    if neg && milli != 0 {
        s.push('-');
    }
    s.push_str(&digits(int));
    if frac != 0 {
        let f = format_frac(frac);
        s.push('.');
        s.push_str(&f);
    }
    s
}

/// The decimal digits of `n` (without `core::fmt`, which the wasm build leaves out).
pub fn digits(mut n: u64) -> String {
    let mut d = Vec::new();
    loop {
        d.push(char::from(b'0' + (n % 10) as u8));
        n /= 10;
        if n == 0 {
            break;
        }
    }
    d.iter().rev().collect()
}

fn format_frac(frac: u64) -> String {
    let mut digits = [b'0'; 3];
    let mut f = frac;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (f % 10) as u8;
        f /= 10;
    }
    let end = digits.iter().rposition(|&d| d != b'0').map_or(0, |i| i + 1);
    digits[..end].iter().map(|&d| d as char).collect()
}

/// Byte offset of the first occurrence of `needle` in `hay` (a plain scan: `str::find`
/// with a `&str` pattern pulls in the two-way searcher, ~1.5 KB of wasm).
pub fn find(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return Some(0);
    }
    h.windows(n.len()).position(|w| w == n)
}

/// `items` joined with `", "`.
pub fn join(items: &[&str]) -> String {
    let mut out = String::new();
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(it);
    }
    out
}

/// Parses a JSON-style non-negative decimal number (`12`, `1.5`, `2e3`, `1.5E-2`); `None`
/// for anything else. No float parser needed: digits are accumulated exactly enough for
/// millisecond values.
pub fn parse_decimal(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut mant = 0f64;
    let mut digits = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        mant = mant * 10.0 + f64::from(b[i] - b'0');
        i += 1;
        digits += 1;
    }
    let mut scale = 0i32;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            mant = mant * 10.0 + f64::from(b[i] - b'0');
            scale -= 1;
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        let neg = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let start = i;
        let mut e = 0i32;
        while i < b.len() && b[i].is_ascii_digit() {
            e = e.saturating_mul(10).saturating_add(i32::from(b[i] - b'0'));
            i += 1;
        }
        if i == start {
            return None;
        }
        scale = scale.saturating_add(if neg { -e } else { e });
    }
    if i != b.len() {
        return None;
    }
    let v = mant * 10f64.powi(scale);
    v.is_finite().then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        for (v, s) in [
            (0.0, "0"),
            (250.0, "250"),
            (-1.0, "-1"),
            (0.5, "0.5"),
            (1.25, "1.25"),
            (2.0004, "2"),
            (1.0 / 3.0, "0.333"),
        ] {
            assert_eq!(num(v), s);
        }
        assert_eq!(num(f64::NAN), "NaN");
        assert_eq!(digits(0), "0");
        assert_eq!(digits(u64::MAX), u64::MAX.to_string());
        assert_eq!(num(f64::INFINITY), "Infinity");
        assert_eq!(num(f64::NEG_INFINITY), "-Infinity");
    }

    #[test]
    fn finds_and_joins() {
        assert_eq!(find("ws://h", "://"), Some(2));
        assert_eq!(find("abc", "x"), None);
        assert_eq!(find("é://", "://"), Some(2));
        assert_eq!(join(&["a", "b", "c"]), "a, b, c");
        assert_eq!(join(&[]), "");
    }

    #[test]
    fn parses() {
        for (s, v) in [
            ("3000", 3000.0),
            ("1.5", 1.5),
            ("1.5e3", 1500.0),
            ("2E+2", 200.0),
            ("25e-1", 2.5),
            ("0", 0.0),
        ] {
            assert_eq!(parse_decimal(s), Some(v), "{s}");
        }
        for s in ["", ".", "e3", "1e", "1.5x", "-1", "1e999", "abc"] {
            assert_eq!(parse_decimal(s), None, "{s}");
        }
    }
}
