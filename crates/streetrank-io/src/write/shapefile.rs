//! ESRI Shapefile output: `.shp`/`.shx` geometry, `.dbf` attributes, `.prj`, `.cpg` and a field-name map.
//!
//! The `.shp` and `.shx` are written here (the `shapefile` crate's writer
//! cannot mix null shapes with points or lines, nor give an empty file its
//! shape type); the `.dbf` with the `dbase` crate's `TableWriterBuilder`.

use std::collections::HashSet;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use geo_types::{Coord, Geometry};
use rayon::prelude::*;
use shapefile::dbase::{self, FieldName, FieldWriter, TableWriterBuilder, WritableRecord};
use streetrank::PropertyValue;

use super::atomic::{AtomicFile, commit_all, write_all};
use super::table::{
    FeatureTable, GeometryRef, Table, check_finite, check_row, check_shape, finite_f64,
    round_coord, write_rows_parallel,
};
use super::{ColumnType, WriteOptions, WriteReport};
use crate::{Error, Result};

/// The longest DBF field name, in bytes.
pub(crate) const DBF_NAME_MAX: usize = 10;
/// The longest DBF character field, in bytes.
pub(crate) const DBF_TEXT_MAX: usize = 254;
/// Width and decimals of a DBF numeric field for a [`ColumnType::Float`] column.
const FLOAT_WIDTH: usize = 19;
const FLOAT_DECIMALS: usize = 11;
/// Width of a DBF numeric field for a [`ColumnType::Int`] column.
const INT_WIDTH: u8 = 18;
/// Integers beyond this magnitude are not exact as an `f64`; such a column is written as text.
const EXACT_INT: i64 = 1 << 53;

/// ESRI WKT of WGS 84 longitude/latitude, as ArcGIS and GDAL write it.
const PRJ_WGS84: &str = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;

/// Writes `table` as an ESRI Shapefile at `path` (which must end in `.shp`).
///
/// Files written (all to temporary files first, then all renamed into place):
///
/// - `.shp`/`.shx`: Point, MultiPoint or Polyline shapes (a `LineString`,
///   `Line` or `MultiLineString` is a Polyline); a row without geometry, or
///   with an empty one, is a Null shape. A table with no shapes at all gets
///   shape type Null.
/// - `.dbf`: one field per column. Names are laundered to ASCII letters,
///   digits and `_`, cut to 10 bytes and made unique (case-insensitively) by
///   a numeric suffix: `pressure_normalized`, `pressure_notes` become
///   `pressure_n`, `pressure_1`. Float columns are Numeric 19.11 (fewer
///   decimals when a value needs more integer digits), Int columns Numeric
///   18.0, Bool columns Logical, Text columns Character as wide as the
///   longest value (at most 254 bytes; longer text is cut at a character
///   boundary and counted in [`WriteReport::truncated_cells`]). An Int column
///   with a value beyond ±2^53, or a Float column with a value too large for
///   19 digits, is written as text, with a warning. `Null`, NaN and
///   infinities are blank. A table without columns gets one `FID` field (the
///   0-based row number), as GDAL does.
/// - `.prj`: ESRI WKT of WGS 84 (`GCS_WGS_1984`); `.cpg`: `UTF-8`.
/// - `<name>.fields.csv`: `original,dbf_name` for every column.
///
/// A `.qix`, `.sbn` or `.sbx` spatial index left by a Shapefile this one
/// replaces is removed (it would describe the old shapes), with a warning.
///
/// Coordinates are rounded to [`WriteOptions::coordinate_decimals`]. The field widths and types
/// need whole columns: a table that builds its rows on demand (not a [`FeatureTable`]) is built
/// whole first ([`Table::to_feature_table`]).
///
/// # Errors
///
/// [`Error::File`] for a path not ending in `.shp`, duplicate column names
/// or a file over the format's 2 GB limit; [`Error::Record`] for a row with
/// the wrong number of cells, a cell of the wrong type, a polygon or
/// collection (use GeoJSON), a line of one point, a non-finite coordinate, or
/// a shape of a different type than the first; [`Error::Io`] for a failed
/// write. On error no file at the destination has changed.
///
/// # Examples
///
/// ```
/// use geo_types::{Geometry, Point};
/// use streetrank::PropertyValue;
/// use streetrank_io::{Column, ColumnType, FeatureTable, WriteOptions, write_shapefile};
///
/// let dir = tempfile::tempdir()?;
/// let table = FeatureTable {
///     columns: vec![Column::new("complaint_id", ColumnType::Text, "311 request")],
///     rows: vec![vec![PropertyValue::Text("R1".into())]],
///     geometries: vec![Some(Geometry::Point(Point::new(-76.15, 43.05)))],
/// };
/// let report = write_shapefile(&table, &dir.path().join("assigned.shp"), &WriteOptions::default())?;
/// assert_eq!(report.files.len(), 6);
/// assert!(dir.path().join("assigned.dbf").exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_shapefile(table: &dyn Table, path: &Path, opts: &WriteOptions) -> Result<WriteReport> {
    let is_shp = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("shp"));
    if !is_shp {
        return Err(Error::file(
            path,
            "a Shapefile path must end in .shp",
            "give the .shp path; the .shx, .dbf, .prj and .cpg are written beside it",
        ));
    }
    check_shape(table, path)?;
    // The field widths and types need whole columns: a table that builds its rows on demand
    // is built once here.
    let built;
    let table = match table.as_feature_table() {
        Some(t) => t,
        None => {
            built = table.to_feature_table();
            &built
        }
    };
    let shapes = shapes(table, path, opts.coordinate_decimals)?;
    let mut report = WriteReport {
        rows: table.rows.len(),
        ..WriteReport::default()
    };
    let plan = plan_fields(table, &mut report);

    let sidecar = |ext: &str| path.with_extension(ext);
    let mut shp = AtomicFile::create(path)?;
    let mut shx = AtomicFile::create(&sidecar("shx"))?;
    let mut dbf = AtomicFile::create(&sidecar("dbf"))?;
    let mut prj = AtomicFile::create(&sidecar("prj"))?;
    let mut cpg = AtomicFile::create(&sidecar("cpg"))?;
    let mut fields = AtomicFile::create(&sidecar("fields.csv"))?;

    write_shp_shx(&shapes, &mut shp, &mut shx)?;
    write_dbf(table, &plan, &mut dbf, &mut report)?;
    let prj_path = prj.path().to_path_buf();
    write_all(prj.writer(), &prj_path, PRJ_WGS84.as_bytes())?;
    let cpg_path = cpg.path().to_path_buf();
    write_all(cpg.writer(), &cpg_path, b"UTF-8")?;
    write_field_map(table, &plan, &mut fields)?;

    let files = [shp, shx, dbf, prj, cpg, fields];
    report.files = files.iter().map(|f| f.path().to_path_buf()).collect();
    commit_all(files.into())?;
    remove_stale_indexes(path, &mut report)?;
    Ok(report)
}

