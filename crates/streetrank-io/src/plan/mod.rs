//! Repair plans as publication outputs: the plan table (CSV/GeoJSON), the summary JSON and the
//! self-contained HTML report, shared by the CLI (`streetrank plan`) and the Python package so
//! both give identical results.
//!
//! A plan output never carries a complaint field or a complaint location: only per-segment
//! aggregates (the score's normalised complaint pressure).

mod html;

use std::collections::BTreeMap;
use std::path::Path;

use geo_types::{Coord, Geometry, LineString};
use serde_json::{Value, json};
use streetrank::{PropertyValue, Ranking, SourceId, StreetNetwork, sha256_hex};
use streetrank_plan::{
    FitOptions, FitReport, FrontierPoint, PlanConfig, PlanError, PlanSegment, RatingRecord,
    Scenario, equity_frontier, fit_deterioration, plan_segments, run_scenario,
};

pub use html::{MapColour, plan_report_html};

use crate::mapping::{detect_column, find_column};
use crate::{
    Column, ColumnType, Crs, Error, FeatureTable, LoadedStreets, RatingsMapping, Result,
    transform_parallel,
};

/// Equity frontier levels reported with every plan (share of the first year's budget
/// reserved for districts in proportion to their lane-km).
pub const FRONTIER_LEVELS: [f64; 5] = [0.0, 0.25, 0.5, 0.75, 1.0];

/// A planned network: the segments as the planner saw them, the scenario, the equity frontier.
#[derive(Debug, Clone)]
pub struct PlanRun {
    /// The configuration used (with the fitted deterioration curves, when fitted).
    pub config: PlanConfig,
    /// The planner's segments, in network order.
    pub segments: Vec<PlanSegment>,
    /// The multi-year scenario.
    pub scenario: Scenario,
    /// The equity frontier on the first year's budget ([`FRONTIER_LEVELS`]); empty when the
    /// network has fewer than two districts or there is no budget.
    pub frontier: Vec<FrontierPoint>,
    /// The deterioration fit, when the curves were fitted to a ratings history.
    pub fit: Option<FitReport>,
    /// The ranking's settings hash (inputs and run configuration).
    pub ranking_settings_hash: String,
    /// SHA-256 of the ranking's settings hash and the plan configuration used: two plans with
    /// the same hash had the same inputs and settings.
    pub settings_hash: String,
    /// Per segment (network order): true when its complaint pressure must not be quoted in
    /// the `why` text (a small count under the `publish` profile, see
    /// [`crate::small_count_segments`]). Empty (the default) withholds nothing.
    pub pressure_withheld: Vec<bool>,
}

fn plan_error(e: &PlanError) -> Error {
    Error::Config {
        context: "plan".into(),
        problem: e.to_string(),
        fix: "correct the [plan] table of the config or the plan flags (see docs/planning.md)"
            .into(),
    }
}

