//! `score`: the CLI's `score` pipeline (snap, ratings, score, ranking table) on arrays.

use std::borrow::Cow;
use std::path::PathBuf;

use geo_types::Point;
use numpy::{IntoPyArray, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use rayon::prelude::*;
use streetrank::{
    Complaint, InputDigest, Ranking, ScoreConfig, ScoreInput, SegmentAttributes, SnapOptions,
    SnapOutcome, StreetNetwork, Timestamp,
};
use streetrank::{PropertyValue, SourceId};
use streetrank_io::{ColumnRole, Crs, Profile, RunConfig};

use crate::convert::{coded_texts_in, coords, ids_in, opt_f64, slice1, xy_coords};
use crate::errors::{config_error, core_error, data_error, io_error};
use crate::index::{segments, snap_options, to_work};
use crate::readers::{crs, run_config};

pub(crate) fn item<'py>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<Bound<'py, PyAny>> {
    d.get_item(key)?.ok_or_else(|| {
        data_error(format!(
            "missing key {key:?} (internal: the Python layer builds this)"
        ))
    })
}

/// The street network from the Python layer's arrays, in the working CRS.
pub(crate) fn network(
    py: Python<'_>,
    d: &Bound<'_, PyDict>,
    work: Option<&Crs>,
) -> PyResult<(StreetNetwork, Crs, bool)> {
    let ids = ids_in(&item(d, "ids")?, "street ids")?;
    let coords_a: PyReadonlyArray2<'_, f64> = item(d, "coords")?.extract()?;
    let offsets_a: PyReadonlyArray1<'_, i64> = item(d, "offsets")?.extract()?;
    let from = crs(&item(d, "crs")?.extract::<String>()?)?;
    let n = ids.len();
    let class: Vec<Option<String>> = coded_texts_in(&item(d, "road_class")?, "road_class")?;
    let district: Vec<Option<String>> = coded_texts_in(&item(d, "district")?, "district")?;
    let floats = |key: &str| -> PyResult<Vec<f64>> {
        let a: PyReadonlyArray1<'_, f64> = item(d, key)?.extract()?;
        let v = slice1(&a, key)?.to_vec();
        if v.len() == n {
            Ok(v)
        } else {
            Err(data_error(format!(
                "{key}: {} values for {n} streets",
                v.len()
            )))
        }
    };
    let (condition, aadt, width, lanes) = (
        floats("condition")?,
        floats("aadt")?,
        floats("width_m")?,
        floats("lanes")?,
    );
    if class.len() != n || district.len() != n {
        return Err(data_error(format!(
            "road_class/district: lengths differ from the {n} streets"
        )));
    }
    let mut xy = coords(&coords_a, "street coordinates")?;
    let offsets = slice1(&offsets_a, "line offsets")?;
    let (mut segs, w) = py.detach(|| -> PyResult<_> {
        let w = to_work(&mut xy, &from, work)?;
        Ok((segments(ids, &xy, offsets)?, w))
    })?;
    // Checked in order first, so that the error is the first street's.
    let lanes: Vec<Option<u32>> = segs
        .iter()
        .zip(lanes)
        .map(|(s, v)| {
            opt_f64(v)
                .map(|v| {
                    if v >= 0.0 && v <= f64::from(u32::MAX) && v.fract() == 0.0 {
                        // Checked integral and in range just above.
                        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                        Ok(v as u32)
                    } else {
                        Err(data_error(format!(
                            "lanes of street {}: {v} is not a whole number of lanes",
                            s.id
                        )))
                    }
                })
                .transpose()
        })
        .collect::<PyResult<_>>()?;
    py.detach(|| {
        segs.par_iter_mut()
            .zip(class)
            .zip(district)
            .zip(lanes)
            .enumerate()
            .for_each(|(k, (((s, road_class), district), lanes))| {
                let at = |v: &[f64]| v.get(k).copied().and_then(opt_f64);
                s.attributes = SegmentAttributes {
                    road_class,
                    condition: at(&condition),
                    aadt: at(&aadt),
                    width_m: at(&width),
                    lanes,
                    district,
                };
            });
    });
    let moved = w != from;
    let net = StreetNetwork::new(segs, Vec::new()).map_err(|e| core_error(&e))?;
    Ok((net, w, moved))
}

/// A complaint frame's ids: an int64 array as it is, or a list's ids converted (which checks
/// each is an `int` or a `str`).
enum FrameIds<'py> {
    Ints(PyReadonlyArray1<'py, i64>),
    Converted(Vec<SourceId>),
}

/// What [`FrameIds`] holds, as plain data (usable without the GIL).
#[derive(Clone, Copy)]
enum IdsView<'a> {
    Ints(&'a [i64]),
    Ids(&'a [SourceId]),
}

impl IdsView<'_> {
    fn len(self) -> usize {
        match self {
            IdsView::Ints(v) => v.len(),
            IdsView::Ids(v) => v.len(),
        }
    }

    fn get(self, i: usize) -> Option<SourceId> {
        match self {
            IdsView::Ints(v) => v.get(i).map(|&i| SourceId::Int(i)),
            IdsView::Ids(v) => v.get(i).cloned(),
        }
    }
}

impl FrameIds<'_> {
    fn view(&self) -> PyResult<IdsView<'_>> {
        Ok(match self {
            FrameIds::Ints(a) => IdsView::Ints(slice1(a, "complaint ids")?),
            FrameIds::Converted(v) => IdsView::Ids(v),
        })
    }
}

