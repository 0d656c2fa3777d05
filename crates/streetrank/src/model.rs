//! The data model: street segments, complaints, their ids and attributes.
//!
//! All coordinates are in a projected CRS whose unit is the metre; the core
//! never reprojects. `streetrank-io` reads files into these types.

use std::fmt;

use geo_types::{Coord, LineString, Point};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{Error, IdText, Label};

/// A record's id exactly as the source gave it: an integer or a string.
///
/// Integers stay integers (`12580319`, not `"12580319.0"`); text stays text
/// (`"110685419914"` TIGER `LINEARID`s keep their leading digits as written).
///
/// # Examples
///
/// ```
/// use streetrank::SourceId;
/// assert_eq!(SourceId::from(7).to_string(), "7");
/// assert_eq!(SourceId::from("A-7").to_string(), "A-7");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SourceId {
    /// An integer id.
    Int(i64),
    /// A text id; short text is held in place (see [`IdText`]).
    Text(IdText),
}

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceId::Int(i) => write!(f, "{i}"),
            SourceId::Text(s) => f.write_str(s),
        }
    }
}

impl From<i64> for SourceId {
    fn from(v: i64) -> Self {
        SourceId::Int(v)
    }
}

impl From<&str> for SourceId {
    fn from(v: &str) -> Self {
        SourceId::Text(v.into())
    }
}

impl From<String> for SourceId {
    fn from(v: String) -> Self {
        SourceId::Text(v.into())
    }
}

impl From<IdText> for SourceId {
    fn from(v: IdText) -> Self {
        SourceId::Text(v)
    }
}

/// A pass-through attribute value, kept with its type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(untagged)]
pub enum PropertyValue {
    /// Missing or null.
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// Text.
    Text(String),
}

impl fmt::Display for PropertyValue {
    /// Formats the value for a CSV cell: null is empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PropertyValue::Null => Ok(()),
            PropertyValue::Bool(b) => write!(f, "{b}"),
            PropertyValue::Int(i) => write!(f, "{i}"),
            PropertyValue::Float(x) => write!(f, "{x}"),
            PropertyValue::Text(s) => f.write_str(s),
        }
    }
}

/// A point in time: whole seconds since 1970-01-01T00:00:00 UTC.
///
/// Sources without a time zone (Syracuse's local clock times) are read as if
/// they were UTC; every duration the scoring model uses is in days, so the
/// offset of a few hours does not change a ranking in practice.
///
/// In config files and JSON a timestamp is an RFC 3339 UTC string
/// (`"2016-10-01T00:00:00Z"`); a date alone (`"2016-10-01"`, midnight UTC) and
/// an integer number of seconds are accepted too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Midnight UTC of a calendar date (proleptic Gregorian).
    ///
    /// Returns `None` for a month outside 1-12 or a day outside the month.
    ///
    /// # Examples
    ///
    /// ```
    /// use streetrank::Timestamp;
    /// assert_eq!(Timestamp::from_ymd(1970, 1, 2), Some(Timestamp(86_400)));
    /// assert_eq!(Timestamp::from_ymd(2016, 2, 30), None);
    /// ```
    #[must_use]
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Timestamp> {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        if day == 0 || day > days_in_month {
            return None;
        }
        // Howard Hinnant's days_from_civil.
        let y = i64::from(year) - i64::from(month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Timestamp((era * 146_097 + doe - 719_468) * Self::DAY))
    }

    /// The UTC calendar date and time: (year, month, day, hour, minute, second).
    #[must_use]
    pub fn to_utc(self) -> (i64, u32, u32, u32, u32, u32) {
        let days = self.0.div_euclid(Self::DAY);
        let secs = self.0.rem_euclid(Self::DAY);
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        // All narrowed values are bounded by the calendar (day <= 31, month <= 12, secs < 86400).
        let narrow = |v: i64| u32::try_from(v).unwrap_or(0);
        (
            year,
            narrow(month),
            narrow(day),
            narrow(secs / 3600),
            narrow(secs % 3600 / 60),
            narrow(secs % 60),
        )
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS]` with an optional `Z`, as UTC.
    ///
    /// Readers in `streetrank-io` accept many more formats; this is the
    /// config-file form.
    ///
    /// # Examples
    ///
    /// ```
    /// use streetrank::Timestamp;
    /// assert_eq!(Timestamp::parse_utc("1970-01-02"), Some(Timestamp(86_400)));
    /// assert_eq!(Timestamp::parse_utc("1970-01-01T01:00:30Z"), Some(Timestamp(3630)));
    /// assert_eq!(Timestamp::parse_utc("yesterday"), None);
    /// ```
    #[must_use]
    pub fn parse_utc(text: &str) -> Option<Timestamp> {
        let text = text.trim();
        let text = text.strip_suffix('Z').unwrap_or(text);
        let (date, time) = match text.split_once(['T', ' ']) {
            Some((d, t)) => (d, Some(t)),
            None => (text, None),
        };
        let mut d = date.split('-');
        let year: i32 = d.next()?.parse().ok()?;
        let month: u32 = d.next()?.parse().ok()?;
        let day: u32 = d.next()?.parse().ok()?;
        if d.next().is_some() {
            return None;
        }
        let mut secs = 0_i64;
        if let Some(t) = time {
            let parts: Vec<&str> = t.split(':').collect();
            if !(2..=3).contains(&parts.len()) {
                return None;
            }
            let mut limits = [24_i64, 60, 60].into_iter();
            for (k, p) in parts.iter().enumerate() {
                let v: i64 = p.parse().ok()?;
                if v < 0 || v >= limits.next()? {
                    return None;
                }
                secs += v * [3600, 60, 1][k];
            }
        }
        Some(Timestamp(Timestamp::from_ymd(year, month, day)?.0 + secs))
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC: `2016-10-01T00:00:00Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s) = self.to_utc();
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Seconds(i64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Seconds(s) => Ok(Timestamp(s)),
            Raw::Text(t) => Timestamp::parse_utc(&t).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "`{t}` is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)"
                ))
            }),
        }
    }
}

impl Timestamp {
    /// Seconds in one day.
    pub const DAY: i64 = 86_400;

    /// Days from `self` to `later` (negative when `later` is earlier).
    ///
    /// # Examples
    ///
    /// ```
    /// use streetrank::Timestamp;
    /// assert_eq!(Timestamp(0).days_until(Timestamp(43_200)), 0.5);
    /// ```
    #[must_use]
    pub fn days_until(self, later: Timestamp) -> f64 {
        (later.0 - self.0) as f64 / Self::DAY as f64
    }
}