/// Spatial indexes (`.qix`, `.sbn`, `.sbx`) of a Shapefile this write
/// replaced describe the old shapes: GDAL and ArcGIS would use them for the
/// new ones and miss features. They are removed, with a warning.
fn remove_stale_indexes(path: &Path, report: &mut WriteReport) -> Result<()> {
    for ext in ["qix", "sbn", "sbx"] {
        let index = path.with_extension(ext);
        match std::fs::remove_file(&index) {
            Ok(()) => report.warnings.push(format!(
                "removed {}: a spatial index of the replaced Shapefile",
                index.display()
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(index, e)),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- shapes

/// A shape ready to encode, coordinates already rounded.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    Null,
    Point(Coord<f64>),
    MultiPoint(Vec<Coord<f64>>),
    Polyline(Vec<Vec<Coord<f64>>>),
}

impl Shape {
    /// The ESRI shape type code.
    fn code(&self) -> i32 {
        match self {
            Shape::Null => 0,
            Shape::Point(_) => 1,
            Shape::Polyline(_) => 3,
            Shape::MultiPoint(_) => 8,
        }
    }

    /// Bytes of the record content (after the 8-byte record header).
    fn content_len(&self) -> usize {
        match self {
            Shape::Null => 4,
            Shape::Point(_) => 20,
            Shape::MultiPoint(ps) => 40 + 16 * ps.len(),
            Shape::Polyline(parts) => {
                44 + 4 * parts.len() + 16 * parts.iter().map(Vec::len).sum::<usize>()
            }
        }
    }

    fn coords(&self) -> Box<dyn Iterator<Item = &Coord<f64>> + '_> {
        match self {
            Shape::Null => Box::new(std::iter::empty()),
            Shape::Point(c) => Box::new(std::iter::once(c)),
            Shape::MultiPoint(ps) => Box::new(ps.iter()),
            Shape::Polyline(parts) => Box::new(parts.iter().flatten()),
        }
    }
}

/// Converts and checks every row's geometry; all non-null shapes must share one type.
fn shapes(table: &FeatureTable, path: &Path, decimals: u32) -> Result<Vec<Shape>> {
    // Converted in parallel, checked in row order: the first error is the serial one.
    let converted: Vec<Result<Shape>> = (0..table.rows.len())
        .into_par_iter()
        .map(|i| match table.geometry(i) {
            None => Ok(Shape::Null),
            Some(g) => {
                check_finite(path, i + 1, GeometryRef::Geometry(g))?;
                to_shape(g, path, i + 1, decimals)
            }
        })
        .collect();
    let mut out = Vec::with_capacity(converted.len());
    let mut first: Option<(usize, i32)> = None;
    for (i, shape) in converted.into_iter().enumerate() {
        let shape = shape?;
        if shape != Shape::Null {
            match first {
                None => first = Some((i + 1, shape.code())),
                Some((r, code)) if code != shape.code() => {
                    return Err(Error::record(
                        path,
                        i + 1,
                        None,
                        format!(
                            "shape type {} differs from type {code} of record {r}",
                            shape.code()
                        ),
                        "a Shapefile holds one geometry type: write points and lines to separate files, or use GeoJSON",
                    ));
                }
                Some(_) => {}
            }
        }
        out.push(shape);
    }
    Ok(out)
}

fn to_shape(g: &Geometry<f64>, path: &Path, record: usize, d: u32) -> Result<Shape> {
    let line = |cs: &[Coord<f64>]| -> Result<Option<Vec<Coord<f64>>>> {
        match cs.len() {
            0 => Ok(None),
            1 => Err(Error::record(
                path,
                record,
                None,
                "a line with a single point",
                "give lines at least two points, or no geometry (None)",
            )),
            _ => Ok(Some(cs.iter().map(|c| round_coord(*c, d)).collect())),
        }
    };
    let polyline = |parts: Vec<Vec<Coord<f64>>>| {
        if parts.is_empty() {
            Shape::Null
        } else {
            Shape::Polyline(parts)
        }
    };
    Ok(match g {
        Geometry::Point(p) => Shape::Point(round_coord(p.0, d)),
        Geometry::MultiPoint(mp) if mp.0.is_empty() => Shape::Null,
        Geometry::MultiPoint(mp) => {
            Shape::MultiPoint(mp.0.iter().map(|p| round_coord(p.0, d)).collect())
        }
        Geometry::Line(l) => polyline(line(&[l.start, l.end])?.into_iter().collect()),
        Geometry::LineString(l) => polyline(line(&l.0)?.into_iter().collect()),
        Geometry::MultiLineString(ml) => {
            let mut parts = Vec::with_capacity(ml.0.len());
            for l in &ml.0 {
                parts.extend(line(&l.0)?);
            }
            polyline(parts)
        }
        Geometry::Polygon(_)
        | Geometry::MultiPolygon(_)
        | Geometry::Rect(_)
        | Geometry::Triangle(_)
        | Geometry::GeometryCollection(_) => {
            return Err(Error::record(
                path,
                record,
                None,
                "Shapefile output takes points and lines only",
                "write polygons and collections as GeoJSON",
            ));
        }
    })
}

/// `[xmin, ymin, xmax, ymax]` of some coordinates; zeros when there are none.
fn bbox<'a>(coords: impl Iterator<Item = &'a Coord<f64>>) -> [f64; 4] {
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for c in coords {
        b = [b[0].min(c.x), b[1].min(c.y), b[2].max(c.x), b[3].max(c.y)];
    }
    if b[0].is_finite() { b } else { [0.0; 4] }
}

/// A 32-bit length or offset in 16-bit words, as the format stores it.
fn words(bytes: usize, path: &Path) -> Result<i32> {
    i32::try_from(bytes / 2).map_err(|_| {
        Error::file(
            path,
            "the Shapefile would exceed the format's 2 GB limit",
            "write GeoJSON, or split the output",
        )
    })
}

/// The 100-byte main-file header shared by `.shp` and `.shx`.
fn header(file_len_bytes: usize, shape_type: i32, b: [f64; 4], path: &Path) -> Result<Vec<u8>> {
    let mut h = Vec::with_capacity(100);
    h.extend_from_slice(&9994i32.to_be_bytes());
    h.extend_from_slice(&[0u8; 20]);
    h.extend_from_slice(&words(file_len_bytes, path)?.to_be_bytes());
    h.extend_from_slice(&1000i32.to_le_bytes());
    h.extend_from_slice(&shape_type.to_le_bytes());
    for v in b.iter().chain(&[0.0; 4]) {
        h.extend_from_slice(&v.to_le_bytes());
    }
    Ok(h)
}

fn put_i32(buf: &mut Vec<u8>, v: usize, path: &Path) -> Result<()> {
    let v = i32::try_from(v)
        .map_err(|_| Error::file(path, "a shape has too many points", "simplify the geometry"))?;
    buf.extend_from_slice(&v.to_le_bytes());
    Ok(())
}

fn put_coords<'a>(buf: &mut Vec<u8>, cs: impl Iterator<Item = &'a Coord<f64>>) {
    for c in cs {
        buf.extend_from_slice(&c.x.to_le_bytes());
        buf.extend_from_slice(&c.y.to_le_bytes());
    }
}

