//! The shared back end of the street readers: per-feature checks, CRS guards,
//! one batched reprojection, and the [`StreetNetwork`].

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::{Path, PathBuf};

use geo_types::{Coord, LineString};
use rayon::prelude::*;
use streetrank::{PropertyValue, Segment, SegmentAttributes, SourceId, StreetNetwork};

use super::columns::{Columns, Problem, Row};
use super::{LoadedStreets, StreetsOptions};
use crate::error::fmt_number;
use crate::{
    Crs, Error, LoadReport, LonLatLines, Result, area_of_use_lonlat, choose_work_crs,
    transform_parallel,
};

/// A geometry as read: the parts of a (multi)line, or why it is unusable.
pub(crate) type RawGeometry = Result<Vec<Vec<Coord<f64>>>, Problem>;

/// A problem with a feature's geometry.
pub(crate) fn geometry_problem(reason: &'static str, problem: String, fix: &str) -> Problem {
    (reason, "geometry".to_owned(), problem, fix.to_owned())
}

/// One feature's checked values but its line, ready for [`Builder::push_line`].
pub(crate) struct Fields {
    id: SourceId,
    attributes: SegmentAttributes,
    properties: Vec<PropertyValue>,
}

impl Fields {
    /// Sets the id to the 1-based feature number, which is what [`Columns::id`]
    /// gives when there is no id column: for readers that check features before
    /// they know their numbers (they pass any number to [`prepare_line`]).
    pub(crate) fn number_id(&mut self, feature: usize) {
        self.id = SourceId::Int(i64::try_from(feature).unwrap_or(i64::MAX));
    }
}

/// One feature's checked values, ready for [`Builder::push_prepared`].
pub(crate) struct Prepared {
    fields: Fields,
    line: Vec<Coord<f64>>,
}

impl Prepared {
    /// The values and the line, for [`Builder::push_line`].
    pub(crate) fn into_parts(self) -> (Fields, Vec<Coord<f64>>) {
        (self.fields, self.line)
    }
}

/// The per-feature checks of [`Builder::push`] that need no builder state (all
/// but the duplicate-id check), in the same order: id, geometry, attributes.
/// Pure, so the readers may run it in parallel.
pub(crate) fn prepare(
    columns: &Columns,
    feature: usize,
    geometry: RawGeometry,
    row: &dyn Row,
) -> Result<Prepared, Problem> {
    let id = columns.id(row, feature)?;
    let line = geometry.and_then(single_line)?;
    let attributes = columns.attributes(row)?;
    let properties = columns.properties(row);
    Ok(Prepared {
        fields: Fields {
            id,
            attributes,
            properties,
        },
        line,
    })
}

/// [`prepare`] for a feature of one line (or a geometry problem) that stays
/// where it is: the same checks in the same order, the line only looked at.
pub(crate) fn prepare_line<R: Row + ?Sized>(
    columns: &Columns,
    feature: usize,
    line: Result<&[Coord<f64>], Problem>,
    row: &R,
) -> Result<Fields, Problem> {
    let id = columns.id(row, feature)?;
    line.and_then(check_line)?;
    let attributes = columns.attributes(row)?;
    let properties = columns.properties(row);
    Ok(Fields {
        id,
        attributes,
        properties,
    })
}

/// How [`Builder`] finds repeated ids.
#[derive(Debug, Clone, Copy, PartialEq)]
enum IdOrder {
    /// Every id so far is an integer above the one before (the last one, if any).
    Ascending(Option<i64>),
    /// Ids are looked up in a hash set.
    Hashed,
}

/// Where a pushed feature's line lies in the builder's vertices.
struct Placed {
    feature: usize,
    start: usize,
    len: usize,
}

/// Collects features, then reprojects and builds the network.
pub(crate) struct Builder<'a> {
    path: PathBuf,
    opts: &'a StreetsOptions,
    columns: Columns,
    pub(crate) report: LoadReport,
    coords: Vec<Coord<f64>>,
    /// The pushed features as segments still without their line (given in
    /// `finish`, after reprojection), so that they are built where they lie.
    segments: Vec<Segment>,
    placed: Vec<Placed>,
    /// The feature of each id pushed so far, once the ids stopped ascending.
    seen: HashMap<SourceId, usize>,
    /// Whether every id pushed so far is an integer above the one before.
    order: IdOrder,
    /// The field named in geometry problems (`geometry`, or a CSV's WKT column).
    pub(crate) geometry_field: String,
    /// The source CRS's area of use, when a reader asked PROJ for it already.
    area_of_use: Option<Result<Option<[f64; 4]>>>,
}

