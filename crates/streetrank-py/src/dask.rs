//! Scale-out (issue 7): the steps `streetrank.dask` runs on a cluster's partitions and, once, at
//! the end, on plain arrays with the GIL released.
//!
//! Each step calls the code the single-machine `score` calls (the working-CRS projection,
//! `streetrank::StreetIndex` through `_streetrank.StreetIndex`, `streetrank::pressure_tally`,
//! `streetrank::score_tallies`, the ranking table), so a cluster's answer is the single
//! machine's, bit for bit. See `docs/scale-out.md`.

use std::path::PathBuf;

use geo_types::{Coord, Point};
use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use streetrank::{
    Complaint, PressurePoint, PressureTally, ScoreTotals, SourceId, Timestamp, UnmatchedReason,
};

use crate::convert::{coords, ids, slice1};
use crate::errors::{core_error, data_error};
use crate::index::{segments, to_work};
use crate::readers::{crs, run_config};
use crate::scoring::{item, prepare_run, ranking_output, score_config};

/// The streets in the working CRS that `score` would work in (the config's `work_crs`, else
/// the streets' own CRS when metric, else their UTM zone), checked as `score` checks them.
///
/// Returns `coords` (`(n, 2)`, projected), `lengths` (metres per segment, as scoring reads
/// them), `work_crs` (definition), `work_crs_label` and `reprojected`.
#[pyfunction]
pub fn project_streets<'py>(
    py: Python<'py>,
    street_ids: &Bound<'py, PyAny>,
    street_coords: PyReadonlyArray2<'py, f64>,
    offsets: PyReadonlyArray1<'py, i64>,
    street_crs: &str,
    config_json: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let cfg = run_config(config_json)?;
    let street_ids = ids(street_ids, "street ids")?;
    let mut xy = coords(&street_coords, "street coordinates")?;
    let offsets = slice1(&offsets, "line offsets")?;
    let from = crs(street_crs)?;
    let (work, lengths) = py.detach(|| -> PyResult<_> {
        let work = to_work(&mut xy, &from, cfg.work_crs.as_ref())?;
        let segs = segments(street_ids, &xy, offsets)?;
        Ok((work, segs.iter().map(|s| s.length_m).collect::<Vec<f64>>()))
    })?;
    let n = xy.len();
    let flat: Vec<f64> = xy.iter().flat_map(|c| [c.x, c.y]).collect();
    let a = Array2::from_shape_vec((n, 2), flat)
        .map_err(|e| data_error(format!("street coordinates: {e}")))?;
    let d = PyDict::new(py);
    d.set_item("coords", a.into_pyarray(py))?;
    d.set_item("lengths", lengths.into_pyarray(py))?;
    d.set_item("work_crs", work.definition())?;
    d.set_item("work_crs_label", work.label())?;
    d.set_item("reprojected", work != from)?;
    Ok(d)
}

/// Points `x`, `y` in `from_crs` moved into `work_crs` exactly as `score` moves complaints
/// (the same PROJ transformation, point by point); returns the new `(x, y)`.
#[pyfunction]
pub fn project_points<'py>(
    py: Python<'py>,
    x: PyReadonlyArray1<'py, f64>,
    y: PyReadonlyArray1<'py, f64>,
    from_crs: &str,
    work_crs: &str,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let (x, y) = (x.as_array(), y.as_array());
    if x.len() != y.len() {
        return Err(data_error(format!(
            "points: {} x but {} y coordinates",
            x.len(),
            y.len()
        )));
    }
    let from = crs(from_crs)?;
    let work = crs(work_crs)?;
    let mut xy: Vec<Coord<f64>> = x
        .iter()
        .zip(y.iter())
        .map(|(&x, &y)| Coord { x, y })
        .collect();
    py.detach(|| to_work(&mut xy, &from, Some(&work)))?;
    let (xs, ys): (Vec<f64>, Vec<f64>) = xy.into_iter().map(|c| (c.x, c.y)).unzip();
    Ok((
        xs.into_pyarray(py).into_any(),
        ys.into_pyarray(py).into_any(),
    ))
}

/// Raises the error `score` raises for complaint `id` at (`x`, `y`) in the working CRS
/// (a non-finite point); returns nothing when the point is fine.
#[pyfunction]
pub fn check_complaint(id: &Bound<'_, PyAny>, x: f64, y: f64) -> PyResult<()> {
    let list = PyList::new(id.py(), [id])?;
    let id = ids(&list, "complaint id")?
        .into_iter()
        .next()
        .ok_or_else(|| data_error("complaint id: none given"))?;
    Complaint::new(id, Point::new(x, y)).map_err(|e| core_error(&e))?;
    Ok(())
}