/// Typed attributes of a street segment that the scoring model can use.
///
/// Every field is optional: the scoring model documents what it does when one
/// is missing.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SegmentAttributes {
    /// Road class as the source spells it (`"MAJOR"`, `"S1400"`, `"Local"`).
    pub road_class: Option<String>,
    /// Pavement condition on the source's own scale (PCI 0-100, Syracuse 1-10 …).
    pub condition: Option<f64>,
    /// Annual average daily traffic, vehicles per day.
    pub aadt: Option<f64>,
    /// Pavement width in metres.
    pub width_m: Option<f64>,
    /// Number of lanes.
    pub lanes: Option<u32>,
    /// Council district, ward or other equity area.
    pub district: Option<String>,
}

/// One street segment: an id, a line in projected metres and its attributes.
///
/// Build it with [`Segment::new`], which refuses geometry the engine cannot use.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// The source's own id.
    pub id: SourceId,
    /// The centerline in projected metres, in the source's digitised direction.
    pub geometry: LineString<f64>,
    /// Length of `geometry` in metres.
    pub length_m: f64,
    /// Typed attributes.
    pub attributes: SegmentAttributes,
    /// Pass-through properties, in the order of [`StreetNetwork::property_names`].
    pub properties: Vec<PropertyValue>,
}

impl Segment {
    /// Makes a segment, checking its geometry.
    ///
    /// # Errors
    ///
    /// [`Error::NonFiniteCoordinate`] for a NaN or infinite coordinate,
    /// [`Error::EmptyGeometry`] for fewer than two points,
    /// [`Error::ZeroLength`] when all points coincide.
    ///
    /// # Examples
    ///
    /// ```
    /// use geo_types::line_string;
    /// use streetrank::{Segment, SourceId};
    /// let s = Segment::new(SourceId::from(1), line_string![(x: 0.0, y: 0.0), (x: 3.0, y: 4.0)])?;
    /// assert_eq!(s.length_m, 5.0);
    /// # Ok::<(), streetrank::Error>(())
    /// ```
    pub fn new(id: SourceId, geometry: LineString<f64>) -> Result<Segment, Error> {
        for (index, c) in geometry.0.iter().enumerate() {
            if !(c.x.is_finite() && c.y.is_finite()) {
                return Err(Error::NonFiniteCoordinate {
                    what: "segment",
                    id,
                    index,
                    x: c.x,
                    y: c.y,
                });
            }
        }
        if geometry.0.len() < 2 {
            return Err(Error::EmptyGeometry { id });
        }
        let length_m = line_length(&geometry.0);
        if length_m == 0.0 {
            return Err(Error::ZeroLength { id });
        }
        Ok(Segment {
            id,
            geometry,
            length_m,
            attributes: SegmentAttributes::default(),
            properties: Vec::new(),
        })
    }