/// One complaint frame from the Python layer's arrays: ids, points in the working CRS,
/// creation times (seconds, `i64::MIN` for none).
pub(crate) struct Frame<'py> {
    ids: FrameIds<'py>,
    points: Vec<Point<f64>>,
    created: PyReadonlyArray1<'py, i64>,
}

/// A frame in the working CRS, checked in the order the complaints were always checked: its
/// ids, the columns' lengths, then each point finite as [`Complaint::new`] checks them.
fn frame<'py>(py: Python<'py>, d: &Bound<'py, PyDict>, work: &Crs) -> PyResult<Frame<'py>> {
    let given = item(d, "ids")?;
    let ids = match given.extract::<PyReadonlyArray1<'py, i64>>() {
        Ok(a) => FrameIds::Ints(a),
        Err(_) => FrameIds::Converted(ids_in(&given, "complaint ids")?),
    };
    // `x` and `y` as `_points` gives them: stacking them into one array would copy them.
    let x: PyReadonlyArray1<'_, f64> = item(d, "x")?.extract()?;
    let y: PyReadonlyArray1<'_, f64> = item(d, "y")?.extract()?;
    let created: PyReadonlyArray1<'py, i64> = item(d, "created")?.extract()?;
    let from = crs(&item(d, "crs")?.extract::<String>()?)?;
    let n = ids.view()?.len();
    let (x, y) = (x.as_array(), y.as_array());
    if x.len() != n || y.len() != n || slice1(&created, "created")?.len() != n {
        return Err(data_error(format!(
            "complaints: column lengths differ from the {n} ids"
        )));
    }
    let xy = py.detach(|| {
        let mut xy = xy_coords(x, y);
        to_work(&mut xy, &from, Some(work)).map(|_| xy)
    })?;
    if let Some((bad, &c)) = xy
        .iter()
        .enumerate()
        .find(|(_, c)| !(c.x.is_finite() && c.y.is_finite()))
    {
        let id = ids.view()?.get(bad).unwrap_or(SourceId::Int(-1));
        return Err(match Complaint::new(id, Point(c)) {
            // The error a complaint at a point that is not finite gets.
            Err(e) => core_error(&e),
            Ok(_) => data_error(format!(
                "complaint {bad}: the point ({}, {}) is not finite",
                c.x, c.y
            )),
        });
    }
    // In place: a point is its coordinate.
    let points = xy.into_iter().map(Point).collect();
    Ok(Frame {
        ids,
        points,
        created,
    })
}

/// The complaint frames from the Python layer's batches in the working CRS, each checked in
/// turn ([`frame`]), then an id in two frames refused, as the CLI refuses one in two files.
pub(crate) fn complaint_frames<'py>(
    py: Python<'py>,
    batches: &Bound<'py, PyList>,
    work: &Crs,
) -> PyResult<Vec<Frame<'py>>> {
    let mut frames = Vec::with_capacity(batches.len());
    for b in batches.iter() {
        frames.push(frame(py, &b.cast_into::<PyDict>()?, work)?);
    }
    if frames.len() > 1 {
        let lists = frames
            .iter()
            .map(|f| {
                Ok(match f.ids.view()? {
                    IdsView::Ints(v) => Cow::Owned(v.iter().map(|&i| SourceId::Int(i)).collect()),
                    IdsView::Ids(v) => Cow::Borrowed(v),
                })
            })
            .collect::<PyResult<Vec<Cow<'_, [SourceId]>>>>()?;
        let names: Vec<String> = (0..lists.len())
            .map(|k| format!("complaint frame {k}"))
            .collect();
        streetrank_io::check_ids_across(
            names
                .iter()
                .map(String::as_str)
                .zip(lists.iter().map(|l| l.iter())),
        )
        .map_err(|e| io_error(&e))?;
    }
    Ok(frames)
}

