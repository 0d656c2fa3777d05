//! CSV output: a header row, RFC 4180 quoting, and an optional trailing WKT geometry column.

use std::io::Write;
use std::path::Path;

use geo::MapCoords;
use streetrank::PropertyValue;
use wkt::ToWkt;

use super::table::{FeatureTable, check_finite, round_coord};
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
pub fn write_csv(table: &FeatureTable, w: impl Write, opts: &WriteOptions) -> Result<()> {
    let mut w = w;
    write_to(table, &mut w, opts, Path::new(STREAM))
}

/// Writes the CSV to `out`; errors name `path`.
pub(crate) fn write_to<W: Write>(
    table: &FeatureTable,
    out: &mut W,
    opts: &WriteOptions,
    path: &Path,
) -> Result<()> {
    table.check_shape(path)?;
    let with_wkt = opts.csv_geometry == CsvGeometry::Wkt && table.has_geometry();
    if with_wkt
        && table
            .columns
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case(WKT_COLUMN))
    {
        return Err(Error::file(
            path,
            format!("a column is named `{WKT_COLUMN}`, the name of the geometry column"),
            "rename that column, or turn the WKT geometry column off",
        ));
    }
    if table.columns.is_empty() && !with_wkt {
        // Nothing to write: a CSV record cannot have zero fields.
        return Ok(());
    }
    let io = |e: csv::Error| Error::io(path, e.into());
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out);
    let mut record: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    if with_wkt {
        record.push(WKT_COLUMN.to_owned());
    }
    w.write_record(&record).map_err(io)?;
    for i in 0..table.rows.len() {
        let row = table.check_row(path, i)?;
        record.clear();
        record.extend(row.iter().map(cell));
        if with_wkt {
            record.push(match table.geometry(i) {
                Some(g) => {
                    check_finite(path, i + 1, g)?;
                    let d = opts.coordinate_decimals;
                    g.map_coords(|c| round_coord(c, d)).wkt_string()
                }
                None => String::new(),
            });
        }
        w.write_record(&record).map_err(io)?;
    }
    w.flush().map_err(|e| Error::io(path, e))
}

/// One cell's text: empty for `Null` and non-finite floats.
fn cell(v: &PropertyValue) -> String {
    match v {
        PropertyValue::Float(x) if !x.is_finite() => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
}
