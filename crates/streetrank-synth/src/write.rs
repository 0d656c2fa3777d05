//! File writers for a synthetic city: streets as GeoJSON, complaints and
//! ratings as CSV. They take a coordinate converter so that this crate does
//! not need PROJ: pass an EPSG:32618 → WGS 84 (lon, lat) function, or the
//! identity to keep metres.

use std::borrow::Borrow;
use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};

use streetrank::{Complaint, PropertyValue};

use crate::{City, RatingRow};

fn non_finite(what: &str, x: f64, y: f64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{what}: the coordinate converter returned a non-finite value ({x}, {y})"),
    )
}

fn json<T: serde::Serialize + ?Sized>(w: &mut impl Write, v: &T) -> io::Result<()> {
    serde_json::to_writer(w, v).map_err(io::Error::from)
}

/// Writes the city's streets as an RFC 7946 GeoJSON FeatureCollection, one
/// Feature per line, coordinates with 7 decimals (≈1 cm in degrees).
///
/// Each Feature has `"id"` and properties `segment_id` (integer), `name`,
/// `road_class`, `width_m`, `lanes`, `district`, `aadt` and `condition`
/// (`null` when unknown). `to_lonlat` maps EPSG:32618 metres to (lon, lat);
/// RFC 7946 requires WGS 84, so pass the identity only for tests or for
/// files you label yourself. The output is buffered.
///
/// # Errors
///
/// Any I/O error of `w`; [`io::ErrorKind::InvalidData`] when `to_lonlat`
/// returns NaN or an infinity.
///
/// # Examples
///
/// ```
/// use streetrank_synth::{CityOptions, generate_city, write_streets_geojson};
/// let city = generate_city(&CityOptions::default().segments(10));
/// let mut out = Vec::new();
/// write_streets_geojson(&city, &mut out, |x, y| (x, y))?;
/// assert!(out.starts_with(b"{\"type\":\"FeatureCollection\""));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_streets_geojson(
    city: &City,
    w: impl Write,
    to_lonlat: impl Fn(f64, f64) -> (f64, f64),
) -> io::Result<()> {
    let mut w = BufWriter::with_capacity(1 << 16, w);
    w.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
    let mut buf = String::with_capacity(512);
    for (k, s) in city.network.segments.iter().enumerate() {
        buf.clear();
        if k > 0 {
            buf.push_str(",\n");
        }
        buf.push_str("{\"type\":\"Feature\",\"id\":");
        w.write_all(buf.as_bytes())?;
        json(&mut w, &s.id)?;
        buf.clear();
        buf.push_str(",\"geometry\":{\"type\":\"LineString\",\"coordinates\":[");
        for (i, c) in s.geometry.0.iter().enumerate() {
            let (lon, lat) = to_lonlat(c.x, c.y);
            if !(lon.is_finite() && lat.is_finite()) {
                return Err(non_finite(&format!("segment {}", s.id), lon, lat));
            }
            let sep = if i > 0 { "," } else { "" };
            // Writing to a String cannot fail.
            let _ = write!(buf, "{sep}[{lon:.7},{lat:.7}]");
        }
        buf.push_str("]},\"properties\":{\"segment_id\":");
        w.write_all(buf.as_bytes())?;
        let a = &s.attributes;
        json(&mut w, &s.id)?;
        w.write_all(b",\"name\":")?;
        json(&mut w, s.properties.first().unwrap_or(&PropertyValue::Null))?;
        w.write_all(b",\"road_class\":")?;
        json(&mut w, &a.road_class)?;
        w.write_all(b",\"width_m\":")?;
        json(&mut w, &a.width_m)?;
        w.write_all(b",\"lanes\":")?;
        json(&mut w, &a.lanes)?;
        w.write_all(b",\"district\":")?;
        json(&mut w, &a.district)?;
        w.write_all(b",\"aadt\":")?;
        json(&mut w, &a.aadt)?;
        w.write_all(b",\"condition\":")?;
        json(&mut w, &a.condition)?;
        w.write_all(b"}}")?;
    }
    w.write_all(b"\n]}\n")?;
    w.flush()
}

/// Writes complaints as CSV like a Socrata export, streaming and buffered:
/// header `request_id,created_at,category,status,lon,lat`; `created_at` in
/// ISO 8601 UTC (`2026-05-01T13:45:00Z`), empty when undated; missing
/// category or status empty; lon/lat from `to_lonlat` with 7 decimals.
///
/// # Errors
///
/// Any I/O error of `w`; [`io::ErrorKind::InvalidData`] when `to_lonlat`
/// returns NaN or an infinity.
///
/// # Examples
///
/// ```
/// use streetrank_synth::{CityOptions, complaints, generate_city, write_complaints_csv};
/// let opts = CityOptions::default().segments(50).complaints(3);
/// let city = generate_city(&opts);
/// let mut out = Vec::new();
/// write_complaints_csv(complaints(&city, &opts), &mut out, |x, y| (x, y))?;
/// let text = String::from_utf8(out).unwrap();
/// assert_eq!(text.lines().count(), 4);
/// assert!(text.starts_with("request_id,created_at,category,status,lon,lat\n"));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_complaints_csv<I>(
    complaints: I,
    w: impl Write,
    to_lonlat: impl Fn(f64, f64) -> (f64, f64),
) -> io::Result<()>
where
    I: IntoIterator,
    I::Item: Borrow<Complaint>,
{
    let mut out = csv::WriterBuilder::new()
        .buffer_capacity(1 << 16)
        .from_writer(w);
    out.write_record([
        "request_id",
        "created_at",
        "category",
        "status",
        "lon",
        "lat",
    ])?;
    let (mut id, mut created, mut lon_s, mut lat_s) =
        (String::new(), String::new(), String::new(), String::new());
    for c in complaints {
        let c = c.borrow();
        let (lon, lat) = to_lonlat(c.point.x(), c.point.y());
        if !(lon.is_finite() && lat.is_finite()) {
            return Err(non_finite(&format!("complaint {}", c.id), lon, lat));
        }
        for s in [&mut id, &mut created, &mut lon_s, &mut lat_s] {
            s.clear();
        }
        // Writing to a String cannot fail.
        let _ = write!(id, "{}", c.id);
        if let Some(t) = c.created {
            let _ = write!(created, "{t}");
        }
        let _ = write!(lon_s, "{lon:.7}");
        let _ = write!(lat_s, "{lat:.7}");
        out.write_record([
            id.as_str(),
            created.as_str(),
            c.category.as_deref().unwrap_or(""),
            c.status.as_deref().unwrap_or(""),
            lon_s.as_str(),
            lat_s.as_str(),
        ])?;
    }
    out.flush()
}

/// Writes a ratings table as CSV: header `segment_id,year,rating`.
///
/// # Errors
///
/// Any I/O error of `w`.
///
/// # Examples
///
/// ```
/// use streetrank_synth::{RatingRow, write_ratings_csv};
/// let rows = [RatingRow { segment_id: 100007.into(), rating: 61.0, year: 2024 }];
/// let mut out = Vec::new();
/// write_ratings_csv(&rows, &mut out)?;
/// assert_eq!(String::from_utf8(out).unwrap(), "segment_id,year,rating\n100007,2024,61\n");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_ratings_csv(rows: &[RatingRow], w: impl Write) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(["segment_id", "year", "rating"])?;
    for r in rows {
        out.write_record([
            r.segment_id.to_string(),
            r.year.to_string(),
            r.rating.to_string(),
        ])?;
    }
    out.flush()
}