fn write_shp_shx(shapes: &[Shape], shp: &mut AtomicFile, shx: &mut AtomicFile) -> Result<()> {
    let shp_path = shp.path().to_path_buf();
    let shx_path = shx.path().to_path_buf();
    let shape_type = shapes
        .iter()
        .map(Shape::code)
        .find(|&c| c != 0)
        .unwrap_or(0);
    let b = bbox(shapes.iter().flat_map(Shape::coords));
    let shp_len = 100 + shapes.iter().map(|s| 8 + s.content_len()).sum::<usize>();
    let shx_len = 100 + 8 * shapes.len();
    write_all(
        shp.writer(),
        &shp_path,
        &header(shp_len, shape_type, b, &shp_path)?,
    )?;
    write_all(
        shx.writer(),
        &shx_path,
        &header(shx_len, shape_type, b, &shx_path)?,
    )?;

    let mut offset = 100usize;
    let mut buf = Vec::with_capacity(256);
    for (i, s) in shapes.iter().enumerate() {
        let len = s.content_len();
        buf.clear();
        let number = i32::try_from(i + 1)
            .map_err(|_| Error::file(&shp_path, "too many records", "split the output"))?;
        buf.extend_from_slice(&number.to_be_bytes());
        buf.extend_from_slice(&words(len, &shp_path)?.to_be_bytes());
        buf.extend_from_slice(&s.code().to_le_bytes());
        match s {
            Shape::Null => {}
            Shape::Point(c) => put_coords(&mut buf, std::iter::once(c)),
            Shape::MultiPoint(ps) => {
                for v in bbox(ps.iter()) {
                    buf.extend_from_slice(&v.to_le_bytes());
                }
                put_i32(&mut buf, ps.len(), &shp_path)?;
                put_coords(&mut buf, ps.iter());
            }
            Shape::Polyline(parts) => {
                for v in bbox(parts.iter().flatten()) {
                    buf.extend_from_slice(&v.to_le_bytes());
                }
                put_i32(&mut buf, parts.len(), &shp_path)?;
                put_i32(&mut buf, parts.iter().map(Vec::len).sum(), &shp_path)?;
                let mut start = 0;
                for p in parts {
                    put_i32(&mut buf, start, &shp_path)?;
                    start += p.len();
                }
                put_coords(&mut buf, parts.iter().flatten());
            }
        }
        write_all(shp.writer(), &shp_path, &buf)?;
        let mut idx = [0u8; 8];
        idx[..4].copy_from_slice(&words(offset, &shx_path)?.to_be_bytes());
        idx[4..].copy_from_slice(&words(len, &shx_path)?.to_be_bytes());
        write_all(shx.writer(), &shx_path, &idx)?;
        offset += 8 + len;
    }
    Ok(())
}

// ---------------------------------------------------------------- attributes

/// How one column is stored in the DBF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldKind {
    /// Numeric `width.decimals`, written from the cell as an `f64`.
    Numeric { width: u8, decimals: u8 },
    /// Character of `width` bytes, written from the cell's text.
    Character { width: u8 },
    /// Character of `width` bytes for a float column too wide for a number:
    /// floats in exponent notation (`1e300`).
    FloatText { width: u8 },
    /// Logical (`T`/`F`, blank for null).
    Logical,
    /// The row number (for a table without columns).
    RowNumber,
}