/// Plans repairs on a scored network: [`streetrank_plan::plan`] plus the equity frontier and
/// the settings hash. With `fit`, its curves replace `config.deterioration`.
///
/// # Errors
///
/// [`Error::Config`] naming the bad setting (a budget, a treatment …) or a ranking that is not
/// this network's.
///
/// # Examples
///
/// ```
/// use geo_types::line_string;
/// use streetrank::{score, ScoreConfig, Segment, SegmentAttributes, SourceId, StreetNetwork};
/// use streetrank_plan::PlanConfig;
///
/// let seg = Segment::new(SourceId::from(1), line_string![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0)])?
///     .with_attributes(SegmentAttributes { condition: Some(40.0), ..Default::default() });
/// let net = StreetNetwork::new(vec![seg], vec![])?;
/// let ranking = score(&net, &[], &[], &ScoreConfig::default(), &[])?;
/// let mut cfg = PlanConfig::default();
/// cfg.budgets = vec![50_000.0];
/// let run = streetrank_io::run_plan(&net, &ranking, &cfg, None)?;
/// assert_eq!(run.scenario.years[0].treated.len(), 1);
/// assert_eq!(run.settings_hash.len(), 64);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run_plan(
    network: &StreetNetwork,
    ranking: &Ranking,
    config: &PlanConfig,
    fit: Option<FitReport>,
) -> Result<PlanRun> {
    let mut config = config.clone();
    if let Some(f) = &fit {
        config.deterioration = f.deterioration_config();
    }
    let segments = plan_segments(network, ranking, &config).map_err(|e| plan_error(&e))?;
    let scenario = run_scenario(&segments, &config).map_err(|e| plan_error(&e))?;
    let districts: std::collections::BTreeSet<&str> = segments
        .iter()
        .filter_map(|s| s.district.as_deref().map(str::trim))
        .filter(|d| !d.is_empty())
        .collect();
    let frontier = match config.budgets.first() {
        Some(&b) if districts.len() >= 2 => {
            equity_frontier(&segments, &config, b, &FRONTIER_LEVELS).map_err(|e| plan_error(&e))?
        }
        _ => Vec::new(),
    };
    let cfg_json = serde_json::to_string(&config).map_err(|e| Error::Config {
        context: "plan".into(),
        problem: format!("the plan configuration cannot be serialised: {e}"),
        fix: "use finite numbers in every setting".into(),
    })?;
    let settings_hash = sha256_hex(format!("{}\n{cfg_json}", ranking.settings_hash).as_bytes());
    Ok(PlanRun {
        config,
        segments,
        scenario,
        frontier,
        fit,
        ranking_settings_hash: ranking.settings_hash.clone(),
        settings_hash,
        pressure_withheld: Vec::new(),
    })
}

/// Reads every rating of a ratings table with a year (one record per row), for
/// [`fit_ratings_history`]. Road classes come from the network's segments of the same id.
/// Rows whose rating or year is not a number are left out (the fit counts what it uses).
///
/// # Errors
///
/// [`Error::Io`] or [`Error::File`] when the file cannot be read, or has no id, rating or
/// year column (the year column is required: a fit needs ratings of several years).
pub fn read_rating_history(
    path: &Path,
    mapping: &RatingsMapping,
    network: &StreetNetwork,
) -> Result<Vec<RatingRecord>> {
    const ID_NAMES: &[&str] = &["streetID", "street_id", "segment_id", "Street_ID"];
    const VALUE_NAMES: &[&str] = &["overall", "overall_1to10", "rating", "pci", "condition"];
    const YEAR_NAMES: &[&str] = &["rating_year", "year"];
    const OVERLAY_NAMES: &[&str] = &["last_overlay_year", "overlay_year", "dateLastOverlay"];
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(std::io::BufReader::new(file));
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| Error::file(path, format!("broken CSV header: {e}"), "check the file"))?
        .iter()
        .map(str::to_owned)
        .collect();
    let pick = |setting: &str, mapped: Option<&String>, names: &[&str]| -> Result<usize> {
        let found = match mapped {
            Some(m) => find_column(&header, m),
            None => detect_column(&header, names).map(|(i, _)| i),
        };
        found.ok_or_else(|| {
            Error::file(
                path,
                format!(
                    "no {setting} column for the deterioration fit (columns: {})",
                    header.join(", ")
                ),
                format!("name it with [ratings] {setting} = \"COLUMN\" in the config"),
            )
        })
    };
    let id = pick("id", mapping.id.as_ref(), ID_NAMES)?;
    let value = pick("value", mapping.value.as_ref(), VALUE_NAMES)?;
    let year = pick("year", mapping.year.as_ref(), YEAR_NAMES)?;
    let overlay = detect_column(&header, OVERLAY_NAMES).map(|(i, _)| i);
    let class: BTreeMap<String, &str> = network
        .segments
        .iter()
        .filter_map(|s| {
            s.attributes
                .road_class
                .as_deref()
                .map(|c| (s.id.to_string(), c))
        })
        .collect();
    let mut out = Vec::new();
    for (row, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| {
            Error::record(
                path,
                row + 1,
                None,
                format!("broken CSV: {e}"),
                "check the file",
            )
        })?;
        let text = |i: usize| rec.get(i).map_or("", str::trim);
        let street = text(id);
        let (Ok(rating), Ok(y)) = (text(value).parse::<f64>(), text(year).parse::<f64>()) else {
            continue;
        };
        if street.is_empty() || !y.is_finite() || y.fract() != 0.0 || y.abs() > 1e6 {
            continue;
        }
        // Checked integral and small just above.
        #[allow(clippy::cast_possible_truncation)]
        let year_i = y as i32;
        let last_overlay_year = overlay.and_then(|i| {
            text(i)
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && v.fract() == 0.0 && v.abs() < 1e6)
                // Checked integral and small.
                .map(|v| {
                    #[allow(clippy::cast_possible_truncation)]
                    let v = v as i32;
                    v
                })
        });
        out.push(RatingRecord {
            street: street.to_owned(),
            year: year_i,
            rating,
            last_overlay_year,
            road_class: class.get(street).map(|c| (*c).to_owned()),
        });
    }
    Ok(out)
}

