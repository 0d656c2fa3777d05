//! ESRI Shapefile streets (`.shp` + `.dbf` + `.shx` + `.prj`), from disk or a `.zip`.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use geo_types::Coord;
use shapefile::dbase::{self, FieldValue};
use shapefile::{Shape, ShapeReader, ShapeType};
use streetrank::PropertyValue;

use super::build::{Builder, RawGeometry, geometry_problem};
use super::columns::{self, Row};
use super::{LoadedStreets, StreetsOptions, member_path};
use crate::archive::{ShapefileParts, shapefile_from_zip};
use crate::{Crs, Error, LoadReport, Result};

/// Reads a `.shp` and its sibling files from disk.
pub(crate) fn read_shp_path(path: &Path, opts: &StreetsOptions) -> Result<LoadedStreets> {
    let shp = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let sibling = |ext: &str| -> Result<Option<Vec<u8>>> {
        for e in [ext.to_owned(), ext.to_ascii_uppercase()] {
            let p = path.with_extension(e);
            match std::fs::read(&p) {
                Ok(b) => return Ok(Some(b)),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => return Err(Error::io(p, err)),
            }
        }
        Ok(None)
    };
    let parts = ShapefileParts {
        name: path.display().to_string(),
        shx: sibling("shx")?,
        dbf: sibling("dbf")?,
        prj: sibling("prj")?.map(|b| String::from_utf8_lossy(&b).into_owned()),
        cpg: sibling("cpg")?.map(|b| String::from_utf8_lossy(&b).into_owned()),
        shp,
    };
    let sha256 = parts_digest(&parts);
    read_parts(path, path, &parts, opts, sha256)
}

/// Reads the Shapefile inside a `.zip`.
pub(crate) fn read_zip(path: &Path, opts: &StreetsOptions) -> Result<LoadedStreets> {
    let (parts, bytes) = shapefile_from_zip(path, opts.mapping.layer.as_deref())?;
    let sha256 = streetrank::sha256_hex(&bytes);
    let shp_path = member_path(path, &parts.name);
    read_parts(path, &shp_path, &parts, opts, sha256)
}

/// The digest of a Shapefile on disk: every component that changes what is read (geometry,
/// index, attributes, CRS, code page), so that editing the `.dbf` changes the settings hash.
fn parts_digest(parts: &ShapefileParts) -> String {
    let mut doc = String::new();
    let mut add = |ext: &str, bytes: Option<&[u8]>| {
        let digest = bytes.map_or_else(|| "absent".to_owned(), streetrank::sha256_hex);
        doc.push_str(&format!("{ext}:{digest}\n"));
    };
    add("shp", Some(&parts.shp));
    add("shx", parts.shx.as_deref());
    add("dbf", parts.dbf.as_deref());
    add("prj", parts.prj.as_deref().map(str::as_bytes));
    add("cpg", parts.cpg.as_deref().map(str::as_bytes));
    streetrank::sha256_hex(doc.as_bytes())
}

fn sibling_name(shp: &Path, ext: &str) -> PathBuf {
    let s = shp.display().to_string();
    match s.strip_suffix(".shp]").or_else(|| s.strip_suffix(".SHP]")) {
        Some(stem) => PathBuf::from(format!("{stem}.{ext}]")),
        None => shp.with_extension(ext),
    }
}

/// The source CRS: the mapping's, else the `.prj`.
fn source_crs(
    shp_path: &Path,
    parts: &ShapefileParts,
    opts: &StreetsOptions,
    report: &mut LoadReport,
) -> Result<Crs> {
    if let Some(c) = &opts.mapping.crs {
        report.note(format!(
            "source CRS {} from the mapping{}",
            c.label(),
            if parts.prj.is_some() {
                " (overrides the .prj)"
            } else {
                ""
            }
        ));
        return Ok(c.clone());
    }
    let prj_path = sibling_name(shp_path, "prj");
    let Some(prj) = &parts.prj else {
        return Err(Error::Crs {
            context: shp_path.display().to_string(),
            problem: format!("no .prj file ({}), so the coordinate reference system is unknown", prj_path.display()),
            fix: "give the CRS with `--crs EPSG:NNNN` (or `crs = \"EPSG:NNNN\"` in the streets mapping), or put the layer's .prj next to the .shp".into(),
        });
    };
    let crs = Crs::parse(prj).map_err(|e| Error::Crs {
        context: prj_path.display().to_string(),
        problem: format!("PROJ cannot read this .prj: {}", e.without_fix()),
        fix:
            "give the CRS with `--crs EPSG:NNNN` (or `crs = \"EPSG:NNNN\"` in the streets mapping)"
                .into(),
    })?;
    let unit = match crs.metres_per_unit()? {
        None => "degrees".to_owned(),
        Some(m) if (m - 1.0).abs() < 1e-12 => "metres".to_owned(),
        Some(m) if (m - 0.304_800_609_601_219_2).abs() < 1e-12 => "US survey feet".to_owned(),
        Some(m) if (m - 0.3048).abs() < 1e-12 => "feet".to_owned(),
        Some(m) => format!("units of {m} m"),
    };
    report.note(format!(
        "source CRS from the .prj: {} ({unit}); override with `--crs`",
        crs.label()
    ));
    Ok(crs)
}