/// One DBF field: its name and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FieldPlan {
    name: String,
    kind: FieldKind,
}

/// DBF field names for `names`: ASCII letters, digits and `_`, at most 10
/// bytes, unique ignoring case; a clash gets the shortest `_1`, `_2`, …
/// suffix that is free, in column order.
fn dbf_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut taken = HashSet::new();
    let mut out = Vec::new();
    for name in names {
        let mut base: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .take(DBF_NAME_MAX)
            .collect();
        if base.is_empty() {
            base = "field".to_owned();
        }
        let mut candidate = base.clone();
        let mut k = 1usize;
        while taken.contains(&candidate.to_ascii_uppercase()) {
            let suffix = format!("_{k}");
            let keep = DBF_NAME_MAX.saturating_sub(suffix.len()).min(base.len());
            candidate = format!("{}{suffix}", &base[..keep]);
            k += 1;
        }
        taken.insert(candidate.to_ascii_uppercase());
        out.push(candidate);
    }
    out
}

/// The longest prefix of `s` of at most `max` bytes that ends on a char boundary.
fn truncate_at_char(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The width a character field needs for the texts of column `j`.
fn text_width(
    table: &FeatureTable,
    j: usize,
    text: impl Fn(&PropertyValue) -> Option<String> + Sync,
) -> u8 {
    let w = table
        .rows
        .par_iter()
        .filter_map(|r| r.get(j).and_then(&text))
        .map(|s| truncate_at_char(&s, DBF_TEXT_MAX).len())
        .max()
        .unwrap_or(1)
        .max(1);
    u8::try_from(w).unwrap_or(u8::MAX)
}

/// Decimals (at most 11) at which every value of a float column fits 19
/// characters as dBase writes it (`{:.N}`), or `None` if none fits.
fn float_decimals(values: &[f64]) -> Option<usize> {
    (0..=FLOAT_DECIMALS).rev().find(|&d| {
        values
            .par_iter()
            .all(|v| formatted_len(format_args!("{v:.d$}")) <= FLOAT_WIDTH)
    })
}

/// The length of formatted text, without building it.
fn formatted_len(args: std::fmt::Arguments<'_>) -> usize {
    struct Count(usize);
    impl std::fmt::Write for Count {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut n = Count(0);
    // Counting never fails.
    let _ = std::fmt::write(&mut n, args);
    n.0
}

fn plan_fields(table: &FeatureTable, report: &mut WriteReport) -> Vec<FieldPlan> {
    if table.columns.is_empty() {
        return vec![FieldPlan {
            name: "FID".to_owned(),
            kind: FieldKind::RowNumber,
        }];
    }
    let names = dbf_names(table.columns.iter().map(|c| c.name.as_str()));
    let mut plan = Vec::with_capacity(names.len());
    for (j, (col, name)) in table.columns.iter().zip(names).enumerate() {
        let column = |j: usize| table.rows.iter().filter_map(move |r| r.get(j));
        let kind = match col.ty {
            ColumnType::Bool => FieldKind::Logical,
            ColumnType::Text => FieldKind::Character {
                width: text_width(table, j, text_cell),
            },
            ColumnType::Int => {
                let exact = column(j).all(|v| match v {
                    PropertyValue::Int(i) => (-EXACT_INT..=EXACT_INT).contains(i),
                    _ => true,
                });
                if exact {
                    FieldKind::Numeric {
                        width: INT_WIDTH,
                        decimals: 0,
                    }
                } else {
                    report.warnings.push(format!(
                        "column `{}`: integers beyond ±2^53 do not fit a DBF number exactly; written as text",
                        col.name
                    ));
                    FieldKind::Character {
                        width: text_width(table, j, text_cell),
                    }
                }
            }
            ColumnType::Float => {
                let values: Vec<f64> = column(j).filter_map(finite_f64).collect();
                match float_decimals(&values) {
                    Some(d) => {
                        if d < FLOAT_DECIMALS {
                            report.warnings.push(format!(
                                "column `{}`: large values; written with {d} decimals instead of {FLOAT_DECIMALS}",
                                col.name
                            ));
                        }
                        FieldKind::Numeric {
                            width: FLOAT_WIDTH as u8,
                            decimals: u8::try_from(d).unwrap_or(0),
                        }
                    }
                    None => {
                        report.warnings.push(format!(
                            "column `{}`: values too large for a 19-digit DBF number; written as text",
                            col.name
                        ));
                        FieldKind::FloatText {
                            width: text_width(table, j, float_text_cell),
                        }
                    }
                }
            }
        };
        plan.push(FieldPlan { name, kind });
    }
    plan
}

/// A cell's text for a character field: `None` for `Null` and non-finite floats.
fn text_cell(v: &PropertyValue) -> Option<String> {
    match v {
        PropertyValue::Null => None,
        PropertyValue::Float(x) if !x.is_finite() => None,
        other => Some(other.to_string()),
    }
}

/// A float column's cell as text in exponent notation; `None` for `Null` and non-finite.
fn float_text_cell(v: &PropertyValue) -> Option<String> {
    finite_f64(v).map(|x| format!("{x:e}"))
}

/// One DBF record: a row's cells written by the plan.
struct DbfRow<'a> {
    index: usize,
    cells: &'a [PropertyValue],
    plan: &'a [FieldPlan],
    truncated: std::cell::Cell<usize>,
}

impl WritableRecord for DbfRow<'_> {
    fn write_using<W: Write>(
        &self,
        w: &mut FieldWriter<'_, W>,
    ) -> std::result::Result<(), dbase::FieldError> {
        for (j, field) in self.plan.iter().enumerate() {
            let cell = self.cells.get(j).unwrap_or(&PropertyValue::Null);
            match field.kind {
                #[allow(clippy::cast_precision_loss)] // row numbers stay far below 2^53
                FieldKind::RowNumber => w.write_next_field_value(&(self.index as f64))?,
                FieldKind::Numeric { .. } => w.write_next_field_value(&finite_f64(cell))?,
                FieldKind::Logical => w.write_next_field_value(&match cell {
                    PropertyValue::Bool(b) => Some(*b),
                    _ => None,
                })?,
                FieldKind::Character { .. } | FieldKind::FloatText { .. } => {
                    let text = match field.kind {
                        FieldKind::FloatText { .. } => float_text_cell(cell),
                        _ => text_cell(cell),
                    };
                    let text = text.map(|s| {
                        let t = truncate_at_char(&s, DBF_TEXT_MAX);
                        if t.len() < s.len() {
                            self.truncated.set(self.truncated.get() + 1);
                        }
                        t.to_owned()
                    });
                    w.write_next_field_value(&text)?;
                }
            }
        }
        Ok(())
    }
}

