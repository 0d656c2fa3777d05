//! What every writer takes: the [`Table`] trait (typed columns, rows of cells, optional geometry)
//! and [`FeatureTable`], the table that holds its rows.

use std::collections::HashSet;
use std::io::Write;
use std::ops::Range;
use std::path::Path;

use geo_types::{Coord, Geometry, LineString, Point};
use rayon::prelude::*;
use streetrank::PropertyValue;

use super::num::{POWERS_OF_TEN, round_half_away};
use crate::{Error, Result};

/// The type of a [`Column`]: decides how its cells are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// 64-bit integers ([`PropertyValue::Int`]).
    Int,
    /// Floating-point numbers ([`PropertyValue::Float`]; an `Int` cell is accepted and widened).
    Float,
    /// Text (any cell is accepted and written as its text).
    Text,
    /// Booleans ([`PropertyValue::Bool`]).
    Bool,
}

/// One column of a [`Table`].
#[derive(Debug, Clone)]
pub struct Column {
    /// The column name as written to GeoJSON properties and the CSV header.
    /// Shapefile field names are derived from it (at most 10 bytes).
    pub name: String,
    /// The type of every cell in the column.
    pub ty: ColumnType,
    /// What the column means, for docs and manifests; not written by the writers.
    pub description: String,
}

impl Column {
    /// A column with a name, a type and a description.
    pub fn new(name: impl Into<String>, ty: ColumnType, description: impl Into<String>) -> Column {
        Column {
            name: name.into(),
            ty,
            description: description.into(),
        }
    }
}

/// A table of features: typed columns, one row of cells per feature, and
/// optionally one geometry per row.
///
/// # Units
///
/// Geometries are longitude/latitude in degrees on WGS 84 (EPSG:4326), x = longitude.
///
/// # Examples
///
/// ```
/// use geo_types::{Geometry, Point};
/// use streetrank::PropertyValue;
/// use streetrank_io::{Column, ColumnType, FeatureTable};
///
/// let table = FeatureTable {
///     columns: vec![Column::new("id", ColumnType::Int, "segment id")],
///     rows: vec![vec![PropertyValue::Int(7)]],
///     geometries: vec![Some(Geometry::Point(Point::new(-76.15, 43.05)))],
/// };
/// assert!(table.has_geometry());
/// ```
#[derive(Debug, Clone, Default)]
pub struct FeatureTable {
    /// The columns, in output order.
    pub columns: Vec<Column>,
    /// The rows; each has exactly one cell per column.
    pub rows: Vec<Vec<PropertyValue>>,
    /// One geometry per row (`None` = no geometry for that row), or an empty
    /// `Vec` when the table has no geometry at all.
    pub geometries: Vec<Option<Geometry<f64>>>,
}

impl FeatureTable {
    /// Whether the table carries geometry (a non-empty `geometries`).
    #[must_use]
    pub fn has_geometry(&self) -> bool {
        !self.geometries.is_empty()
    }

    /// The geometry of row `i`, `None` when the table or the row has none.
    #[must_use]
    pub fn geometry(&self, i: usize) -> Option<&Geometry<f64>> {
        self.geometries.get(i).and_then(Option::as_ref)
    }
}

/// [`Table::to_feature_table`] for any table: its rows in parallel, in row order.
fn build_whole<T: Table + ?Sized>(table: &T) -> FeatureTable {
    let n = table.len();
    let rows = (0..n)
        .into_par_iter()
        .map(|i| table.row(i, &mut Vec::new()).to_vec())
        .collect();
    let geometries = if table.has_geometry() {
        (0..n)
            .into_par_iter()
            .map(|i| table.geometry(i).map(GeometryRef::to_geometry))
            .collect()
    } else {
        Vec::new()
    };
    FeatureTable {
        columns: table.columns().to_vec(),
        rows,
        geometries,
    }
}