impl<'a> Builder<'a> {
    pub(crate) fn new(
        path: &Path,
        opts: &'a StreetsOptions,
        columns: Columns,
        report: LoadReport,
    ) -> Builder<'a> {
        Builder {
            path: path.to_path_buf(),
            opts,
            columns,
            report,
            coords: Vec::new(),
            segments: Vec::new(),
            placed: Vec::new(),
            seen: HashMap::new(),
            order: IdOrder::Ascending(None),
            geometry_field: "geometry".to_owned(),
            area_of_use: None,
        }
    }

    /// Hands over [`area_of_use_lonlat`] of the source CRS given to
    /// [`finish`](Self::finish), asked for while the features were read (PROJ's
    /// database look-up then takes no time of its own); an error is returned
    /// where `finish` would have met it.
    pub(crate) fn known_area_of_use(&mut self, area: Result<Option<[f64; 4]>>) {
        self.area_of_use = Some(area);
    }

    /// Fails, or counts a skip, for a bad feature.
    ///
    /// # Errors
    ///
    /// [`Error::Record`] under `OnError::Fail`.
    pub(crate) fn fail_or_skip(&mut self, feature: usize, p: Problem) -> Result<()> {
        let (reason, mut field, problem, fix) = p;
        if field == "geometry" {
            field.clone_from(&self.geometry_field);
        }
        let field = (!field.is_empty()).then_some(field.as_str());
        let err = Error::record(&self.path, feature, field, problem, fix);
        self.report.skip_or_fail(self.opts.on_error, reason, err)
    }

    /// The resolved columns, for [`prepare`] run outside the builder.
    pub(crate) fn columns(&self) -> &Columns {
        &self.columns
    }

    /// Makes room for `features` features in all, at the vertices per feature
    /// pushed so far (none reserved before the first push), so that the
    /// vectors grow once rather than by doubling copies into fresh pages.
    pub(crate) fn expect_features(&mut self, features: usize) {
        let more = features.saturating_sub(self.placed.len());
        self.segments.reserve(more);
        self.placed.reserve(more);
        if self.order == IdOrder::Hashed {
            self.seen.reserve(features.saturating_sub(self.seen.len()));
        }
        if let Some(per_feature) = self.coords.len().checked_div(self.placed.len()) {
            // One vertex more per feature than the mean so far: a margin for denser features.
            self.coords.reserve(more * (per_feature + 1));
        }
    }

    /// Adds one feature (1-based `feature` number).
    ///
    /// # Errors
    ///
    /// [`Error::Record`] for a bad feature under `OnError::Fail`.
    pub(crate) fn push(
        &mut self,
        feature: usize,
        geometry: RawGeometry,
        row: &dyn Row,
    ) -> Result<()> {
        let prepared = prepare(&self.columns, feature, geometry, row);
        self.push_prepared(feature, prepared)
    }

    /// Adds one feature whose checks ran in [`prepare`] (possibly on another
    /// thread): counts or fails its problem, else refuses a duplicate id.
    ///
    /// # Errors
    ///
    /// [`Error::Record`] for a bad feature under `OnError::Fail`.
    pub(crate) fn push_prepared(
        &mut self,
        feature: usize,
        prepared: Result<Prepared, Problem>,
    ) -> Result<()> {
        match prepared {
            Ok(p) => self.push_line(feature, Ok(p.fields), &p.line),
            Err(problem) => self.push_line(feature, Err(problem), &[]),
        }
    }

    /// [`push_prepared`](Self::push_prepared) for a feature checked by
    /// [`prepare_line`], whose line is copied from where it lies.
    ///
    /// # Errors
    ///
    /// [`Error::Record`] for a bad feature under `OnError::Fail`.
    pub(crate) fn push_line(
        &mut self,
        feature: usize,
        fields: Result<Fields, Problem>,
        line: &[Coord<f64>],
    ) -> Result<()> {
        let p = match fields {
            Ok(p) => p,
            Err(problem) => return self.fail_or_skip(feature, problem),
        };
        // The first feature with this id, or note this one.
        let first = self.first_with_id(&p.id, feature);
        if let Some(first) = first {
            let field = self.columns.id_field().to_owned();
            return self.fail_or_skip(
                feature,
                (
                    "duplicate id",
                    field,
                    format!("segment id {} also appears at feature {first}", p.id),
                    "segment ids must be unique: deduplicate the file or map another id column with `id = \"COLUMN\"`".to_owned(),
                ),
            );
        }
        self.placed.push(Placed {
            feature,
            start: self.coords.len(),
            len: line.len(),
        });
        self.segments.push(Segment {
            id: p.id,
            geometry: LineString::new(Vec::new()),
            length_m: 0.0,
            attributes: p.attributes,
            properties: p.properties,
        });
        self.coords.extend_from_slice(line);
        Ok(())
    }

    /// The feature that first had `id`, else `None` (and `id` is noted as
    /// feature `feature`'s). While the ids ascend (integers, each above the one
    /// before, as in most files) none can repeat and none is hashed; when the
    /// order first breaks, the ids so far go into the set.
    fn first_with_id(&mut self, id: &SourceId, feature: usize) -> Option<usize> {
        if let IdOrder::Ascending(last) = self.order {
            if let SourceId::Int(i) = *id
                && last.is_none_or(|last| i > last)
            {
                self.order = IdOrder::Ascending(Some(i));
                return None;
            }
            self.order = IdOrder::Hashed;
            self.seen
                .reserve(self.placed.capacity().max(self.placed.len() + 1));
            for (segment, placed) in self.segments.iter().zip(&self.placed) {
                self.seen.insert(segment.id.clone(), placed.feature);
            }
        }
        match self.seen.entry(id.clone()) {
            Entry::Occupied(e) => Some(*e.get()),
            Entry::Vacant(v) => {
                v.insert(feature);
                None
            }
        }
    }

    /// Guards the CRS, reprojects and builds the network.
    ///
    /// # Errors
    ///
    /// [`Error::File`] when nothing usable was read; [`Error::Crs`] when the
    /// coordinates do not fit the source CRS or the work CRS is unusable.
    pub(crate) fn finish(mut self, source_crs: Crs, sha256: String) -> Result<LoadedStreets> {
        if self.placed.is_empty() {
            let skipped = self.report.skipped_total();
            let problem = if skipped > 0 {
                format!(
                    "no usable street features: all {skipped} were skipped ({:?})",
                    self.report.skipped
                )
            } else {
                "the file holds no street features".to_owned()
            };
            return Err(Error::file(
                &self.path,
                problem,
                "check that this is the streets file and that it has line features",
            ));
        }
        let geographic = source_crs.is_geographic()?;
        self.guard_ranges(&source_crs, geographic)?;

        // PROJ's WGS 84 to WGS 84 pass is the identity, bit for bit (tested below).
        let extent = if source_crs == Crs::wgs84() {
            extent(&self.coords)
        } else {
            let mut lonlat = self.coords.clone();
            transform_parallel(&source_crs, &Crs::wgs84(), &mut lonlat)
                .map_err(|e| self.crs_looks_wrong(&source_crs, &e.to_string()))?;
            extent(&lonlat)
        };
        self.guard_area_of_use(&source_crs, extent)?;

        let work_crs = match &self.opts.work_crs {
            Some(c) => {
                self.report
                    .note(format!("working CRS {} (given)", c.label()));
                c.clone()
            }
            None => {
                let (c, why) = choose_work_crs(&source_crs, extent)?;
                self.report.note(why);
                c
            }
        };
        check_work_crs(&work_crs)?;
        // A WGS84 file's own vertices, for outputs in WGS84 (no round trip, no inverse pass).
        let source_lonlat =
            (source_crs == Crs::wgs84() && work_crs != source_crs).then(|| self.coords.clone());
        if work_crs != source_crs {
            transform_parallel(&source_crs, &work_crs, &mut self.coords)
                .map_err(|e| self.crs_looks_wrong(&source_crs, &e.to_string()))?;
        }

        // Segment lengths in parallel; problems are counted (or fail) in feature order.
        // The (rare) failures are boxed, so that the results take no more room than the
        // segments and become them in place (no second network-sized vector).
        // Each segment gets its line through `Segment::new` (which checks it and
        // measures it), where it lies; the (rare) failures are noted in input order.
        let coords = std::mem::take(&mut self.coords);
        let mut segments = std::mem::take(&mut self.segments);
        let placed = std::mem::take(&mut self.placed);
        let failures: Vec<(usize, usize, streetrank::Error)> = segments
            .par_iter_mut()
            .zip(placed.par_iter())
            .enumerate()
            .filter_map(|(index, (segment, p))| {
                let id = std::mem::replace(&mut segment.id, SourceId::Int(0));
                let line = LineString::new(coords[p.start..p.start + p.len].to_vec());
                match Segment::new(id, line) {
                    Ok(built) => {
                        segment.id = built.id;
                        segment.geometry = built.geometry;
                        segment.length_m = built.length_m;
                        None
                    }
                    Err(e) => Some((index, p.feature, e)),
                }
            })
            .collect();
        drop(coords);
        // The kept lines' places in the source vertices: `placed` without the failures, as
        // the segments lose them below.
        let mut kept_spans: Vec<(usize, usize)> = Vec::new();
        if source_lonlat.is_some() {
            kept_spans = placed.iter().map(|p| (p.start, p.len)).collect();
            remove_at(&mut kept_spans, failures.iter().map(|f| f.0));
        }
        drop(placed);
        let mut failed = None;
        for (_, feature, e) in &failures {
            let reason = match e {
                streetrank::Error::ZeroLength { .. } => "zero-length geometry",
                _ => "bad geometry",
            };
            if failed.is_none()
                && let Err(err) = self.fail_or_skip(
                    *feature,
                    geometry_problem(
                        reason,
                        format!("after reprojection: {e}"),
                        "drop or repair the feature in the source GIS",
                    ),
                )
            {
                failed = Some(err);
            }
        }
        if let Some(err) = failed {
            return Err(err);
        }
        remove_at(&mut segments, failures.iter().map(|f| f.0));
        let network =
            StreetNetwork::new(segments, self.columns.property_names()).map_err(|source| {
                Error::Model {
                    path: self.path.clone(),
                    source,
                }
            })?;
        self.report.loaded = network.segments.len();
        // Whether they still pair up with the segments is checked where they are used
        // (`LoadedStreets::lonlat_lines_in_step`).
        let lonlat_lines = source_lonlat
            .and_then(|coords| LonLatLines::from_spans(coords, kept_spans.into_iter()));
        Ok(LoadedStreets {
            network,
            source_crs,
            work_crs,
            extent_lonlat: extent,
            report: self.report,
            sha256,
            lonlat_lines,
        })
    }

    fn crs_looks_wrong(&self, crs: &Crs, detail: &str) -> Error {
        Error::Crs {
            context: self.path.display().to_string(),
            problem: format!("the coordinates cannot be transformed from the file's CRS {crs}: {detail}"),
            fix: "the CRS looks wrong for these coordinates: give the right one with `--crs EPSG:NNNN` (or `crs = \"EPSG:NNNN\"` in the streets mapping)".into(),
        }
    }

    /// Degrees in a projected file, or lengths in a geographic one.
    fn guard_ranges(&self, crs: &Crs, geographic: bool) -> Result<()> {
        let fix = "give the CRS the coordinates are really in with `--crs EPSG:NNNN` (or `crs = \"EPSG:NNNN\"` in the streets mapping)";
        if geographic {
            let bad = self.placed.iter().find_map(|p| {
                self.coords[p.start..p.start + p.len]
                    .iter()
                    .find(|c| c.x.abs() > 180.0 || c.y.abs() > 90.0)
                    .map(|c| (p.feature, *c))
            });
            if let Some((feature, c)) = bad {
                return Err(Error::Crs {
                    context: self.path.display().to_string(),
                    problem: format!(
                        "the CRS {crs} is longitude/latitude, but feature {feature} has coordinate ({}, {}), outside ±180/±90: the numbers look like projected feet or metres, so the CRS looks wrong",
                        fmt_number(c.x),
                        fmt_number(c.y)
                    ),
                    fix: fix.into(),
                });
            }
        } else if self
            .coords
            .iter()
            .all(|c| c.x.abs() <= 180.0 && c.y.abs() <= 90.0)
        {
            let c = self
                .coords
                .first()
                .copied()
                .unwrap_or(Coord { x: 0.0, y: 0.0 });
            return Err(Error::Crs {
                context: self.path.display().to_string(),
                problem: format!(
                    "the CRS {crs} is projected, but every coordinate lies within ±180/±90 (e.g. ({}, {})): they look like longitude/latitude degrees, so the CRS looks wrong",
                    c.x, c.y
                ),
                fix: "if the coordinates are longitude/latitude, give `--crs EPSG:4326` (or `crs = \"EPSG:4326\"` in the streets mapping)".into(),
            });
        }
        Ok(())
    }

    /// The streets' centre must lie in (or near) the CRS's area of use.
    fn guard_area_of_use(&mut self, crs: &Crs, extent: [f64; 4]) -> Result<()> {
        let area = match self.area_of_use.take() {
            Some(known) => known,
            None => area_of_use_lonlat(crs),
        };
        let Some([w, s, e, n]) = area? else {
            return Ok(());
        };
        let (lon, lat) = ((extent[0] + extent[2]) / 2.0, (extent[1] + extent[3]) / 2.0);
        let margin_x = ((e - w).abs() * 0.25).max(1.0);
        let margin_y = ((n - s).abs() * 0.25).max(1.0);
        let lon_ok = if w <= e {
            lon >= w - margin_x && lon <= e + margin_x
        } else {
            // Area crossing the antimeridian.
            lon >= w - margin_x || lon <= e + margin_x
        };
        let lat_ok = lat >= s - margin_y && lat <= n + margin_y;
        if lon_ok && lat_ok {
            Ok(())
        } else {
            Err(Error::Crs {
                context: self.path.display().to_string(),
                problem: format!(
                    "read in the CRS {crs}, the streets' centre falls at longitude {lon:.4}, latitude {lat:.4}, far outside the area where that CRS is used (west {w}, south {s}, east {e}, north {n}): the CRS looks wrong"
                ),
                fix: "give the CRS the coordinates are really in with `--crs EPSG:NNNN` (or `crs = \"EPSG:NNNN\"` in the streets mapping)".into(),
            })
        }
    }
}