fn dbase_error(path: &Path, e: &dbase::Error) -> Error {
    Error::io(path, std::io::Error::other(e.to_string()))
}

/// The `.dbf` header's last-update date written by [`write_dbf`]: 1970-01-01, so output bytes
/// do not depend on the day they are written.
const DBF_FIXED_DATE: [u8; 3] = [70, 1, 1];

fn write_dbf(
    table: &FeatureTable,
    plan: &[FieldPlan],
    dbf: &mut AtomicFile,
    report: &mut WriteReport,
) -> Result<()> {
    let path: PathBuf = dbf.path().to_path_buf();
    let builder = || -> Result<TableWriterBuilder> {
        let mut builder = TableWriterBuilder::new();
        for f in plan {
            let name = FieldName::try_from(f.name.as_str()).map_err(|e| {
                Error::file(
                    &path,
                    format!("field name `{}`: {e}", f.name),
                    "report this bug",
                )
            })?;
            builder = match f.kind {
                FieldKind::Numeric { width, decimals } => {
                    builder.add_numeric_field(name, width, decimals)
                }
                FieldKind::RowNumber => builder.add_numeric_field(name, 11, 0),
                FieldKind::Character { width } | FieldKind::FloatText { width } => {
                    builder.add_character_field(name, width)
                }
                FieldKind::Logical => builder.add_logical_field(name),
            };
        }
        Ok(builder)
    };
    // The dbase crate writes the header (then the terminator) when it finalizes; a table of
    // no records gives the header alone. Records are then written by one dbase writer per
    // chunk of rows, in parallel, each into memory, and copied out without its own header
    // and terminator: the bytes of one writer over all rows.
    let dbase_err = |e: &dbase::Error| dbase_error(&path, e);
    let mut header = Vec::new();
    {
        let mut w = builder()?.build_with_dest(Cursor::new(&mut header));
        w.finalize().map_err(|e| dbase_err(&e))?;
    }
    let terminator = header.pop();
    let header_len = header.len();
    let records = u32::try_from(table.rows.len())
        .map_err(|_| Error::file(&path, "too many records for a DBF file", "split the output"))?;
    // Bytes 4-7: the record count (little-endian). Bytes 1-3: the "last update" date, which the
    // dbase crate sets to today; a fixed date makes the same inputs give the same bytes on any day.
    if let Some(count) = header.get_mut(4..8) {
        count.copy_from_slice(&records.to_le_bytes());
    }
    if let Some(date) = header.get_mut(1..4) {
        date.copy_from_slice(&DBF_FIXED_DATE);
    }
    write_all(dbf.writer(), &path, &header)?;
    let table_path = path.with_extension("shp");
    let truncated = AtomicUsize::new(0);
    write_rows_parallel(table.rows.len(), dbf.writer(), &path, |rows| {
        let mut out = Vec::with_capacity(header_len + rows.len() * 256);
        {
            let mut writer = builder()?.build_with_dest(Cursor::new(&mut out));
            let mut scratch = Vec::new();
            for i in rows {
                let cells = if table.columns.is_empty() {
                    &[][..]
                } else {
                    check_row(table, &table_path, i, &mut scratch)?
                };
                let row = DbfRow {
                    index: i,
                    cells,
                    plan,
                    truncated: std::cell::Cell::new(0),
                };
                writer.write_record(&row).map_err(|e| dbase_err(&e))?;
                truncated.fetch_add(row.truncated.get(), Ordering::Relaxed);
            }
            writer.finalize().map_err(|e| dbase_err(&e))?;
        }
        out.pop();
        out.drain(..header_len.min(out.len()));
        Ok(out)
    })?;
    if let Some(t) = terminator {
        write_all(dbf.writer(), &path, &[t])?;
    }
    report.truncated_cells += truncated.into_inner();
    if report.truncated_cells > 0 {
        report.warnings.push(format!(
            "{} text cells were cut to the Shapefile limit of {DBF_TEXT_MAX} bytes",
            report.truncated_cells
        ));
    }
    Ok(())
}

