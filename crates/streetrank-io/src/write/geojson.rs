//! GeoJSON output (RFC 7946): a FeatureCollection streamed feature by feature.

use std::io::{BufWriter, Write};
use std::path::Path;

use geo_types::{Coord, Geometry, LineString, Polygon};
use streetrank::PropertyValue;

use super::num::push_rounded;
use super::table::{
    GeometryRef, Table, check_finite, check_row, check_shape, prefetched, round_coord,
    write_rows_parallel,
};
use super::{ColumnType, STREAM, WriteOptions};
use crate::{Error, Result};

/// Writes `table` as an RFC 7946 GeoJSON FeatureCollection to `w`.
///
/// One feature per line, streamed through a buffer: memory use does not grow
/// with the table. Coordinates are longitude/latitude rounded to
/// [`WriteOptions::coordinate_decimals`]; properties keep their types
/// (`Null`, NaN and infinities become `null`; floats keep a decimal point).
/// A row without geometry gets `"geometry": null`.
///
/// # Errors
///
/// [`Error::Record`] for a row with the wrong number of cells, a cell of the
/// wrong type or a non-finite coordinate; [`Error::Io`] when `w` fails. Errors
/// name the stream as `<stream>`; [`super::write_table`] names the file.
///
/// # Examples
///
/// ```
/// use geo_types::{Geometry, Point};
/// use streetrank::PropertyValue;
/// use streetrank_io::{Column, ColumnType, FeatureTable, WriteOptions, write_geojson};
///
/// let table = FeatureTable {
///     columns: vec![Column::new("score", ColumnType::Float, "priority score")],
///     rows: vec![vec![PropertyValue::Float(0.5)]],
///     geometries: vec![Some(Geometry::Point(Point::new(-76.123456789, 43.0)))],
/// };
/// let mut out = Vec::new();
/// write_geojson(&table, &mut out, &WriteOptions::default())?;
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.contains(r#""coordinates":[-76.1234568,43]"#));
/// assert!(text.contains(r#""score":0.5"#));
/// # Ok::<(), streetrank_io::Error>(())
/// ```
pub fn write_geojson(table: &dyn Table, w: impl Write, opts: &WriteOptions) -> Result<()> {
    let path = Path::new(STREAM);
    let mut out = BufWriter::new(w);
    write_to(table, &mut out, opts, path)?;
    out.flush().map_err(|e| Error::io(path, e))
}

/// Writes the collection to `out`; errors name `path`.
pub(crate) fn write_to<W: Write>(
    table: &dyn Table,
    out: &mut W,
    opts: &WriteOptions,
    path: &Path,
) -> Result<()> {
    check_shape(table, path)?;
    let io = |e: std::io::Error| Error::io(path, e);
    out.write_all(br#"{"type":"FeatureCollection","features":["#)
        .map_err(io)?;
    let columns = table.columns();
    write_rows_parallel(table.len(), out, path, |rows| {
        let mut buf = Vec::with_capacity(rows.len() * 512);
        let mut scratch = Vec::new();
        for i in prefetched(table, rows) {
            let row = check_row(table, path, i, &mut scratch)?;
            if i > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(b"\n{\"type\":\"Feature\",\"geometry\":");
            match table.geometry(i) {
                Some(g) => {
                    check_finite(path, i + 1, g)?;
                    write_geometry_ref(&mut buf, g, opts.coordinate_decimals);
                }
                None => buf.extend_from_slice(b"null"),
            }
            buf.extend_from_slice(b",\"properties\":{");
            for (j, (cell, col)) in row.iter().zip(columns).enumerate() {
                if j > 0 {
                    buf.push(b',');
                }
                json_string(&mut buf, &col.name);
                buf.push(b':');
                json_value(&mut buf, cell, col.ty);
            }
            buf.extend_from_slice(b"}}");
        }
        Ok(buf)
    })?;
    out.write_all(b"\n]}\n").map_err(io)
}

/// Appends `s` as a JSON string.
fn json_string(buf: &mut Vec<u8>, s: &str) {
    // Serializing a &str into a Vec cannot fail.
    if serde_json::to_writer(&mut *buf, s).is_err() {
        buf.extend_from_slice(b"null");
    }
}

/// Appends a finite float with a decimal point (`2.0`), `null` otherwise.
fn json_f64(buf: &mut Vec<u8>, x: f64) {
    match serde_json::Number::from_f64(x) {
        // Writing to a Vec cannot fail.
        Some(n) => drop(write!(buf, "{n}")),
        None => buf.extend_from_slice(b"null"),
    }
}

/// Appends one property value, typed by its column.
fn json_value(buf: &mut Vec<u8>, v: &PropertyValue, ty: ColumnType) {
    match (v, ty) {
        (PropertyValue::Null, _) => buf.extend_from_slice(b"null"),
        (PropertyValue::Text(s), _) => json_string(buf, s),
        (_, ColumnType::Text) => json_string(buf, &v.to_string()),
        (PropertyValue::Bool(b), _) => buf.extend_from_slice(if *b { b"true" } else { b"false" }),
        #[allow(clippy::cast_precision_loss)] // an Int cell in a Float column is widened on purpose
        (PropertyValue::Int(i), ColumnType::Float) => json_f64(buf, *i as f64),
        // Writing to a Vec cannot fail.
        (PropertyValue::Int(i), _) => drop(write!(buf, "{i}")),
        (PropertyValue::Float(x), _) => json_f64(buf, *x),
    }
}

/// Appends `[x,y]` with rounding.
fn json_coord(buf: &mut Vec<u8>, c: Coord<f64>, decimals: u32) {
    let c = round_coord(c, decimals);
    buf.push(b'[');
    push_rounded(buf, c.x, decimals);
    buf.push(b',');
    push_rounded(buf, c.y, decimals);
    buf.push(b']');
}

fn json_coords<'a>(buf: &mut Vec<u8>, cs: impl Iterator<Item = &'a Coord<f64>>, d: u32) {
    buf.push(b'[');
    for (i, c) in cs.enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        json_coord(buf, *c, d);
    }
    buf.push(b']');
}