/// Removes the items at `indices` (increasing) and keeps the others in order.
fn remove_at<T>(items: &mut Vec<T>, indices: impl Iterator<Item = usize>) {
    let mut next = indices.peekable();
    if next.peek().is_none() {
        return;
    }
    let mut index = 0;
    items.retain(|_| {
        let keep = next.peek() != Some(&index);
        if !keep {
            next.next();
        }
        index += 1;
        keep
    });
}

/// A geographic or non-metre work CRS is refused.
fn check_work_crs(crs: &Crs) -> Result<()> {
    let problem = if crs.is_geographic()? {
        Some(
            "it is geographic (degrees); distances and lengths need a projected CRS in metres"
                .to_owned(),
        )
    } else {
        match crs.metres_per_unit()? {
            Some(m) if (m - 1.0).abs() < 1e-9 => None,
            Some(m) => Some(format!("its unit is {m} m, not the metre")),
            None => Some("it has no linear unit".to_owned()),
        }
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(Error::Crs {
            context: format!("working CRS {crs}"),
            problem,
            fix: "choose a projected CRS in metres (e.g. the local UTM zone, EPSG:326zz), or leave it unset to use the UTM zone of the streets".into(),
        }),
    }
}

/// The largest coordinate magnitude any real CRS uses, with a wide margin
/// (UTM northings reach 1e7 m, State Plane feet 2e7 ft): beyond it a value is
/// garbage (`1e300`), not a wrong CRS.
const MAX_COORDINATE: f64 = 1e9;

