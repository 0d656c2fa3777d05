//! Rankings and assignments as feature tables, with geometry in WGS84: the one definition of
//! the output columns, shared by the CLI and the Python package.

use geo_types::{Coord, Geometry, Point};
use rayon::prelude::*;
use streetrank::{
    Complaint, PropertyValue, Ranking, SnapOutcome, SourceId, StreetNetwork, UnmatchedReason,
};

use crate::privacy::suppressed_positions;
use crate::{
    Column, ColumnType, Crs, Error, FeatureTable, GeometryRef, LoadedStreets, LonLatLines, Result,
    Table, is_small_count, transform_parallel,
};

/// A short stable phrase for why a complaint matched no street (`"no street within 30 m"`).
#[must_use]
pub fn unmatched_reason_text(reason: &UnmatchedReason) -> String {
    match reason {
        UnmatchedReason::NoSegmentWithin { max_distance_m } => {
            format!("no street within {max_distance_m} m")
        }
        UnmatchedReason::NonFinitePoint => "coordinates not finite".to_owned(),
        UnmatchedReason::EmptyIndex => "no streets loaded".to_owned(),
        _ => "unmatched".to_owned(),
    }
}

/// A count as an integer cell.
fn count(n: usize) -> PropertyValue {
    PropertyValue::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

fn col(name: &str, ty: ColumnType, description: &str) -> Column {
    Column {
        name: name.to_owned(),
        ty,
        description: description.to_owned(),
    }
}

/// The column type for a set of ids: integer only if every id is one.
fn id_type<'a>(mut ids: impl Iterator<Item = &'a SourceId>) -> ColumnType {
    if ids.all(|id| matches!(id, SourceId::Int(_))) {
        ColumnType::Int
    } else {
        ColumnType::Text
    }
}

fn opt_f64(v: Option<f64>) -> PropertyValue {
    v.map_or(PropertyValue::Null, PropertyValue::Float)
}

/// The column type of a pass-through property, from its values.
fn property_type<'a>(values: impl Iterator<Item = &'a PropertyValue>) -> ColumnType {
    let mut ty: Option<ColumnType> = None;
    for v in values {
        let t = match v {
            PropertyValue::Null => continue,
            PropertyValue::Bool(_) => ColumnType::Bool,
            PropertyValue::Int(_) => ColumnType::Int,
            PropertyValue::Float(_) => ColumnType::Float,
            PropertyValue::Text(_) => ColumnType::Text,
        };
        ty = Some(match (ty, t) {
            (None, t) => t,
            (Some(a), b) if a == b => a,
            (Some(ColumnType::Int | ColumnType::Float), ColumnType::Int | ColumnType::Float) => {
                ColumnType::Float
            }
            _ => ColumnType::Text,
        });
    }
    ty.unwrap_or(ColumnType::Text)
}

/// A pass-through value converted to its column's type.
fn as_type(v: &PropertyValue, ty: ColumnType) -> PropertyValue {
    match (v, ty) {
        (PropertyValue::Null, _) => PropertyValue::Null,
        (PropertyValue::Int(i), ColumnType::Float) => PropertyValue::Float(*i as f64),
        (v, ColumnType::Text) if !matches!(v, PropertyValue::Text(_)) => {
            PropertyValue::Text(v.to_string())
        }
        (v, _) => v.clone(),
    }
}

/// Lines gathered by one parallel task in [`lines_wgs84`].
const LINES_PER_TASK: usize = 2048;

/// The lines of `net.segments[i]` for each `i` in `order`, in that order, reprojected from
/// `work_crs` to WGS84: all their coordinates in one array, and where each line starts (line
/// `k` is `coords[starts[k]..starts[k + 1]]`). `order` must hold valid segment positions.
///
/// The coordinates are gathered in parallel (each task copying its lines into its own
/// stretch) and transformed by [`transform_parallel`] as one batch, so an error names the same
/// coordinate whatever the thread count.
fn lines_wgs84(
    net: &StreetNetwork,
    order: &[usize],
    work_crs: &Crs,
) -> Result<(Vec<Coord<f64>>, Vec<usize>)> {
    let line = |i: usize| net.segments[i].geometry.0.as_slice();
    let mut starts = Vec::with_capacity(order.len() + 1);
    let mut total = 0;
    for &i in order {
        starts.push(total);
        total += line(i).len();
    }
    starts.push(total);
    let mut coords = vec![Coord { x: 0.0, y: 0.0 }; total];
    let mut tasks = Vec::with_capacity(order.len().div_ceil(LINES_PER_TASK));
    let mut rest = coords.as_mut_slice();
    for (k, lines) in order.chunks(LINES_PER_TASK).enumerate() {
        let first = k * LINES_PER_TASK;
        let (head, tail) = rest.split_at_mut(starts[first + lines.len()] - starts[first]);
        tasks.push((lines, head));
        rest = tail;
    }
    tasks.into_par_iter().for_each(|(lines, out)| {
        let mut at = 0;
        for &i in lines {
            let l = line(i);
            out[at..at + l.len()].copy_from_slice(l);
            at += l.len();
        }
    });
    transform_parallel(work_crs, &Crs::wgs84(), &mut coords)?;
    Ok((coords, starts))
}

/// Where the ranking table's WGS84 lines come from.
enum RankLines<'a> {
    /// The network's lines reprojected, in rank order: row `r`'s line is
    /// `coords[starts[r]..starts[r + 1]]`.
    Reprojected {
        coords: Vec<Coord<f64>>,
        starts: Vec<usize>,
    },
    /// The source's own lines, one per segment.
    Kept(&'a LonLatLines),
    /// None: the caller has each segment's geometry already.
    Omitted,
}

/// The ranked-segments table, each row built only when a writer asks for it: one row per
/// segment in rank order, every factor's raw value, normalised value and contribution, the
/// segment's attributes, its pass-through properties and the settings hash, with each segment's
/// line in WGS84.
///
/// It is a [`Table`]: hand it to [`crate::write_table`] as it is, and the CSV and GeoJSON
/// writers format the rows as they are built, so a million-segment ranking never holds its
/// cells in memory at once (the Shapefile writer, which needs whole columns, builds the whole
/// table first). [`RankingTable::into_feature_table`] builds them all ([`ranking_table`] is
/// that table); so does [`Table::to_feature_table`], keeping the lines in this table too.
///
/// This is a publishable table: it carries no complaint field and no complaint location, only
/// counts per segment; under the `publish` profile apply
/// [`RankingTable::suppress_small_counts`].
///
/// # Examples
///
/// ```
/// use geo_types::line_string;
/// use streetrank::{score, ScoreConfig, Segment, SourceId, StreetNetwork};
/// use streetrank_io::{Crs, Destination, Format, RankingTable, Table, WriteOptions, write_table};
///
/// // One street in UTM zone 18N metres, scored without complaints.
/// let line = line_string![(x: 400_000.0, y: 4_760_000.0), (x: 400_120.0, y: 4_760_000.0)];
/// let net = StreetNetwork::new(vec![Segment::new(SourceId::from(7), line)?], vec![])?;
/// let ranking = score(&net, &[], &[], &ScoreConfig::default(), &[])?;
///
/// let mut table = RankingTable::new(&net, &ranking, &Crs::epsg(32618))?;
/// assert_eq!(table.suppress_small_counts(5), 0, "no segment has 1 to 4 complaints");
/// let dir = tempfile::tempdir()?;
/// let dest = Destination::Path(dir.path().join("ranking.csv"));
/// let report = write_table(&table, &dest, Format::Csv, &WriteOptions::default())?;
/// assert_eq!((report.rows, table.len()), (1, 1));
/// let text = std::fs::read_to_string(dir.path().join("ranking.csv"))?;
/// assert!(text.starts_with("rank,segment_id,score,"));
/// assert!(text.lines().nth(1).is_some_and(|row| row.starts_with("1,7,")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RankingTable<'a> {
    net: &'a StreetNetwork,
    ranking: &'a Ranking,
    columns: Vec<Column>,
    /// The type of the `segment_id` column.
    ids: ColumnType,
    /// The type of each pass-through property column.
    prop_types: Vec<ColumnType>,
    lines: RankLines<'a>,
    /// Under `publish`: `k` and the positions of the [`SUPPRESSED_COLUMNS`](crate::SUPPRESSED_COLUMNS).
    suppress: Option<(usize, Vec<usize>)>,
}

