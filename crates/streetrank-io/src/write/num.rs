//! Fast number and WKT text for the writers, byte for byte what `{}` and the `wkt` crate print.
//!
//! `core::fmt` prints an `f64` as its shortest round-trip decimal (Grisu with a Dragon
//! fallback) through the general formatting machinery; on a city's ranking that is most of the
//! CSV writer's work (every score, factor and WKT coordinate). `ryu` finds the same shortest
//! digits several times faster. Its text differs from `{}` in two ways only: it writes `1.0`
//! where `{}` writes `1`, and it switches to exponent notation (`1e16`, `1e-7`) where `{}`
//! never does. And where two shortest decimals are equally near the value (the value lies exactly
//! halfway, as 758560795102542.25 does between `.2` and `.3`), `ryu` takes the even one and `{}`
//! the one above. A tie needs 16 digits or more (decimals of 15 significant digits are at least
//! 1e-15 of the value apart, more than the 2.2e-16 of a double's rounding interval, so two of
//! them are never both in it) and a value with a short binary fraction (`may_tie`).
//! [`push_f64`] uses `ryu`'s text, with a trailing `.0` cut, when it has no exponent and no tie
//! is possible, and `{}` otherwise (and for non-finite values), so the bytes are those of
//! `write!(buf, "{x}")` for every `f64` (tested on special values, ties, neighbours of short
//! decimals and millions of random bit patterns).

use std::io::Write;

use geo_types::Coord;

/// Appends `x` exactly as `write!(buf, "{x}")` would.
#[inline]
pub(crate) fn push_f64(buf: &mut Vec<u8>, x: f64) {
    // Whole numbers and short decimals (half of a ranking's floats: 50, 0.96, 7900) are
    // written from their integer digits; the rest go through `ryu`.
    if try_push_decimal(buf, x, SHORT_DECIMALS) {
        return;
    }
    if x.is_finite() {
        let mut b = ryu::Buffer::new();
        let s = b.format_finite(x).as_bytes();
        if let Some(digits) = plain_significant_digits(s)
            && (digits <= 15 || !may_tie(x, s))
        {
            buf.extend_from_slice(s.strip_suffix(b".0").unwrap_or(s));
            return;
        }
    }
    // Writing to a Vec cannot fail.
    drop(write!(buf, "{x}"));
}

/// Appends `i` exactly as `write!(buf, "{i}")` would, without the formatting machinery.
#[inline]
pub(crate) fn push_i64(buf: &mut Vec<u8>, i: i64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut m = i.unsigned_abs();
    loop {
        at -= 1;
        #[allow(clippy::cast_possible_truncation)] // one decimal digit
        {
            digits[at] = b'0' + (m % 10) as u8;
        }
        m /= 10;
        if m == 0 {
            break;
        }
    }
    if i < 0 {
        buf.push(b'-');
    }
    buf.extend_from_slice(&digits[at..]);
}

/// Whether `x` could lie exactly halfway between two decimals of the length of its shortest
/// text `s` (with a point, no exponent).
///
/// If the last digit of the shortest text is at `10^k` and `x` is halfway between two such
/// decimals, `x` is an odd multiple of `5·10^(k−1)`, so `x·2^(1−k)` is an odd integer (its
/// exact binary expansion ends at `2^(k−1)`). For `k ≥ 0` that cannot happen: both candidates
/// must lie within half an ulp, so the ulp is at least `10^k ≥ 1`, and `x`, a multiple of the
/// ulp, would hold more factors of two than the odd multiple of `5·10^(k−1)` has. So a tie is
/// possible only when `s` has `f ≥ 1` digits after the point (`k = −f`, `.0` counting as none)
/// and `x·2^(1+f)` is an integer; multiplying by a power of two is exact.
#[inline]
fn may_tie(x: f64, s: &[u8]) -> bool {
    let s = s.strip_suffix(b".0").unwrap_or(s);
    let Some(point) = s.iter().position(|&c| c == b'.') else {
        return false;
    };
    let fraction_digits = s.len() - point - 1;
    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)] // under 30 digits
    let y = x * 2f64.powi(1 + fraction_digits as i32);
    y.fract() == 0.0
}

/// Significant digits of a decimal without exponent (`-0.00120` has 3), in one pass; `None`
/// when `s` has an exponent.
#[inline]
fn plain_significant_digits(s: &[u8]) -> Option<usize> {
    let mut digits = 0;
    for &c in s {
        match c {
            b'e' => return None,
            b'1'..=b'9' => digits += 1,
            b'0' if digits > 0 => digits += 1,
            _ => {}
        }
    }
    Some(digits)
}

