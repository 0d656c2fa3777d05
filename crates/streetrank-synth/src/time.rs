//! Calendar arithmetic for [`Timestamp`]s: civil dates and ISO 8601 text,
//! proleptic Gregorian, UTC (Howard Hinnant's `days_from_civil` algorithms).

use std::fmt::Write as _;

use streetrank::Timestamp;

/// Days since 1970-01-01 of a civil date (`month` 1-12, `day` 1-31).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date `(year, month, day)` of a day count since 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Appends `t` as ISO 8601 UTC with a `Z`, e.g. `2026-05-01T13:45:00Z`.
pub(crate) fn push_iso8601(out: &mut String, t: Timestamp) {
    let days = t.0.div_euclid(Timestamp::DAY);
    let secs = t.0.rem_euclid(Timestamp::DAY);
    let (y, m, d) = civil_from_days(days);
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
}

/// `t` as ISO 8601 UTC text.
///
/// # Examples
///
/// ```
/// use streetrank::Timestamp;
/// use streetrank_synth::iso8601;
/// assert_eq!(iso8601(Timestamp(0)), "1970-01-01T00:00:00Z");
/// assert_eq!(iso8601(Timestamp(1_777_643_100)), "2026-05-01T13:45:00Z");
/// ```
#[must_use]
pub fn iso8601(t: Timestamp) -> String {
    let mut s = String::with_capacity(20);
    push_iso8601(&mut s, t);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_table() {
        let cases = [
            ((1970, 1, 1), 0),
            ((1969, 12, 31), -1),
            ((2000, 2, 29), 11_016),
            ((2024, 2, 29), 19_782),
            ((2026, 6, 30), 20_634),
            ((2100, 3, 1), 47_541),
        ];
        for ((y, m, d), days) in cases {
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
            assert_eq!(civil_from_days(days), (y, m, d));
        }
        for days in -800_000..800_000 {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn iso8601_table() {
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (-1, "1969-12-31T23:59:59Z"),
            (1_777_643_100, "2026-05-01T13:45:00Z"),
            (20_634 * 86_400 - 60, "2026-06-29T23:59:00Z"),
        ];
        for (t, want) in cases {
            assert_eq!(iso8601(Timestamp(t)), want);
        }
    }
}