/// The complaint frames snapped to the network's segments and gathered for scoring, frame by
/// frame in order ([`streetrank::score_input`] on it gives the ranking [`streetrank::score`]
/// gives on all their rows, bit for bit). Scoring keeps 32 bytes per matched complaint, no
/// `Complaint` per row; the frames' points are held until the last is snapped.
///
/// A frame is snapped in one batch: the points sorted by grid cell then meet their neighbours
/// (on the 10M-complaint metro, 1.1-1.7 s for the frame at once against 4.5 s in batches of
/// 2^20; the frame is in memory already).
pub(crate) fn snap_frames(
    py: Python<'_>,
    frames: &[Frame<'_>],
    net: &StreetNetwork,
    snap_opts: &SnapOptions,
) -> PyResult<ScoreInput> {
    let index = py.detach(|| streetrank::StreetIndex::new(&net.segments));
    let mut input = ScoreInput::new();
    for f in frames {
        let created: Vec<Option<Timestamp>> = slice1(&f.created, "created")?
            .iter()
            .map(|&t| (t != i64::MIN).then_some(Timestamp(t)))
            .collect();
        let (points, ids) = (&f.points, f.ids.view()?);
        py.detach(|| {
            let segments = index.snap_all_map(points, snap_opts, SnapOutcome::segment);
            // The id of the latest complaint, asked for only when this frame holds a later one.
            input.extend_parts(points, &created, &segments, |i| ids.get(i))
        })
        .map_err(|e| core_error(&e))?;
    }
    Ok(input)
}

/// What `score` and the scale-out's `score_tallies` share before scoring: the settings, the
/// street network with its ratings applied, and the input digests (the run configuration's
/// added as the CLI adds it).
pub(crate) struct Run {
    pub(crate) cfg: RunConfig,
    pub(crate) score_cfg: ScoreConfig,
    pub(crate) snap_opts: SnapOptions,
    pub(crate) profile: Profile,
    pub(crate) net: StreetNetwork,
    pub(crate) work: Crs,
    pub(crate) moved: bool,
    pub(crate) digests: Vec<InputDigest>,
    pub(crate) rated: Option<(usize, usize)>,
}

/// The score settings of `cfg` with `as_of` (a UTC date text) put in when given.
pub(crate) fn score_config(cfg: &RunConfig, as_of: Option<&str>) -> PyResult<ScoreConfig> {
    cfg.score.validate().map_err(|e| core_error(&e))?;
    let mut score_cfg: ScoreConfig = cfg.score.clone();
    if let Some(text) = as_of {
        score_cfg.as_of = Some(Timestamp::parse_utc(text).ok_or_else(|| {
            config_error(format!(
                "as_of={text:?}: expected a date like 2016-10-01 (UTC)"
            ))
        })?);
    }
    Ok(score_cfg)
}

/// The settings, the network (ratings applied) and the digests of a scoring run.
// The Python keyword arguments of one call; a struct would only move them around.
#[allow(clippy::too_many_arguments)]
pub(crate) fn prepare_run<'py>(
    py: Python<'py>,
    streets: &Bound<'py, PyDict>,
    config_json: &str,
    digests: Vec<(String, String, String)>,
    as_of: Option<&str>,
    ratings: Option<&PathBuf>,
    on_error_name: &str,
    profile: &str,
    complaints: Option<&Bound<'py, PyList>>,
) -> PyResult<(Run, Vec<Frame<'py>>)> {
    let on_error = crate::readers::on_error(on_error_name)?;
    let profile = Profile::parse(profile).map_err(|e| io_error(&e))?;
    let cfg = run_config(config_json)?;
    let score_cfg = score_config(&cfg, as_of)?;
    let snap_opts = snap_options(cfg.snap.max_distance_m, cfg.snap.ambiguity_tolerance_m)?;
    let (mut net, work, moved) = network(py, streets, cfg.work_crs.as_ref())?;
    // The complaints checked before the ratings are read, as the CLI reads its files.
    let frames = match complaints {
        Some(batches) => complaint_frames(py, batches, &work)?,
        None => Vec::new(),
    };
    let rated = match ratings {
        None => None,
        Some(path) => {
            let r = py
                .detach(|| streetrank_io::read_ratings(path, &cfg.ratings, on_error))
                .map_err(|e| io_error(&e))?;
            let counts = streetrank_io::apply_ratings(&mut net, &r);
            Some((r.sha256, counts))
        }
    };
    let mut digests: Vec<InputDigest> = digests
        .into_iter()
        .map(|(role, name, sha256)| InputDigest { role, name, sha256 })
        .collect();
    if let (Some(path), Some((sha, _))) = (ratings, &rated) {
        digests.push(streetrank_io::input_digest("ratings", path, sha));
    }
    digests.push(streetrank_io::run_config_digest(&cfg).map_err(|e| io_error(&e))?);
    let run = Run {
        cfg,
        score_cfg,
        snap_opts,
        profile,
        net,
        work,
        moved,
        digests,
        rated: rated.map(|(_, c)| c),
    };
    Ok((run, frames))
}