/// Decimals [`push_f64`] tries before `ryu`: a value with at most this many is written by
/// [`try_push_decimal`].
const SHORT_DECIMALS: u32 = 3;

/// Appends `v`, a value rounded to `decimals` decimals by `round_coord`, exactly as
/// `write!(buf, "{v}")` would: through [`try_push_decimal`], else [`push_f64`].
#[inline]
pub(crate) fn push_rounded(buf: &mut Vec<u8>, v: f64, decimals: u32) {
    if !try_push_decimal(buf, v, decimals) {
        push_f64(buf, v);
    }
}

/// Appends `v` exactly as `write!(buf, "{v}")` would and returns true when `v` is the double
/// nearest to `n / 10^decimals` for an integer `|n| < 2^51`; else appends nothing and returns
/// false.
///
/// That is checked: `n` is `v · 10^decimals` rounded, and `n / 10^decimals` computed again
/// must give `v`. Then, with `|n| < 2^51`, the double's rounding interval is narrower than
/// `10^-decimals`, so no other decimal of at most `decimals` decimals lies in it, and none
/// with more digits is shorter: the shortest text `{}` prints is the decimal
/// `n / 10^decimals` itself, trailing zeros cut, which is written here from the integer's
/// digits.
#[inline]
fn try_push_decimal(buf: &mut Vec<u8>, v: f64, decimals: u32) -> bool {
    const LIMIT: f64 = (1u64 << 51) as f64;
    if decimals > 15 {
        return false;
    }
    let p = POWERS_OF_TEN[decimals as usize];
    let y = v * p;
    // Also false for NaN and infinities.
    if y.is_nan() || y.abs() >= LIMIT {
        return false;
    }
    let n = round_half_away(y);
    if n.unsigned_abs() >= 1 << 51 {
        return false;
    }
    #[allow(clippy::cast_precision_loss)] // |n| < 2^51: exact
    let back = n as f64 / p;
    if back != v {
        return false;
    }
    push_decimal(buf, n, v.is_sign_negative(), decimals);
    true
}

/// `y.round()` as an integer, for `|y| < 2^51`: without the `round` call (`f64::round` is a
/// library call on the baseline x86-64 target). The fraction `y - trunc(y)` is exact.
#[inline]
pub(crate) fn round_half_away(y: f64) -> i64 {
    #[allow(clippy::cast_possible_truncation)] // |y| < 2^51
    let t = y as i64;
    #[allow(clippy::cast_precision_loss)] // |t| < 2^51: exact
    let fraction = y - t as f64;
    if fraction >= 0.5 {
        t + 1
    } else if fraction <= -0.5 {
        t - 1
    } else {
        t
    }
}

/// 10^0 to 10^15, exact.
pub(crate) const POWERS_OF_TEN: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// Appends `±|n| / 10^decimals` in decimal (a `-` when `negative`, as `{}` writes `-0` for
/// negative zero), without trailing zeros after the point (and without the point when nothing
/// is left after it). The text is built backwards in a stack buffer and appended at once.
#[inline]
fn push_decimal(buf: &mut Vec<u8>, n: i64, negative: bool, decimals: u32) {
    // A sign, 20 digits, a point, and leading zeros up to 15 decimals.
    let mut text = [0u8; 40];
    let mut at = text.len();
    let mut m = n.unsigned_abs();
    let mut fraction = decimals as usize;
    while fraction > 0 && m.is_multiple_of(10) {
        m /= 10;
        fraction -= 1;
    }
    if fraction > 0 {
        // The fraction's digits, then the point.
        let mut left = fraction;
        while left >= 2 {
            at -= 2;
            put_two_digits(&mut text[at..at + 2], m % 100);
            m /= 100;
            left -= 2;
        }
        if left == 1 {
            at -= 1;
            text[at] = last_digit(m);
            m /= 10;
        }
        at -= 1;
        text[at] = b'.';
    }
    // The integer part, at least one digit.
    while m >= 100 {
        at -= 2;
        put_two_digits(&mut text[at..at + 2], m % 100);
        m /= 100;
    }
    if m >= 10 {
        at -= 2;
        put_two_digits(&mut text[at..at + 2], m);
    } else {
        at -= 1;
        text[at] = last_digit(m);
    }
    if negative {
        at -= 1;
        text[at] = b'-';
    }
    buf.extend_from_slice(&text[at..]);
}

/// "00" to "99".
const TWO_DIGITS: &[u8; 200] = b"\
    0001020304050607080910111213141516171819\
    2021222324252627282930313233343536373839\
    4041424344454647484950515253545556575859\
    6061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899";