/// Writes `original,dbf_name` for every column.
fn write_field_map(table: &FeatureTable, plan: &[FieldPlan], file: &mut AtomicFile) -> Result<()> {
    let path = file.path().to_path_buf();
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(file.writer());
    let io = |e: csv::Error| Error::io(&path, e.into());
    w.write_record(["original", "dbf_name"]).map_err(io)?;
    for (col, f) in table.columns.iter().zip(plan) {
        w.write_record([col.name.as_str(), f.name.as_str()])
            .map_err(io)?;
    }
    w.flush().map_err(|e| Error::io(&path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::Column;
    use PropertyValue::{Bool, Float, Int, Null, Text};
    use geo_types::{MultiLineString, MultiPoint, Point, line_string, polygon};

    #[test]
    fn dbf_names_table() {
        let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
            (vec!["score", "rank"], vec!["score", "rank"]),
            (
                vec!["pressure_normalized", "pressure_notes", "pressure_no"],
                vec!["pressure_n", "pressure_1", "pressure_2"],
            ),
            // A later natural name equal to an earlier generated one is suffixed too.
            (
                vec!["pressure_normalized", "pressure_notes", "pressure_1"],
                vec!["pressure_n", "pressure_1", "pressure_2"],
            ),
            (
                vec!["Score", "SCORE", "score"],
                vec!["Score", "SCORE_1", "score_2"],
            ),
            (vec!["länge m", "a-b"], vec!["l_nge_m", "a_b"]),
            (vec!["", "🚧"], vec!["field", "_"]),
            (vec!["abcdefghij"; 12], {
                let mut v = vec!["abcdefghij"];
                v.extend([
                    "abcdefgh_1",
                    "abcdefgh_2",
                    "abcdefgh_3",
                    "abcdefgh_4",
                    "abcdefgh_5",
                ]);
                v.extend([
                    "abcdefgh_6",
                    "abcdefgh_7",
                    "abcdefgh_8",
                    "abcdefgh_9",
                    "abcdefg_10",
                ]);
                v.push("abcdefg_11");
                v
            }),
        ];
        for (input, want) in cases {
            let got = dbf_names(input.iter().copied());
            assert_eq!(got, want, "{input:?}");
            assert!(got.iter().all(|n| n.len() <= DBF_NAME_MAX && n.is_ascii()));
        }
    }

    #[test]
    fn truncate_at_char_table() {
        let cases = [
            ("", 3, ""),
            ("abc", 3, "abc"),
            ("abcd", 3, "abc"),
            ("aé", 2, "a"),
            ("aé", 3, "aé"),
            ("🚧🚧", 5, "🚧"),
            ("🚧", 0, ""),
        ];
        for (s, max, want) in cases {
            assert_eq!(truncate_at_char(s, max), want, "{s} {max}");
        }
    }

    #[test]
    fn float_decimals_table() {
        let cases: Vec<(Vec<f64>, Option<usize>)> = vec![
            (vec![], Some(11)),
            (vec![0.5, -1.25], Some(11)),
            (vec![9_999_999.0], Some(11)),
            (vec![-999_999.0], Some(11)),
            (vec![-9_999_999.0], Some(10)),
            (vec![12_345_678.9], Some(10)),
            (vec![1e17], Some(0)),
            (vec![1e18], Some(0)),
            (vec![-1e18], None),
            (vec![1e19], None),
        ];
        for (values, want) in cases {
            assert_eq!(float_decimals(&values), want, "{values:?}");
        }
    }

    fn lines_table() -> FeatureTable {
        let long = "é".repeat(200); // 400 bytes
        FeatureTable {
            columns: vec![
                Column::new("segment_id", ColumnType::Int, ""),
                Column::new("priority_score", ColumnType::Float, ""),
                Column::new("priority_scaled", ColumnType::Float, ""),
                Column::new("street name", ColumnType::Text, ""),
                Column::new("is_open", ColumnType::Bool, ""),
            ],
            rows: vec![
                vec![
                    Int(12_580_319),
                    Float(0.125),
                    Float(1.0),
                    Text("Erie \"Blvd\", E".into()),
                    Bool(true),
                ],
                vec![Int(-2), Float(f64::NAN), Null, Text(long), Bool(false)],
                vec![Null, Int(3), Float(-1234.5), Null, Null],
            ],
            geometries: vec![
                Some(Geometry::LineString(
                    line_string![(x: -76.1, y: 43.0), (x: -76.2, y: 43.1)],
                )),
                None,
                Some(Geometry::MultiLineString(MultiLineString::new(vec![
                    line_string![(x: -76.3, y: 43.2), (x: -76.31, y: 43.21)],
                    line_string![],
                    line_string![(x: -76.4, y: 43.3), (x: -76.41, y: 43.31), (x: -76.42, y: 43.3)],
                ]))),
            ],
        }
    }

    #[test]
    fn round_trip_through_the_shapefile_reader() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ranked.shp");
        let report = write_shapefile(&lines_table(), &path, &WriteOptions::default()).unwrap();
        assert_eq!(report.rows, 3);
        assert_eq!(report.truncated_cells, 1);
        assert_eq!(report.files.len(), 6);
        assert!(
            report.warnings.iter().any(|w| w.contains("1 text cells")),
            "{:?}",
            report.warnings
        );

        let mut reader = shapefile::Reader::from_path(&path).unwrap();
        let got: Vec<(shapefile::Shape, dbase::Record)> = reader
            .iter_shapes_and_records()
            .map(Result::unwrap)
            .collect();
        assert_eq!(got.len(), 3);
        let shapefile::Shape::Polyline(p0) = &got[0].0 else {
            panic!("{}", got[0].0)
        };
        assert_eq!(p0.parts().len(), 1);
        assert_eq!(p0.parts()[0][1], shapefile::Point::new(-76.2, 43.1));
        assert!(
            matches!(got[1].0, shapefile::Shape::NullShape),
            "{}",
            got[1].0
        );
        let shapefile::Shape::Polyline(p2) = &got[2].0 else {
            panic!("{}", got[2].0)
        };
        assert_eq!(p2.parts().len(), 2, "the empty part is dropped");
        assert_eq!(p2.parts()[1].len(), 3);
        assert_eq!(p2.bbox().min.x, -76.42);

        use dbase::FieldValue as F;
        let r0 = &got[0].1;
        assert_eq!(r0.get("segment_id"), Some(&F::Numeric(Some(12_580_319.0))));
        assert_eq!(r0.get("priority_s"), Some(&F::Numeric(Some(0.125))));
        assert_eq!(r0.get("priority_1"), Some(&F::Numeric(Some(1.0))));
        assert_eq!(
            r0.get("street_nam"),
            Some(&F::Character(Some("Erie \"Blvd\", E".into())))
        );
        assert_eq!(r0.get("is_open"), Some(&F::Logical(Some(true))));
        let r1 = &got[1].1;
        assert_eq!(
            r1.get("priority_s"),
            Some(&F::Numeric(None)),
            "NaN is blank"
        );
        assert_eq!(
            r1.get("priority_1"),
            Some(&F::Numeric(None)),
            "Null is blank"
        );
        let Some(F::Character(Some(cut))) = r1.get("street_nam") else {
            panic!("{r1:?}")
        };
        assert_eq!(cut, &"é".repeat(127), "254 bytes, cut on a char boundary");
        let r2 = &got[2].1;
        assert_eq!(r2.get("segment_id"), Some(&F::Numeric(None)));
        assert_eq!(r2.get("priority_s"), Some(&F::Numeric(Some(3.0))));
        assert_eq!(r2.get("priority_1"), Some(&F::Numeric(Some(-1234.5))));
        assert_eq!(r2.get("is_open"), Some(&F::Logical(None)));

        let fields = std::fs::read_to_string(dir.path().join("ranked.fields.csv")).unwrap();
        assert_eq!(
            fields,
            "original,dbf_name\nsegment_id,segment_id\npriority_score,priority_s\n\
             priority_scaled,priority_1\nstreet name,street_nam\nis_open,is_open\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("ranked.cpg")).unwrap(),
            "UTF-8"
        );
        assert!(
            std::fs::read_to_string(dir.path().join("ranked.prj"))
                .unwrap()
                .contains("GCS_WGS_1984")
        );
    }

    /// Same table, same bytes, whatever the day: the `.dbf` date is fixed.
    #[test]
    fn output_bytes_do_not_depend_on_the_day() {
        let dir = tempfile::tempdir().unwrap();
        let mut outputs = Vec::new();
        for name in ["a.shp", "b.shp"] {
            let path = dir.path().join(name);
            write_shapefile(&lines_table(), &path, &WriteOptions::default()).unwrap();
            let files: Vec<Vec<u8>> = ["shp", "shx", "dbf", "prj", "cpg"]
                .iter()
                .map(|ext| std::fs::read(path.with_extension(ext)).unwrap())
                .collect();
            outputs.push(files);
        }
        assert_eq!(outputs[0], outputs[1]);
        assert_eq!(outputs[0][2][1..4], DBF_FIXED_DATE);
        // The reader still accepts the file.
        assert_eq!(
            shapefile::dbase::Reader::from_path(dir.path().join("a.dbf"))
                .unwrap()
                .read()
                .unwrap()
                .len(),
            lines_table().rows.len()
        );
    }

    #[test]
    fn points_with_null_shapes_and_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pts.shp");
        let t = FeatureTable {
            columns: vec![Column::new("id", ColumnType::Text, "")],
            rows: vec![vec![Text("a".into())], vec![Null], vec![Text("c".into())]],
            geometries: vec![
                None,
                Some(Geometry::Point(Point::new(-76.123_456_789, 43.5))),
                Some(Geometry::Point(Point::new(-75.0, 42.0))),
            ],
        };
        write_shapefile(&t, &path, &WriteOptions::default()).unwrap();
        let mut reader = shapefile::Reader::from_path(&path).unwrap();
        assert_eq!(reader.header().shape_type, shapefile::ShapeType::Point);
        assert_eq!(reader.header().bbox.min.x, -76.123_456_8);
        assert_eq!(reader.header().bbox.max.y, 43.5);
        let shapes: Vec<shapefile::Shape> = reader
            .iter_shapes_and_records()
            .map(|r| r.unwrap().0)
            .collect();
        assert_eq!(shapes.len(), 3);
        assert!(
            matches!(shapes[0], shapefile::Shape::NullShape),
            "{}",
            shapes[0]
        );
        let want = [
            shapefile::Point::new(-76.123_456_8, 43.5),
            shapefile::Point::new(-75.0, 42.0),
        ];
        for (s, w) in shapes[1..].iter().zip(want) {
            let shapefile::Shape::Point(p) = s else {
                panic!("{s}")
            };
            assert_eq!(*p, w);
        }
        let shx = std::fs::read(dir.path().join("pts.shx")).unwrap();
        assert_eq!(shx.len(), 100 + 3 * 8);
    }

    #[test]
    fn empty_tables_are_valid_shapefiles() {
        for t in [
            FeatureTable::default(),
            FeatureTable {
                columns: vec![Column::new("rank", ColumnType::Int, "")],
                rows: vec![],
                geometries: vec![],
            },
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("empty.shp");
            write_shapefile(&t, &path, &WriteOptions::default()).unwrap();
            let mut reader = shapefile::Reader::from_path(&path).unwrap();
            assert_eq!(reader.shape_count().unwrap(), 0);
            assert_eq!(reader.iter_shapes_and_records().count(), 0);
            assert_eq!(std::fs::read(&path).unwrap().len(), 100);
        }
    }

    #[test]
    fn replacing_removes_stale_spatial_indexes_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.shp");
        for name in ["r.shp", "r.qix", "r.sbn", "r.shp.xml", "other.qix"] {
            std::fs::write(dir.path().join(name), "old").unwrap();
        }
        let report = write_shapefile(&lines_table(), &path, &WriteOptions::default()).unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let want = [
            "other.qix",
            "r.cpg",
            "r.dbf",
            "r.fields.csv",
            "r.prj",
            "r.shp",
            "r.shp.xml",
            "r.shx",
        ];
        assert_eq!(names, want);
        let removed: Vec<&String> = report
            .warnings
            .iter()
            .filter(|w| w.contains("spatial index"))
            .collect();
        assert_eq!(removed.len(), 2, "{removed:?}");
    }

    #[test]
    fn table_without_columns_gets_a_fid_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fid.shp");
        let t = FeatureTable {
            columns: vec![],
            rows: vec![vec![], vec![]],
            geometries: vec![Some(Geometry::Point(Point::new(1.0, 2.0))), None],
        };
        write_shapefile(&t, &path, &WriteOptions::default()).unwrap();
        let mut reader = shapefile::Reader::from_path(&path).unwrap();
        let recs: Vec<dbase::Record> = reader
            .iter_shapes_and_records()
            .map(|r| r.unwrap().1)
            .collect();
        assert_eq!(
            recs[1].get("FID"),
            Some(&dbase::FieldValue::Numeric(Some(1.0)))
        );
    }

    #[test]
    fn wide_numbers_become_text_or_fewer_decimals() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wide.shp");
        let t = FeatureTable {
            columns: vec![
                Column::new("big_int", ColumnType::Int, ""),
                Column::new("big_float", ColumnType::Float, ""),
                Column::new("mid_float", ColumnType::Float, ""),
            ],
            rows: vec![vec![Int(i64::MAX), Float(1e300), Float(123_456_789.5)]],
            geometries: vec![],
        };
        let report = write_shapefile(&t, &path, &WriteOptions::default()).unwrap();
        assert_eq!(report.warnings.len(), 3, "{:?}", report.warnings);
        let mut reader = shapefile::Reader::from_path(&path).unwrap();
        let rec = reader.iter_shapes_and_records().next().unwrap().unwrap().1;
        use dbase::FieldValue as F;
        assert_eq!(
            rec.get("big_int"),
            Some(&F::Character(Some(i64::MAX.to_string())))
        );
        let Some(F::Character(Some(s))) = rec.get("big_float") else {
            panic!("{rec:?}")
        };
        assert_eq!(s.parse::<f64>().unwrap(), 1e300);
        assert_eq!(rec.get("mid_float"), Some(&F::Numeric(Some(123_456_789.5))));
    }

    #[test]
    fn refusals_table() {
        let pt = |x| Some(Geometry::Point(Point::new(x, 0.0)));
        let line = Some(Geometry::LineString(
            line_string![(x: 0.0, y: 0.0), (x: 1.0, y: 1.0)],
        ));
        type Case = (Vec<Option<Geometry<f64>>>, &'static str, &'static str);
        let cases: Vec<Case> = vec![
            (vec![pt(0.0), line.clone()], "out.shp", "record 2"),
            (
                vec![line.clone(), pt(0.0)],
                "out.shp",
                "differs from type 3 of record 1",
            ),
            (
                vec![
                    Some(Geometry::Polygon(
                        polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0)],
                    )),
                    None,
                ],
                "out.shp",
                "GeoJSON",
            ),
            (
                vec![
                    Some(Geometry::LineString(line_string![(x: 0.0, y: 0.0)])),
                    None,
                ],
                "out.shp",
                "single point",
            ),
            (vec![pt(f64::NAN), None], "out.shp", "NaN"),
            (
                vec![Some(Geometry::MultiPoint(MultiPoint::new(vec![]))), pt(1.0)],
                "out.geojson",
                "must end in .shp",
            ),
        ];
        for (geoms, name, want) in cases {
            let dir = tempfile::tempdir().unwrap();
            let t = FeatureTable {
                columns: vec![Column::new("a", ColumnType::Int, "")],
                rows: vec![vec![Int(1)], vec![Int(2)]],
                geometries: geoms,
            };
            let e =
                write_shapefile(&t, &dir.path().join(name), &WriteOptions::default()).unwrap_err();
            assert!(e.to_string().contains(want), "{want}: {e}");
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        }
    }

    #[test]
    fn many_chunks_give_the_same_files_for_any_thread_count() {
        // 1,300 rows: several chunks of rows, with nulls, truncated text and row numbers.
        let t = lines_table();
        let n = 1_300;
        let table = FeatureTable {
            columns: t.columns.clone(),
            rows: (0..n).map(|i| t.rows[i % 3].clone()).collect(),
            geometries: (0..n).map(|i| t.geometries[i % 3].clone()).collect(),
        };
        let write = |threads: usize| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("many.shp");
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let report = pool
                .install(|| write_shapefile(&table, &path, &WriteOptions::default()))
                .unwrap();
            let bytes: Vec<Vec<u8>> = ["shp", "shx", "dbf"]
                .iter()
                .map(|e| std::fs::read(path.with_extension(e)).unwrap())
                .collect();
            let records = dbase::read(path.with_extension("dbf")).unwrap();
            (report.truncated_cells, bytes, records)
        };
        let (truncated, bytes, records) = write(1);
        // Row 1 of every 3 has the over-long text.
        assert_eq!(truncated, (0..n).filter(|i| i % 3 == 1).count());
        assert_eq!(records.len(), n);
        let want: Vec<dbase::Record> = (0..3).map(|i| write_one_record(&t, i)).collect();
        for (i, r) in records.iter().enumerate() {
            assert_eq!(r, &want[i % 3], "record {i}");
        }
        let (truncated3, bytes3, _) = write(3);
        assert_eq!(truncated3, truncated);
        assert_eq!(bytes3, bytes);
    }

    /// Row `i` of `t` written alone, read back.
    fn write_one_record(t: &FeatureTable, i: usize) -> dbase::Record {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("one.shp");
        let one = FeatureTable {
            columns: t.columns.clone(),
            rows: vec![t.rows[i].clone()],
            geometries: vec![t.geometries[i].clone()],
        };
        write_shapefile(&one, &path, &WriteOptions::default()).unwrap();
        dbase::read(path.with_extension("dbf")).unwrap().remove(0)
    }
}
