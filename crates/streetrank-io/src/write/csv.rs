//! CSV output: a header row, RFC 4180 quoting, and an optional trailing WKT geometry column.

use std::io::Write;
use std::path::Path;

use geo::MapCoords;
use geo_types::{Coord, Geometry};
use streetrank::PropertyValue;
use wkt::ToWkt;

use super::num::{push_f64, push_i64, push_wkt_linestring, push_wkt_point};
use super::table::{
    GeometryRef, Table, check_finite, check_row, check_shape, prefetched, round_coord,
    write_rows_parallel,
};
use super::{CsvGeometry, STREAM, WriteOptions};
use crate::{Error, Result};

/// The name of the geometry column.
const WKT_COLUMN: &str = "wkt";

/// Writes `table` as CSV to `w`.
///
/// The header row holds the column names; fields are quoted as RFC 4180 asks
/// (only when needed). `Null`, NaN and infinite cells are empty; floats are
/// printed as the shortest text that reads back to the same number; booleans
/// as `true`/`false`. With [`CsvGeometry::Wkt`] (the default) and a table with
/// geometry, a last column `wkt` holds each row's geometry as WKT with
/// coordinates rounded to [`WriteOptions::coordinate_decimals`] (empty for a
/// row without geometry). A table with no columns and no WKT column writes
/// nothing.
///
/// # Errors
///
/// [`Error::File`] when a column is named `wkt` (in any case) while the WKT
/// column is on;
/// [`Error::Record`] for a row with the wrong number of cells, a cell of the
/// wrong type or a non-finite coordinate; [`Error::Io`] when `w` fails.
/// Errors name the stream as `<stream>`.
///
/// # Examples
///
/// ```
/// use streetrank::PropertyValue;
/// use streetrank_io::{Column, ColumnType, FeatureTable, WriteOptions, write_csv};
///
/// let table = FeatureTable {
///     columns: vec![
///         Column::new("name", ColumnType::Text, "street name"),
///         Column::new("score", ColumnType::Float, "priority"),
///     ],
///     rows: vec![vec![PropertyValue::Text("Erie Blvd, E".into()), PropertyValue::Null]],
///     geometries: vec![],
/// };
/// let mut out = Vec::new();
/// write_csv(&table, &mut out, &WriteOptions::default())?;
/// assert_eq!(String::from_utf8(out).unwrap(), "name,score\n\"Erie Blvd, E\",\n");
/// # Ok::<(), streetrank_io::Error>(())
/// ```
pub fn write_csv(table: &dyn Table, w: impl Write, opts: &WriteOptions) -> Result<()> {
    let mut w = w;
    write_to(table, &mut w, opts, Path::new(STREAM))
}

/// Writes the CSV to `out`; errors name `path`.
pub(crate) fn write_to<W: Write>(
    table: &dyn Table,
    out: &mut W,
    opts: &WriteOptions,
    path: &Path,
) -> Result<()> {
    check_shape(table, path)?;
    let with_wkt = opts.csv_geometry == CsvGeometry::Wkt && table.has_geometry();
    if with_wkt
        && table
            .columns()
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case(WKT_COLUMN))
    {
        return Err(Error::file(
            path,
            format!("a column is named `{WKT_COLUMN}`, the name of the geometry column"),
            "rename that column, or turn the WKT geometry column off",
        ));
    }
    if table.columns().is_empty() && !with_wkt {
        // Nothing to write: a CSV record cannot have zero fields.
        return Ok(());
    }
    let io = |e: csv::Error| Error::io(path, e.into());
    let mut header = builder().from_writer(&mut *out);
    let mut record: Vec<&str> = table.columns().iter().map(|c| c.name.as_str()).collect();
    if with_wkt {
        record.push(WKT_COLUMN);
    }
    header.write_record(&record).map_err(io)?;
    header.flush().map_err(|e| Error::io(path, e))?;
    drop(header);
    let decimals = opts.coordinate_decimals;
    write_rows_parallel(table.len(), out, path, |rows| {
        // Each record is written straight into the chunk's bytes, as the `csv` crate (with
        // `builder()`'s dialect) writes it: fields joined by `,`, a field quoted only when it
        // holds `,`, `"`, `\r` or `\n` (quotes doubled), an empty record written as `""`.
        // Number, boolean and null cells never need quotes.
        let mut buf = Vec::with_capacity(rows.len() * 256);
        let mut scratch = Vec::new();
        for i in prefetched(table, rows) {
            let row = check_row(table, path, i, &mut scratch)?;
            let start = buf.len();
            for (k, v) in row.iter().enumerate() {
                if k > 0 {
                    buf.push(b',');
                }
                match v {
                    PropertyValue::Text(s) => push_field(&mut buf, s.as_bytes()),
                    v => cell(&mut buf, v),
                }
            }
            if with_wkt {
                if !row.is_empty() {
                    buf.push(b',');
                }
                if let Some(g) = table.geometry(i) {
                    check_finite(path, i + 1, g)?;
                    wkt_field(&mut buf, g, decimals).map_err(|e| Error::io(path, e))?;
                }
            }
            if buf.len() == start {
                // A record of one empty field: the `csv` crate quotes it so that the line is
                // not empty.
                buf.extend_from_slice(b"\"\"");
            }
            buf.push(b'\n');
        }
        Ok(buf)
    })?;
    out.flush().map_err(|e| Error::io(path, e))
}