/// Fits deterioration curves to a rating history on the scale `worst..best` (the score's
/// condition scale).
///
/// # Errors
///
/// [`Error::Config`] when the history cannot be fitted (too few repeated ratings).
pub fn fit_ratings_history(records: &[RatingRecord], worst: f64, best: f64) -> Result<FitReport> {
    let opts = FitOptions {
        worst,
        best,
        ..FitOptions::default()
    };
    fit_deterioration(records, &opts).map_err(|e| Error::Config {
        context: "--fit-ratings".into(),
        problem: e.to_string(),
        fix: "give a ratings file with several years of ratings of the same streets, or leave out --fit-ratings".into(),
    })
}

/// Every segment's line in WGS84 (reprojected in parallel).
pub(crate) fn lines_wgs84(net: &StreetNetwork, work_crs: &Crs) -> Result<Vec<LineString<f64>>> {
    let mut coords: Vec<Coord<f64>> = net
        .segments
        .iter()
        .flat_map(|s| s.geometry.0.iter().copied())
        .collect();
    transform_parallel(work_crs, &Crs::wgs84(), &mut coords)?;
    let mut out = Vec::with_capacity(net.segments.len());
    let mut rest = coords.as_slice();
    for s in &net.segments {
        let (head, tail) = rest.split_at(s.geometry.0.len());
        out.push(LineString::new(head.to_vec()));
        rest = tail;
    }
    Ok(out)
}

/// The band a condition falls in (the last band below every `min`).
pub(crate) fn band_name(config: &PlanConfig, c: f64) -> &str {
    config
        .report
        .bands
        .iter()
        .find(|b| c >= b.min)
        .or(config.report.bands.last())
        .map_or("", |b| b.name.as_str())
}

/// A short human reason for one treatment.
fn why(run: &PlanRun, t: &streetrank_plan::Treated) -> String {
    let s = &run.segments[t.segment];
    let name = &run.config.treatments[t.treatment].name;
    let per_1000 = if t.cost > 0.0 {
        1000.0 * t.benefit / t.cost
    } else {
        0.0
    };
    let mut r = format!(
        "{} at {:.0} ({}): {name} to {:.0}; {:.3} benefit per 1,000 spent",
        if s.condition_missing {
            "condition unknown, assumed"
        } else {
            "condition"
        },
        t.condition_before,
        band_name(&run.config, t.condition_before),
        t.condition_after,
        per_1000
    );
    if s.pressure >= 0.5
        && !run
            .pressure_withheld
            .get(t.segment)
            .copied()
            .unwrap_or(false)
    {
        r.push_str(&format!("; many complaints (pressure {:.2})", s.pressure));
    }
    if s.usage >= 0.5 {
        r.push_str(&format!("; busy street (usage {:.2})", s.usage));
    }
    if let Some(d) = &s.district {
        let key = d.trim().to_lowercase();
        let floor = run
            .config
            .districts
            .min_spend_share
            .keys()
            .chain(run.config.districts.min_benefit_share.keys())
            .any(|k| k.trim().to_lowercase() == key);
        if floor {
            r.push_str(&format!("; district {d} has a floor"));
        }
    }
    r
}