impl<'a> RankingTable<'a> {
    /// The ranking of `net` with each segment's line reprojected from `work_crs` to WGS84.
    ///
    /// # Errors
    ///
    /// [`Error::Core`] when the ranking was not made for this network; [`Error::Config`] when
    /// a street column passed through is named as one of the ranking's own
    /// ([`check_kept_columns`]); [`Error::Crs`] when reprojection fails.
    pub fn new(
        net: &'a StreetNetwork,
        ranking: &'a Ranking,
        work_crs: &Crs,
    ) -> Result<RankingTable<'a>> {
        check_ranking(net, ranking)?;
        let (coords, starts) = lines_wgs84(net, &ranking.order, work_crs)?;
        Ok(RankingTable::with_lines(
            net,
            ranking,
            RankLines::Reprojected { coords, starts },
        ))
    }

    /// The ranking of streets read from a file: the lines are the file's own WGS84 coordinates
    /// when it was in WGS84 ([`LoadedStreets::lonlat_lines`], while they still pair up with
    /// the segments), else the network's lines reprojected from the working CRS.
    ///
    /// # Errors
    ///
    /// As [`RankingTable::new`].
    pub fn for_streets(
        streets: &'a LoadedStreets,
        ranking: &'a Ranking,
    ) -> Result<RankingTable<'a>> {
        match streets.lonlat_lines_in_step() {
            Some(kept) => {
                check_ranking(&streets.network, ranking)?;
                Ok(RankingTable::with_lines(
                    &streets.network,
                    ranking,
                    RankLines::Kept(kept),
                ))
            }
            None => RankingTable::new(&streets.network, ranking, &streets.work_crs),
        }
    }

    /// The ranking of `net` without lines: the rows alone, with no geometry
    /// ([`Table::has_geometry`] is false). For a caller that joins the rows to the segments'
    /// geometry it already holds (the Python package, to its GeoDataFrame's own lines), spared
    /// reprojecting every line.
    ///
    /// # Errors
    ///
    /// [`Error::Core`] when the ranking was not made for this network; [`Error::Config`] as
    /// for [`RankingTable::new`].
    pub fn without_lines(net: &'a StreetNetwork, ranking: &'a Ranking) -> Result<RankingTable<'a>> {
        check_ranking(net, ranking)?;
        Ok(RankingTable::with_lines(net, ranking, RankLines::Omitted))
    }

    fn with_lines(
        net: &'a StreetNetwork,
        ranking: &'a Ranking,
        lines: RankLines<'a>,
    ) -> RankingTable<'a> {
        let ids = id_type(net.segments.iter().map(|s| &s.id));
        let prop_types: Vec<ColumnType> = (0..net.property_names.len())
            .map(|k| {
                property_type(
                    net.segments
                        .iter()
                        .map(|s| s.properties.get(k).unwrap_or(&PropertyValue::Null)),
                )
            })
            .collect();
        RankingTable {
            columns: ranking_columns(&net.property_names, ids, &prop_types),
            net,
            ranking,
            ids,
            prop_types,
            lines,
            suppress: None,
        }
    }

    /// Applies the publish rule ([`crate::suppress_small_counts`]) as rows are built: in every
    /// row of a segment with 1 to `min_count - 1` complaints, the [`SUPPRESSED_COLUMNS`](crate::SUPPRESSED_COLUMNS) are
    /// empty. Returns the number of rows suppressed.
    pub fn suppress_small_counts(&mut self, min_count: usize) -> usize {
        self.suppress = Some((min_count, suppressed_positions(&self.columns)));
        let scores = &self.ranking.scores;
        self.ranking
            .order
            .par_iter()
            .filter(|&&i| {
                scores
                    .get(i)
                    .is_some_and(|s| is_small_count(s.complaints, min_count))
            })
            .count()
    }

    /// Every row built: the table as a [`FeatureTable`]. The lines are cut first and the
    /// coordinates they were cut from freed before the rows are built, so the two are never
    /// in memory at once.
    #[must_use]
    pub fn into_feature_table(mut self) -> FeatureTable {
        let geometries = self.whole_lines();
        self.lines = RankLines::Reprojected {
            coords: Vec::new(),
            starts: Vec::new(),
        };
        FeatureTable {
            rows: self.whole_rows(),
            columns: self.columns,
            geometries,
        }
    }

    /// Every row's line, in rank order; none at all without geometry (as
    /// [`Table::to_feature_table`] gives for any table without it).
    fn whole_lines(&self) -> Vec<Option<Geometry<f64>>> {
        if !self.has_geometry() {
            return Vec::new();
        }
        (0..self.len())
            .into_par_iter()
            .with_min_len(LINES_PER_TASK / 4)
            .map(|r| self.geometry(r).map(GeometryRef::to_geometry))
            .collect()
    }

    /// Every row, in rank order. Built in segment order, where the segments' values (texts,
    /// properties) lie one after another in memory, then put in rank order: rank order visits
    /// the segments at random, and each text a row copies would be a cache miss.
    fn whole_rows(&self) -> Vec<Vec<PropertyValue>> {
        let order = &self.ranking.order;
        let build = |i: usize| {
            let mut row = Vec::new();
            self.fill_segment(i, &mut row);
            row
        };
        let n = self.net.segments.len();
        if !is_permutation(order, n) {
            return order.par_iter().map(|&i| build(i)).collect();
        }
        let mut by_segment: Vec<Vec<PropertyValue>> = (0..n).into_par_iter().map(build).collect();
        order
            .iter()
            .map(|&i| std::mem::take(&mut by_segment[i]))
            .collect()
    }

    /// Fills `row` with the cells of segment `i`'s row (no cells when the network or the
    /// ranking has no segment `i`, which [`check_ranking`] rules out for the positions of
    /// `order`).
    fn fill_segment(&self, i: usize, row: &mut Vec<PropertyValue>) {
        let (Some(seg), Some(s)) = (self.net.segments.get(i), self.ranking.scores.get(i)) else {
            row.clear();
            return;
        };
        row.resize(self.columns.len(), PropertyValue::Null);
        let mut c = Cells {
            row: row.as_mut_slice(),
            at: 0,
        };
        c.count(s.rank);
        c.id(&seg.id, self.ids);
        c.value(PropertyValue::Float(s.score));
        for f in [&s.pressure, &s.condition, &s.usage, &s.equity] {
            c.value(PropertyValue::Float(f.raw));
            c.value(PropertyValue::Float(f.normalised));
            c.value(PropertyValue::Float(f.contribution));
        }
        c.count(s.complaints);
        c.count(s.complaints_kept);
        c.value(PropertyValue::Bool(s.condition_missing));
        c.value(PropertyValue::Float(seg.length_m));
        c.opt_text(seg.attributes.road_class.as_ref());
        c.opt_text(seg.attributes.district.as_ref());
        c.text(&self.ranking.settings_hash);
        for (k, ty) in self.prop_types.iter().enumerate() {
            c.property(seg.properties.get(k).unwrap_or(&PropertyValue::Null), *ty);
        }
        debug_assert_eq!(c.at, self.columns.len(), "one cell per column");
        if let Some((min_count, cols)) = &self.suppress
            && is_small_count(s.complaints, *min_count)
        {
            for &k in cols {
                if let Some(cell) = row.get_mut(k) {
                    *cell = PropertyValue::Null;
                }
            }
        }
    }
}

/// Whether `order` holds each of `0..n` exactly once.
fn is_permutation(order: &[usize], n: usize) -> bool {
    let mut seen = vec![false; n];
    order.len() == n
        && order
            .iter()
            .all(|&i| seen.get_mut(i).is_some_and(|s| !std::mem::replace(s, true)))
}