/// The texts of the unmatched reasons `snap` can give with `max_distance_m`: no street within
/// it, a non-finite point, an index without streets.
#[pyfunction]
pub fn unmatched_reasons(max_distance_m: f64) -> Vec<String> {
    [
        UnmatchedReason::NoSegmentWithin { max_distance_m },
        UnmatchedReason::NonFinitePoint,
        UnmatchedReason::EmptyIndex,
    ]
    .iter()
    .map(streetrank_io::unmatched_reason_text)
    .collect()
}

/// The time complaint ages are measured from, in seconds: `as_of` (a UTC date text), else the
/// config's, else `latest` (the latest creation time of all complaints), else 0.
#[pyfunction]
#[pyo3(signature = (config_json, as_of=None, latest=None))]
pub fn resolve_as_of(config_json: &str, as_of: Option<&str>, latest: Option<i64>) -> PyResult<i64> {
    let cfg = run_config(config_json)?;
    let score_cfg = score_config(&cfg, as_of)?;
    let totals = ScoreTotals {
        latest: latest.map(|t| (Timestamp(t), 0, SourceId::from(0))),
        ..ScoreTotals::default()
    };
    Ok(totals.as_of(&score_cfg).0)
}

/// The pressure tallies (`streetrank::pressure_tally`) of the segments named in `segment`,
/// from their matched complaints in any order: `segment`, `position` (in the whole input),
/// working-CRS `x`, `y`, `created` (seconds, `i64::MIN` for none) and `length` (the
/// segment's, from `project_streets`). Every complaint of a named segment must be here.
///
/// Returns the columns `segment` (ascending, each once), `raw`, `matched`, `kept`, `future`,
/// `undated`, `duplicates`.
// The Python keyword arguments of one call; a struct would only move them around.
#[allow(clippy::too_many_arguments)]
#[pyfunction]
pub fn tally_segments<'py>(
    py: Python<'py>,
    segment: PyReadonlyArray1<'py, i64>,
    position: PyReadonlyArray1<'py, i64>,
    x: PyReadonlyArray1<'py, f64>,
    y: PyReadonlyArray1<'py, f64>,
    created: PyReadonlyArray1<'py, i64>,
    length: PyReadonlyArray1<'py, f64>,
    as_of: i64,
    config_json: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let cfg = run_config(config_json)?;
    let score_cfg = score_config(&cfg, None)?;
    let (segment, position) = (slice1(&segment, "segment")?, slice1(&position, "position")?);
    let (x, y) = (slice1(&x, "x")?, slice1(&y, "y")?);
    let (created, length) = (slice1(&created, "created")?, slice1(&length, "length")?);
    let n = segment.len();
    if [
        position.len(),
        x.len(),
        y.len(),
        created.len(),
        length.len(),
    ] != [n; 5]
    {
        return Err(data_error("tally_segments: the columns differ in length"));
    }
    let columns = py.detach(|| -> PyResult<TallyColumns> {
        let mut rows: Vec<(usize, f64, PressurePoint)> = Vec::with_capacity(n);
        for k in 0..n {
            let s = usize::try_from(segment[k])
                .map_err(|_| data_error(format!("segment {} is negative", segment[k])))?;
            let position = u64::try_from(position[k])
                .map_err(|_| data_error(format!("position {} is negative", position[k])))?;
            let created = (created[k] != i64::MIN).then_some(Timestamp(created[k]));
            rows.push((
                s,
                length[k],
                PressurePoint {
                    x: x[k],
                    y: y[k],
                    created,
                    position,
                },
            ));
        }
        rows.sort_unstable_by_key(|(s, _, p)| (*s, p.position));
        let points: Vec<PressurePoint> = rows.iter().map(|(_, _, p)| *p).collect();
        let mut out = TallyColumns::default();
        let mut start = 0;
        while start < rows.len() {
            let (s, length_m, _) = rows[start];
            let end = start + rows[start..].iter().take_while(|r| r.0 == s).count();
            let tally = streetrank::pressure_tally(
                &points[start..end],
                Timestamp(as_of),
                &score_cfg,
                length_m,
            );
            out.push(s, &tally);
            start = end;
        }
        Ok(out)
    })?;
    columns.into_py(py)
}

/// Tallies as columns, one row per segment.
#[derive(Default)]
struct TallyColumns {
    segment: Vec<i64>,
    raw: Vec<f64>,
    counts: [Vec<i64>; 5],
}