fn id_cell(id: &SourceId, int_ids: bool) -> PropertyValue {
    match id {
        SourceId::Int(i) if int_ids => PropertyValue::Int(*i),
        _ => PropertyValue::Text(id.to_string()),
    }
}

fn opt_text(v: Option<&String>) -> PropertyValue {
    v.map_or(PropertyValue::Null, |s| PropertyValue::Text(s.clone()))
}

/// The plan as a feature table: one row per treatment, by year then segment, with the
/// segment's line in WGS84.
///
/// Columns: `year`, `segment_id`, `treatment`, `cost`, `benefit`, `condition_before`,
/// `condition_after`, `district`, `road_class`, `length_m`, `area_m2`, `why`, `settings_hash`.
///
/// # Errors
///
/// [`Error::Crs`] when the lines cannot be reprojected to WGS84.
pub fn plan_table(net: &StreetNetwork, run: &PlanRun, work_crs: &Crs) -> Result<FeatureTable> {
    Ok(plan_table_with(net, run, &lines_wgs84(net, work_crs)?))
}

/// [`plan_table`] for streets read from a file: the lines are the file's own WGS84
/// coordinates when it was in WGS84 ([`LoadedStreets::lonlat_lines_in_step`]), as in
/// [`ranking_table_for`](crate::ranking_table_for), else reprojected from the working CRS.
///
/// # Errors
///
/// As [`plan_table`].
pub fn plan_table_for(streets: &LoadedStreets, run: &PlanRun) -> Result<FeatureTable> {
    let lines = match streets.lonlat_lines_in_step() {
        Some(kept) => (0..kept.len())
            .map(|i| LineString::new(kept.line(i).map(<[_]>::to_vec).unwrap_or_default()))
            .collect(),
        None => lines_wgs84(&streets.network, &streets.work_crs)?,
    };
    Ok(plan_table_with(&streets.network, run, &lines))
}

/// The plan table with `lines[i]` as segment `i`'s line.
fn plan_table_with(net: &StreetNetwork, run: &PlanRun, lines: &[LineString<f64>]) -> FeatureTable {
    let int_ids = net
        .segments
        .iter()
        .all(|s| matches!(s.id, SourceId::Int(_)));
    let columns = vec![
        Column::new("year", ColumnType::Int, "plan year, 1 = first"),
        Column::new(
            "segment_id",
            if int_ids {
                ColumnType::Int
            } else {
                ColumnType::Text
            },
            "the street file's segment id",
        ),
        Column::new("treatment", ColumnType::Text, "treatment name"),
        Column::new("cost", ColumnType::Float, "cost, budget currency"),
        Column::new(
            "benefit",
            ColumnType::Float,
            "weighted condition-years gained",
        ),
        Column::new(
            "condition_before",
            ColumnType::Float,
            "condition 0-100 before",
        ),
        Column::new(
            "condition_after",
            ColumnType::Float,
            "condition 0-100 right after",
        ),
        Column::new("district", ColumnType::Text, "district"),
        Column::new("road_class", ColumnType::Text, "road class"),
        Column::new("length_m", ColumnType::Float, "segment length, metres"),
        Column::new("area_m2", ColumnType::Float, "pavement area, m²"),
        Column::new("why", ColumnType::Text, "why this treatment, in short"),
        Column::new(
            "settings_hash",
            ColumnType::Text,
            "the plan's settings hash",
        ),
    ];
    let mut rows = Vec::new();
    let mut geometries = Vec::new();
    for y in &run.scenario.years {
        for t in &y.treated {
            let s = &run.segments[t.segment];
            rows.push(vec![
                PropertyValue::Int(i64::try_from(y.year).unwrap_or(i64::MAX)),
                id_cell(&s.id, int_ids),
                PropertyValue::Text(run.config.treatments[t.treatment].name.clone()),
                PropertyValue::Float(t.cost),
                PropertyValue::Float(t.benefit),
                PropertyValue::Float(t.condition_before),
                PropertyValue::Float(t.condition_after),
                opt_text(s.district.as_ref()),
                opt_text(s.road_class.as_ref()),
                PropertyValue::Float(s.length_m),
                PropertyValue::Float(s.area_m2()),
                PropertyValue::Text(why(run, t)),
                PropertyValue::Text(run.settings_hash.clone()),
            ]);
            geometries.push(Some(Geometry::LineString(lines[t.segment].clone())));
        }
    }
    FeatureTable {
        columns,
        rows,
        geometries,
    }
}