/// Checks that `ranking` was made for `net`: its order names segments that exist and have a
/// score; and that no street column passed through has the name of one of the ranking's own.
fn check_ranking(net: &StreetNetwork, ranking: &Ranking) -> Result<()> {
    check_kept_names(&net.property_names, &ranking_own_columns(), "streets")?;
    let n = net.segments.len();
    match ranking
        .order
        .iter()
        .find(|&&i| i >= n || i >= ranking.scores.len())
    {
        Some(&i) => Err(Error::Core(streetrank::Error::MismatchedInput {
            message: format!("the ranking refers to segment {i} but the network has {n}"),
        })),
        None => Ok(()),
    }
}

/// Checks `keep` lists before any file is read, as the tables do when they are built: a
/// column passed through may not have the name of one of the table's own columns.
/// `streets_keep` for the ranking, `complaints_keep` for the assignments (`None` for a table
/// that is not written).
///
/// # Errors
///
/// [`Error::Config`] naming the first such column.
///
/// # Examples
///
/// ```
/// use streetrank_io::check_kept_columns;
/// let keep = vec!["name".to_owned()];
/// assert!(check_kept_columns(Some(&keep), Some(&keep)).is_ok());
/// let clash = vec!["score".to_owned()];
/// let e = check_kept_columns(Some(&clash), None).unwrap_err();
/// assert!(e.to_string().contains("`score` is kept, but the output has a `score` column"));
/// assert!(check_kept_columns(None, Some(&clash)).is_ok()); // the assignments have no `score`
/// ```
pub fn check_kept_columns(
    streets_keep: Option<&[String]>,
    complaints_keep: Option<&[String]>,
) -> Result<()> {
    if let Some(keep) = streets_keep {
        check_kept_names(keep, &ranking_own_columns(), "streets")?;
    }
    if let Some(keep) = complaints_keep {
        check_kept_names(keep, &assignments_own_columns(), "complaints")?;
    }
    Ok(())
}

/// The ranking's own columns (none passed through); the id types do not matter for names.
fn ranking_own_columns() -> Vec<Column> {
    ranking_columns(&[], ColumnType::Int, &[])
}

/// The assignments' own columns (none passed through).
fn assignments_own_columns() -> Vec<Column> {
    assignment_columns(ColumnType::Int, ColumnType::Int, &[], &[])
}

/// The error for a column passed through (`keep` in the `[<section>]` mapping) that has
/// the name of one of the table's own columns: written out, one would shadow the other.
fn check_kept_names(kept: &[String], own: &[Column], section: &str) -> Result<()> {
    let Some(name) = kept.iter().find(|k| own.iter().any(|c| c.name == **k)) else {
        return Ok(());
    };
    Err(Error::Config {
        context: if section == "streets" {
            "[streets] keep (or --streets-keep)".to_owned()
        } else {
            format!("[{section}] keep")
        },
        problem: format!("`{name}` is kept, but the output has a `{name}` column of its own"),
        fix: format!(
            "leave `{name}` out of `keep` (the output's own `{name}` column is written anyway)"
        ),
    })
}

/// The ranking table's columns, in output order (`prop_types` short: without the street
/// columns passed through).
fn ranking_columns(
    property_names: &[String],
    ids: ColumnType,
    prop_types: &[ColumnType],
) -> Vec<Column> {
    let mut columns = vec![
        col("rank", ColumnType::Int, "1 = repair first"),
        col("segment_id", ids, "the street file's own segment id"),
        col(
            "score",
            ColumnType::Float,
            "0-100: the sum of the four contributions",
        ),
    ];
    for f in ["pressure", "condition", "usage", "equity"] {
        columns.push(col(
            &format!("{f}_raw"),
            ColumnType::Float,
            &format!("{f}: raw value (see docs/scoring.md)"),
        ));
        columns.push(col(
            &format!("{f}_norm"),
            ColumnType::Float,
            &format!("{f}: normalised to 0-1"),
        ));
        columns.push(col(
            &format!("{f}_pts"),
            ColumnType::Float,
            &format!("{f}: weighted contribution to score"),
        ));
    }
    columns.extend([
        col(
            "complaints",
            ColumnType::Int,
            "complaints snapped to this segment",
        ),
        col("complaints_kept", ColumnType::Int, "after de-duplication"),
        col(
            "condition_missing",
            ColumnType::Bool,
            "true when no condition value was known",
        ),
        col("length_m", ColumnType::Float, "segment length, metres"),
        col(
            "road_class",
            ColumnType::Text,
            "road class as the source spells it",
        ),
        col("district", ColumnType::Text, "district / ward"),
        col(
            "settings_hash",
            ColumnType::Text,
            "SHA-256 of the configuration and input files",
        ),
    ]);
    for (name, ty) in property_names.iter().zip(prop_types) {
        columns.push(col(name, *ty, "passed through from the street file"));
    }
    columns
}

/// Fills a row's cells in column order, reusing the text buffers a scratch row already holds
/// (a row of a million-row table is built without allocating).
struct Cells<'s> {
    row: &'s mut [PropertyValue],
    at: usize,
}

impl Cells<'_> {
    fn value(&mut self, v: PropertyValue) {
        if let Some(cell) = self.row.get_mut(self.at) {
            *cell = v;
        }
        self.at += 1;
    }

    /// A text cell, written by `write` into the cell's old text buffer when it has one.
    fn text_with(&mut self, write: impl FnOnce(&mut String)) {
        let Some(cell) = self.row.get_mut(self.at) else {
            self.at += 1;
            return;
        };
        if let PropertyValue::Text(t) = cell {
            t.clear();
            write(t);
        } else {
            let mut t = String::new();
            write(&mut t);
            *cell = PropertyValue::Text(t);
        }
        self.at += 1;
    }

    fn text(&mut self, s: &str) {
        self.text_with(|t| t.push_str(s));
    }

    /// A value's `Display` text as a text cell.
    fn display(&mut self, v: &dyn std::fmt::Display) {
        use std::fmt::Write as _;
        // Writing to a String cannot fail.
        self.text_with(|t| {
            let _ = write!(t, "{v}");
        });
    }

    fn opt_text(&mut self, s: Option<&String>) {
        match s {
            Some(s) => self.text(s),
            None => self.value(PropertyValue::Null),
        }
    }

    /// `count` of a count.
    fn count(&mut self, n: usize) {
        self.value(count(n));
    }

    /// An id in a column of type `ty` (see [`id_type`]): an integer in an integer column,
    /// else its text, so a column never mixes types.
    fn id(&mut self, id: &SourceId, ty: ColumnType) {
        match (id, ty) {
            (SourceId::Int(i), ColumnType::Int) => self.value(PropertyValue::Int(*i)),
            (SourceId::Text(s), _) => self.text(s),
            (id, _) => self.display(id),
        }
    }

    /// A pass-through value as [`as_type`] gives it.
    fn property(&mut self, v: &PropertyValue, ty: ColumnType) {
        match (v, ty) {
            (PropertyValue::Text(s), _) => self.text(s),
            (PropertyValue::Null, _) => self.value(PropertyValue::Null),
            (v, ColumnType::Text) => self.display(v),
            (v, ty) => self.value(as_type(v, ty)),
        }
    }
}

