//! CSV streets with a WKT geometry column.

use std::collections::HashMap;
use std::path::Path;

use geo_types::{Coord, Geometry};
use streetrank::PropertyValue;
use wkt::TryFromWkt;

use super::build::{Builder, RawGeometry, geometry_problem};
use super::columns::{self, Row, cell_value};
use super::{LoadedStreets, StreetsOptions};
use crate::{Crs, Error, LoadReport, Result};

const GEOMETRY_CANDIDATES: &[&str] = &["WKT", "geometry", "the_geom", "geom"];

/// Reads a CSV file with one WKT LineString per row.
pub(crate) fn read_wkt_csv(path: &Path, opts: &StreetsOptions) -> Result<LoadedStreets> {
    let mut report = LoadReport::new(path);
    super::refuse_empty(
        path,
        "give a CSV file with a header line and one street per row, its geometry as WKT",
    )?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .map_err(|e| csv_error(path, &e))?;
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(path, &e))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .or_else(|| headers.iter().position(|h| h.eq_ignore_ascii_case(name)))
    };
    let geom_index = match &opts.mapping.geometry {
        Some(g) => {
            let i = find(g).ok_or_else(|| Error::Config {
                context: path.display().to_string(),
                problem: format!(
                    "WKT column `{g}` (set by `geometry`) is not in the file; its columns are: {}",
                    headers.join(", ")
                ),
                fix: "set `geometry` to the column holding WKT".into(),
            })?;
            report.note(format!(
                "geometry from WKT column `{}` (mapping)",
                headers[i]
            ));
            i
        }
        None => {
            let i = GEOMETRY_CANDIDATES
                .iter()
                .find_map(|c| find(c))
                .ok_or_else(|| {
                    Error::file(
                        path,
                        format!(
                            "no WKT geometry column (tried {}); its columns are: {}",
                            GEOMETRY_CANDIDATES.join(", "),
                            headers.join(", ")
                        ),
                        "name the WKT column with `geometry = \"COLUMN\"` in the streets mapping",
                    )
                })?;
            report.note(format!(
                "geometry from WKT column `{}` (auto-detected; set `geometry = \"COLUMN\"` to use another)",
                headers[i]
            ));
            i
        }
    };
    let crs = match &opts.mapping.crs {
        Some(c) => {
            report.note(format!("source CRS {} from the mapping", c.label()));
            c.clone()
        }
        None => {
            report.note("source CRS assumed WGS 84 longitude/latitude (CSV has no CRS); set `crs = \"EPSG:NNNN\"` / `--crs` if the WKT is projected");
            Crs::wgs84()
        }
    };
    let cols = columns::resolve(path, &headers, &opts.mapping, &mut report)?;
    let index: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.clone(), i))
        .collect();
    let mut builder = Builder::new(path, opts, cols, report);
    builder.geometry_field.clone_from(&headers[geom_index]);
    let mut first_geometry = true;
    for (i, row) in reader.records().enumerate() {
        let number = i + 1;
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                let problem = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        pos,
                        expected_len,
                        len,
                    } => (
                        "wrong number of fields",
                        String::new(),
                        format!(
                            "line {} has {len} fields where the header has {expected_len} (a truncated line or an unquoted delimiter)",
                            pos.as_ref().map_or(0, csv::Position::line)
                        ),
                        "repair the line, or quote values that contain the delimiter".into(),
                    ),
                    _ => (
                        "unreadable row",
                        String::new(),
                        format!("cannot read the row: {e}"),
                        "fix the CSV quoting / number of fields on this row".into(),
                    ),
                };
                builder.fail_or_skip(number, problem)?;
                continue;
            }
        };
        let cell = row.get(geom_index).unwrap_or("").trim();
        let geometry = if cell.is_empty() {
            Err(geometry_problem(
                "empty geometry",
                "the WKT cell is empty".into(),
                "give the row a LINESTRING (or load with on_error = skip)",
            ))
        } else {
            match Geometry::<f64>::try_from_wkt_str(cell) {
                Ok(g) => {
                    if first_geometry {
                        first_geometry = false;
                        refuse_non_lines(path, &g)?;
                    }
                    lines(g)
                }
                Err(e) => Err(geometry_problem(
                    "bad geometry",
                    format!("invalid WKT `{}`: {e}", short(cell)),
                    "write the geometry as WKT, e.g. `LINESTRING (x1 y1, x2 y2)`",
                )),
            }
        };
        builder.push(
            number,
            geometry,
            &CsvRow {
                row: &row,
                index: &index,
            },
        )?;
    }
    let sha256 = crate::digest_file(path)?;
    builder.finish(crs, sha256)
}

fn csv_error(path: &Path, e: &csv::Error) -> Error {
    match e.kind() {
        csv::ErrorKind::Io(io) => Error::io(path, std::io::Error::new(io.kind(), io.to_string())),
        _ => Error::file(
            path,
            format!("not a readable CSV file: {e}"),
            "check the file's format (comma-separated, UTF-8, one header row)",
        ),
    }
}

fn short(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if s.chars().count() > 60 {
        out.push('…');
    }
    out
}

fn refuse_non_lines(path: &Path, g: &Geometry<f64>) -> Result<()> {
    match g {
        Geometry::Point(_) | Geometry::MultiPoint(_) => Err(Error::file(
            path,
            "file holds Point features, not streets: the streets and complaints files may be the wrong way round",
            "give the street centerlines (LINESTRING rows) as the streets file",
        )),
        Geometry::Polygon(_) | Geometry::MultiPolygon(_) => Err(Error::file(
            path,
            "file holds Polygon features (areas), not street centerlines",
            "give the street centerlines (LINESTRING rows)",
        )),
        _ => Ok(()),
    }
}

fn lines(g: Geometry<f64>) -> RawGeometry {
    match g {
        Geometry::LineString(l) => Ok(vec![l.0]),
        Geometry::MultiLineString(m) => Ok(m
            .0
            .into_iter()
            .map(|l| l.0)
            .collect::<Vec<Vec<Coord<f64>>>>()),
        Geometry::Line(l) => Ok(vec![vec![l.start, l.end]]),
        other => Err(geometry_problem(
            "unsupported geometry",
            format!(
                "the geometry is a {}, not a LINESTRING",
                geometry_name(&other)
            ),
            "give streets as LINESTRING (or single-part MULTILINESTRING) (or load with on_error = skip)",
        )),
    }
}

fn geometry_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "POINT",
        Geometry::MultiPoint(_) => "MULTIPOINT",
        Geometry::Polygon(_) => "POLYGON",
        Geometry::MultiPolygon(_) => "MULTIPOLYGON",
        Geometry::GeometryCollection(_) => "GEOMETRYCOLLECTION",
        Geometry::Rect(_) => "RECT",
        Geometry::Triangle(_) => "TRIANGLE",
        Geometry::Line(_) | Geometry::LineString(_) | Geometry::MultiLineString(_) => "LINESTRING",
    }
}

struct CsvRow<'a> {
    row: &'a csv::StringRecord,
    index: &'a HashMap<String, usize>,
}

impl Row for CsvRow<'_> {
    fn value(&self, column: &str) -> PropertyValue {
        self.index
            .get(column)
            .and_then(|&i| self.row.get(i))
            .map_or(PropertyValue::Null, cell_value)
    }
}