/// Writes `v < 100` as two digits into `out`.
#[inline]
fn put_two_digits(out: &mut [u8], v: u64) {
    #[allow(clippy::cast_possible_truncation)] // v < 100
    let k = 2 * v as usize;
    out.copy_from_slice(&TWO_DIGITS[k..k + 2]);
}

/// The last decimal digit of `m` as ASCII.
#[inline]
fn last_digit(m: u64) -> u8 {
    #[allow(clippy::cast_possible_truncation)] // one decimal digit
    let d = (m % 10) as u8;
    b'0' + d
}

/// Appends `x y` with both rounded values written by [`push_rounded`], as the `wkt` crate
/// writes a 2D coordinate.
#[inline]
fn push_xy(buf: &mut Vec<u8>, c: Coord<f64>, decimals: u32) {
    push_rounded(buf, c.x, decimals);
    buf.push(b' ');
    push_rounded(buf, c.y, decimals);
}

/// Appends `POINT(x y)`, the `wkt` crate's text for a `geo_types::Point`, of a coordinate
/// rounded by `round_coord` to `decimals`.
pub(crate) fn push_wkt_point(buf: &mut Vec<u8>, c: Coord<f64>, decimals: u32) {
    buf.extend_from_slice(b"POINT(");
    push_xy(buf, c, decimals);
    buf.push(b')');
}