/// Whether the `csv` crate (with `builder()`'s dialect) quotes a field holding `b`.
#[inline]
fn is_special(b: u8) -> bool {
    matches!(b, b',' | b'"' | b'\r' | b'\n')
}

/// Appends `field` as one CSV field: as is, or quoted with its quotes doubled when it holds a
/// byte that needs quoting ([`is_special`]).
#[inline]
fn push_field(buf: &mut Vec<u8>, field: &[u8]) {
    if !field.iter().any(|&b| is_special(b)) {
        buf.extend_from_slice(field);
        return;
    }
    buf.push(b'"');
    let mut rest = field;
    while let Some(q) = rest.iter().position(|&b| b == b'"') {
        buf.extend_from_slice(&rest[..=q]);
        buf.push(b'"');
        rest = &rest[q + 1..];
    }
    buf.extend_from_slice(rest);
    buf.push(b'"');
}

/// Appends `g` as a CSV field of WKT ([`wkt`]): written in place after an opening quote that
/// stays when the text needs quoting (a line's commas) and is taken out when it does not.
fn wkt_field(buf: &mut Vec<u8>, g: GeometryRef<'_>, decimals: u32) -> std::io::Result<()> {
    let q = buf.len();
    buf.push(b'"');
    wkt(buf, g, decimals)?;
    let text = &buf[q + 1..];
    if text.contains(&b'"') {
        let text = buf.split_off(q + 1);
        buf.truncate(q);
        push_field(buf, &text);
    } else if text.iter().any(|&b| is_special(b)) {
        buf.push(b'"');
    } else {
        buf.remove(q);
    }
    Ok(())
}

/// The CSV dialect: RFC 4180 quoting where needed, `\n` line ends.
fn builder() -> csv::WriterBuilder {
    let mut b = csv::WriterBuilder::new();
    b.terminator(csv::Terminator::Any(b'\n'));
    b
}

/// Appends one non-text cell's text: empty for `Null` and non-finite floats; the same text
/// as `PropertyValue`'s `Display`.
fn cell(buf: &mut Vec<u8>, v: &PropertyValue) {
    match v {
        PropertyValue::Null => {}
        PropertyValue::Float(x) if !x.is_finite() => {}
        PropertyValue::Bool(b) => buf.extend_from_slice(if *b { b"true" } else { b"false" }),
        PropertyValue::Text(s) => buf.extend_from_slice(s.as_bytes()),
        PropertyValue::Float(x) => push_f64(buf, *x),
        PropertyValue::Int(i) => push_i64(buf, *i),
    }
}

