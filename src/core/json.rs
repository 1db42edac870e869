//! A small JSON scanner shared by the codecs (Socket.IO, SockJS): string literals (quote and
//! unquote, as `JSON.stringify`/`JSON.parse` do), and the ranges of an array's elements or an
//! object's members, without building a value tree. Iterative: deep nesting costs heap
//! bytes, never stack.

use std::borrow::Cow;
use std::ops::Range;

/// The values of `v`, a JSON array of strings.
pub(crate) fn strings(v: &str) -> Option<Vec<String>> {
    items(v)?.into_iter().map(|r| Some(unquote(v.get(r)?)?.into_owned())).collect()
}

/// `s` as a JSON string literal (quotes, `\"` `\\` and control characters escaped, as
/// `JSON.stringify` does).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                out.push_str("\\u00");
                for d in [u32::from(c) >> 4, u32::from(c) & 15] {
                    out.push(char::from_digit(d, 16).unwrap_or('0'));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---------- the JSON scanner ----------

/// The value of a JSON string literal (quotes included); `None` if it is not one. A lone
/// UTF-16 surrogate (`"\ud800"`) becomes U+FFFD.
pub(crate) fn unquote(lit: &str) -> Option<Cow<'_, str>> {
    if string_end(lit.as_bytes(), 0) != Some(lit.len()) {
        return None;
    }
    let inner = lit.get(1..lit.len() - 1)?;
    if !inner.contains('\\') {
        return Some(Cow::Borrowed(inner));
    }
    let mut out = String::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(i) = rest.find('\\') {
        out.push_str(rest.get(..i)?);
        let esc = rest.get(i + 1..)?;
        let (c, used) = match esc.as_bytes().first()? {
            b'u' => {
                let hi = hex4(esc.get(1..5)?)?;
                let lo = esc.get(5..7).filter(|p| *p == "\\u").and_then(|_| hex4(esc.get(7..11)?));
                match lo {
                    Some(lo)
                        if (0xD800..0xDC00).contains(&hi) && (0xDC00..0xE000).contains(&lo) =>
                    {
                        (char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)), 11)
                    }
                    _ => (char::from_u32(hi), 5),
                }
            }
            &e => {
                let c = match e {
                    b'b' => '\u{8}',
                    b'f' => '\u{c}',
                    b'n' => '\n',
                    b'r' => '\r',
                    b't' => '\t',
                    _ => char::from(e),
                };
                (Some(c), 1)
            }
        };
        out.push(c.unwrap_or('\u{fffd}'));
        rest = esc.get(used..)?;
    }
    out.push_str(rest);
    Some(Cow::Owned(out))
}

pub(crate) fn hex4(h: &str) -> Option<u32> {
    h.chars().try_fold(0, |n, c| Some(n * 16 + c.to_digit(16)?))
}

pub(crate) fn ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

pub(crate) fn digits_end(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}

/// The end of the string literal at `i`.
pub(crate) fn string_end(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let mut i = i + 1;
    loop {
        match *b.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => match *b.get(i + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                b'u' if b.get(i + 2..i + 6)?.iter().all(u8::is_ascii_hexdigit) => i += 6,
                _ => return None,
            },
            c if c < 0x20 => return None,
            _ => i += 1,
        }
    }
}

/// The end of the number at `i`: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
pub(crate) fn number_end(b: &[u8], mut i: usize) -> Option<usize> {
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    i = match *b.get(i)? {
        b'0' => i + 1,
        b'1'..=b'9' => digits_end(b, i),
        _ => return None,
    };
    if b.get(i) == Some(&b'.') {
        i = Some(digits_end(b, i + 1)).filter(|&e| e > i + 1)?;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1 + usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
        i = Some(digits_end(b, i)).filter(|&e| e > i)?;
    }
    Some(i)
}

/// After an object's `{` or `,`: a key and its `:`; returns where the value starts.
pub(crate) fn key_end(b: &[u8], i: usize) -> Option<usize> {
    let i = ws(b, string_end(b, ws(b, i))?);
    (b.get(i) == Some(&b':')).then_some(i + 1)
}

/// The end of the JSON value starting at `i` (no whitespace skipped before it), if it is
/// well-formed. Iterative: nesting costs one byte of heap per level, never stack.
pub(crate) fn value_end(b: &[u8], mut i: usize) -> Option<usize> {
    let mut stack: Vec<bool> = Vec::new(); // true: an object
    loop {
        i = ws(b, i);
        i = match *b.get(i)? {
            c @ (b'[' | b'{') => {
                let obj = c == b'{';
                let j = ws(b, i + 1);
                if b.get(j) == Some(if obj { &b'}' } else { &b']' }) {
                    j + 1
                } else {
                    stack.push(obj);
                    i = if obj { key_end(b, j)? } else { j };
                    continue;
                }
            }
            b'"' => string_end(b, i)?,
            b't' => lit(b, i, b"true")?,
            b'f' => lit(b, i, b"false")?,
            b'n' => lit(b, i, b"null")?,
            _ => number_end(b, i)?,
        };
        loop {
            let Some(&obj) = stack.last() else { return Some(i) };
            i = ws(b, i);
            match (*b.get(i)?, obj) {
                (b',', false) => i += 1,
                (b',', true) => i = key_end(b, i + 1)?,
                (b']', false) | (b'}', true) => {
                    stack.pop();
                    i += 1;
                    continue;
                }
                _ => return None,
            }
            break;
        }
    }
}

pub(crate) fn lit(b: &[u8], i: usize, word: &[u8]) -> Option<usize> {
    (b.get(i..i + word.len())? == word).then_some(i + word.len())
}

/// `s` as one JSON value with optional whitespace around: its first byte and its range.
pub(crate) fn json(s: &str) -> Option<(u8, Range<usize>)> {
    let b = s.as_bytes();
    let start = ws(b, 0);
    let end = value_end(b, start)?;
    (ws(b, end) == b.len()).then_some((*b.get(start)?, start..end))
}

/// The first element of the (well-formed) array at `open`.
pub(crate) fn first_item(b: &[u8], open: usize) -> Option<Range<usize>> {
    let i = ws(b, open + 1);
    Some(i..value_end(b, i)?)
}

/// The element ranges of `s`, a well-formed JSON array (with whitespace around).
pub(crate) fn items(s: &str) -> Option<Vec<Range<usize>>> {
    let (_, r) = json(s).filter(|(c, _)| *c == b'[')?;
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = ws(b, r.start + 1);
    while b.get(i) != Some(&b']') {
        let e = value_end(b, i)?;
        out.push(i..e);
        i = ws(b, e);
        if b.get(i) == Some(&b',') {
            i = ws(b, i + 1);
        }
    }
    Some(out)
}

/// The members of `s`, a well-formed JSON object: each key unescaped, each value's text.
pub(crate) fn members(s: &str) -> Option<Vec<(Cow<'_, str>, &str)>> {
    let (_, r) = json(s).filter(|(c, _)| *c == b'{')?;
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = ws(b, r.start + 1);
    while b.get(i) != Some(&b'}') {
        let ke = string_end(b, i)?;
        let vs = ws(b, key_end(b, i)?);
        let ve = value_end(b, vs)?;
        out.push((unquote(s.get(i..ke)?)?, s.get(vs..ve)?));
        i = ws(b, ve);
        if b.get(i) == Some(&b',') {
            i = ws(b, i + 1);
        }
    }
    Some(out)
}
