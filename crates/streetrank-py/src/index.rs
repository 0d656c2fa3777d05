//! `StreetIndex`: the core R-tree index, built once from numpy arrays and queried many times.

use geo_types::{Coord, Point};
use numpy::{IntoPyArray, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use streetrank::{Segment, Side, SnapOptions, SnapOutcome, SourceId};
use streetrank_io::Crs;

use crate::convert::{lines, slice1};
use crate::errors::{core_error, data_error, io_error};
use crate::readers::choose_work_crs;

/// Moves `xy` from `from` into the working CRS: `work` when given, else `from` itself when it is
/// projected in metres, else the UTM zone of the data's centre. Returns the working CRS.
pub fn to_work(xy: &mut [Coord<f64>], from: &Crs, work: Option<&Crs>) -> PyResult<Crs> {
    let target = match work {
        Some(w) => w.clone(),
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
            choose_work_crs(from, (x0 + x1) / 2.0, (y0 + y1) / 2.0)?
        }
    };
    if &target != from {
        streetrank_io::transform_parallel(from, &target, xy).map_err(|e| io_error(&e))?;
    }
    Ok(target)
}

/// Segments from ids and ragged line coordinates (already in the working CRS).
pub fn segments(ids: Vec<SourceId>, xy: &[Coord<f64>], offsets: &[i64]) -> PyResult<Vec<Segment>> {
    let lines = lines(xy, offsets)?;
    if lines.len() != ids.len() {
        return Err(data_error(format!(
            "{} ids for {} street geometries",
            ids.len(),
            lines.len()
        )));
    }
    ids.into_iter()
        .zip(lines)
        .map(|(id, line)| Segment::new(id, line).map_err(|e| core_error(&e)))
        .collect()
}

/// Snapping options, validated.
pub fn snap_options(max_distance_m: f64, ambiguity_tolerance_m: f64) -> PyResult<SnapOptions> {
    let opts = SnapOptions::new()
        .max_distance_m(max_distance_m)
        .ambiguity_tolerance_m(ambiguity_tolerance_m);
    opts.validate().map_err(|e| core_error(&e))?;
    Ok(opts)
}

/// Snap outcomes as columns: positions (`-1` for none), metres, side codes (0 left, 1 right,
/// 2 on, -1 none), reason codes into `reasons` (-1 for matched).
pub fn outcomes_to_py<'py>(
    py: Python<'py>,
    outcomes: &[SnapOutcome],
) -> PyResult<Bound<'py, PyDict>> {
    let n = outcomes.len();
    let (mut seg, mut dist, mut frac, mut chain) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut side, mut ru, mut ru_m, mut amb, mut reason) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let mut reasons: Vec<String> = Vec::new();
    let pos = |i: usize| i64::try_from(i).unwrap_or(-1);
    for o in outcomes {
        match o {
            SnapOutcome::Snapped(s) => {
                seg.push(pos(s.segment));
                dist.push(s.distance_m);
                frac.push(s.fraction);
                chain.push(s.chainage_m);
                // Codes into `_SIDES` in _api.py, spelled as `Side::as_str` spells them.
                side.push(match s.side {
                    Side::Left => 0_i8,
                    Side::Right => 1,
                    _ => 2,
                });
                ru.push(s.runner_up.map_or(-1, |r| pos(r.segment)));
                ru_m.push(s.runner_up.map_or(f64::NAN, |r| r.distance_m));
                amb.push(s.ambiguous);
                reason.push(-1_i32);
            }
            SnapOutcome::Unmatched(r) => {
                seg.push(-1);
                dist.push(f64::NAN);
                frac.push(f64::NAN);
                chain.push(f64::NAN);
                side.push(-1);
                ru.push(-1);
                ru_m.push(f64::NAN);
                amb.push(false);
                let text = streetrank_io::unmatched_reason_text(r);
                let k = match reasons.iter().position(|t| *t == text) {
                    Some(k) => k,
                    None => {
                        reasons.push(text);
                        reasons.len() - 1
                    }
                };
                reason.push(i32::try_from(k).unwrap_or(i32::MAX));
            }
        }
    }
    let d = PyDict::new(py);
    d.set_item("segment", seg.into_pyarray(py))?;
    d.set_item("distance_m", dist.into_pyarray(py))?;
    d.set_item("fraction", frac.into_pyarray(py))?;
    d.set_item("chainage_m", chain.into_pyarray(py))?;
    d.set_item("side", side.into_pyarray(py))?;
    d.set_item("runner_up", ru.into_pyarray(py))?;
    d.set_item("runner_up_m", ru_m.into_pyarray(py))?;
    d.set_item("ambiguous", amb.into_pyarray(py))?;
    d.set_item("reason", reason.into_pyarray(py))?;
    d.set_item("reasons", PyList::new(py, reasons)?)?;
    Ok(d)
}

/// An R-tree over street segments in one working CRS.
#[pyclass(module = "streetrank._streetrank", frozen)]
pub struct StreetIndex {
    index: streetrank::StreetIndex,
    work_crs: Crs,
    reprojected: bool,
    len: usize,
}

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
        let ids = crate::convert::ids(ids, "street ids")?;
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
                work_crs: w,
                len: segs.len(),
            })
        })
    }

    /// Snaps `(n, 2)` points given in `crs`; returns the outcome columns.
    #[pyo3(signature = (coords, crs, max_distance_m, ambiguity_tolerance_m))]
    fn snap<'py>(
        &self,
        py: Python<'py>,
        coords: PyReadonlyArray2<'py, f64>,
        crs: &str,
        max_distance_m: f64,
        ambiguity_tolerance_m: f64,
    ) -> PyResult<Bound<'py, PyDict>> {
        let opts = snap_options(max_distance_m, ambiguity_tolerance_m)?;
        let from = crate::readers::crs(crs)?;
        let flat = coords_slice(&coords)?;
        let outcomes = py.detach(|| -> PyResult<Vec<SnapOutcome>> {
            let pts: Vec<Point<f64>> = if from == self.work_crs {
                flat.chunks_exact(2)
                    .map(|c| Point::new(c[0], c[1]))
                    .collect()
            } else {
                let mut xy: Vec<Coord<f64>> = flat
                    .chunks_exact(2)
                    .map(|c| Coord { x: c[0], y: c[1] })
                    .collect();
                to_work(&mut xy, &from, Some(&self.work_crs))?;
                xy.into_iter().map(Point).collect()
            };
            Ok(self.index.snap_all(&pts, &opts))
        })?;
        outcomes_to_py(py, &outcomes)
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