fn bands_obj(config: &PlanConfig, shares: &[f64]) -> Value {
    let m: serde_json::Map<String, Value> = config
        .report
        .bands
        .iter()
        .zip(shares)
        .map(|(b, s)| (b.name.clone(), json!(s)))
        .collect();
    Value::Object(m)
}

/// The plan's summary: per year the network's average condition, backlog cost, share of
/// length in each condition band, spend and benefit by district, the optimality gap; the
/// equity frontier; the settings hashes. Deterministic (keys sorted).
#[must_use]
pub fn plan_summary(run: &PlanRun) -> Value {
    let cfg = &run.config;
    let start = &run.scenario.start;
    let years: Vec<Value> = run
        .scenario
        .years
        .iter()
        .map(|y| {
            let a = &y.allocation;
            json!({
                "year": y.year,
                "budget": y.budget,
                "spent": a.cost,
                "benefit": a.benefit,
                "treated": y.treated.len(),
                "treated_length_m": y.treated.iter().map(|t| run.segments[t.segment].length_m).sum::<f64>(),
                "condition_after_work": y.condition_after_work,
                "average_condition": y.end.average_condition,
                "backlog_cost": y.end.backlog_cost,
                "band_shares": bands_obj(cfg, &y.end.band_shares),
                "spend_by_district": a.spend_by_district,
                "benefit_by_district": a.benefit_by_district,
                "gap": a.gap,
                "lp_bound": a.lp_bound,
                "optimal": a.optimal,
                "stopped": a.stopped.map(|s| format!("{s:?}")),
                "gini": y.gini,
                "gini_basis": y.gini_basis,
                "notes": a.notes,
            })
        })
        .collect();
    let fit = run.fit.as_ref().map(|f| {
        json!({
            "observations": f.observations,
            "overall": {"a": f.overall.curve.a, "b": f.overall.curve.b, "n": f.overall.n, "rmse": f.overall.rmse,
                        "persistence_rmse": f.overall.persistence_rmse},
            "by_class": f.by_class.iter().map(|(k, c)| (k.clone(), json!({"a": c.curve.a, "b": c.curve.b, "n": c.n, "rmse": c.rmse}))).collect::<serde_json::Map<_, _>>(),
        })
    });
    json!({
        "command": "plan",
        "settings_hash": run.settings_hash,
        "ranking_settings_hash": run.ranking_settings_hash,
        "method": cfg.solver.method,
        "segments": run.segments.len(),
        "network_length_km": run.segments.iter().map(|s| s.length_m).sum::<f64>() / 1000.0,
        "condition_missing": run.segments.iter().filter(|s| s.condition_missing).count(),
        "bands": cfg.report.bands,
        "backlog_below": cfg.report.backlog_below,
        "start": {
            "average_condition": start.average_condition,
            "backlog_cost": start.backlog_cost,
            "band_shares": bands_obj(cfg, &start.band_shares),
        },
        "years": years,
        "total_spent": run.scenario.years.iter().map(|y| y.allocation.cost).sum::<f64>(),
        "total_benefit": run.scenario.years.iter().map(|y| y.allocation.benefit).sum::<f64>(),
        "frontier": run.frontier,
        "deterioration_fit": fit,
    })
}