fn json_lines<'a>(buf: &mut Vec<u8>, ls: impl Iterator<Item = &'a LineString<f64>>, d: u32) {
    buf.push(b'[');
    for (i, l) in ls.enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        json_coords(buf, l.0.iter(), d);
    }
    buf.push(b']');
}

fn json_polygon(buf: &mut Vec<u8>, p: &Polygon<f64>, d: u32) {
    json_lines(buf, std::iter::once(p.exterior()).chain(p.interiors()), d);
}

fn typed(buf: &mut Vec<u8>, ty: &str) {
    buf.extend_from_slice(b"{\"type\":\"");
    buf.extend_from_slice(ty.as_bytes());
    buf.extend_from_slice(b"\",\"coordinates\":");
}

/// Appends an RFC 7946 geometry object for a row's geometry.
fn write_geometry_ref(buf: &mut Vec<u8>, g: GeometryRef<'_>, d: u32) {
    match g {
        GeometryRef::Geometry(g) => write_geometry(buf, g, d),
        GeometryRef::Line(coords) => {
            typed(buf, "LineString");
            json_coords(buf, coords.iter(), d);
            buf.push(b'}');
        }
        GeometryRef::Point(c) => {
            typed(buf, "Point");
            json_coord(buf, c, d);
            buf.push(b'}');
        }
    }
}