/// Checks a feature's parts: one part of at least two finite, distinct points.
fn single_line(parts: Vec<Vec<Coord<f64>>>) -> Result<Vec<Coord<f64>>, Problem> {
    let mut nonempty: Vec<Vec<Coord<f64>>> = parts.into_iter().filter(|p| !p.is_empty()).collect();
    if nonempty.len() > 1 {
        return Err(geometry_problem(
            "multi-part geometry",
            format!(
                "the line has {} parts; a street segment must be one connected line",
                nonempty.len()
            ),
            "split multi-part lines into single parts in the source GIS (\"multipart to singlepart\"), or load with on_error = skip",
        ));
    }
    let line = nonempty.pop().unwrap_or_default();
    check_line(&line)?;
    Ok(line)
}

/// Checks one line: at least two finite, distinct points (an empty line is an
/// empty geometry).
fn check_line(line: &[Coord<f64>]) -> Result<(), Problem> {
    let fix = "drop or repair the feature in the source GIS (or load with on_error = skip)";
    if line.is_empty() {
        return Err(geometry_problem(
            "empty geometry",
            "the geometry is empty".into(),
            fix,
        ));
    }
    if let Some((i, c)) = line
        .iter()
        .enumerate()
        .find(|(_, c)| !(c.x.is_finite() && c.y.is_finite()))
    {
        return Err(geometry_problem(
            "non-finite coordinate",
            format!("vertex {} is not a finite number ({}, {})", i + 1, c.x, c.y),
            fix,
        ));
    }
    if let Some((i, c)) = line
        .iter()
        .enumerate()
        .find(|(_, c)| c.x.abs() > MAX_COORDINATE || c.y.abs() > MAX_COORDINATE)
    {
        return Err(geometry_problem(
            "coordinate out of range",
            format!(
                "vertex {} ({}, {}) is beyond ±1e9: no map coordinate is that large",
                i + 1,
                fmt_number(c.x),
                fmt_number(c.y)
            ),
            fix,
        ));
    }
    if line.len() < 2 {
        return Err(geometry_problem(
            "empty geometry",
            "the line has a single point; a street needs at least two distinct points".into(),
            fix,
        ));
    }
    if line.iter().all(|c| *c == line[0]) {
        return Err(geometry_problem(
            "zero-length geometry",
            "the line has zero length (all its points coincide)".into(),
            fix,
        ));
    }
    Ok(())
}