/// One row's geometry as the writers take it: a geometry, a line given by its coordinates
/// alone (a table can then keep all its lines in one array instead of one allocation each), or
/// a point given by its coordinate. More kinds may be added: match with a wildcard arm, or use
/// [`GeometryRef::to_geometry`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum GeometryRef<'a> {
    /// A geometry of any type.
    Geometry(&'a Geometry<f64>),
    /// A line string, written exactly as a [`Geometry::LineString`] of these coordinates.
    Line(&'a [Coord<f64>]),
    /// A point, written exactly as a [`Geometry::Point`] of this coordinate.
    Point(Coord<f64>),
}

impl GeometryRef<'_> {
    /// The geometry, built (for a line) or cloned.
    #[must_use]
    pub fn to_geometry(self) -> Geometry<f64> {
        match self {
            GeometryRef::Geometry(g) => g.clone(),
            GeometryRef::Line(coords) => Geometry::LineString(LineString::new(coords.to_vec())),
            GeometryRef::Point(c) => Geometry::Point(Point(c)),
        }
    }
}

/// What every writer takes: typed columns, rows of cells and, optionally, one geometry per row.
///
/// [`FeatureTable`] holds its rows; another table may build each row only when a writer asks for
/// it, so that a large output never holds all its cells in memory at once (the CLI's ranking is
/// written so). Writers ask for rows from several threads at once, each with its own scratch.
///
/// # Units
///
/// Geometries are longitude/latitude in degrees on WGS 84 (EPSG:4326), x = longitude.
pub trait Table: Sync {
    /// The columns, in output order.
    fn columns(&self) -> &[Column];

    /// The number of rows.
    fn len(&self) -> usize;

    /// Whether the table has no rows.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cells of row `i` (`i < len()`), one per column: the table's own, or built into
    /// `scratch` (whose earlier contents the table may reuse or discard).
    fn row<'a>(&'a self, i: usize, scratch: &'a mut Vec<PropertyValue>) -> &'a [PropertyValue];

    /// Whether the table carries geometry. When it does not, [`Table::geometry`] is `None`
    /// for every row and no geometry is written.
    fn has_geometry(&self) -> bool;

    /// The geometry of row `i`, `None` when the table or the row has none.
    fn geometry(&self, i: usize) -> Option<GeometryRef<'_>>;

    /// Reads ahead the memory that building rows `rows` (and their geometry) will read, so
    /// that a writer's loads for these rows overlap instead of each waiting for the one before.
    /// Writers call it on a few dozen rows before building them. A table whose rows lie
    /// scattered in memory (a ranking in rank order visits its segments at random) gains from
    /// it; the default does nothing. It must not change what the rows hold.
    fn prefetch(&self, rows: Range<usize>) {
        let _ = rows;
    }

    /// The table itself when it is a [`FeatureTable`] (writers that need whole columns at
    /// once, like the Shapefile writer, use it as it is instead of building a copy).
    fn as_feature_table(&self) -> Option<&FeatureTable> {
        None
    }

    /// Every row and geometry built once into a [`FeatureTable`] (a line given as
    /// [`GeometryRef::Line`] becomes a `LineString`, a [`GeometryRef::Point`] a `Point`). The
    /// Shapefile writer calls it for a table that is not a `FeatureTable`.
    fn to_feature_table(&self) -> FeatureTable {
        build_whole(self)
    }
}

impl Table for FeatureTable {
    fn columns(&self) -> &[Column] {
        &self.columns
    }

    fn len(&self) -> usize {
        self.rows.len()
    }

    fn row<'a>(&'a self, i: usize, _scratch: &'a mut Vec<PropertyValue>) -> &'a [PropertyValue] {
        self.rows.get(i).map_or(&[], Vec::as_slice)
    }

    fn has_geometry(&self) -> bool {
        FeatureTable::has_geometry(self)
    }