/// Appends `LINESTRING(x y,x y,...)` (or `LINESTRING EMPTY`), the `wkt` crate's text for a
/// `geo_types::LineString` of these coordinates, rounded by `round_coord` to `decimals`.
pub(crate) fn push_wkt_linestring(
    buf: &mut Vec<u8>,
    coords: impl ExactSizeIterator<Item = Coord<f64>>,
    decimals: u32,
) {
    buf.extend_from_slice(b"LINESTRING");
    if coords.len() == 0 {
        buf.extend_from_slice(b" EMPTY");
        return;
    }
    buf.push(b'(');
    for (i, c) in coords.enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        push_xy(buf, c, decimals);
    }
    buf.push(b')');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::xorshift;
    use crate::write::table::round_coord;
    use geo_types::{LineString, Point};
    use wkt::ToWkt;

    fn shown(x: f64) -> (String, String) {
        let mut buf = Vec::new();
        push_f64(&mut buf, x);
        (String::from_utf8(buf).unwrap_or_default(), format!("{x}"))
    }

    #[test]
    fn special_values_print_as_display() {
        let cases = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            0.30000000000000004,
            1e-5,
            1e-6,
            1e-7,
            9.999_999e-5,
            123_456.0,
            1e15,
            1e16,
            1e17,
            1.5e300,
            -1.5e-300,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            f64::EPSILON,
            5e-324,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -76.152_382_4,
            1_690_060_720_831_323.2,
            758_560_795_102_542.2,
            0.000_120,
            42.387_566_4,
            28.799_999_999_999_997,
        ];
        for x in cases {
            let (fast, display) = shown(x);
            assert_eq!(fast, display, "{x:e}");
        }
    }

    #[test]
    fn random_values_print_as_display() {
        // A xorshift over bit patterns (every exponent) and over decimals of the sizes the
        // writers see (coordinates, scores, lengths).
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        for _ in 0..2_000_000 {
            let bits = f64::from_bits(next());
            let (fast, display) = shown(bits);
            assert_eq!(fast, display, "{bits:e}");
            #[allow(clippy::cast_precision_loss)]
            let decimal = (next() % 4_000_000_000) as f64 / 1e7 - 200.0;
            let (fast, display) = shown(decimal);
            assert_eq!(fast, display, "{decimal:e}");
            // A short decimal's neighbours, and the doubles next to a halfway value.
            #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
            let short = (next() % 1_000_000) as f64 / 10f64.powi((next() % 12) as i32);
            for v in [
                short.next_up(),
                short.next_down(),
                short.next_up().next_up(),
            ] {
                let (fast, display) = shown(v);
                assert_eq!(fast, display, "{v:e}");
            }
            #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
            let tie = ((next() % (1 << 52)) | 1) as f64 / 2f64.powi((next() % 12) as i32)
                + (next() % 4) as f64 * 2f64.powi(50);
            let (fast, display) = shown(tie);
            assert_eq!(fast, display, "{tie:e}");
            // Up to 16 significant digits at any scale: where the 15-digit limit matters.
            #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
            let scaled = (next() % 10_000_000_000_000_000) as f64
                / 10f64.powi((next() % 40) as i32 - 10)
                * 2f64.powi((next() % 61) as i32 - 30);
            let (fast, display) = shown(scaled);
            assert_eq!(fast, display, "{scaled:e}");
        }
    }

    #[test]
    fn short_decimals_print_as_display() {
        // The fast path of push_f64: whole numbers and values of up to SHORT_DECIMALS
        // decimals, their neighbours, and values just past the 2^51 limit.
        let mut next = xorshift(0x0DDB_1A5E_5BAD_5EED);
        #[allow(clippy::cast_precision_loss)]
        let limit = (1u64 << 51) as f64;
        let mut cases = vec![
            -0.0,
            0.5,
            -0.5,
            0.0005,
            -0.0005,
            0.001,
            1e15,
            1e16,
            limit / 1e3,
            limit / 1e3 + 0.5,
            limit,
            -limit,
            2.0 * limit,
            0.125,
            1.0005,
            999.9995,
        ];
        for _ in 0..1_000_000 {
            #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
            let v =
                (next().cast_signed() >> (next() % 64)) as f64 / 10f64.powi((next() % 6) as i32);
            cases.extend([v, v.next_up(), v.next_down()]);
        }
        for x in cases {
            let (fast, display) = shown(x);
            assert_eq!(fast, display, "{x:e}");
        }
    }

    #[test]
    fn integers_print_as_display() {
        let mut next = xorshift(0x1234_5678_9ABC_DEF1);
        let mut cases = vec![
            0,
            1,
            -1,
            9,
            10,
            -10,
            99,
            100,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ];
        for _ in 0..100_000 {
            let s = next();
            cases.push(s.cast_signed() >> (s % 64));
        }
        for i in cases {
            let mut buf = Vec::new();
            push_i64(&mut buf, i);
            assert_eq!(String::from_utf8(buf).unwrap_or_default(), i.to_string());
        }
    }

    #[test]
    fn rounded_values_print_as_display() {
        let mut next = xorshift(0x2545_F491_4F6C_DD1D);
        let check = |x: f64, decimals: u32| {
            let v = round_coord(Coord { x, y: x }, decimals).x;
            let mut buf = Vec::new();
            push_rounded(&mut buf, v, decimals);
            assert_eq!(
                String::from_utf8(buf).unwrap_or_default(),
                format!("{v}"),
                "{x:e} to {decimals}"
            );
        };
        let specials = [
            0.0,
            -0.0,
            0.5,
            -0.5,
            0.049,
            1e-7,
            -76.152_382_4,
            1e300,
            -1e17,
            4.5e15,
            f64::NAN,
            f64::INFINITY,
        ];
        for decimals in 0..=17 {
            for x in specials {
                check(x, decimals);
            }
            // Not from round_coord, which never gives -0, but written as `{}` does.
            let mut buf = Vec::new();
            push_rounded(&mut buf, -0.0, decimals);
            assert_eq!(buf, b"-0");
        }
        for _ in 0..1_000_000 {
            let decimals = u32::try_from(next() % 18).unwrap_or(0);
            #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
            let x = match next() % 3 {
                0 => f64::from_bits(next()),
                1 => (next() % 4_000_000_000_000) as f64 / 1e10 - 200.0,
                _ => (next().cast_signed()) as f64 / 10f64.powi((next() % 30) as i32),
            };
            check(x, decimals);
        }
    }

    #[test]
    fn wkt_text_is_the_wkt_crates() {
        let line = LineString::from(vec![
            (-76.152_382_4, 42.387_566_4),
            (1e-7, 1e17),
            (0.0, -0.0),
        ]);
        for decimals in [0, 3, 7, 16] {
            let rounded =
                LineString::new(line.0.iter().map(|&c| round_coord(c, decimals)).collect());
            let mut buf = Vec::new();
            push_wkt_linestring(&mut buf, rounded.0.iter().copied(), decimals);
            assert_eq!(
                String::from_utf8(buf).unwrap_or_default(),
                rounded.wkt_string()
            );
        }
        let mut buf = Vec::new();
        push_wkt_linestring(&mut buf, std::iter::empty(), 7);
        assert_eq!(
            String::from_utf8(buf).unwrap_or_default(),
            LineString::<f64>::new(vec![]).wkt_string()
        );
        let p = Point::new(3.25, -1.0);
        let mut buf = Vec::new();
        push_wkt_point(&mut buf, p.0, 7);
        assert_eq!(String::from_utf8(buf).unwrap_or_default(), p.wkt_string());
    }
}