/// `[west, south, east, north]` of coordinates (all finite, non-empty).
fn extent(coords: &[Coord<f64>]) -> [f64; 4] {
    coords.iter().fold(
        [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ],
        |[w, s, e, n], c| [w.min(c.x), s.min(c.y), e.max(c.x), n.max(c.y)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
    }

    #[test]
    fn single_line_table() {
        type Case = (Vec<Vec<Coord<f64>>>, Option<&'static str>);
        let cases: Vec<Case> = vec![
            (vec![], Some("empty geometry")),
            (vec![vec![]], Some("empty geometry")),
            (vec![vec![c(1.0, 1.0)]], Some("empty geometry")),
            (
                vec![vec![c(1.0, 1.0), c(1.0, 1.0)]],
                Some("zero-length geometry"),
            ),
            (
                vec![vec![c(f64::NAN, 1.0), c(1.0, 1.0)]],
                Some("non-finite coordinate"),
            ),
            (
                vec![vec![c(0.0, 0.0), c(f64::INFINITY, 1.0)]],
                Some("non-finite coordinate"),
            ),
            (
                vec![
                    vec![c(0.0, 0.0), c(1.0, 0.0)],
                    vec![c(2.0, 0.0), c(3.0, 0.0)],
                ],
                Some("multi-part geometry"),
            ),
            (
                vec![vec![c(0.0, 0.0), c(1e300, 1.0)]],
                Some("coordinate out of range"),
            ),
            (
                vec![vec![c(0.0, -1.000_000_1e9), c(0.0, 0.0)]],
                Some("coordinate out of range"),
            ),
            // The bound itself is still a coordinate.
            (vec![vec![c(0.0, 0.0), c(1e9, -1e9)]], None),
            // An empty second part is ignored.
            (vec![vec![c(0.0, 0.0), c(1.0, 0.0)], vec![]], None),
            (vec![vec![c(0.0, 0.0), c(0.0, 0.0), c(0.0, 2.0)]], None),
        ];
        for (parts, want) in cases {
            let got = single_line(parts.clone());
            match (got, want) {
                (Ok(_), None) => {}
                (Err(p), Some(reason)) => {
                    assert_eq!(p.0, reason, "{parts:?}");
                    assert_eq!(p.1, "geometry");
                }
                (got, want) => panic!("{parts:?}: {got:?} vs {want:?}"),
            }
        }
    }

    /// A value for every column.
    struct Same(PropertyValue);
    impl Row for Same {
        fn value(&self, _: &str) -> PropertyValue {
            self.0.clone()
        }
    }

    /// Repeated ids are found whether the ids ascend, stop ascending, or are text.
    #[test]
    fn repeated_ids_table() {
        let int = PropertyValue::Int;
        let text = |s: &str| PropertyValue::Text(s.into());
        // (ids in feature order, the (feature, first feature) of each repeat)
        type Case = (Vec<PropertyValue>, Vec<(usize, usize)>);
        let cases: Vec<Case> = vec![
            (vec![int(1), int(5), int(9)], vec![]),
            (vec![int(1), int(5), int(9), int(5)], vec![(4, 2)]),
            (vec![int(3), int(2), int(3), int(2)], vec![(3, 1), (4, 2)]),
            (
                vec![int(1), int(2), text("a"), int(2), text("a")],
                vec![(4, 2), (5, 3)],
            ),
            (vec![text("a"), int(1), int(2), int(1)], vec![(4, 2)]),
            (vec![int(-5), int(-5)], vec![(2, 1)]),
            (
                vec![int(i64::MIN), int(i64::MAX), int(i64::MIN)],
                vec![(3, 1)],
            ),
        ];
        let opts = StreetsOptions {
            on_error: crate::OnError::List,
            ..StreetsOptions::default()
        };
        let columns = Columns {
            id: Some("id".into()),
            ..Columns::default()
        };
        for (ids, want) in cases {
            let mut b = Builder::new(Path::new("x"), &opts, columns.clone(), LoadReport::new("x"));
            for (i, id) in ids.iter().enumerate() {
                let line = vec![vec![c(0.0, 0.0), c(1.0, i as f64)]];
                b.push(i + 1, Ok(line), &Same(id.clone())).unwrap();
            }
            let got: Vec<String> = b
                .report
                .skip_examples
                .get("duplicate id")
                .cloned()
                .unwrap_or_default();
            assert_eq!(got.len(), want.len(), "{ids:?}: {got:?}");
            for (g, (feature, first)) in got.iter().zip(&want) {
                assert!(
                    g.contains(&format!("record {feature},"))
                        && g.contains(&format!("also appears at feature {first}")),
                    "{ids:?}: {g}"
                );
            }
        }
    }

    #[test]
    fn remove_at_table() {
        let cases: [(&[usize], &[u8]); 5] = [
            (&[], &[0, 1, 2, 3, 4]),
            (&[0], &[1, 2, 3, 4]),
            (&[4], &[0, 1, 2, 3]),
            (&[1, 2, 4], &[0, 3]),
            (&[0, 1, 2, 3, 4], &[]),
        ];
        for (indices, want) in cases {
            let mut items: Vec<u8> = (0..5).collect();
            remove_at(&mut items, indices.iter().copied());
            assert_eq!(items, want, "{indices:?}");
        }
    }

    #[test]
    fn extent_and_work_crs() {
        assert_eq!(extent(&[c(1.0, 5.0), c(-2.0, 7.0)]), [-2.0, 5.0, 1.0, 7.0]);
        assert!(check_work_crs(&Crs::epsg(32618)).is_ok());
        let geo = check_work_crs(&Crs::wgs84()).unwrap_err().to_string();
        assert!(geo.contains("geographic"), "{geo}");
        let feet = check_work_crs(&Crs::epsg(2261)).unwrap_err().to_string();
        assert!(feet.contains("not the metre"), "{feet}");
    }
}

#[cfg(test)]
mod identity_tests {
    use super::*;

    /// PROJ's WGS 84 to WGS 84 pass leaves every coordinate bit for bit as it was,
    /// which is what lets `finish` skip it.
    #[test]
    fn wgs84_to_wgs84_is_the_identity() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut unit = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut coords: Vec<Coord<f64>> = (0..100_000)
            .map(|_| Coord {
                x: unit() * 360.0 - 180.0,
                y: unit() * 180.0 - 90.0,
            })
            .collect();
        for x in [-180.0, 180.0, 0.0, -0.0, 1e-300, -179.999_999_999_999_97] {
            for y in [-90.0, 90.0, 0.0, -0.0, 89.999_999_999_999_99, 5e-324] {
                coords.push(Coord { x, y });
            }
        }
        let mut out = coords.clone();
        transform_parallel(&Crs::wgs84(), &Crs::wgs84(), &mut out).unwrap();
        for (a, b) in coords.iter().zip(&out) {
            assert_eq!(
                (a.x.to_bits(), a.y.to_bits()),
                (b.x.to_bits(), b.y.to_bits()),
                "{a:?} -> {b:?}"
            );
        }
    }
}