    fn geometry(&self, i: usize) -> Option<GeometryRef<'_>> {
        FeatureTable::geometry(self, i).map(GeometryRef::Geometry)
    }

    fn as_feature_table(&self) -> Option<&FeatureTable> {
        Some(self)
    }

    fn to_feature_table(&self) -> FeatureTable {
        self.clone()
    }
}

/// Checks what can be checked before writing starts: unique, non-empty column names and, for
/// a [`FeatureTable`], one geometry per row. Rows are checked one by one as they are written
/// ([`check_row`]).
pub(crate) fn check_shape(table: &dyn Table, path: &Path) -> Result<()> {
    let columns = table.columns();
    let mut seen = HashSet::with_capacity(columns.len());
    for c in columns {
        if c.name.is_empty() {
            return Err(Error::file(
                path,
                "a column has an empty name",
                "give every column a name",
            ));
        }
        if !seen.insert(c.name.as_str()) {
            return Err(Error::file(
                path,
                format!("column `{}` appears twice", c.name),
                "give every column a unique name",
            ));
        }
    }
    if let Some(t) = table.as_feature_table()
        && t.has_geometry()
        && t.geometries.len() != t.rows.len()
    {
        return Err(Error::file(
            path,
            format!(
                "{} geometries for {} rows",
                t.geometries.len(),
                t.rows.len()
            ),
            "give one geometry (or None) per row, or no geometries at all",
        ));
    }
    Ok(())
}

/// Row `i` (0-based) of `table`, checked: its cell count and that every cell fits its column
/// type.
pub(crate) fn check_row<'a>(
    table: &'a dyn Table,
    path: &Path,
    i: usize,
    scratch: &'a mut Vec<PropertyValue>,
) -> Result<&'a [PropertyValue]> {
    if i >= table.len() {
        return Err(Error::record(
            path,
            i + 1,
            None,
            "no such row",
            "this is a bug in the caller",
        ));
    }
    let columns = table.columns();
    let row = table.row(i, scratch);
    if row.len() != columns.len() {
        return Err(Error::record(
            path,
            i + 1,
            None,
            format!("{} cells for {} columns", row.len(), columns.len()),
            "give every row exactly one cell per column",
        ));
    }
    for (cell, col) in row.iter().zip(columns) {
        let ok = matches!(
            (col.ty, cell),
            (_, PropertyValue::Null)
                | (ColumnType::Text, _)
                | (ColumnType::Int, PropertyValue::Int(_))
                | (
                    ColumnType::Float,
                    PropertyValue::Float(_) | PropertyValue::Int(_)
                )
                | (ColumnType::Bool, PropertyValue::Bool(_))
        );
        if !ok {
            return Err(Error::record(
                path,
                i + 1,
                Some(&col.name),
                format!("value {cell:?} in a {:?} column", col.ty),
                "give a value of the column's type, or Null",
            ));
        }
    }
    Ok(row)
}

/// Rows a writer reads ahead at once ([`Table::prefetch`]): their memory fits in a core's
/// cache several times over, and there are enough of them for dozens of loads to overlap.
pub(crate) const PREFETCH_ROWS: usize = 32;

/// `rows` in runs of a few dozen, each read ahead ([`Table::prefetch`]) before it is handed
/// out: how a writer visits the rows it builds.
///
/// # Examples
///
/// ```
/// use streetrank_io::{Column, ColumnType, FeatureTable, Table, prefetched};
/// use streetrank::PropertyValue;
/// let table = FeatureTable {
///     columns: vec![Column::new("n", ColumnType::Int, "a number")],
///     rows: (0..100).map(|i| vec![PropertyValue::Int(i)]).collect(),
///     geometries: Vec::new(),
/// };
/// let visited: Vec<usize> = prefetched(&table, 10..90).collect();
/// assert_eq!(visited, (10..90).collect::<Vec<_>>());
/// ```
pub fn prefetched(table: &dyn Table, rows: Range<usize>) -> impl Iterator<Item = usize> {
    rows.clone().step_by(PREFETCH_ROWS).flat_map(move |first| {
        let run = first..first.saturating_add(PREFETCH_ROWS).min(rows.end);
        table.prefetch(run.clone());
        run
    })
}