/// Appends an RFC 7946 geometry object.
fn write_geometry(buf: &mut Vec<u8>, g: &Geometry<f64>, d: u32) {
    match g {
        Geometry::Point(p) => {
            typed(buf, "Point");
            json_coord(buf, p.0, d);
        }
        Geometry::Line(l) => {
            typed(buf, "LineString");
            json_coords(buf, [l.start, l.end].iter(), d);
        }
        Geometry::LineString(l) => {
            typed(buf, "LineString");
            json_coords(buf, l.0.iter(), d);
        }
        Geometry::Polygon(p) => {
            typed(buf, "Polygon");
            json_polygon(buf, p, d);
        }
        Geometry::MultiPoint(mp) => {
            typed(buf, "MultiPoint");
            json_coords(buf, mp.0.iter().map(|p| &p.0), d);
        }
        Geometry::MultiLineString(ml) => {
            typed(buf, "MultiLineString");
            json_lines(buf, ml.0.iter(), d);
        }
        Geometry::MultiPolygon(mp) => {
            typed(buf, "MultiPolygon");
            buf.push(b'[');
            for (i, p) in mp.0.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                json_polygon(buf, p, d);
            }
            buf.push(b']');
        }
        Geometry::GeometryCollection(gc) => {
            buf.extend_from_slice(br#"{"type":"GeometryCollection","geometries":["#);
            for (i, g) in gc.0.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                write_geometry(buf, g, d);
            }
            buf.push(b']');
        }
        Geometry::Rect(r) => {
            typed(buf, "Polygon");
            json_polygon(buf, &r.to_polygon(), d);
        }
        Geometry::Triangle(t) => {
            typed(buf, "Polygon");
            json_polygon(buf, &t.to_polygon(), d);
        }
    }
    buf.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::Column;
    use crate::write::FeatureTable;
    use geo_types::{Point, line_string, point, polygon};
    use serde_json::{Value, json};

    fn parse(table: &FeatureTable, opts: &WriteOptions) -> Value {
        let mut out = Vec::new();
        write_geojson(table, &mut out, opts).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    /// All numbers of a nested JSON array, flattened.
    fn nums(v: &Value) -> Vec<f64> {
        match v {
            Value::Array(a) => a.iter().flat_map(nums).collect(),
            Value::Number(n) => vec![n.as_f64().unwrap()],
            other => panic!("not a number: {other}"),
        }
    }

    fn small() -> FeatureTable {
        use PropertyValue::{Bool, Float, Int, Null, Text};
        FeatureTable {
            columns: vec![
                Column::new("id", ColumnType::Int, ""),
                Column::new("score", ColumnType::Float, ""),
                Column::new("name", ColumnType::Text, ""),
                Column::new("open", ColumnType::Bool, ""),
            ],
            rows: vec![
                vec![
                    Int(1),
                    Float(2.0),
                    Text("a \"b\", c\nd é 🚧".into()),
                    Bool(true),
                ],
                vec![Int(-2), Float(f64::NAN), Null, Bool(false)],
                vec![Null, Float(f64::INFINITY), Int(5), Null],
                vec![Int(i64::MAX), Int(3), Text(String::new()), Null],
            ],
            geometries: vec![
                Some(Geometry::LineString(
                    line_string![(x: -76.1, y: 43.0), (x: -76.123_456_789, y: 43.000_000_04)],
                )),
                Some(Geometry::Point(point!(x: 1.0, y: 2.0))),
                None,
                Some(Geometry::Polygon(
                    polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0)],
                )),
            ],
        }
    }

    #[test]
    fn a_line_given_by_its_coordinates_is_written_as_its_line_string() {
        for coords in [
            vec![],
            vec![Coord {
                x: -76.123_456_789,
                y: 43.0,
            }],
            vec![
                Coord { x: 1.0, y: 2.0 },
                Coord {
                    x: -0.000_000_04,
                    y: 1e300,
                },
            ],
        ] {
            for d in [0, 7, 16] {
                let mut want = Vec::new();
                write_geometry(
                    &mut want,
                    &Geometry::LineString(LineString::new(coords.clone())),
                    d,
                );
                let mut got = Vec::new();
                write_geometry_ref(&mut got, GeometryRef::Line(&coords), d);
                assert_eq!(
                    String::from_utf8(got),
                    String::from_utf8(want),
                    "{coords:?} to {d}"
                );
            }
        }
    }

    #[test]
    fn round_trip_types_escaping_and_nulls() {
        let v = parse(&small(), &WriteOptions::default());
        assert_eq!(v["type"], "FeatureCollection");
        let f = v["features"].as_array().unwrap();
        assert_eq!(f.len(), 4);
        assert_eq!(f[0]["type"], "Feature");
        assert_eq!(f[0]["geometry"]["type"], "LineString");
        assert_eq!(
            nums(&f[0]["geometry"]["coordinates"]),
            vec![-76.1, 43.0, -76.123_456_8, 43.0]
        );
        assert_eq!(f[0]["properties"]["id"], json!(1));
        assert!(f[0]["properties"]["score"].is_f64(), "floats stay floats");
        assert_eq!(f[0]["properties"]["score"], json!(2.0));
        assert_eq!(f[0]["properties"]["name"], "a \"b\", c\nd é 🚧");
        assert_eq!(f[0]["properties"]["open"], true);
        assert_eq!(f[1]["properties"]["score"], Value::Null, "NaN");
        assert_eq!(f[1]["properties"]["name"], Value::Null);
        assert_eq!(nums(&f[1]["geometry"]["coordinates"]), vec![1.0, 2.0]);
        assert_eq!(f[2]["geometry"], Value::Null);
        assert_eq!(f[2]["properties"]["score"], Value::Null, "infinity");
        assert_eq!(f[2]["properties"]["name"], "5", "text column writes text");
        assert_eq!(f[2]["properties"]["id"], Value::Null);
        assert_eq!(f[3]["properties"]["id"], json!(i64::MAX));
        assert_eq!(f[3]["properties"]["score"], json!(3.0));
        assert_eq!(f[3]["properties"]["name"], "");
        assert_eq!(f[3]["geometry"]["type"], "Polygon");
        assert_eq!(
            f[3]["geometry"]["coordinates"][0].as_array().unwrap().len(),
            4,
            "closed ring"
        );
    }

    #[test]
    fn parses_with_the_geojson_crate() {
        let mut out = Vec::new();
        write_geojson(&small(), &mut out, &WriteOptions::default()).unwrap();
        let fc: geojson::FeatureCollection = String::from_utf8(out)
            .unwrap()
            .parse::<geojson::GeoJson>()
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(fc.features.len(), 4);
    }

    #[test]
    fn coordinate_decimals_table() {
        let mut t = FeatureTable::default();
        t.rows.push(vec![]);
        t.geometries.push(Some(Geometry::Point(Point::new(
            1.234_567_891_234,
            -0.000_000_06,
        ))));
        let cases = [
            (0, "[1,0]"),
            (2, "[1.23,0]"),
            (7, "[1.2345679,-0.0000001]"),
            (16, "[1.234567891234,-0.00000006]"),
        ];
        for (d, want) in cases {
            let mut out = Vec::new();
            let opts = WriteOptions::default().coordinate_decimals(d);
            write_geojson(&t, &mut out, &opts).unwrap();
            let text = String::from_utf8(out).unwrap();
            assert!(
                text.contains(&format!("\"coordinates\":{want}")),
                "{d}: {text}"
            );
        }
    }

    use crate::write::test_support::FailAfter;

    #[test]
    fn write_errors_are_io_errors_at_any_point() {
        let mut full = Vec::new();
        write_geojson(&small(), &mut full, &WriteOptions::default()).unwrap();
        for left in [0, 1, 10, full.len() / 2, full.len() - 1] {
            let e =
                write_geojson(&small(), FailAfter { left }, &WriteOptions::default()).unwrap_err();
            assert!(matches!(e, Error::Io { .. }), "{left}: {e:?}");
            assert!(e.to_string().contains("<stream>: disk full"), "{e}");
        }
        let ok = write_geojson(
            &small(),
            FailAfter { left: full.len() },
            &WriteOptions::default(),
        );
        assert!(ok.is_ok());
    }

    #[test]
    fn empty_table_is_a_valid_collection() {
        let v = parse(&FeatureTable::default(), &WriteOptions::default());
        assert_eq!(v, json!({"type": "FeatureCollection", "features": []}));
    }

    #[test]
    fn table_without_geometry_has_null_geometries() {
        let mut t = small();
        t.geometries.clear();
        let v = parse(&t, &WriteOptions::default());
        assert!(
            v["features"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["geometry"].is_null())
        );
    }

    #[test]
    fn bad_rows_and_coordinates_are_errors() {
        let mut t = small();
        t.rows[2].pop();
        let e = write_geojson(&t, Vec::new(), &WriteOptions::default()).unwrap_err();
        assert!(e.to_string().contains("record 3"), "{e}");
        let mut t = small();
        t.geometries[1] = Some(Geometry::Point(Point::new(f64::NAN, 0.0)));
        let e = write_geojson(&t, Vec::new(), &WriteOptions::default()).unwrap_err();
        assert!(
            e.to_string().contains("record 2") && e.to_string().contains("NaN"),
            "{e}"
        );
    }
}