impl Table for RankingTable<'_> {
    fn columns(&self) -> &[Column] {
        &self.columns
    }

    fn len(&self) -> usize {
        self.ranking.order.len()
    }

    fn row<'s>(&'s self, r: usize, scratch: &'s mut Vec<PropertyValue>) -> &'s [PropertyValue] {
        match self.ranking.order.get(r) {
            Some(&i) => self.fill_segment(i, scratch),
            // A row past the end has no cells.
            None => scratch.clear(),
        }
        scratch
    }

    fn to_feature_table(&self) -> FeatureTable {
        FeatureTable {
            columns: self.columns.clone(),
            geometries: self.whole_lines(),
            rows: self.whole_rows(),
        }
    }

    fn has_geometry(&self) -> bool {
        !(self.ranking.order.is_empty() || matches!(self.lines, RankLines::Omitted))
    }

    /// Rank order visits the segments at random: every record a row reads (the segment, its
    /// score, its texts, its line) is a cache miss, and a row built from them waits for each in
    /// turn. Here the rows' records are read first, their addresses all known at once, and
    /// then what they point to, so the misses overlap.
    fn prefetch(&self, rows: std::ops::Range<usize>) {
        let Some(order) = self.ranking.order.get(rows.clone()) else {
            return;
        };
        let mut seen = 0u64;
        for (&i, r) in order.iter().zip(rows.clone()) {
            // A line's place (not yet its vertices).
            if let Some(GeometryRef::Line(line)) = self.geometry(r) {
                seen ^= line.len() as u64;
            }
            if let (Some(seg), Some(s)) = (self.net.segments.get(i), self.ranking.scores.get(i)) {
                seen ^= seg.length_m.to_bits()
                    ^ (seg.properties.len() as u64)
                    ^ u64::from(seg.attributes.district.is_some())
                    ^ (s.rank as u64)
                    ^ s.equity.contribution.to_bits()
                    ^ (s.complaints_kept as u64);
            }
        }
        for (&i, r) in order.iter().zip(rows) {
            if let Some(seg) = self.net.segments.get(i) {
                let a = &seg.attributes;
                let properties = seg.properties.iter().filter_map(|p| match p {
                    PropertyValue::Text(t) => Some(t),
                    _ => None,
                });
                for t in [&a.road_class, &a.district]
                    .into_iter()
                    .flatten()
                    .chain(properties)
                {
                    seen ^= u64::from(t.as_bytes().first().copied().unwrap_or_default());
                }
            }
            if let Some(GeometryRef::Line(line)) = self.geometry(r) {
                seen ^= line.first().map_or(0, |c| c.x.to_bits());
                seen ^= line.last().map_or(0, |c| c.y.to_bits());
            }
        }
        std::hint::black_box(seen);
    }

    fn geometry(&self, r: usize) -> Option<GeometryRef<'_>> {
        match &self.lines {
            RankLines::Reprojected { coords, starts } => {
                let line = coords.get(*starts.get(r)?..*starts.get(r + 1)?)?;
                Some(GeometryRef::Line(line))
            }
            RankLines::Kept(kept) => kept
                .line(*self.ranking.order.get(r)?)
                .map(GeometryRef::Line),
            RankLines::Omitted => None,
        }
    }
}

/// [`ranking_table`] for streets read from a file, built whole ([`RankingTable::for_streets`]
/// builds each row only when it is written).
///
/// # Errors
///
/// As [`ranking_table`].
pub fn ranking_table_for(streets: &LoadedStreets, ranking: &Ranking) -> Result<FeatureTable> {
    Ok(RankingTable::for_streets(streets, ranking)?.into_feature_table())
}

/// The ranked-segments table, built whole: one row per segment in rank order, every factor's
/// raw value, normalised value and contribution, the segment's attributes, its pass-through
/// properties and the settings hash. Geometry is each segment's line reprojected from
/// `work_crs` to WGS84 ([`ranking_table_for`] takes a WGS84 file's own lines instead).
///
/// This is a publishable table: it carries no complaint field and no complaint location, only
/// counts per segment.
///
/// # Errors
///
/// As [`RankingTable::new`].
pub fn ranking_table(
    net: &StreetNetwork,
    ranking: &Ranking,
    work_crs: &Crs,
) -> Result<FeatureTable> {
    Ok(RankingTable::new(net, ranking, work_crs)?.into_feature_table())
}

/// The per-complaint table, built whole: one row per complaint, in input order, with where it
/// snapped ([`AssignmentsTable`] builds each row only when it is written).
///
/// **Internal output**: it carries each complaint's id and location (geometry, WGS84), so it
/// must not be published. Only the complaint columns named in `complaint_properties` (the ones
/// the user asked to keep) are added.
///
/// # Errors
///
/// As [`AssignmentsTable::new`].
pub fn assignments_table(
    net: &StreetNetwork,
    complaints: &[Complaint],
    complaint_properties: &[String],
    outcomes: &[SnapOutcome],
    work_crs: &Crs,
) -> Result<FeatureTable> {
    Ok(
        AssignmentsTable::new(net, complaints, complaint_properties, outcomes, work_crs)?
            .to_feature_table(),
    )
}

/// The per-complaint table, each row built only when a writer asks for it: one row per
/// complaint, in input order, with where it snapped (street, distance, position along it, side,
/// runner-up) or why it matched none, the complaint columns the user asked to keep, and the
/// complaint's point in WGS84.
///
/// It is a [`Table`]: the CSV and GeoJSON writers format the rows as they are built, so a
/// table of ten million complaints never holds its cells in memory at once (the Shapefile
/// writer builds the whole table first; so does [`assignments_table`]).
///
/// **Internal output**: it carries each complaint's id and location, so it must not be
/// published. Only the complaint columns named in `complaint_properties` (the ones the user
/// asked to keep) are added.
///
/// # Units
///
/// `distance_m`, `chainage_m` and `runner_up_m` in metres of the work CRS; `fraction` from 0 to
/// 1 along the street; each point in longitude/latitude degrees on WGS 84 (EPSG:4326).
///
/// # Examples
///
/// ```
/// use geo_types::{line_string, Point};
/// use streetrank::{Complaint, SnapOptions, SourceId, StreetIndex, StreetNetwork, Segment};
/// use streetrank_io::{AssignmentsTable, Crs, Table};
///
/// // One street in UTM zone 18N metres and a complaint 4 m from it.
/// let line = line_string![(x: 400_000.0, y: 4_760_000.0), (x: 400_120.0, y: 4_760_000.0)];
/// let net = StreetNetwork::new(vec![Segment::new(SourceId::from(7), line)?], vec![])?;
/// let complaints = vec![Complaint::new(SourceId::from("SR-1"), Point::new(400_030.0, 4_760_004.0))?];
/// let points: Vec<Point> = complaints.iter().map(|c| c.point).collect();
/// let outcomes = StreetIndex::new(&net.segments).snap_all(&points, &SnapOptions::default());
///
/// let table = AssignmentsTable::new(&net, &complaints, &[], &outcomes, &Crs::epsg(32618))?;
/// let mut scratch = Vec::new();
/// let row = table.row(0, &mut scratch);
/// assert_eq!(row[0].to_string(), "SR-1");
/// assert_eq!(row[2].to_string(), "7", "the street it snapped to");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct AssignmentsTable<'a> {
    net: &'a StreetNetwork,
    complaints: &'a [Complaint],
    outcomes: &'a [SnapOutcome],
    columns: Vec<Column>,
    /// The type of the `complaint_id` column.
    complaint_ids: ColumnType,
    /// The type of the `segment_id` and `runner_up_id` columns.
    segment_ids: ColumnType,
    /// The type of each kept complaint column.
    prop_types: Vec<ColumnType>,
    /// Each complaint's point reprojected to WGS84.
    points: Vec<Coord<f64>>,
}