/// Rows formatted by one parallel task.
const CHUNK_ROWS: usize = 512;
/// Chunks in a batch: one batch is formatted on the pool while the one before it is written
/// out, so the formatted bytes held in memory are two batches (a few megabytes) whatever the
/// table's size. 16 rather than 32: with 32, the city's peak RSS at `--threads 1` was
/// 279.4-279.8 MB against 277.8-278.2 MB before the overlap; with 16, 278.5-278.7 MB.
const BATCH_CHUNKS: usize = 16;

/// Writes rows `0..rows` to `out`: `format` turns a range of rows into bytes, ranges of
/// [`CHUNK_ROWS`] are formatted in parallel and their bytes written in row order.
///
/// The calling thread writes one batch of [`BATCH_CHUNKS`] chunks while the pool formats the
/// next ([`rayon::in_place_scope`]): neither the writing nor the formatting waits for the
/// other (on a pool of one thread the two simply alternate).
///
/// The bytes written are those of formatting every row in order into one buffer, for any
/// thread count. On an error the chunks before the failing one have been written; the
/// error returned is the first in row order.
pub(crate) fn write_rows_parallel<W: Write>(
    rows: usize,
    out: &mut W,
    path: &Path,
    format: impl Fn(Range<usize>) -> Result<Vec<u8>> + Sync,
) -> Result<()> {
    let batch = CHUNK_ROWS * BATCH_CHUNKS;
    let format_batch = |first: usize| -> Vec<Result<Vec<u8>>> {
        let end = (first + batch).min(rows);
        (first..end)
            .step_by(CHUNK_ROWS)
            .collect::<Vec<usize>>()
            .into_par_iter()
            .map(|start| format(start..(start + CHUNK_ROWS).min(end)))
            .collect()
    };
    let mut firsts = (0..rows).step_by(batch);
    let Some(first) = firsts.next() else {
        return Ok(());
    };
    let mut current = format_batch(first);
    loop {
        let following = firsts.next();
        let mut next = None;
        let written = rayon::in_place_scope(|scope| {
            if let Some(first) = following {
                let (next, format_batch) = (&mut next, &format_batch);
                scope.spawn(move |_| *next = Some(format_batch(first)));
            }
            current
                .into_iter()
                .try_for_each(|chunk| out.write_all(&chunk?).map_err(|e| Error::io(path, e)))
        });
        written?;
        match next {
            Some(n) => current = n,
            None => return Ok(()),
        }
    }
}

/// Checks that every coordinate of `g` is finite.
pub(crate) fn check_finite(path: &Path, record: usize, g: GeometryRef<'_>) -> Result<()> {
    use geo::CoordsIter;
    let finite = |c: Coord<f64>| c.x.is_finite() && c.y.is_finite();
    let ok = match g {
        GeometryRef::Geometry(g) => g.coords_iter().all(finite),
        GeometryRef::Line(coords) => coords.iter().all(|&c| finite(c)),
        GeometryRef::Point(c) => finite(c),
    };
    if ok {
        Ok(())
    } else {
        Err(Error::record(
            path,
            record,
            None,
            "geometry has a NaN or infinite coordinate",
            "drop or repair the geometry (use None for a row without one)",
        ))
    }
}