    /// Sets the typed attributes.
    #[must_use]
    pub fn with_attributes(mut self, attributes: SegmentAttributes) -> Segment {
        self.attributes = attributes;
        self
    }

    /// Sets the pass-through properties.
    #[must_use]
    pub fn with_properties(mut self, properties: Vec<PropertyValue>) -> Segment {
        self.properties = properties;
        self
    }
}

/// Sum of the Euclidean lengths of the pieces, each with `hypot`.
pub(crate) fn line_length(coords: &[Coord<f64>]) -> f64 {
    coords
        .windows(2)
        .map(|w| (w[1].x - w[0].x).hypot(w[1].y - w[0].y))
        .sum()
}

/// One resident complaint (a 311 request) or a logged repair event.
#[derive(Debug, Clone, PartialEq)]
pub struct Complaint {
    /// The source's own id.
    pub id: SourceId,
    /// Location in projected metres.
    pub point: Point<f64>,
    /// When it was reported, if known.
    pub created: Option<Timestamp>,
    /// Category (service code or description), if mapped.
    ///
    /// A [`Label`]: readers give every complaint with the same category one allocation, so a
    /// million complaints do not hold a million copies of `"Pothole"`.
    /// Read it with `c.category.as_deref()`; set it with `Some("Pothole".into())`.
    pub category: Option<Label>,
    /// Status (open, closed …), if mapped; shared like [`Complaint::category`].
    pub status: Option<Label>,
    /// Pass-through properties the user mapped explicitly, by name order of the reader.
    ///
    /// A boxed slice (16 bytes, a `Vec`'s 24): a complaint's properties do not grow once read.
    /// Make one with `vec![...].into()`.
    pub properties: Box<[PropertyValue]>,
}

impl Complaint {
    /// Makes a complaint at a point, checking that the point is finite.
    ///
    /// # Errors
    ///
    /// [`Error::NonFiniteCoordinate`] for a NaN or infinite coordinate.
    ///
    /// # Examples
    ///
    /// ```
    /// use geo_types::Point;
    /// use streetrank::{Complaint, SourceId};
    /// let c = Complaint::new(SourceId::from("R1"), Point::new(10.0, 20.0))?;
    /// assert!(c.created.is_none());
    /// assert!(Complaint::new(SourceId::from("R2"), Point::new(f64::NAN, 0.0)).is_err());
    /// # Ok::<(), streetrank::Error>(())
    /// ```
    pub fn new(id: SourceId, point: Point<f64>) -> Result<Complaint, Error> {
        if !(point.x().is_finite() && point.y().is_finite()) {
            return Err(Error::NonFiniteCoordinate {
                what: "complaint",
                id,
                index: 0,
                x: point.x(),
                y: point.y(),
            });
        }
        Ok(Complaint {
            id,
            point,
            created: None,
            category: None,
            status: None,
            properties: Box::default(),
        })
    }

    /// Sets the creation time.
    #[must_use]
    pub fn with_created(mut self, created: Option<Timestamp>) -> Complaint {
        self.created = created;
        self
    }
}

/// A street network: segments plus the names of their pass-through properties.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StreetNetwork {
    /// The segments, in source order. Their position is the segment index used
    /// everywhere else ([`crate::Snap::segment`], scores).
    pub segments: Vec<Segment>,
    /// Names of the pass-through properties every segment carries.
    pub property_names: Vec<String>,
}

impl StreetNetwork {
    /// Makes a network, refusing duplicate segment ids.
    ///
    /// # Errors
    ///
    /// [`Error::DuplicateSegmentId`] naming both records.
    pub fn new(
        segments: Vec<Segment>,
        property_names: Vec<String>,
    ) -> Result<StreetNetwork, Error> {
        // Ids that strictly ascend (as most street files give them) are distinct: one pass,
        // in parallel, instead of a hash map of every id (~100 ms on a million segments).
        if segments.par_windows(2).all(|w| w[0].id < w[1].id) {
            return Ok(StreetNetwork {
                segments,
                property_names,
            });
        }
        let mut seen = std::collections::HashMap::with_capacity(segments.len());
        for (i, s) in segments.iter().enumerate() {
            if let Some(first) = seen.insert(&s.id, i) {
                return Err(Error::DuplicateSegmentId {
                    id: s.id.clone(),
                    first,
                    second: i,
                });
            }
        }
        Ok(StreetNetwork {
            segments,
            property_names,
        })
    }

