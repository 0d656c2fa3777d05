//! `StreetIndex`: the core R-tree index, built once from numpy arrays and queried many times.

use std::sync::{Mutex, PoisonError};

use geo_types::{Coord, LineString, Point};
use numpy::{IntoPyArray, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use rayon::prelude::*;
use streetrank::{Segment, Side, SnapOptions, SnapOutcome, SourceId, UnmatchedReason};
use streetrank_io::Crs;

use crate::convert::{line_parts, slice1};
use crate::errors::{core_error, data_error, io_error};

/// Moves `xy` from `from` into the working CRS: `work` when given, else `from` itself when it is
/// projected in metres, else the UTM zone of the data's centre. Returns the working CRS.
pub fn to_work(xy: &mut [Coord<f64>], from: &Crs, work: Option<&Crs>) -> PyResult<Crs> {
    let target = match work {
        Some(w) => w.clone(),
        // Its own working CRS: no need for the extent (a pass of PROJ over every coordinate).
        None if from.is_metric().map_err(|e| io_error(&e))? => from.clone(),
        None => {
            let mut ll = xy.to_vec();
            streetrank_io::transform_parallel(from, &Crs::wgs84(), &mut ll)
                .map_err(|e| io_error(&e))?;
            let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
            for c in ll.iter().filter(|c| c.x.is_finite() && c.y.is_finite()) {
                (x0, y0, x1, y1) = (x0.min(c.x), y0.min(c.y), x1.max(c.x), y1.max(c.y));
            }
            if x0 > x1 {
                return Err(data_error(
                    "no finite coordinates to choose a working CRS from",
                ));
            }
            streetrank_io::choose_work_crs(from, [x0, y0, x1, y1])
                .map_err(|e| io_error(&e))?
                .0
        }
    };
    if &target != from {
        streetrank_io::transform_parallel(from, &target, xy).map_err(|e| io_error(&e))?;
    }
    Ok(target)
}

/// Segments from ids and ragged line coordinates (already in the working CRS), built on the
/// pool; an error is the one the first failing street gives, in input order.
pub fn segments(ids: Vec<SourceId>, xy: &[Coord<f64>], offsets: &[i64]) -> PyResult<Vec<Segment>> {
    let parts = line_parts(xy, offsets)?;
    if parts.len() != ids.len() {
        return Err(data_error(format!(
            "{} ids for {} street geometries",
            ids.len(),
            parts.len()
        )));
    }
    let one = |k: usize| {
        let (id, part) = (ids.get(k).cloned(), parts.get(k).copied());
        let (Some(id), Some((a, b))) = (id, part) else {
            return Err(None);
        };
        let line = LineString::new(xy.get(a..b).unwrap_or_default().to_vec());
        Segment::new(id, line).map_err(Some)
    };
    match (0..ids.len()).into_par_iter().map(one).collect() {
        Ok(segs) => Ok(segs),
        // Not necessarily the first failure: found again in order.
        Err(_) => match (0..ids.len()).map(one).find_map(Result::err) {
            Some(Some(e)) => Err(core_error(&e)),
            _ => Err(data_error("street geometries: a line could not be built")),
        },
    }
}

/// Snapping options, validated.
pub fn snap_options(max_distance_m: f64, ambiguity_tolerance_m: f64) -> PyResult<SnapOptions> {
    let opts = SnapOptions::new()
        .max_distance_m(max_distance_m)
        .ambiguity_tolerance_m(ambiguity_tolerance_m);
    opts.validate().map_err(|e| core_error(&e))?;
    Ok(opts)
}

/// Points snapped at a time by [`SnapColumns::snap`]: as the CLI's batches, large enough for
/// the grid and for the pool to share out; their outcomes take about 190 MB while answered.
const SNAP_CHUNK: usize = 1 << 20;

/// Snap outcomes as columns, built on plain Rust data (no GIL needed) and handed to numpy
/// without copies by [`SnapColumns::into_py`].
pub struct SnapColumns {
    /// Segment positions in the index's input order, `-1` for none.
    segment: Vec<i64>,
    /// Metres to the segment, NaN for none.
    distance_m: Vec<f64>,
    /// Position along the segment in `0..=1`, NaN for none.
    fraction: Vec<f64>,
    /// Metres along the segment, NaN for none.
    chainage_m: Vec<f64>,
    /// Side codes into `_SIDES` in `_api.py`: 0 left, 1 right, 2 on, -1 none.
    side: Vec<i8>,
    /// Runner-up segment positions, `-1` for none.
    runner_up: Vec<i64>,
    /// Metres to the runner-up, NaN for none.
    runner_up_m: Vec<f64>,
    /// Whether the runner-up is within the ambiguity tolerance.
    ambiguous: Vec<bool>,
    /// Codes into `reasons`, `-1` for matched points.
    reason: Vec<i32>,
    /// The distinct unmatched reasons' texts, in order of first appearance.
    reasons: Vec<String>,
}

/// The code of `text` in `texts`, added when new (two reason values can share a text).
fn code_of(texts: &mut Vec<String>, text: String) -> i32 {
    let k = match texts.iter().position(|t| *t == text) {
        Some(k) => k,
        None => {
            texts.push(text);
            texts.len() - 1
        }
    };
    i32::try_from(k).unwrap_or(i32::MAX)
}

impl SnapColumns {
    /// Columns for `n` points, every value zero until [`SnapColumns::fill`] writes it. Zeroed
    /// memory comes from the allocator untouched, so nothing is written twice.
    fn zeroed(n: usize) -> SnapColumns {
        SnapColumns {
            segment: vec![0; n],
            distance_m: vec![0.0; n],
            fraction: vec![0.0; n],
            chainage_m: vec![0.0; n],
            side: vec![0; n],
            runner_up: vec![0; n],
            runner_up_m: vec![0.0; n],
            ambiguous: vec![false; n],
            reason: vec![0; n],
            reasons: Vec::new(),
        }
    }

    /// Snaps `points` with `index` into columns, in input order: [`SNAP_CHUNK`] points at a
    /// time, each chunk's outcomes split into the columns on the pool. Memory holds the
    /// columns and one chunk's outcomes (about 90 bytes a point, twice while a chunk is
    /// answered) instead of every point's. The answers are those of one
    /// `snap_all(points)`: the grid a chunk builds is kept for the next, and grid and
    /// R-tree answer bit for bit alike.
    pub fn snap(
        index: &streetrank::StreetIndex,
        points: &[Point<f64>],
        opts: &SnapOptions,
    ) -> SnapColumns {
        let mut c = SnapColumns::zeroed(points.len());
        let mut seen = Vec::new();
        for (k, chunk) in points.chunks(SNAP_CHUNK).enumerate() {
            c.fill(k * SNAP_CHUNK, &index.snap_all(chunk, opts), &mut seen);
        }
        c
    }

    /// Writes `outcomes` into rows `start..` on the pool. Reason codes index `reasons`, in
    /// order of first appearance over all calls (`seen` holds the reasons met so far with
    /// their codes); each distinct reason is formatted once.
    fn fill(
        &mut self,
        start: usize,
        outcomes: &[SnapOutcome],
        seen: &mut Vec<(UnmatchedReason, i32)>,
    ) {
        const PIECE: usize = 16_384;
        let rows = start..start + outcomes.len();
        let pos = |i: usize| i64::try_from(i).unwrap_or(-1);
        // Each piece codes its reasons in its own order of first appearance, returned.
        let locals: Vec<Vec<UnmatchedReason>> = (
            self.segment[rows.clone()].par_chunks_mut(PIECE),
            self.distance_m[rows.clone()].par_chunks_mut(PIECE),
            self.fraction[rows.clone()].par_chunks_mut(PIECE),
            self.chainage_m[rows.clone()].par_chunks_mut(PIECE),
            self.side[rows.clone()].par_chunks_mut(PIECE),
            self.runner_up[rows.clone()].par_chunks_mut(PIECE),
            self.runner_up_m[rows.clone()].par_chunks_mut(PIECE),
            self.ambiguous[rows.clone()].par_chunks_mut(PIECE),
            self.reason[rows.clone()].par_chunks_mut(PIECE),
            outcomes.par_chunks(PIECE),
        )
            .into_par_iter()
            .map(
                |(
                    segment,
                    distance_m,
                    fraction,
                    chainage_m,
                    side,
                    runner_up,
                    runner_up_m,
                    ambiguous,
                    reason,
                    out,
                )| {
                    let mut local: Vec<UnmatchedReason> = Vec::new();
                    for (k, o) in out.iter().enumerate() {
                        match o {
                            SnapOutcome::Snapped(s) => {
                                segment[k] = pos(s.segment);
                                distance_m[k] = s.distance_m;
                                fraction[k] = s.fraction;
                                chainage_m[k] = s.chainage_m;
                                // Codes into `_SIDES` in _api.py, spelled as `Side::as_str` spells them.
                                side[k] = match s.side {
                                    Side::Left => 0,
                                    Side::Right => 1,
                                    _ => 2,
                                };
                                runner_up[k] = s.runner_up.map_or(-1, |r| pos(r.segment));
                                runner_up_m[k] = s.runner_up.map_or(f64::NAN, |r| r.distance_m);
                                ambiguous[k] = s.ambiguous;
                                reason[k] = -1;
                            }
                            SnapOutcome::Unmatched(r) => {
                                segment[k] = -1;
                                distance_m[k] = f64::NAN;
                                fraction[k] = f64::NAN;
                                chainage_m[k] = f64::NAN;
                                side[k] = -1;
                                runner_up[k] = -1;
                                runner_up_m[k] = f64::NAN;
                                ambiguous[k] = false;
                                let code = local.iter().position(|v| v == r).unwrap_or_else(|| {
                                    local.push(*r);
                                    local.len() - 1
                                });
                                reason[k] = i32::try_from(code).unwrap_or(i32::MAX);
                            }
                        }
                    }
                    local
                },
            )
            .collect();
        // The pieces' codes into the call's: in piece order, so first appearance is kept.
        for (piece, local) in self.reason[rows].chunks_mut(PIECE).zip(locals) {
            let global: Vec<i32> = local
                .into_iter()
                .map(|r| match seen.iter().find(|(v, _)| *v == r) {
                    Some(&(_, code)) => code,
                    None => {
                        let code =
                            code_of(&mut self.reasons, streetrank_io::unmatched_reason_text(&r));
                        seen.push((r, code));
                        code
                    }
                })
                .collect();
            if global
                .iter()
                .enumerate()
                .any(|(k, &g)| usize::try_from(g) != Ok(k))
            {
                for code in piece.iter_mut().filter(|c| **c >= 0) {
                    *code = usize::try_from(*code)
                        .ok()
                        .and_then(|k| global.get(k))
                        .copied()
                        .unwrap_or(i32::MAX);
                }
            }
        }
    }

    /// The columns as `{name: numpy array}` plus `reasons` (a list of texts); moves the
    /// vectors into numpy without copying.
    pub fn into_py(self, py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("segment", self.segment.into_pyarray(py))?;
        d.set_item("distance_m", self.distance_m.into_pyarray(py))?;
        d.set_item("fraction", self.fraction.into_pyarray(py))?;
        d.set_item("chainage_m", self.chainage_m.into_pyarray(py))?;
        d.set_item("side", self.side.into_pyarray(py))?;
        d.set_item("runner_up", self.runner_up.into_pyarray(py))?;
        d.set_item("runner_up_m", self.runner_up_m.into_pyarray(py))?;
        d.set_item("ambiguous", self.ambiguous.into_pyarray(py))?;
        d.set_item("reason", self.reason.into_pyarray(py))?;
        d.set_item("reasons", PyList::new(py, self.reasons)?)?;
        Ok(d)
    }
}

/// An R-tree over street segments in one working CRS.
#[pyclass(module = "streetrank._streetrank", frozen)]
pub struct StreetIndex {
    index: streetrank::StreetIndex,
    work_crs: Crs,
    reprojected: bool,
    len: usize,
    /// CRSs parsed from definitions `snap` was given, most recent last: PROJ takes tens of
    /// milliseconds per parse (it opens its database), a fixed cost on every call otherwise.
    parsed: Mutex<Vec<(String, Crs)>>,
}

/// How many parsed CRS definitions a `StreetIndex` remembers.
const PARSED_CRS_CAPACITY: usize = 8;

#[pymethods]
impl StreetIndex {
    /// Builds the index from ids, `(n, 2)` coordinates in `crs` and `m + 1` line offsets.
    #[new]
    #[pyo3(signature = (ids, coords, offsets, crs, work_crs=None))]
    fn new(
        py: Python<'_>,
        ids: &Bound<'_, PyAny>,
        coords: PyReadonlyArray2<'_, f64>,
        offsets: PyReadonlyArray1<'_, i64>,
        crs: &str,
        work_crs: Option<&str>,
    ) -> PyResult<Self> {
        let ids = crate::convert::ids_in(ids, "street ids")?;
        let mut xy = crate::convert::coords(&coords, "street coordinates")?;
        let offsets = slice1(&offsets, "line offsets")?;
        let from = crate::readers::crs(crs)?;
        let work = work_crs.map(crate::readers::crs).transpose()?;
        py.detach(|| {
            let w = to_work(&mut xy, &from, work.as_ref())?;
            let segs = segments(ids, &xy, offsets)?;
            Ok(StreetIndex {
                index: streetrank::StreetIndex::new(&segs),
                reprojected: w != from,
                parsed: Mutex::new(vec![
                    (crs.to_owned(), from),
                    (w.definition().to_owned(), w.clone()),
                ]),
                work_crs: w,
                len: segs.len(),
            })
        })
    }

    /// Snaps points given as `x` and `y` arrays (any strides) in `crs`; returns the outcome
    /// columns. Everything after reading the arguments runs with the GIL released.
    #[pyo3(signature = (x, y, crs, max_distance_m, ambiguity_tolerance_m))]
    fn snap<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray1<'py, f64>,
        y: PyReadonlyArray1<'py, f64>,
        crs: &str,
        max_distance_m: f64,
        ambiguity_tolerance_m: f64,
    ) -> PyResult<Bound<'py, PyDict>> {
        let opts = snap_options(max_distance_m, ambiguity_tolerance_m)?;
        let (x, y) = (x.as_array(), y.as_array());
        if x.len() != y.len() {
            return Err(data_error(format!(
                "points: {} x but {} y coordinates",
                x.len(),
                y.len()
            )));
        }
        let columns = py.detach(|| -> PyResult<SnapColumns> {
            let from = self.parse_crs(crs)?;
            let mut xy = crate::convert::xy_coords(x, y);
            if from != self.work_crs {
                to_work(&mut xy, &from, Some(&self.work_crs))?;
            }
            let pts: Vec<Point<f64>> = xy.into_iter().map(Point).collect();
            Ok(SnapColumns::snap(&self.index, &pts, &opts))
        })?;
        columns.into_py(py)
    }

    /// Benchmark hook: seconds `snap_all` takes in Rust alone on `(n, 2)` points already in the
    /// working CRS (what `benches/compare_python_overhead.py` compares the Python path against).
    fn _snap_seconds(
        &self,
        py: Python<'_>,
        coords: PyReadonlyArray2<'_, f64>,
        max_distance_m: f64,
        ambiguity_tolerance_m: f64,
    ) -> PyResult<f64> {
        let opts = snap_options(max_distance_m, ambiguity_tolerance_m)?;
        let pts: Vec<Point<f64>> = coords_slice(&coords)?
            .chunks_exact(2)
            .map(|c| Point::new(c[0], c[1]))
            .collect();
        Ok(py.detach(|| {
            let t = std::time::Instant::now();
            let out = self.index.snap_all(&pts, &opts);
            let s = t.elapsed().as_secs_f64();
            drop(std::hint::black_box(out));
            s
        }))
    }

    /// The working CRS's definition.
    #[getter]
    fn work_crs(&self) -> String {
        self.work_crs.definition().to_owned()
    }

    /// The working CRS's short label (`EPSG:32618`).
    #[getter]
    fn work_crs_label(&self) -> String {
        self.work_crs.label()
    }

    /// True when the streets were reprojected into the working CRS.
    #[getter]
    fn reprojected(&self) -> bool {
        self.reprojected
    }

    fn __len__(&self) -> usize {
        self.len
    }
}