/// Rounds a coordinate to `decimals` decimal places (no-op for 16 or more).
///
/// Dividing the rounded integer by an exact power of ten gives the double
/// nearest to the decimal value, so `{}` prints at most `decimals` decimals.
pub(crate) fn round_coord(c: Coord<f64>, decimals: u32) -> Coord<f64> {
    if decimals >= 16 {
        return c;
    }
    // 10^decimals, exactly as `10f64.powi(decimals)` (products of integers below 2^53).
    let p = POWERS_OF_TEN[decimals as usize];
    let r = |v: f64| {
        let y = v * p;
        // `y.round()`, without the library call where the integer fits.
        #[allow(clippy::cast_precision_loss)] // |n| < 2^51: exact
        let rounded = if y.abs() < (1u64 << 51) as f64 {
            round_half_away(y) as f64
        } else {
            y.round()
        };
        let s = rounded / p;
        // Huge values (|v| * p beyond 2^53) are already integral: keep them.
        // `+ 0.0` turns -0 into 0, so `{}` never prints "-0".
        if s.is_finite() { s + 0.0 } else { v }
    };
    Coord {
        x: r(c.x),
        y: r(c.y),
    }
}

/// A cell as an `f64` when it is finite and numeric.
pub(crate) fn finite_f64(v: &PropertyValue) -> Option<f64> {
    match v {
        PropertyValue::Float(x) if x.is_finite() => Some(*x),
        #[allow(clippy::cast_precision_loss)] // documented: DBF numerics are decimal text of an f64
        PropertyValue::Int(i) => Some(*i as f64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: Vec<Vec<PropertyValue>>) -> FeatureTable {
        FeatureTable {
            columns: vec![
                Column::new("i", ColumnType::Int, ""),
                Column::new("f", ColumnType::Float, ""),
                Column::new("t", ColumnType::Text, ""),
                Column::new("b", ColumnType::Bool, ""),
            ],
            rows,
            geometries: vec![],
        }
    }

    #[test]
    fn check_row_table() {
        use PropertyValue::{Bool, Float, Int, Null, Text};
        let cases: Vec<(Vec<PropertyValue>, Option<&str>)> = vec![
            (vec![Int(1), Float(1.5), Text("x".into()), Bool(true)], None),
            (vec![Null, Null, Null, Null], None),
            (vec![Int(1), Int(2), Int(3), Bool(false)], None),
            (vec![Int(1), Float(f64::NAN), Float(2.0), Null], None),
            (vec![Int(1)], Some("1 cells for 4 columns")),
            (vec![], Some("0 cells for 4 columns")),
            (vec![Float(1.0), Null, Null, Null], Some("field `i`")),
            (vec![Null, Text("1".into()), Null, Null], Some("field `f`")),
            (vec![Null, Null, Null, Int(1)], Some("field `b`")),
        ];
        for (row, want) in cases {
            let t = table(vec![row.clone()]);
            match (check_row(&t, Path::new("x"), 0, &mut Vec::new()), want) {
                (Ok(_), None) => {}
                (Err(e), Some(msg)) => assert!(e.to_string().contains(msg), "{e} for {row:?}"),
                (r, w) => panic!("{row:?}: got {r:?}, wanted {w:?}"),
            }
        }
    }

    /// A table of `n` rows built on demand, with only the required methods: row `i` is
    /// `[i, "r{i}"]` and its line runs from `(i, 0)` to `(i, 1)`.
    struct OnDemand {
        columns: Vec<Column>,
        coords: Vec<Coord<f64>>,
    }

    impl Table for OnDemand {
        fn columns(&self) -> &[Column] {
            &self.columns
        }
        fn len(&self) -> usize {
            self.coords.len() / 2
        }
        fn row<'a>(&'a self, i: usize, scratch: &'a mut Vec<PropertyValue>) -> &'a [PropertyValue] {
            scratch.clear();
            scratch.extend([
                PropertyValue::Int(i as i64),
                PropertyValue::Text(format!("r{i}")),
            ]);
            scratch
        }
        fn has_geometry(&self) -> bool {
            true
        }
        fn geometry(&self, i: usize) -> Option<GeometryRef<'_>> {
            self.coords.get(2 * i..2 * i + 2).map(GeometryRef::Line)
        }
    }

    /// Row `i`'s line in [`OnDemand`].
    fn line_of(i: usize) -> [Coord<f64>; 2] {
        let x = i as f64;
        [Coord { x, y: 0.0 }, Coord { x, y: 1.0 }]
    }

    #[test]
    fn a_table_built_on_demand_builds_whole_into_its_rows_and_lines() {
        let n = 5000;
        let table = OnDemand {
            columns: vec![
                Column::new("i", ColumnType::Int, ""),
                Column::new("t", ColumnType::Text, ""),
            ],
            coords: (0..n).flat_map(line_of).collect(),
        };
        let whole = table.to_feature_table();
        assert_eq!(whole.columns.len(), 2);
        assert_eq!(whole.rows.len(), n);
        assert_eq!(whole.geometries.len(), n);
        for (i, (row, g)) in whole.rows.iter().zip(&whole.geometries).enumerate() {
            assert_eq!(
                row,
                &[
                    PropertyValue::Int(i as i64),
                    PropertyValue::Text(format!("r{i}"))
                ]
            );
            let line = LineString::new(line_of(i).to_vec());
            assert_eq!(g, &Some(Geometry::LineString(line)));
        }
        assert!(table.as_feature_table().is_none());
        assert!(whole.as_feature_table().is_some());
    }

    #[test]
    fn check_shape_table() {
        let mut t = table(vec![vec![PropertyValue::Null; 4]]);
        assert!(check_shape(&t, Path::new("x")).is_ok());
        t.geometries = vec![None, None];
        let e = check_shape(&t, Path::new("x")).unwrap_err().to_string();
        assert!(e.contains("2 geometries for 1 rows"), "{e}");
        t.geometries.clear();
        t.columns[1].name = "i".into();
        let e = check_shape(&t, Path::new("x")).unwrap_err().to_string();
        assert!(e.contains("`i` appears twice"), "{e}");
        t.columns[1].name = String::new();
        assert!(check_shape(&t, Path::new("x")).is_err());
    }

    #[test]
    fn rounding_is_bit_identical_to_round_and_divide() {
        // The formula round_coord used before its fast rounding, bit for bit.
        let reference = |v: f64, d: u32| {
            let p = 10f64.powi(d.cast_signed());
            let s = (v * p).round() / p;
            if s.is_finite() { s + 0.0 } else { v }
        };
        let mut next = crate::testing::xorshift(0x005E_ED0F_C00D);
        for _ in 0..1_000_000 {
            let d = u32::try_from(next() % 16).unwrap_or(7);
            #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
            let v = match next() % 3 {
                0 => f64::from_bits(next()),
                1 => (next() % 4_000_000_000_000) as f64 / 1e10 - 200.0,
                _ => {
                    (next().cast_signed() >> (next() % 64)) as f64 / 2f64.powi((next() % 8) as i32)
                }
            };
            for v in [v, -v, v.next_up(), v.next_down()] {
                let got = round_coord(Coord { x: v, y: v }, d).x;
                assert_eq!(got.to_bits(), reference(v, d).to_bits(), "{v:e} to {d}");
            }
        }
    }

    #[test]
    fn rounding_table() {
        let cases = [
            (1.234_567_89, 7, 1.234_567_9),
            (-73.987_654_321, 7, -73.987_654_3),
            (0.5, 0, 1.0),
            (-0.5, 0, -1.0),
            (-0.000_000_04, 7, 0.0),
            (1.25, 1, 1.3),
            (1e300, 7, 1e300),
            (0.1 + 0.2, 7, 0.3),
            (0.123_456_789_012_345_67, 20, 0.123_456_789_012_345_67),
        ];
        for (v, d, want) in cases {
            let got = round_coord(Coord { x: v, y: v }, d);
            assert_eq!(got.x, want, "{v} to {d}");
            assert_eq!(got.y, want, "{v} to {d}");
        }
    }
}