fn read_parts(
    report_path: &Path,
    shp_path: &Path,
    parts: &ShapefileParts,
    opts: &StreetsOptions,
    sha256: String,
) -> Result<LoadedStreets> {
    let mut report = LoadReport::new(report_path);
    let reexport = "re-export the layer from the source GIS";
    // Shorter than the 100-byte main header: the Shapefile crate would only
    // say "failed to fill whole buffer".
    if parts.shp.len() < 100 {
        let problem = if parts.shp.is_empty() {
            "the .shp is empty (0 bytes)".to_owned()
        } else {
            format!(
                "the .shp is truncated: it has {} bytes, less than the 100-byte Shapefile header",
                parts.shp.len()
            )
        };
        return Err(Error::file(
            shp_path,
            problem,
            "copy or download the file again, or re-export the layer",
        ));
    }
    let mut shapes = match &parts.shx {
        Some(shx) => ShapeReader::with_shx(
            Cursor::new(parts.shp.as_slice()),
            Cursor::new(shx.as_slice()),
        ),
        None => ShapeReader::new(Cursor::new(parts.shp.as_slice())),
    }
    .map_err(|e| Error::file(shp_path, format!("not a readable Shapefile: {e}"), reexport))?;
    let header = *shapes.header();
    let declared = usize::try_from(header.file_length)
        .unwrap_or(0)
        .saturating_mul(2);
    if declared > parts.shp.len() {
        return Err(Error::file(
            shp_path,
            format!(
                "the .shp is truncated: its header says {declared} bytes but the file has {}",
                parts.shp.len()
            ),
            "copy or download the file again, or re-export the layer",
        ));
    }
    match header.shape_type {
        ShapeType::Point
        | ShapeType::PointM
        | ShapeType::PointZ
        | ShapeType::Multipoint
        | ShapeType::MultipointM
        | ShapeType::MultipointZ => {
            return Err(Error::file(
                shp_path,
                "file holds Point features, not streets: the streets and complaints files may be the wrong way round",
                "give the street centerline layer (lines) as the streets file",
            ));
        }
        ShapeType::Polygon | ShapeType::PolygonM | ShapeType::PolygonZ | ShapeType::Multipatch => {
            return Err(Error::file(
                shp_path,
                format!(
                    "file holds {} features (areas), not street centerlines",
                    header.shape_type
                ),
                "give the street centerline layer (lines); convert pavement polygons to centerlines in a GIS first",
            ));
        }
        _ => {}
    }
    let dbf_path = sibling_name(shp_path, "dbf");
    let Some(dbf_bytes) = &parts.dbf else {
        return Err(Error::file(
            shp_path,
            format!("no .dbf attribute table ({})", dbf_path.display()),
            "put the layer's .dbf next to the .shp (a Shapefile is several files; copy all of them)",
        ));
    };
    let mut dbf = dbase::Reader::new(Cursor::new(dbf_bytes.as_slice()))
        .map_err(|e| Error::file(&dbf_path, format!("not a readable .dbf: {e}"), reexport))?;
    let n_records = dbf.header().num_records as usize;
    if parts.shx.is_some() {
        let n_shapes = shapes
            .shape_count()
            .map_err(|e| Error::file(shp_path, format!("cannot count shapes: {e}"), reexport))?;
        if n_shapes != n_records {
            return Err(Error::file(
                shp_path,
                format!(
                    "the .shx indexes {n_shapes} shapes but the .dbf has {n_records} records; the files do not belong together"
                ),
                "use the .shp, .shx and .dbf of one export (same name, same time)",
            ));
        }
    }
    if let Some(cpg) = &parts.cpg {
        let cpg = cpg.trim();
        if !(cpg.eq_ignore_ascii_case("utf-8") || cpg.eq_ignore_ascii_case("utf8")) {
            report.note(format!("the .cpg says `{cpg}`; text is read as UTF-8 (non-ASCII characters may be replaced)"));
        }
    }
    let available: Vec<String> = dbf.fields().iter().map(|f| f.name().to_owned()).collect();
    let crs = source_crs(shp_path, parts, opts, &mut report)?;
    let cols = columns::resolve(report_path, &available, &opts.mapping, &mut report)?;
    let mut builder = Builder::new(shp_path, opts, cols, report);

    let mut records = dbf.iter_records();
    let mut feature = 0usize;
    for shape in shapes.iter_shapes() {
        feature += 1;
        let shape = shape.map_err(|e| {
            Error::file(shp_path, format!("cannot read the shape of feature {feature}: {e} (the .shp is damaged or truncated)"), reexport)
        })?;
        let record = match records.next() {
            Some(Ok(r)) => r,
            Some(Err(e)) => {
                return Err(Error::file(
                    &dbf_path,
                    format!("cannot read record {feature}: {e}"),
                    reexport,
                ));
            }
            None => {
                return Err(Error::file(
                    shp_path,
                    format!(
                        "the .shp has more shapes than the .dbf has records ({n_records}); the files do not belong together"
                    ),
                    "use the .shp, .shx and .dbf of one export",
                ));
            }
        };
        builder.push(feature, shape_parts(shape), &DbfRow(record))?;
    }
    if records.next().is_some() {
        return Err(Error::file(
            shp_path,
            format!(
                "the .dbf has {n_records} records but the .shp only {feature} shapes; the files do not belong together"
            ),
            "use the .shp, .shx and .dbf of one export",
        ));
    }
    builder.finish(crs, sha256)
}

