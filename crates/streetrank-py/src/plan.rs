//! `plan`: the CLI's `plan` command (score, then plan repairs) on arrays.

use std::path::PathBuf;

use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use streetrank::{InputDigest, ScoreConfig, Timestamp};
use streetrank_io::MapColour;
use streetrank_plan::Method;

use crate::errors::{config_error, core_error, io_error};
use crate::index::snap_options;
use crate::readers::run_config;
use crate::scoring::{complaint_frames, network, snap_frames};

/// The plan settings: the config's `plan` table with the keyword arguments applied, as the
/// CLI applies `--budget`, `--years` and `--method`.
fn plan_config(
    from_file: Option<&streetrank_plan::PlanConfig>,
    budgets: Option<Vec<f64>>,
    years: Option<usize>,
    method: Option<&str>,
) -> PyResult<streetrank_plan::PlanConfig> {
    let mut cfg = from_file.cloned().unwrap_or_default();
    if let Some(b) = budgets.filter(|b| !b.is_empty()) {
        cfg.budgets = b;
    }
    if let Some(n) = years {
        if n == 0 {
            return Err(config_error("years=0: plan at least one year"));
        }
        let Some(&last) = cfg.budgets.last() else {
            return Err(config_error(format!(
                "years={n} needs a budget: give budget=AMOUNT or the config's plan.budgets"
            )));
        };
        cfg.budgets.resize(n, last);
    }
    if let Some(m) = method {
        cfg.solver.method = match m {
            "greedy" => Method::Greedy,
            "incremental" => Method::Incremental,
            "exact" => Method::Exact,
            other => {
                return Err(config_error(format!(
                    "method={other:?}: expected \"greedy\", \"incremental\" or \"exact\""
                )));
            }
        };
    }
    if cfg.budgets.is_empty() {
        return Err(config_error(
            "plan needs a budget: give budget=AMOUNT (or a list, one per year), or the config's plan.budgets",
        ));
    }
    cfg.validate()
        .map_err(|e| config_error(format!("invalid plan settings: {e}")))?;
    Ok(cfg)
}