impl<'a> AssignmentsTable<'a> {
    /// The assignments of `complaints` (located in `work_crs`) to the streets of `net`, one
    /// outcome per complaint, keeping the complaint columns named in `complaint_properties`.
    ///
    /// # Errors
    ///
    /// [`Error::Core`] when `outcomes` does not match `complaints`; [`Error::Config`] when a
    /// complaint column passed through is named as one of the table's own
    /// ([`check_kept_columns`]); [`Error::Crs`] when reprojection fails.
    pub fn new(
        net: &'a StreetNetwork,
        complaints: &'a [Complaint],
        complaint_properties: &[String],
        outcomes: &'a [SnapOutcome],
        work_crs: &Crs,
    ) -> Result<AssignmentsTable<'a>> {
        if complaints.len() != outcomes.len() {
            return Err(Error::Core(streetrank::Error::MismatchedInput {
                message: format!(
                    "{} snap outcomes for {} complaints",
                    outcomes.len(),
                    complaints.len()
                ),
            }));
        }
        check_kept_names(
            complaint_properties,
            &assignments_own_columns(),
            "complaints",
        )?;
        let complaint_ids = id_type(complaints.iter().map(|c| &c.id));
        let segment_ids = id_type(net.segments.iter().map(|s| &s.id));
        let prop_types: Vec<ColumnType> = (0..complaint_properties.len())
            .map(|k| {
                property_type(
                    complaints
                        .iter()
                        .map(|c| c.properties.get(k).unwrap_or(&PropertyValue::Null)),
                )
            })
            .collect();
        let mut points: Vec<Coord<f64>> = complaints.iter().map(|c| c.point.0).collect();
        transform_parallel(work_crs, &Crs::wgs84(), &mut points)?;
        Ok(AssignmentsTable {
            columns: assignment_columns(
                complaint_ids,
                segment_ids,
                complaint_properties,
                &prop_types,
            ),
            net,
            complaints,
            outcomes,
            complaint_ids,
            segment_ids,
            prop_types,
            points,
        })
    }

    /// Fills `row` with the cells of complaint `i`'s row (no cells past the last complaint).
    fn fill(&self, i: usize, row: &mut Vec<PropertyValue>) {
        let (Some(c), Some(o)) = (self.complaints.get(i), self.outcomes.get(i)) else {
            row.clear();
            return;
        };
        row.resize(self.columns.len(), PropertyValue::Null);
        let mut cells = Cells {
            row: row.as_mut_slice(),
            at: 0,
        };
        cells.id(&c.id, self.complaint_ids);
        let segment = |cells: &mut Cells<'_>, i: usize| match self.net.segments.get(i) {
            Some(s) => cells.id(&s.id, self.segment_ids),
            None => cells.value(PropertyValue::Null),
        };
        match o {
            SnapOutcome::Snapped(s) => {
                cells.value(PropertyValue::Bool(true));
                segment(&mut cells, s.segment);
                cells.value(PropertyValue::Float(s.distance_m));
                cells.value(PropertyValue::Float(s.fraction));
                cells.value(PropertyValue::Float(s.chainage_m));
                cells.text(s.side.as_str());
                match s.runner_up {
                    Some(r) => segment(&mut cells, r.segment),
                    None => cells.value(PropertyValue::Null),
                }
                cells.value(opt_f64(s.runner_up.map(|r| r.distance_m)));
                cells.value(PropertyValue::Bool(s.ambiguous));
                cells.value(PropertyValue::Null);
            }
            SnapOutcome::Unmatched(reason) => {
                cells.value(PropertyValue::Bool(false));
                for _ in 0..7 {
                    cells.value(PropertyValue::Null);
                }
                cells.value(PropertyValue::Bool(false));
                cells.text(&unmatched_reason_text(reason));
            }
        }
        for (k, ty) in self.prop_types.iter().enumerate() {
            cells.property(c.properties.get(k).unwrap_or(&PropertyValue::Null), *ty);
        }
        debug_assert_eq!(cells.at, self.columns.len(), "one cell per column");
    }
}

impl Table for AssignmentsTable<'_> {
    fn columns(&self) -> &[Column] {
        &self.columns
    }

    fn len(&self) -> usize {
        self.complaints.len()
    }

    fn row<'s>(&'s self, i: usize, scratch: &'s mut Vec<PropertyValue>) -> &'s [PropertyValue] {
        self.fill(i, scratch);
        scratch
    }

    fn to_feature_table(&self) -> FeatureTable {
        let rows = (0..self.len())
            .into_par_iter()
            .map(|i| {
                let mut row = Vec::new();
                self.fill(i, &mut row);
                row
            })
            .collect();
        let geometries = self
            .points
            .par_iter()
            .map(|&c| Some(Geometry::Point(Point(c))))
            .collect();
        FeatureTable {
            columns: self.columns.clone(),
            rows,
            geometries,
        }
    }

    fn has_geometry(&self) -> bool {
        !self.points.is_empty()
    }

    fn geometry(&self, i: usize) -> Option<GeometryRef<'_>> {
        self.points.get(i).map(|&c| GeometryRef::Point(c))
    }
}