/// Appends `g` as WKT with coordinates rounded to `decimals`, the text of
/// `g.map_coords(round).wkt_string()`; points and lines without allocating, through the fast
/// number text of the `num` module.
fn wkt(buf: &mut Vec<u8>, g: GeometryRef<'_>, decimals: u32) -> std::io::Result<()> {
    let line = |buf: &mut Vec<u8>, coords: &[Coord<f64>]| {
        push_wkt_linestring(
            buf,
            coords.iter().map(|&c| round_coord(c, decimals)),
            decimals,
        );
    };
    let g = match g {
        GeometryRef::Line(coords) => {
            line(buf, coords);
            return Ok(());
        }
        GeometryRef::Point(c) => {
            push_wkt_point(buf, round_coord(c, decimals), decimals);
            return Ok(());
        }
        GeometryRef::Geometry(g) => g,
    };
    match g {
        Geometry::Point(p) => {
            push_wkt_point(buf, round_coord(p.0, decimals), decimals);
            Ok(())
        }
        Geometry::LineString(l) => {
            line(buf, &l.0);
            Ok(())
        }
        other => other
            .map_coords(|c| round_coord(c, decimals))
            .write_wkt(buf),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::FeatureTable;
    use crate::write::{Column, ColumnType};
    use PropertyValue::{Bool, Float, Int, Null, Text};
    use geo_types::{Geometry, Point, line_string};

    fn small() -> FeatureTable {
        FeatureTable {
            columns: vec![
                Column::new("id", ColumnType::Int, ""),
                Column::new("score", ColumnType::Float, ""),
                Column::new("name, \"quoted\"", ColumnType::Text, ""),
                Column::new("open", ColumnType::Bool, ""),
            ],
            rows: vec![
                vec![
                    Int(1),
                    Float(0.1 + 0.2),
                    Text("a \"b\", c\nd é 🚧".into()),
                    Bool(true),
                ],
                vec![Int(-2), Float(f64::NAN), Null, Bool(false)],
                vec![Null, Float(f64::NEG_INFINITY), Text(" lead".into()), Null],
                vec![Int(i64::MIN), Float(1e-300), Text(String::new()), Null],
            ],
            geometries: vec![
                Some(Geometry::LineString(
                    line_string![(x: -76.1, y: 43.0), (x: -76.123_456_789, y: 43.000_000_04)],
                )),
                Some(Geometry::Point(Point::new(1.0, 2.0))),
                None,
                Some(Geometry::Point(Point::new(-0.5, 0.25))),
            ],
        }
    }

    fn read(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
        let mut r = csv::Reader::from_reader(bytes);
        let header = r.headers().unwrap().iter().map(str::to_owned).collect();
        let rows = r
            .records()
            .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
            .collect();
        (header, rows)
    }

    #[test]
    fn round_trip_escaping_nulls_and_wkt() {
        let mut out = Vec::new();
        write_csv(&small(), &mut out, &WriteOptions::default()).unwrap();
        let (header, rows) = read(&out);
        assert_eq!(header, ["id", "score", "name, \"quoted\"", "open", "wkt"]);
        assert_eq!(
            rows[0],
            [
                "1",
                "0.30000000000000004",
                "a \"b\", c\nd é 🚧",
                "true",
                "LINESTRING(-76.1 43,-76.1234568 43)"
            ]
        );
        assert_eq!(rows[1], ["-2", "", "", "false", "POINT(1 2)"]);
        assert_eq!(rows[2], ["", "", " lead", "", ""]);
        assert_eq!(rows[3][0], i64::MIN.to_string());
        assert_eq!(
            rows[3][1].parse::<f64>().unwrap(),
            1e-300,
            "shortest round-trip"
        );
        assert_eq!(rows[3][4], "POINT(-0.5 0.25)");
        // The WKT reads back as the rounded geometry.
        let g: wkt::Wkt<f64> = rows[0][4].parse().unwrap();
        let g: Geometry<f64> = g.try_into().unwrap();
        assert_eq!(
            g,
            Geometry::LineString(line_string![(x: -76.1, y: 43.0), (x: -76.123_456_8, y: 43.0)])
        );
    }

    #[test]
    fn geometry_column_off_or_absent() {
        let mut out = Vec::new();
        let opts = WriteOptions::default().csv_geometry(CsvGeometry::None);
        write_csv(&small(), &mut out, &opts).unwrap();
        assert_eq!(read(&out).0.len(), 4);
        let mut t = small();
        t.geometries.clear();
        let mut out = Vec::new();
        write_csv(&t, &mut out, &WriteOptions::default()).unwrap();
        assert_eq!(read(&out).0.len(), 4);
    }

    #[test]
    fn empty_tables() {
        let mut out = Vec::new();
        write_csv(&FeatureTable::default(), &mut out, &WriteOptions::default()).unwrap();
        assert!(out.is_empty(), "no columns: nothing to write");
        let mut t = small();
        t.rows.clear();
        t.geometries.clear();
        let mut out = Vec::new();
        write_csv(&t, &mut out, &WriteOptions::default()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "id,score,\"name, \"\"quoted\"\"\",open\n"
        );
    }

    use crate::write::test_support::FailAfter;

    #[test]
    fn write_errors_are_io_errors_at_any_point() {
        let mut full = Vec::new();
        write_csv(&small(), &mut full, &WriteOptions::default()).unwrap();
        for left in [0, 1, 10, full.len() / 2, full.len() - 1] {
            let e = write_csv(&small(), FailAfter { left }, &WriteOptions::default()).unwrap_err();
            assert!(matches!(e, Error::Io { .. }), "{left}: {e:?}");
            assert!(e.to_string().contains("disk full"), "{e}");
        }
        assert!(
            write_csv(
                &small(),
                FailAfter { left: full.len() },
                &WriteOptions::default()
            )
            .is_ok()
        );
    }

    #[test]
    fn wkt_name_clash_and_bad_rows_are_errors() {
        let mut t = small();
        t.columns[0].name = "WKT".into();
        let e = write_csv(&t, Vec::new(), &WriteOptions::default()).unwrap_err();
        assert!(e.to_string().contains("`wkt`"), "{e}");
        let opts = WriteOptions::default().csv_geometry(CsvGeometry::None);
        assert!(write_csv(&t, Vec::new(), &opts).is_ok());

        let mut t = small();
        t.rows[1].push(Null);
        let e = write_csv(&t, Vec::new(), &WriteOptions::default()).unwrap_err();
        assert!(e.to_string().contains("record 2"), "{e}");
    }

    #[test]
    fn wkt_and_cells_match_the_generic_formatting() {
        use geo_types::{LineString, MultiLineString, Polygon, line_string, polygon};
        let geometries: Vec<Geometry<f64>> = vec![
            Geometry::Point(Point::new(-76.123_456_789, 43.000_000_04)),
            Geometry::Point(Point::new(-0.000_000_01, 1e300)),
            Geometry::LineString(line_string![(x: 1.0, y: 2.0), (x: 3.5, y: -4.25)]),
            Geometry::LineString(LineString::new(vec![])),
            Geometry::MultiLineString(MultiLineString::new(vec![
                line_string![(x: 1.0, y: 2.0), (x: 3.0, y: 4.0)],
                LineString::new(vec![]),
            ])),
            Geometry::Polygon(polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0)]),
            Geometry::Polygon(Polygon::new(LineString::new(vec![]), vec![])),
        ];
        for d in [0, 3, 7, 16] {
            for g in &geometries {
                let mut buf = Vec::new();
                wkt(&mut buf, GeometryRef::Geometry(g), d).unwrap();
                let want = g.map_coords(|c| round_coord(c, d)).wkt_string();
                assert_eq!(String::from_utf8(buf).unwrap(), want, "{g:?} to {d}");
                if let Geometry::LineString(l) = g {
                    // A line given by its coordinates alone is written the same.
                    let mut buf = Vec::new();
                    wkt(&mut buf, GeometryRef::Line(&l.0), d).unwrap();
                    assert_eq!(String::from_utf8(buf).unwrap(), want, "{g:?} to {d}");
                }
            }
        }
        for v in [
            Int(0),
            Int(i64::MIN),
            Float(0.1 + 0.2),
            Float(-0.0),
            Float(1e21),
            Float(1e-7),
            Float(2.0),
            Bool(true),
            Bool(false),
            Text("x, \"y\"".into()),
        ] {
            let mut buf = Vec::new();
            cell(&mut buf, &v);
            assert_eq!(String::from_utf8(buf).unwrap(), v.to_string(), "{v:?}");
        }
    }

    /// The bytes of one `csv::Writer` (the `builder()` dialect) over the header and every row,
    /// each cell as its `Display` text (non-finite floats empty) and the WKT as
    /// `wkt_string()`: what the writer wrote before it formatted records itself.
    fn csv_crate_bytes(t: &FeatureTable, decimals: u32) -> Vec<u8> {
        let mut w = builder().from_writer(Vec::new());
        let with_wkt = t.has_geometry();
        let mut header: Vec<String> = t.columns.iter().map(|c| c.name.clone()).collect();
        if with_wkt {
            header.push("wkt".into());
        }
        w.write_record(&header).unwrap();
        for (i, row) in t.rows.iter().enumerate() {
            let mut rec: Vec<String> = row
                .iter()
                .map(|v| match v {
                    Float(x) if !x.is_finite() => String::new(),
                    v => v.to_string(),
                })
                .collect();
            if with_wkt {
                rec.push(t.geometry(i).map_or(String::new(), |g| {
                    g.map_coords(|c| round_coord(c, decimals)).wkt_string()
                }));
            }
            w.write_record(&rec).unwrap();
        }
        w.into_inner().unwrap()
    }

    #[test]
    fn quoting_matches_the_csv_crate_table() {
        let texts = [
            "",
            "plain",
            "a,b",
            "a\"b",
            "\"",
            "\"\"",
            "a\rb",
            "a\nb",
            "\r\n",
            " lead",
            "trail ",
            "tab\there",
            "é,🚧",
            "#comment",
            "'single'",
            "x\"y,z\"",
        ];
        // One text column with and without geometry, and the same beside a number column.
        for with_int in [false, true] {
            for geometry in [false, true] {
                let mut columns = vec![Column::new("t", ColumnType::Text, "")];
                if with_int {
                    columns.push(Column::new("i", ColumnType::Int, ""));
                }
                let mut rows: Vec<Vec<PropertyValue>> = texts
                    .iter()
                    .map(|s| {
                        let mut r = vec![Text((*s).to_owned())];
                        if with_int {
                            r.push(Null);
                        }
                        r
                    })
                    .collect();
                rows.push(if with_int {
                    vec![Null, Int(-7)]
                } else {
                    vec![Null]
                });
                let n = rows.len();
                let t = FeatureTable {
                    columns,
                    rows,
                    geometries: if geometry {
                        (0..n)
                            .map(|i| match i % 3 {
                                0 => None,
                                1 => Some(Geometry::Point(Point::new(1.5, -2.0))),
                                _ => Some(Geometry::LineString(
                                    line_string![(x: 1.0, y: 2.0), (x: 3.0, y: 4.0)],
                                )),
                            })
                            .collect()
                    } else {
                        vec![]
                    },
                };
                let mut out = Vec::new();
                write_csv(&t, &mut out, &WriteOptions::default()).unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&out),
                    String::from_utf8_lossy(&csv_crate_bytes(&t, 7)),
                    "int column {with_int}, geometry {geometry}"
                );
            }
        }
        // No columns but the WKT column: an empty geometry cell is the record `""`.
        let t = FeatureTable {
            columns: vec![],
            rows: vec![vec![], vec![]],
            geometries: vec![None, Some(Geometry::Point(Point::new(0.0, 0.0)))],
        };
        let mut out = Vec::new();
        write_csv(&t, &mut out, &WriteOptions::default()).unwrap();
        assert_eq!(out, csv_crate_bytes(&t, 7));
        assert_eq!(String::from_utf8(out).unwrap(), "wkt\n\"\"\nPOINT(0 0)\n");
    }

    #[test]
    fn bytes_do_not_depend_on_the_thread_count_or_chunking() {
        // More rows than one batch of chunks, with quoting, nulls and geometry on some rows.
        let n = 70_000;
        let t = FeatureTable {
            columns: vec![
                Column::new("i", ColumnType::Int, ""),
                Column::new("f", ColumnType::Float, ""),
                Column::new("t", ColumnType::Text, ""),
            ],
            rows: (0..n)
                .map(|i| {
                    vec![
                        Int(i),
                        if i % 7 == 0 {
                            Null
                        } else {
                            Float(1.0 / (i as f64))
                        },
                        Text(if i % 5 == 0 {
                            format!("a,{i}")
                        } else {
                            String::new()
                        }),
                    ]
                })
                .collect(),
            geometries: (0..n)
                .map(|i| (i % 3 != 0).then(|| Geometry::Point(Point::new(i as f64 / 7.0, 1.0))))
                .collect(),
        };
        let write = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut out = Vec::new();
            pool.install(|| write_csv(&t, &mut out, &WriteOptions::default()))
                .unwrap();
            out
        };
        let one = write(1);
        assert_eq!(one, write(3));
        // The same bytes as one csv::Writer over the whole table, row by row.
        assert_eq!(one, csv_crate_bytes(&t, 7));
    }
}