/// Snaps, scores and plans, exactly as `streetrank plan` does after loading; returns the plan
/// table's columns (`streetrank_io::plan_table`), each row's segment position, the summary
/// (`streetrank_io::plan_summary`, as JSON text) and, when `report` is given, writes the HTML
/// report there. Text columns come as Arrow buffers when `text_buffers` (`convert::table_to_py`).
// The Python keyword arguments of one call; a struct would only move them around.
#[allow(clippy::too_many_arguments)]
#[pyfunction]
#[pyo3(signature = (streets, batches, config_json, digests, as_of=None, ratings=None, on_error_name="fail", budgets=None, years=None, method=None, fit_ratings=false, report=None, report_colour="year", profile="publish", text_buffers=false))]
pub fn plan<'py>(
    py: Python<'py>,
    streets: &Bound<'py, PyDict>,
    batches: &Bound<'py, PyList>,
    config_json: &str,
    digests: Vec<(String, String, String)>,
    as_of: Option<&str>,
    ratings: Option<PathBuf>,
    on_error_name: &str,
    budgets: Option<Vec<f64>>,
    years: Option<usize>,
    method: Option<&str>,
    fit_ratings: bool,
    report: Option<PathBuf>,
    report_colour: &str,
    profile: &str,
    text_buffers: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let on_error = crate::readers::on_error(on_error_name)?;
    let profile = streetrank_io::Profile::parse(profile).map_err(|e| io_error(&e))?;
    let cfg = run_config(config_json)?;
    cfg.score.validate().map_err(|e| core_error(&e))?;
    let plan_cfg = plan_config(cfg.plan.as_ref(), budgets, years, method)?;
    let colour = match report_colour {
        "year" => MapColour::Year,
        "treatment" => MapColour::Treatment,
        other => {
            return Err(config_error(format!(
                "report_colour={other:?}: expected \"year\" or \"treatment\""
            )));
        }
    };
    if fit_ratings && ratings.is_none() {
        return Err(config_error(
            "fit_ratings=True needs ratings=PATH with a year column",
        ));
    }
    let snap_opts = snap_options(cfg.snap.max_distance_m, cfg.snap.ambiguity_tolerance_m)?;
    let mut score_cfg: ScoreConfig = cfg.score.clone();
    if let Some(text) = as_of {
        score_cfg.as_of = Some(Timestamp::parse_utc(text).ok_or_else(|| {
            config_error(format!(
                "as_of={text:?}: expected a date like 2016-10-01 (UTC)"
            ))
        })?);
    }
    let (mut net, work, _) = network(py, streets, cfg.work_crs.as_ref())?;
    // The complaints checked before the ratings are read, as the CLI reads its files.
    let frames = complaint_frames(py, batches, &work)?;
    let rated = match &ratings {
        None => None,
        Some(path) => {
            let r = py
                .detach(|| streetrank_io::read_ratings(path, &cfg.ratings, on_error))
                .map_err(|e| io_error(&e))?;
            streetrank_io::apply_ratings(&mut net, &r);
            Some(r.sha256)
        }
    };
    let mut digests: Vec<InputDigest> = digests
        .into_iter()
        .map(|(role, name, sha256)| InputDigest { role, name, sha256 })
        .collect();
    if let (Some(path), Some(sha)) = (&ratings, &rated) {
        digests.push(streetrank_io::input_digest("ratings", path, sha));
    }
    digests.push(streetrank_io::run_config_digest(&cfg).map_err(|e| io_error(&e))?);
    let input = snap_frames(py, &frames, &net, &snap_opts)?;
    let (table, segment, summary, hash) = py.detach(|| -> PyResult<_> {
        let ranking = streetrank::score_input(&net, &input, &score_cfg, &digests)
            .map_err(|e| core_error(&e))?;
        let fit = match (&ratings, fit_ratings) {
            (Some(path), true) => {
                let history = streetrank_io::read_rating_history(path, &cfg.ratings, &net)
                    .map_err(|e| io_error(&e))?;
                Some(
                    streetrank_io::fit_ratings_history(
                        &history,
                        cfg.score.condition.worst,
                        cfg.score.condition.best,
                    )
                    .map_err(|e| io_error(&e))?,
                )
            }
            _ => None,
        };
        let mut run =
            streetrank_io::run_plan(&net, &ranking, &plan_cfg, fit).map_err(|e| io_error(&e))?;
        if profile == streetrank_io::Profile::Publish {
            run.pressure_withheld =
                streetrank_io::small_count_segments(&ranking, cfg.privacy.min_count);
        }
        let table = streetrank_io::plan_table(&net, &run, &work).map_err(|e| io_error(&e))?;
        let segment: Vec<i64> = run
            .scenario
            .years
            .iter()
            .flat_map(|y| y.treated.iter())
            .map(|t| i64::try_from(t.segment).unwrap_or(-1))
            .collect();
        let summary = serde_json::to_string(&streetrank_io::plan_summary(&run))
            .map_err(|e| config_error(format!("serialising the plan summary: {e}")))?;
        if let Some(path) = &report {
            let html = streetrank_io::plan_report_html(&net, &run, colour);
            streetrank_io::write_file_atomically(path, |w| w.write_all(html.as_bytes()))
                .map_err(|e| io_error(&e))?;
            let mut m = streetrank_io::Manifest::new("plan", path, profile, cfg.privacy.min_count);
            m.settings_hash = Some(run.settings_hash.clone());
            m.notes.push(
                "the HTML plan report: map of the planned segments' lines, charts and the largest \
                 benefits with their `why` (computed); no complaint or its location"
                    .into(),
            );
            m.write(path).map_err(|e| io_error(&e))?;
        }
        Ok((table, segment, summary, run.settings_hash))
    })?;
    let d = PyDict::new(py);
    d.set_item(
        "columns",
        crate::convert::table_to_py(py, &table, text_buffers)?,
    )?;
    d.set_item("segment", segment.into_pyarray(py))?;
    d.set_item("summary", summary)?;
    d.set_item("settings_hash", hash)?;
    d.set_item("work_crs_label", work.label())?;
    Ok(d)
}