/// The assignments table's columns, in output order.
fn assignment_columns(
    complaint_ids: ColumnType,
    segment_ids: ColumnType,
    complaint_properties: &[String],
    prop_types: &[ColumnType],
) -> Vec<Column> {
    let mut columns = vec![
        col("complaint_id", complaint_ids, "the complaint file's own id"),
        col(
            "matched",
            ColumnType::Bool,
            "true when a street was found within the max distance",
        ),
        col("segment_id", segment_ids, "the street it belongs to"),
        col(
            "distance_m",
            ColumnType::Float,
            "metres from the complaint to the street",
        ),
        col(
            "fraction",
            ColumnType::Float,
            "0-1 along the street from its first vertex",
        ),
        col(
            "chainage_m",
            ColumnType::Float,
            "metres along the street from its first vertex",
        ),
        col(
            "side",
            ColumnType::Text,
            "left/right of the street's digitised direction, or on",
        ),
        col(
            "runner_up_id",
            segment_ids,
            "the next nearest other street within the max distance",
        ),
        col("runner_up_m", ColumnType::Float, "its distance, metres"),
        col(
            "ambiguous",
            ColumnType::Bool,
            "runner-up within the ambiguity tolerance",
        ),
        col(
            "unmatched_reason",
            ColumnType::Text,
            "why no street was assigned",
        ),
    ];
    for (name, ty) in complaint_properties.iter().zip(prop_types) {
        columns.push(col(name, *ty, "complaint column the user asked to keep"));
    }
    columns
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use geo_types::{LineString, Point};
    use streetrank::{Complaint, ScoreConfig, Segment, SegmentAttributes, score};

    /// Ids as a typed cell: integer ids stay integers.
    fn id_cell(id: &SourceId) -> PropertyValue {
        match id {
            SourceId::Int(i) => PropertyValue::Int(*i),
            SourceId::Text(s) => PropertyValue::Text(s.to_string()),
        }
    }

    /// Text ids everywhere when the column is text, so a column never mixes types.
    fn id_cell_as(id: &SourceId, ty: ColumnType) -> PropertyValue {
        match ty {
            ColumnType::Int => id_cell(id),
            _ => PropertyValue::Text(id.to_string()),
        }
    }

    /// Eight segments along the x axis (UTM 18N metres, near Syracuse) with text and integer
    /// ids, attributes and properties of mixed types, and 0 to 7 complaints each.
    fn scored() -> (StreetNetwork, Ranking) {
        scored_with(true)
    }

    /// [`scored`], with some text ids (`text_ids`) or integer ids only.
    fn scored_with(text_ids: bool) -> (StreetNetwork, Ranking) {
        let segments: Vec<Segment> = (0..8_i64)
            .map(|k| {
                let x = 400_000.0 + 200.0 * k as f64;
                let id = if text_ids && k % 3 == 0 {
                    SourceId::from(format!("S-{k}"))
                } else {
                    SourceId::Int(k)
                };
                let name = if k == 5 {
                    PropertyValue::Null
                } else {
                    PropertyValue::Text(format!("Street {k}"))
                };
                // An integer column with one float: written as floats. A column of a number and
                // texts: written as texts.
                let lanes = if k == 2 {
                    PropertyValue::Float(1.5)
                } else {
                    PropertyValue::Int(k)
                };
                let mixed = if k == 4 {
                    PropertyValue::Float(0.25)
                } else {
                    PropertyValue::Text(format!("m{k}"))
                };
                Segment::new(
                    id,
                    LineString::from(vec![(x, 4_760_000.0), (x + 150.0, 4_760_010.0)]),
                )
                .unwrap()
                .with_attributes(SegmentAttributes {
                    road_class: (k != 1).then(|| ["local", "arterial"][(k % 2) as usize].into()),
                    district: Some(format!("D{}", k % 3)),
                    condition: (k != 6).then_some(10.0 * k as f64),
                    ..Default::default()
                })
                .with_properties(vec![name, lanes, mixed])
            })
            .collect();
        let net = StreetNetwork::new(segments, vec!["NAME".into(), "LANES".into(), "MIX".into()])
            .unwrap();
        let mut complaints = Vec::new();
        let mut assigned = Vec::new();
        for seg in 0..8_usize {
            for j in 0..seg {
                let x = 400_000.0 + 200.0 * seg as f64 + 20.0 * j as f64;
                complaints.push(
                    Complaint::new(
                        SourceId::Int(complaints.len() as i64),
                        Point::new(x, 4_760_001.0),
                    )
                    .unwrap(),
                );
                assigned.push(Some(seg));
            }
        }
        let ranking = score(&net, &complaints, &assigned, &ScoreConfig::default(), &[]).unwrap();
        (net, ranking)
    }

    /// Cells compared as their debug text: a NaN cell (the equity of a network without
    /// districts' scores) equals itself.
    fn shown<T: std::fmt::Debug + ?Sized>(cells: &T) -> String {
        format!("{cells:?}")
    }

    fn utm18() -> Crs {
        Crs::parse("EPSG:32618").unwrap()
    }

    /// A row as the table was built before rows were built on demand (`build_row` of
    /// `ranking_table`, tree 2e2ae70): the reference the rows are checked against.
    fn reference_row(
        net: &StreetNetwork,
        ranking: &Ranking,
        i: usize,
        ids: ColumnType,
        prop_types: &[ColumnType],
    ) -> Vec<PropertyValue> {
        let text =
            |v: Option<&String>| v.map_or(PropertyValue::Null, |s| PropertyValue::Text(s.clone()));
        let (seg, s) = (&net.segments[i], &ranking.scores[i]);
        let mut row = vec![
            count(s.rank),
            id_cell_as(&seg.id, ids),
            PropertyValue::Float(s.score),
        ];
        for f in [&s.pressure, &s.condition, &s.usage, &s.equity] {
            row.extend([
                PropertyValue::Float(f.raw),
                PropertyValue::Float(f.normalised),
                PropertyValue::Float(f.contribution),
            ]);
        }
        row.extend([
            count(s.complaints),
            count(s.complaints_kept),
            PropertyValue::Bool(s.condition_missing),
            PropertyValue::Float(seg.length_m),
            text(seg.attributes.road_class.as_ref()),
            text(seg.attributes.district.as_ref()),
            PropertyValue::Text(ranking.settings_hash.clone()),
        ]);
        for (k, ty) in prop_types.iter().enumerate() {
            row.push(as_type(
                seg.properties.get(k).unwrap_or(&PropertyValue::Null),
                *ty,
            ));
        }
        row
    }

    #[test]
    fn rows_are_the_reference_rows_whatever_the_scratch_held_before() {
        for text_ids in [true, false] {
            let (net, ranking) = scored_with(text_ids);
            let n = net.segments.len();
            assert_ne!(
                ranking.order,
                (0..n).collect::<Vec<_>>(),
                "rank order is not segment order"
            );
            let table = RankingTable::new(&net, &ranking, &utm18()).unwrap();
            let ncols = table.columns().len();
            let want: Vec<String> = ranking
                .order
                .iter()
                .map(|&i| {
                    shown(&reference_row(
                        &net,
                        &ranking,
                        i,
                        table.ids,
                        &table.prop_types,
                    ))
                })
                .collect();
            // Scratch rows holding stale texts, too many cells or too few; and one reused
            // across rows in another order.
            for (r, want) in want.iter().enumerate() {
                for mut scratch in [
                    Vec::new(),
                    vec![PropertyValue::Text("stale".into()); ncols + 5],
                    vec![PropertyValue::Int(0); 2],
                ] {
                    assert_eq!(&shown(table.row(r, &mut scratch)), want, "row {r}");
                }
            }
            let mut scratch = Vec::new();
            for r in (0..n).rev().chain(0..n) {
                assert_eq!(shown(table.row(r, &mut scratch)), want[r], "row {r}");
            }
            let whole = table.to_feature_table();
            assert_eq!(whole.rows.iter().map(shown).collect::<Vec<_>>(), want);
            let ty = |name: &str| table.columns().iter().find(|c| c.name == name).unwrap().ty;
            let id_type = if text_ids {
                ColumnType::Text
            } else {
                ColumnType::Int
            };
            assert_eq!(ty("segment_id"), id_type);
            assert_eq!(ty("LANES"), ColumnType::Float);
            assert_eq!(ty("MIX"), ColumnType::Text);
        }
    }

    /// Every file `write` writes for `table` into a new directory, by name.
    fn written(table: &dyn Table, format: crate::Format, threads: usize) -> Vec<(String, Vec<u8>)> {
        let dir = tempfile::tempdir().unwrap();
        let ext = match format {
            crate::Format::Csv => "csv",
            crate::Format::GeoJson => "geojson",
            crate::Format::Shapefile => "shp",
        };
        let dest = crate::Destination::Path(dir.path().join(format!("ranking.{ext}")));
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| crate::write_table(table, &dest, format, &crate::WriteOptions::default()))
            .unwrap();
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        files.sort();
        files
    }

    #[test]
    fn rows_built_as_written_write_the_bytes_of_the_whole_table() {
        let (net, ranking) = scored();
        for k in [None, Some(4)] {
            let mut table = RankingTable::new(&net, &ranking, &utm18()).unwrap();
            let mut whole = RankingTable::new(&net, &ranking, &utm18())
                .unwrap()
                .into_feature_table();
            if let Some(k) = k {
                table.suppress_small_counts(k);
                crate::suppress_small_counts(&mut whole, k).unwrap();
            }
            for format in [
                crate::Format::Csv,
                crate::Format::GeoJson,
                crate::Format::Shapefile,
            ] {
                let want = written(&whole, format, 1);
                assert!(want.iter().all(|(_, bytes)| !bytes.is_empty()));
                for threads in [1, 3] {
                    assert_eq!(written(&table, format, threads), want, "{format:?} k {k:?}");
                }
            }
        }
    }

    #[test]
    fn suppression_as_rows_are_built_matches_the_built_table_suppressed() {
        let (net, ranking) = scored();
        for k in [0, 1, 2, 4, 100] {
            let mut whole = RankingTable::new(&net, &ranking, &utm18())
                .unwrap()
                .to_feature_table();
            let want = crate::suppress_small_counts(&mut whole, k).unwrap();
            let mut table = RankingTable::new(&net, &ranking, &utm18()).unwrap();
            assert_eq!(table.suppress_small_counts(k), want, "k = {k}");
            assert_eq!(
                shown(&table.to_feature_table().rows),
                shown(&whole.rows),
                "k = {k}"
            );
        }
        let mut table = RankingTable::new(&net, &ranking, &utm18()).unwrap();
        assert_eq!(
            table.suppress_small_counts(4),
            3,
            "segments with 1, 2 and 3 complaints"
        );
    }

    /// Reading rows ahead, over any range (past the end, empty, reversed), neither panics nor
    /// changes what the rows hold; the writers visit every row once, in order.
    #[test]
    fn reading_rows_ahead_changes_nothing() {
        let (net, ranking) = scored();
        let n = net.segments.len();
        let table = RankingTable::new(&net, &ranking, &utm18()).unwrap();
        let want = table.to_feature_table();
        #[allow(clippy::reversed_empty_ranges)]
        for rows in [
            0..n,
            1..3,
            n - 1..n + 5,
            n..n + 1,
            2..2,
            3..1,
            usize::MAX - 1..usize::MAX,
        ] {
            table.prefetch(rows);
        }
        let mut scratch = Vec::new();
        for r in 0..n {
            assert_eq!(
                shown(table.row(r, &mut scratch)),
                shown(&want.rows[r]),
                "row {r}"
            );
        }
        for rows in [0..n, 1..n - 1, 0..0] {
            assert_eq!(
                crate::prefetched(&table, rows.clone()).collect::<Vec<_>>(),
                rows.collect::<Vec<_>>()
            );
        }
        let long = FeatureTable {
            columns: Vec::new(),
            rows: vec![Vec::new(); 100],
            geometries: Vec::new(),
        };
        assert_eq!(crate::prefetched(&long, 5..97).count(), 92);
        // Row numbers near the end of `usize` do not overflow.
        assert_eq!(
            crate::prefetched(&long, usize::MAX - 40..usize::MAX).count(),
            40
        );
    }

    #[test]
    fn lines_are_given_by_their_coordinates_in_rank_order() {
        let (net, ranking) = scored();
        let table = RankingTable::new(&net, &ranking, &utm18()).unwrap();
        let whole = table.to_feature_table();
        assert_eq!(whole.geometries.len(), net.segments.len());
        for (r, &i) in ranking.order.iter().enumerate() {
            let Some(GeometryRef::Line(line)) = table.geometry(r) else {
                panic!("row {r}: not a line");
            };
            let mut want = net.segments[i].geometry.0.clone();
            transform_parallel(&utm18(), &Crs::wgs84(), &mut want).unwrap();
            assert_eq!(line, want.as_slice(), "row {r}");
            assert_eq!(
                whole.geometries[r],
                Some(Geometry::LineString(LineString::new(want)))
            );
        }
        assert_eq!(table.geometry(net.segments.len()), None);
        assert_eq!(
            RankingTable::new(&net, &ranking, &utm18())
                .unwrap()
                .into_feature_table()
                .geometries,
            whole.geometries
        );
        assert!(table.row(net.segments.len(), &mut Vec::new()).is_empty());
    }

    #[test]
    fn a_table_without_lines_has_the_same_rows_and_no_geometry() {
        let (net, ranking) = scored();
        for k in [None, Some(0), Some(2), Some(4)] {
            let mut with = RankingTable::new(&net, &ranking, &utm18()).unwrap();
            let mut without = RankingTable::without_lines(&net, &ranking).unwrap();
            if let Some(k) = k {
                assert_eq!(
                    without.suppress_small_counts(k),
                    with.suppress_small_counts(k)
                );
            }
            assert!(with.has_geometry() && !without.has_geometry());
            let names = |t: &RankingTable<'_>| -> Vec<String> {
                t.columns().iter().map(|c| c.name.clone()).collect()
            };
            assert_eq!(names(&without), names(&with));
            assert_eq!(without.geometry(0), None);
            let (with, without) = (with.into_feature_table(), without.into_feature_table());
            assert_eq!(shown(&without.rows), shown(&with.rows), "k = {k:?}");
            assert!(without.geometries.is_empty() && !without.has_geometry());
            assert_eq!(with.geometries.len(), with.rows.len());
        }
        let mut other = ranking.clone();
        other.order.push(8);
        assert!(RankingTable::without_lines(&net, &other).is_err());
    }

    #[test]
    fn a_ranking_of_another_network_is_refused() {
        let (net, mut ranking) = scored();
        ranking.order.push(8);
        let e = RankingTable::new(&net, &ranking, &utm18()).err().unwrap();
        assert!(e.to_string().contains("refers to segment 8"), "{e}");
    }

    #[test]
    fn a_kept_street_column_named_as_a_ranking_column_is_refused() {
        let (mut net, ranking) = scored();
        net.property_names[1] = "district".into();
        for e in [
            RankingTable::new(&net, &ranking, &utm18()).err().unwrap(),
            RankingTable::without_lines(&net, &ranking).err().unwrap(),
        ] {
            assert!(matches!(e, Error::Config { .. }), "{e:?}");
            assert_eq!(
                e.to_string(),
                "[streets] keep (or --streets-keep): `district` is kept, but the output has a `district` column of its own. Fix: leave `district` out of `keep` (the output's own `district` column is written anyway)"
            );
        }
        // Names differing in case are different columns.
        net.property_names[1] = "District".into();
        assert!(RankingTable::new(&net, &ranking, &utm18()).is_ok());
    }

    /// Complaints near the streets of [`scored`] (UTM 18N metres): 5 m from a street, in the
    /// 50 m gap between two (a runner-up, ambiguous in the middle), 100 m away; outcomes
    /// snapped, then three replaced by the other unmatched reasons. Ids are text and integer
    /// (`text_ids`) or integer only; the kept columns hold texts with a gap, integers with one
    /// float, and booleans with one text.
    fn assigned(net: &StreetNetwork, text_ids: bool) -> (Vec<Complaint>, Vec<SnapOutcome>) {
        let mut complaints = Vec::new();
        for k in 0..24_i64 {
            let seg = (k % 8) as f64;
            let x0 = 400_000.0 + 200.0 * seg;
            let (x, y) = match k / 8 {
                0 => (x0 + 60.0, 4_760_009.0 - 14.0 * (k % 2) as f64),
                1 => (x0 + 172.0 + 3.0 * (k % 2) as f64, 4_760_005.0),
                _ => (x0 + 75.0, 4_760_100.0),
            };
            let id = if text_ids && k % 5 == 0 {
                SourceId::from(format!("SR-{k}"))
            } else {
                SourceId::Int(1000 + k)
            };
            let address = if k == 3 {
                PropertyValue::Null
            } else {
                PropertyValue::Text(format!("{k} Main St"))
            };
            let count = if k == 7 {
                PropertyValue::Float(2.5)
            } else {
                PropertyValue::Int(k)
            };
            let flag = if k == 11 {
                PropertyValue::Text("yes".into())
            } else {
                PropertyValue::Bool(k % 2 == 0)
            };
            let mut c = Complaint::new(id, Point::new(x, y)).unwrap();
            c.properties = vec![address, count, flag].into();
            complaints.push(c);
        }
        let points: Vec<Point<f64>> = complaints.iter().map(|c| c.point).collect();
        let mut outcomes = streetrank::StreetIndex::new(&net.segments)
            .snap_all(&points, &streetrank::SnapOptions::default());
        outcomes[2] = SnapOutcome::Unmatched(UnmatchedReason::NonFinitePoint);
        outcomes[12] = SnapOutcome::Unmatched(UnmatchedReason::EmptyIndex);
        // A snap to a segment the network does not have: its id is written empty.
        if let SnapOutcome::Snapped(s) = &mut outcomes[5] {
            s.segment = 99;
        }
        (complaints, outcomes)
    }

    const KEPT: [&str; 3] = ["ADDRESS", "COUNT", "FLAG"];

    /// The per-complaint table as `assignments_table` built it before rows were built on demand
    /// (tree fc28aa6): the reference the rows are checked against.
    fn reference_assignments(
        net: &StreetNetwork,
        complaints: &[Complaint],
        outcomes: &[SnapOutcome],
    ) -> FeatureTable {
        let cids = id_type(complaints.iter().map(|c| &c.id));
        let sids = id_type(net.segments.iter().map(|s| &s.id));
        let prop_types: Vec<ColumnType> = (0..KEPT.len())
            .map(|k| property_type(complaints.iter().map(|c| &c.properties[k])))
            .collect();
        let mut coords: Vec<Coord<f64>> = complaints.iter().map(|c| c.point.0).collect();
        transform_parallel(&utm18(), &Crs::wgs84(), &mut coords).unwrap();
        let seg_id = |i: usize| {
            net.segments
                .get(i)
                .map_or(PropertyValue::Null, |s| id_cell_as(&s.id, sids))
        };
        let rows = complaints
            .iter()
            .zip(outcomes)
            .map(|(c, o)| {
                let mut row = vec![id_cell_as(&c.id, cids)];
                match o {
                    SnapOutcome::Snapped(s) => row.extend([
                        PropertyValue::Bool(true),
                        seg_id(s.segment),
                        PropertyValue::Float(s.distance_m),
                        PropertyValue::Float(s.fraction),
                        PropertyValue::Float(s.chainage_m),
                        PropertyValue::Text(s.side.as_str().to_owned()),
                        s.runner_up
                            .map_or(PropertyValue::Null, |r| seg_id(r.segment)),
                        opt_f64(s.runner_up.map(|r| r.distance_m)),
                        PropertyValue::Bool(s.ambiguous),
                        PropertyValue::Null,
                    ]),
                    SnapOutcome::Unmatched(reason) => {
                        row.push(PropertyValue::Bool(false));
                        row.extend(std::iter::repeat_n(PropertyValue::Null, 7));
                        row.extend([
                            PropertyValue::Bool(false),
                            PropertyValue::Text(unmatched_reason_text(reason)),
                        ]);
                    }
                }
                for (k, ty) in prop_types.iter().enumerate() {
                    row.push(as_type(&c.properties[k], *ty));
                }
                row
            })
            .collect();
        // The columns as the old builder listed them: a copy, not a call of
        // `assignment_columns`, which the test checks against it.
        let mut columns = vec![
            col("complaint_id", cids, "the complaint file's own id"),
            col(
                "matched",
                ColumnType::Bool,
                "true when a street was found within the max distance",
            ),
            col("segment_id", sids, "the street it belongs to"),
            col(
                "distance_m",
                ColumnType::Float,
                "metres from the complaint to the street",
            ),
            col(
                "fraction",
                ColumnType::Float,
                "0-1 along the street from its first vertex",
            ),
            col(
                "chainage_m",
                ColumnType::Float,
                "metres along the street from its first vertex",
            ),
            col(
                "side",
                ColumnType::Text,
                "left/right of the street's digitised direction, or on",
            ),
            col(
                "runner_up_id",
                sids,
                "the next nearest other street within the max distance",
            ),
            col("runner_up_m", ColumnType::Float, "its distance, metres"),
            col(
                "ambiguous",
                ColumnType::Bool,
                "runner-up within the ambiguity tolerance",
            ),
            col(
                "unmatched_reason",
                ColumnType::Text,
                "why no street was assigned",
            ),
        ];
        for (name, ty) in KEPT.iter().zip(&prop_types) {
            columns.push(col(name, *ty, "complaint column the user asked to keep"));
        }
        FeatureTable {
            columns,
            rows,
            geometries: coords
                .into_iter()
                .map(|c| Some(Geometry::Point(Point(c))))
                .collect(),
        }
    }

    #[test]
    fn assignment_rows_are_the_reference_rows_whatever_the_scratch_held_before() {
        let (net, _) = scored();
        let kept: Vec<String> = KEPT.map(String::from).to_vec();
        for text_ids in [true, false] {
            let (complaints, outcomes) = assigned(&net, text_ids);
            let reasons: Vec<String> = outcomes
                .iter()
                .map(|o| match o {
                    SnapOutcome::Snapped(s) => {
                        format!("{} {}", s.runner_up.is_some(), s.ambiguous)
                    }
                    SnapOutcome::Unmatched(r) => unmatched_reason_text(r),
                })
                .collect();
            for case in [
                "false false",
                "true false",
                "true true",
                "no street within 30 m",
                "coordinates not finite",
                "no streets loaded",
            ] {
                assert!(reasons.iter().any(|r| r == case), "no {case}: {reasons:?}");
            }
            let want = reference_assignments(&net, &complaints, &outcomes);
            let table =
                AssignmentsTable::new(&net, &complaints, &kept, &outcomes, &utm18()).unwrap();
            assert_eq!(shown(table.columns()), shown(&want.columns));
            let ty = |name: &str| table.columns().iter().find(|c| c.name == name).unwrap().ty;
            let id_type = if text_ids {
                ColumnType::Text
            } else {
                ColumnType::Int
            };
            assert_eq!(ty("complaint_id"), id_type);
            assert_eq!(ty("segment_id"), ColumnType::Text, "text and integer ids");
            assert_eq!(
                [ty("ADDRESS"), ty("COUNT"), ty("FLAG")],
                [ColumnType::Text, ColumnType::Float, ColumnType::Text]
            );
            let ncols = table.columns().len();
            for (r, want_row) in want.rows.iter().enumerate() {
                for mut scratch in [
                    Vec::new(),
                    vec![PropertyValue::Text("stale".into()); ncols + 5],
                    vec![PropertyValue::Int(0); 2],
                ] {
                    assert_eq!(
                        shown(table.row(r, &mut scratch)),
                        shown(want_row),
                        "row {r}"
                    );
                }
                assert_eq!(
                    table.geometry(r).map(GeometryRef::to_geometry),
                    want.geometries[r],
                    "row {r}"
                );
            }
            let mut scratch = Vec::new();
            let n = complaints.len();
            for r in (0..n).rev().chain(0..n) {
                assert_eq!(shown(table.row(r, &mut scratch)), shown(&want.rows[r]));
            }
            assert!(table.row(n, &mut scratch).is_empty());
            assert_eq!(table.geometry(n), None);
            let whole = table.to_feature_table();
            assert_eq!(shown(&whole.rows), shown(&want.rows));
            assert_eq!(whole.geometries, want.geometries);
            let built = assignments_table(&net, &complaints, &kept, &outcomes, &utm18()).unwrap();
            assert_eq!(shown(&built.rows), shown(&want.rows));
        }
    }

    #[test]
    fn assignment_rows_built_as_written_write_the_bytes_of_the_reference_table() {
        let (net, _) = scored();
        let kept: Vec<String> = KEPT.map(String::from).to_vec();
        let (complaints, outcomes) = assigned(&net, true);
        let want_table = reference_assignments(&net, &complaints, &outcomes);
        let table = AssignmentsTable::new(&net, &complaints, &kept, &outcomes, &utm18()).unwrap();
        for format in [
            crate::Format::Csv,
            crate::Format::GeoJson,
            crate::Format::Shapefile,
        ] {
            let want = written(&want_table, format, 1);
            assert!(want.iter().all(|(_, bytes)| !bytes.is_empty()));
            for threads in [1, 3] {
                assert_eq!(written(&table, format, threads), want, "{format:?}");
            }
        }
        // No complaints: no rows and no geometry column, as before.
        let empty = AssignmentsTable::new(&net, &[], &kept, &[], &utm18()).unwrap();
        assert!(!empty.has_geometry());
        assert_eq!(
            written(&empty, crate::Format::Csv, 1),
            written(
                &reference_assignments(&net, &[], &[]),
                crate::Format::Csv,
                1
            )
        );
    }

    #[test]
    fn assignments_of_other_complaints_are_refused() {
        let (net, _) = scored();
        let (complaints, outcomes) = assigned(&net, false);
        let e = AssignmentsTable::new(&net, &complaints, &[], &outcomes[1..], &utm18())
            .err()
            .unwrap();
        assert!(
            e.to_string().contains("23 snap outcomes for 24 complaints"),
            "{e}"
        );
    }

    #[test]
    fn a_kept_complaint_column_named_as_an_assignments_column_is_refused() {
        let (net, _) = scored();
        let (complaints, outcomes) = assigned(&net, false);
        let kept: Vec<String> = KEPT.map(String::from).to_vec();
        assert!(AssignmentsTable::new(&net, &complaints, &kept, &outcomes, &utm18()).is_ok());
        let mut clashing = kept.clone();
        clashing[2] = "segment_id".into();
        let e = AssignmentsTable::new(&net, &complaints, &clashing, &outcomes, &utm18())
            .err()
            .unwrap();
        assert!(
            e.to_string()
                .starts_with("[complaints] keep: `segment_id` is kept, but the output has"),
            "{e}"
        );
    }

    #[test]
    fn permutations_are_told_from_other_orders() {
        assert!(is_permutation(&[], 0));
        assert!(is_permutation(&[2, 0, 1], 3));
        assert!(!is_permutation(&[2, 0, 0], 3), "a repeat");
        assert!(!is_permutation(&[2, 0], 3), "one missing");
        assert!(!is_permutation(&[2, 0, 3], 3), "out of range");
        assert!(!is_permutation(&[0, 1, 2, 0], 3), "too long");
    }
}