fn shape_parts(shape: Shape) -> RawGeometry {
    fn xy<P>(parts: &[Vec<P>], f: impl Fn(&P) -> Coord<f64>) -> Vec<Vec<Coord<f64>>> {
        parts.iter().map(|p| p.iter().map(&f).collect()).collect()
    }
    match shape {
        Shape::Polyline(l) => Ok(xy(l.parts(), |p| Coord { x: p.x, y: p.y })),
        Shape::PolylineM(l) => Ok(xy(l.parts(), |p| Coord { x: p.x, y: p.y })),
        Shape::PolylineZ(l) => Ok(xy(l.parts(), |p| Coord { x: p.x, y: p.y })),
        Shape::NullShape => Err(geometry_problem(
            "empty geometry",
            "the shape is a null shape (no geometry)".into(),
            "drop the feature or digitise its line in the source GIS (or load with on_error = skip)",
        )),
        other => Err(geometry_problem(
            "unsupported geometry",
            format!("the shape is a {}, not a line", other.shapetype()),
            "give a line layer as the streets file (or load with on_error = skip)",
        )),
    }
}

struct DbfRow(dbase::Record);

impl Row for DbfRow {
    fn value(&self, column: &str) -> PropertyValue {
        match self.0.get(column) {
            None => PropertyValue::Null,
            Some(v) => dbf_value(v),
        }
    }
}

/// A DBF value as a typed value; numerics with no fraction become integers.
fn dbf_value(v: &FieldValue) -> PropertyValue {
    fn num(f: f64) -> PropertyValue {
        if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
            PropertyValue::Int(f as i64)
        } else {
            PropertyValue::Float(f)
        }
    }
    match v {
        FieldValue::Character(Some(s)) | FieldValue::Memo(s) => {
            let t = s.trim();
            if t.is_empty() {
                PropertyValue::Null
            } else {
                PropertyValue::Text(t.to_owned())
            }
        }
        FieldValue::Numeric(Some(f)) | FieldValue::Double(f) | FieldValue::Currency(f) => num(*f),
        FieldValue::Float(Some(f)) => num(f64::from(*f)),
        FieldValue::Integer(i) => PropertyValue::Int(i64::from(*i)),
        FieldValue::Logical(Some(b)) => PropertyValue::Bool(*b),
        FieldValue::Date(Some(d)) => {
            PropertyValue::Text(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
        }
        FieldValue::DateTime(dt) => {
            let d = dt.date();
            let t = dt.time();
            PropertyValue::Text(format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                d.year(),
                d.month(),
                d.day(),
                t.hours(),
                t.minutes(),
                t.seconds()
            ))
        }
        FieldValue::Character(None)
        | FieldValue::Numeric(None)
        | FieldValue::Float(None)
        | FieldValue::Logical(None)
        | FieldValue::Date(None) => PropertyValue::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dbf_value_table() {
        let cases = [
            (
                FieldValue::Numeric(Some(13018186.0)),
                PropertyValue::Int(13018186),
            ),
            (FieldValue::Numeric(Some(2.5)), PropertyValue::Float(2.5)),
            (FieldValue::Numeric(None), PropertyValue::Null),
            (
                FieldValue::Character(Some("  ".into())),
                PropertyValue::Null,
            ),
            (
                FieldValue::Character(Some(" MAJOR ".into())),
                PropertyValue::Text("MAJOR".into()),
            ),
            (FieldValue::Integer(-4), PropertyValue::Int(-4)),
            (FieldValue::Logical(Some(true)), PropertyValue::Bool(true)),
        ];
        for (v, want) in cases {
            assert_eq!(dbf_value(&v), want, "{v:?}");
        }
    }

    #[test]
    fn sibling_names() {
        assert_eq!(
            sibling_name(Path::new("/a/s.shp"), "prj"),
            PathBuf::from("/a/s.prj")
        );
        assert_eq!(
            sibling_name(Path::new("/a/z.zip[d/s.shp]"), "dbf"),
            PathBuf::from("/a/z.zip[d/s.dbf]")
        );
    }
}