    /// Total length of all segments in metres.
    #[must_use]
    pub fn total_length_m(&self) -> f64 {
        self.segments.iter().map(|s| s.length_m).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::line_string;

    /// Issue 4: a million complaints read whole are a million of these, and on the benchmark
    /// machines the fresh memory they fill costs as much as a fifth of the read (the kernel
    /// zeroes every page first). 88 bytes: id 24, point 16, created 16, two labels 8 each,
    /// properties 16; it was 112 with `Arc<str>` labels and a `Vec` of properties.
    #[test]
    fn a_complaint_is_88_bytes() {
        assert_eq!(size_of::<Complaint>(), 88);
    }

    /// Issue 4: ascending ids take the one-pass check; repeats are refused, naming both
    /// positions, whether the ids ascend around them or not.
    #[test]
    fn network_refuses_repeated_ids_ascending_or_not() {
        let seg = |id: i64| {
            Segment::new(
                SourceId::Int(id),
                line_string![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0)],
            )
            .unwrap()
        };
        let ids = |v: &[i64]| v.iter().map(|&i| seg(i)).collect::<Vec<_>>();
        assert!(StreetNetwork::new(ids(&[1, 2, 3, 10]), vec![]).is_ok());
        assert!(StreetNetwork::new(ids(&[3, 1, 2]), vec![]).is_ok());
        assert!(StreetNetwork::new(ids(&[]), vec![]).is_ok());
        for (v, first, second) in [
            (vec![1, 2, 2, 3], 1, 2),
            (vec![5, 1, 5], 0, 2),
            (vec![1, 2, 3, 1], 0, 3),
        ] {
            match StreetNetwork::new(ids(&v), vec![]) {
                Err(Error::DuplicateSegmentId {
                    first: f,
                    second: s,
                    ..
                }) => assert_eq!((f, s), (first, second), "{v:?}"),
                other => panic!("{v:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn segment_validation_table() {
        let cases: Vec<(LineString<f64>, Option<&str>)> = vec![
            (LineString::new(vec![]), Some("empty")),
            (line_string![(x: 1.0, y: 1.0)], Some("empty")),
            (
                line_string![(x: 1.0, y: 1.0), (x: 1.0, y: 1.0)],
                Some("zero length"),
            ),
            (
                line_string![(x: f64::NAN, y: 1.0), (x: 1.0, y: 1.0)],
                Some("not a finite"),
            ),
            (
                line_string![(x: 0.0, y: 0.0), (x: f64::INFINITY, y: 1.0)],
                Some("not a finite"),
            ),
            (line_string![(x: 0.0, y: 0.0), (x: 0.0, y: 2.0)], None),
        ];
        for (g, want) in cases {
            let got = Segment::new(SourceId::from(9), g.clone());
            match (got, want) {
                (Ok(s), None) => assert_eq!(s.length_m, 2.0),
                (Err(e), Some(msg)) => assert!(e.to_string().contains(msg), "{e} for {g:?}"),
                (r, w) => panic!("{g:?}: got {r:?}, wanted {w:?}"),
            }
        }
    }

    #[test]
    fn timestamps_round_trip_through_text() {
        for (text, secs) in [
            ("1970-01-01T00:00:00Z", 0),
            ("2000-02-29T23:59:59Z", 951_868_799),
            ("1969-12-31T23:59:59Z", -1),
            ("2016-10-01T00:00:00Z", 1_475_280_000),
        ] {
            assert_eq!(Timestamp::parse_utc(text), Some(Timestamp(secs)), "{text}");
            assert_eq!(Timestamp(secs).to_string(), text);
        }
        for bad in [
            "2016-13-01",
            "2016-02-30",
            "2016-01-01T24:00",
            "2016-01",
            "x",
            "",
        ] {
            assert_eq!(Timestamp::parse_utc(bad), None, "{bad}");
        }
        let t: Timestamp = serde_json::from_str("\"2016-10-01\"").unwrap();
        assert_eq!(t, Timestamp(1_475_280_000));
        let t: Timestamp = serde_json::from_str("86400").unwrap();
        assert_eq!(t, Timestamp(86_400));
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            "\"1970-01-02T00:00:00Z\""
        );
    }

    #[test]
    fn duplicate_ids_are_refused_naming_both_records() {
        let a = Segment::new(
            SourceId::from(5),
            line_string![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0)],
        )
        .unwrap();
        let err = StreetNetwork::new(vec![a.clone(), a], vec![]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "segment id 5 appears more than once (records 0 and 1); segment ids must be unique"
        );
    }
}