/// The ranking table of `ranking` (small counts suppressed under the publish profile) and the
/// values `score` returns with it, as the dict `streetrank._api.score` reads.
pub(crate) fn ranking_output<'py>(
    py: Python<'py>,
    run: &Run,
    ranking: &Ranking,
    text_buffers: bool,
) -> PyResult<Bound<'py, PyDict>> {
    // The rows without lines: the Python side joins them to the GeoDataFrame's own geometry.
    let table = py.detach(|| -> PyResult<_> {
        let mut table = streetrank_io::RankingTable::without_lines(&run.net, ranking)
            .map_err(|e| io_error(&e))?;
        if run.profile == Profile::Publish {
            table.suppress_small_counts(run.cfg.privacy.min_count);
        }
        Ok(table)
    })?;
    let d = PyDict::new(py);
    d.set_item(
        "columns",
        crate::convert::table_to_py(py, &table, text_buffers)?,
    )?;
    let order: Vec<i64> = ranking
        .order
        .iter()
        .map(|&i| i64::try_from(i).unwrap_or(-1))
        .collect();
    d.set_item("order", order.into_pyarray(py))?;
    d.set_item("settings_hash", &ranking.settings_hash)?;
    d.set_item("as_of", ranking.as_of.0)?;
    d.set_item("notes", ranking.notes.clone())?;
    d.set_item("work_crs", run.work.definition())?;
    d.set_item("work_crs_label", run.work.label())?;
    d.set_item("reprojected", run.moved)?;
    d.set_item("ratings", run.rated)?;
    Ok(d)
}

/// Snaps and scores, exactly as `streetrank score` does after loading, and returns the ranking
/// table's columns (`streetrank_io::ranking_table`); text columns as Arrow buffers when
/// `text_buffers` (`convert::table_to_py`).
///
/// `config_json` is a whole run configuration (the CLI's TOML schema, as JSON); `digests` are
/// the input files' `(role, name, sha256)`; the run configuration's digest is added here as the
/// CLI adds it.
// The Python keyword arguments of one call; a struct would only move them around.
#[allow(clippy::too_many_arguments)]
#[pyfunction]
#[pyo3(signature = (streets, batches, config_json, digests, as_of=None, ratings=None, on_error_name="fail", profile="publish", text_buffers=false))]
pub fn score<'py>(
    py: Python<'py>,
    streets: &Bound<'py, PyDict>,
    batches: &Bound<'py, PyList>,
    config_json: &str,
    digests: Vec<(String, String, String)>,
    as_of: Option<&str>,
    ratings: Option<PathBuf>,
    on_error_name: &str,
    profile: &str,
    text_buffers: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let (run, frames) = prepare_run(
        py,
        streets,
        config_json,
        digests,
        as_of,
        ratings.as_ref(),
        on_error_name,
        profile,
        Some(batches),
    )?;
    let input = snap_frames(py, &frames, &run.net, &run.snap_opts)?;
    let ranking = py
        .detach(|| streetrank::score_input(&run.net, &input, &run.score_cfg, &run.digests))
        .map_err(|e| core_error(&e))?;
    ranking_output(py, &run, &ranking, text_buffers)
}

/// Why the input column `name` looks personal (`streetrank_io::looks_personal` on the non-null
/// values of `sample`), or `None`. `role` is `"streets"` or `"complaints"`.
#[pyfunction]
pub fn looks_personal(role: &str, name: &str, sample: Vec<Option<String>>) -> Option<String> {
    let role = if role == "streets" {
        ColumnRole::Streets
    } else {
        ColumnRole::Complaints
    };
    let values: Vec<PropertyValue> = sample
        .into_iter()
        .flatten()
        .take(streetrank_io::PERSONAL_SAMPLE)
        .map(PropertyValue::Text)
        .collect();
    streetrank_io::looks_personal(role, name, &values)
}

/// The message of the usage error for a per-complaint table (`what`) under the publish profile,
/// the CLI's words.
#[pyfunction]
pub fn per_complaint_refusal(what: &str) -> String {
    Profile::Publish
        .refuse_per_complaint(what)
        .map_or_else(String::new, |e| e.to_string())
}