const COUNT_NAMES: [&str; 5] = ["matched", "kept", "future", "undated", "duplicates"];

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl TallyColumns {
    fn push(&mut self, s: usize, t: &PressureTally) {
        self.segment.push(count(s));
        self.raw.push(t.raw);
        for (c, v) in
            self.counts
                .iter_mut()
                .zip([t.matched, t.kept, t.future, t.undated, t.duplicates])
        {
            c.push(count(v));
        }
    }

    fn into_py(self, py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("segment", self.segment.into_pyarray(py))?;
        d.set_item("raw", self.raw.into_pyarray(py))?;
        for (name, c) in COUNT_NAMES.iter().zip(self.counts) {
            d.set_item(*name, c.into_pyarray(py))?;
        }
        Ok(d)
    }
}

/// A count column of the tallies, checked non-negative.
fn counts(d: &Bound<'_, PyDict>, key: &str) -> PyResult<Vec<usize>> {
    let a: PyReadonlyArray1<'_, i64> = item(d, key)?.extract()?;
    slice1(&a, key)?
        .iter()
        .map(|&v| usize::try_from(v).map_err(|_| data_error(format!("{key}: {v} is negative"))))
        .collect()
}

/// Ranks the streets from the tallies of `tally_segments` (every segment with a complaint,
/// each once) and the totals over all complaints, and returns what `score` returns: the same
/// ranking table, bit for bit, as `score` on the same data.
///
/// `latest` is the latest creation time of all complaints, the input position of the first
/// complaint with it and its id. The other arguments are `score`'s, `text_buffers` too.
// The Python keyword arguments of one call; a struct would only move them around.
#[allow(clippy::too_many_arguments)]
#[pyfunction]
#[pyo3(signature = (streets, tallies, complaints, matched, latest, config_json, digests, as_of=None, ratings=None, on_error_name="fail", profile="publish", text_buffers=false))]
pub fn score_tallies<'py>(
    py: Python<'py>,
    streets: &Bound<'py, PyDict>,
    tallies: &Bound<'py, PyDict>,
    complaints: usize,
    matched: usize,
    latest: Option<(i64, usize, Bound<'py, PyAny>)>,
    config_json: &str,
    digests: Vec<(String, String, String)>,
    as_of: Option<&str>,
    ratings: Option<PathBuf>,
    on_error_name: &str,
    profile: &str,
    text_buffers: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let (run, _) = prepare_run(
        py,
        streets,
        config_json,
        digests,
        as_of,
        ratings.as_ref(),
        on_error_name,
        profile,
        None,
    )?;
    let latest = match latest {
        None => None,
        Some((t, position, id)) => {
            let list = PyList::new(py, [id])?;
            let id = ids(&list, "complaint id")?
                .into_iter()
                .next()
                .ok_or_else(|| data_error("complaint id: none given"))?;
            Some((Timestamp(t), position, id))
        }
    };
    let totals = ScoreTotals {
        complaints,
        matched,
        latest,
    };
    let segment_a: PyReadonlyArray1<'_, i64> = item(tallies, "segment")?.extract()?;
    let raw_a: PyReadonlyArray1<'_, f64> = item(tallies, "raw")?.extract()?;
    let segment = slice1(&segment_a, "segment")?;
    let raw = slice1(&raw_a, "raw")?;
    let columns: Vec<Vec<usize>> = COUNT_NAMES
        .iter()
        .map(|k| counts(tallies, k))
        .collect::<PyResult<_>>()?;
    let n = run.net.segments.len();
    if raw.len() != segment.len() || columns.iter().any(|c| c.len() != segment.len()) {
        return Err(data_error("tallies: the columns differ in length"));
    }
    let ranking = py.detach(|| -> PyResult<_> {
        let as_of = totals.as_of(&run.score_cfg);
        // Segments without complaints: the tally of none, from the same function.
        let mut all: Vec<Option<PressureTally>> = vec![None; n];
        for (k, &s) in segment.iter().enumerate() {
            let slot = usize::try_from(s)
                .ok()
                .and_then(|s| all.get_mut(s))
                .ok_or_else(|| {
                    data_error(format!(
                        "tallies: segment {s} is not one of the {n} streets"
                    ))
                })?;
            if slot.is_some() {
                return Err(data_error(format!("tallies: segment {s} appears twice")));
            }
            *slot = Some(PressureTally {
                raw: raw[k],
                matched: columns[0][k],
                kept: columns[1][k],
                future: columns[2][k],
                undated: columns[3][k],
                duplicates: columns[4][k],
            });
        }
        let tallies: Vec<PressureTally> = all
            .into_iter()
            .zip(&run.net.segments)
            .map(|(t, seg)| {
                t.unwrap_or_else(|| {
                    streetrank::pressure_tally(&[], as_of, &run.score_cfg, seg.length_m)
                })
            })
            .collect();
        streetrank::score_tallies(&run.net, &tallies, &totals, &run.score_cfg, &run.digests)
            .map_err(|e| core_error(&e))
    })?;
    ranking_output(py, &run, &ranking, text_buffers)
}