impl StreetIndex {
    /// `def` parsed, from the cache when this index has parsed it before.
    fn parse_crs(&self, def: &str) -> PyResult<Crs> {
        // A poisoned lock only means another thread panicked mid-update: the list is still valid.
        let cached = {
            let parsed = self.parsed.lock().unwrap_or_else(PoisonError::into_inner);
            parsed
                .iter()
                .find(|(d, _)| d == def)
                .map(|(_, c)| c.clone())
        };
        if let Some(c) = cached {
            return Ok(c);
        }
        let crs = crate::readers::crs(def)?;
        let mut parsed = self.parsed.lock().unwrap_or_else(PoisonError::into_inner);
        if parsed.len() >= PARSED_CRS_CAPACITY {
            parsed.remove(0);
        }
        parsed.push((def.to_owned(), crs.clone()));
        Ok(crs)
    }
}

/// The flat `[x0, y0, x1, y1, …]` view of an `(n, 2)` C-contiguous array, checked.
fn coords_slice<'a>(a: &'a PyReadonlyArray2<'_, f64>) -> PyResult<&'a [f64]> {
    let shape = a.shape();
    if shape.len() != 2 || shape[1] != 2 {
        return Err(data_error(format!(
            "points: expected an (n, 2) coordinate array, got shape {shape:?}"
        )));
    }
    a.as_slice()
        .map_err(|_| data_error("points: expected a C-contiguous (n, 2) array"))
}
