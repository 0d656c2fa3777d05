//! The commands' work: load, index, snap, score, write, and report.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use geo_types::Point;
use rayon::prelude::*;
use streetrank::{
    Complaint, InputDigest, Ranking, ScoreConfig, SnapOptions, SnapOutcome, StreetIndex,
};
use streetrank_io::{
    ComplaintsOptions, Destination, Format, LoadedComplaints, LoadedStreets, OnError, Profile,
    Ratings, RunConfig, StreetsOptions, WriteOptions,
};

use crate::args::{FormatArg, Global, InputArgs, ScoreArgs, SnapArgs, ValidateArgs};
use crate::outputs::{Privacy, Sources, redact_summary, warn_personal};
use crate::progress::Phases;
use crate::summary::Summary;

/// Everything read from the inputs.
pub struct Loaded {
    /// The street network in the working CRS.
    pub streets: LoadedStreets,
    /// The complaints of every file, in file order, in the working CRS.
    pub complaints: Vec<Complaint>,
    /// Names of the complaint columns the user asked to keep.
    pub complaint_properties: Vec<String>,
    /// What each complaints file held (its complaints moved into `complaints`).
    pub complaint_files: Vec<LoadedComplaints>,
    /// The ratings, when given, with how many segments they rated and how many ids matched no segment.
    pub ratings: Option<(Ratings, usize, usize)>,
}

/// Reads the streets, then the complaints (projected into the streets' working CRS), then the ratings.
pub fn load(
    input: &InputArgs,
    cfg: &RunConfig,
    on_error: OnError,
    phases: &mut Phases,
) -> anyhow::Result<Loaded> {
    let streets_opts = StreetsOptions {
        mapping: cfg.streets.clone(),
        on_error,
        work_crs: cfg.work_crs.clone(),
    };
    let mut streets = phases.run("read streets", "reading streets", || {
        streetrank_io::read_streets(&input.streets, &streets_opts)
    })?;
    let mut batches = Vec::with_capacity(input.complaints.len());
    let mut complaint_properties = Vec::new();
    let mut complaint_files = Vec::with_capacity(input.complaints.len());
    for (k, path) in input.complaints.iter().enumerate() {
        let opts = ComplaintsOptions {
            mapping: cfg.complaints.clone(),
            on_error,
            streets_extent_lonlat: Some(streets.extent_lonlat),
            ..ComplaintsOptions::new(streets.work_crs.clone())
        };
        let mut file = phases.run("read complaints", "reading complaints", || {
            streetrank_io::read_complaints(path, &opts)
        })?;
        if k == 0 {
            complaint_properties.clone_from(&file.property_names);
        }
        batches.push((
            path.display().to_string(),
            std::mem::take(&mut file.complaints),
        ));
        complaint_files.push(file);
    }
    // One file needs no merge: moving its vector avoids copying every complaint.
    let complaints = if batches.len() == 1 {
        batches.pop().map(|(_, c)| c).unwrap_or_default()
    } else {
        streetrank_io::merge_complaints(batches)?
    };
    let ratings = match &input.ratings {
        None => None,
        Some(path) => {
            let ratings = phases.run("read ratings", "reading ratings", || {
                streetrank_io::read_ratings(path, &cfg.ratings, on_error)
            })?;
            let (rated, unknown) = streetrank_io::apply_ratings(&mut streets.network, &ratings);
            Some((ratings, rated, unknown))
        }
    };
    Ok(Loaded {
        streets,
        complaints,
        complaint_properties,
        complaint_files,
        ratings,
    })
}

/// The snapping options from the config.
fn snap_options(cfg: &RunConfig) -> anyhow::Result<SnapOptions> {
    let opts = SnapOptions::new()
        .max_distance_m(cfg.snap.max_distance_m)
        .ambiguity_tolerance_m(cfg.snap.ambiguity_tolerance_m);
    opts.validate().context("invalid snapping settings")?;
    Ok(opts)
}

/// Builds the index and snaps every complaint.
fn snap_all(loaded: &Loaded, opts: &SnapOptions, phases: &mut Phases) -> Vec<SnapOutcome> {
    let index = phases.run("index", "indexing streets", || {
        StreetIndex::new(&loaded.streets.network.segments)
    });
    let points: Vec<Point<f64>> = loaded.complaints.par_iter().map(|c| c.point).collect();
    let outcomes = phases.run("snap", "snapping complaints", || {
        index.snap_all(&points, opts)
    });
    // Freed now, before the outcomes are used (the index frees at the end of this function).
    drop(points);
    outcomes
}

/// The digests that make the settings hash: every input file and the whole run configuration.
fn digests(
    input: &InputArgs,
    loaded: &Loaded,
    cfg: &RunConfig,
) -> anyhow::Result<Vec<InputDigest>> {
    let mut out = vec![streetrank_io::input_digest(
        "streets",
        &input.streets,
        &loaded.streets.sha256,
    )];
    for (path, c) in input.complaints.iter().zip(&loaded.complaint_files) {
        out.push(streetrank_io::input_digest("complaints", path, &c.sha256));
    }
    if let (Some(path), Some((r, _, _))) = (&input.ratings, &loaded.ratings) {
        out.push(streetrank_io::input_digest("ratings", path, &r.sha256));
    }
    out.push(streetrank_io::run_config_digest(cfg)?);
    Ok(out)
}

/// Output format from the flag, else the extension, else CSV (stdout).
fn output_format(flag: Option<FormatArg>, dest: &Destination) -> anyhow::Result<Format> {
    if let Some(f) = flag {
        return Ok(f.into());
    }
    match dest {
        Destination::Stdout => Ok(Format::Csv),
        Destination::Path(p) => Format::from_path(p).with_context(|| {
            format!(
                "cannot tell the output format of {}: use a .geojson, .csv or .shp name, or --format",
                p.display()
            )
        }),
    }
}

/// Runs the scoring pipeline on already loaded inputs; shared by `score` and `demo`.
pub struct ScoreRun {
    /// The inputs.
    pub loaded: Loaded,
    /// Per complaint, where it snapped.
    pub outcomes: Vec<SnapOutcome>,
    /// The ranking.
    pub ranking: Ranking,
}

/// Loads, snaps and scores.
pub fn score_run(
    input: &InputArgs,
    as_of: Option<&str>,
    phases: &mut Phases,
) -> anyhow::Result<(ScoreRun, RunConfig)> {
    let cfg = input.run_config()?;
    let snap_opts = snap_options(&cfg)?;
    let mut score_cfg: ScoreConfig = cfg.score.clone();
    if let Some(text) = as_of {
        score_cfg.as_of =
            Some(streetrank::Timestamp::parse_utc(text).with_context(|| {
                format!("--as-of {text}: expected a date like 2016-10-01 (UTC)")
            })?);
    }
    if input.complaints.is_empty() {
        bail!("score needs --complaints FILE");
    }
    let loaded = load(input, &cfg, input.on_error(), phases)?;
    let outcomes = snap_all(&loaded, &snap_opts, phases);
    let assignments: Vec<Option<usize>> = outcomes.par_iter().map(SnapOutcome::segment).collect();
    let digests = digests(input, &loaded, &cfg)?;
    let ranking = phases.run("score", "scoring segments", || {
        streetrank::score(
            &loaded.streets.network,
            &loaded.complaints,
            &assignments,
            &score_cfg,
            &digests,
        )
    })?;
    Ok((
        ScoreRun {
            loaded,
            outcomes,
            ranking,
        },
        cfg,
    ))
}

/// `streetrank score`.
pub fn score_command(args: &ScoreArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let profile: Profile = args.profile.into();
    if args.assignments.is_some()
        && let Some(e) = profile.refuse_per_complaint("--assignments")
    {
        return Err(e.into());
    }
    let mut phases = Phases::new(global.quiet);
    let (run, cfg) = score_run(&args.input, args.as_of.as_deref(), &mut phases)?;
    let privacy = Privacy::new(profile, &cfg);
    warn_personal(&run.loaded, &cfg, args.assignments.is_some());
    let dest = Destination::parse(&args.output);
    let format = output_format(args.format, &dest)?;
    let write_opts = WriteOptions::default();
    let sources = Sources::new(&run.loaded, &cfg, Some(&run.ranking.settings_hash));
    phases.run("write", "writing outputs", || -> anyhow::Result<()> {
        let mut table = streetrank_io::ranking_table(
            &run.loaded.streets.network,
            &run.ranking,
            &run.loaded.streets.work_crs,
        )?;
        let suppressed = if privacy.publish() {
            Some(streetrank_io::suppress_small_counts(
                &mut table,
                privacy.min_count,
            )?)
        } else {
            None
        };
        streetrank_io::write_table(&table, &dest, format, &write_opts)?;
        sources.write_segment_manifest("score", &dest, &table, &run.loaded, privacy, suppressed)?;
        if let Some(path) = &args.assignments {
            drop(table);
            write_assignments(
                &run.loaded,
                &run.outcomes,
                path,
                None,
                &write_opts,
                &sources,
                privacy,
            )?;
        } else {
            exit_without_freeing(table);
        }
        Ok(())
    })?;
    let summary = Summary::build(
        "score",
        &run.loaded,
        Some(&run.outcomes),
        Some(&run.ranking),
        &cfg,
        &phases,
        args.top,
    );
    finish(
        &summary,
        global,
        args.summary_json.as_deref().map(|p| (p, &sources, privacy)),
    )?;
    exit_without_freeing((run, summary));
    Ok(ExitCode::SUCCESS)
}

/// Leaves `value` unfreed: the process is about to exit and the OS reclaims its memory at
/// once, where dropping a million complaints, their outcomes and the tables would free each
/// heap block one by one (2.5 % of a city run's CPU).
fn exit_without_freeing<T>(value: T) {
    std::mem::forget(value);
}

/// The per-complaint table (internal: carries complaint locations).
pub fn assignments(
    loaded: &Loaded,
    outcomes: &[SnapOutcome],
) -> anyhow::Result<streetrank_io::FeatureTable> {
    Ok(streetrank_io::assignments_table(
        &loaded.streets.network,
        &loaded.complaints,
        &loaded.complaint_properties,
        outcomes,
        &loaded.streets.work_crs,
    )?)
}

/// Writes the per-complaint table and its manifest.
fn write_assignments(
    loaded: &Loaded,
    outcomes: &[SnapOutcome],
    path: &Path,
    format: Option<FormatArg>,
    opts: &WriteOptions,
    sources: &Sources,
    privacy: Privacy,
) -> anyhow::Result<()> {
    let dest = Destination::Path(path.to_path_buf());
    let format = output_format(format, &dest)?;
    let table = assignments(loaded, outcomes)?;
    streetrank_io::write_table(&table, &dest, format, opts)?;
    sources.write_assignments_manifest("score", &dest, &table, loaded, privacy)?;
    exit_without_freeing(table);
    Ok(())
}

/// `streetrank snap`.
pub fn snap_command(args: &SnapArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let profile: Profile = args.profile.into();
    if let Some(e) = profile.refuse_per_complaint("snap") {
        return Err(e.into());
    }
    let mut phases = Phases::new(global.quiet);
    let cfg = args.input.run_config()?;
    let snap_opts = snap_options(&cfg)?;
    if args.input.complaints.is_empty() {
        bail!("snap needs --complaints FILE");
    }
    let loaded = load(&args.input, &cfg, args.input.on_error(), &mut phases)?;
    let outcomes = snap_all(&loaded, &snap_opts, &mut phases);
    let privacy = Privacy::new(profile, &cfg);
    warn_personal(&loaded, &cfg, true);
    let dest = Destination::parse(&args.output);
    let format = output_format(args.format, &dest)?;
    let sources = Sources::new(&loaded, &cfg, None);
    phases.run("write", "writing assignments", || -> anyhow::Result<()> {
        let table = assignments(&loaded, &outcomes)?;
        streetrank_io::write_table(&table, &dest, format, &WriteOptions::default())?;
        sources.write_assignments_manifest("snap", &dest, &table, &loaded, privacy)?;
        exit_without_freeing(table);
        Ok(())
    })?;
    let summary = Summary::build("snap", &loaded, Some(&outcomes), None, &cfg, &phases, 0);
    finish(&summary, global, None)?;
    exit_without_freeing((loaded, outcomes, summary));
    Ok(ExitCode::SUCCESS)
}

/// `streetrank validate`: reads everything leniently and lists each problem; exit 1 if any.
pub fn validate_command(args: &ValidateArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let mut phases = Phases::new(global.quiet);
    let cfg = args.input.run_config()?;
    let snap_opts = snap_options(&cfg)?;
    let loaded = load(&args.input, &cfg, OnError::List, &mut phases)?;
    let outcomes =
        (!args.input.complaints.is_empty()).then(|| snap_all(&loaded, &snap_opts, &mut phases));
    let summary = Summary::build(
        "validate",
        &loaded,
        outcomes.as_deref(),
        None,
        &cfg,
        &phases,
        0,
    );
    let problems = summary.problem_count();
    // validate's report is its output: it goes to stdout.
    print!("{}", summary.render(true));
    exit_without_freeing((loaded, outcomes, summary));
    if problems > 0 {
        println!("{problems} problem(s) found.");
        Ok(ExitCode::from(1))
    } else {
        println!("No problems found.");
        Ok(ExitCode::SUCCESS)
    }
}

/// Prints the summary to stderr (unless quiet) and writes the JSON summary when asked, with its
/// manifest, redacted under `publish` ([`crate::outputs::redact_summary`]).
pub fn finish(
    summary: &Summary,
    global: &Global,
    json: Option<(&Path, &Sources, Privacy)>,
) -> anyhow::Result<()> {
    if !global.quiet {
        eprint!("{}", summary.render(false));
    }
    if let Some((path, sources, privacy)) = json {
        let mut value = summary.to_json();
        if privacy.publish() {
            redact_summary(&mut value, privacy.min_count);
        }
        let text = serde_json::to_string_pretty(&value).context("serialising the summary")?;
        streetrank_io::write_file_atomically(path, |w| w.write_all(text.as_bytes()))?;
        sources.write_file_manifest(
            "score",
            path,
            privacy,
            "the run summary: input counts, snapping statistics, settings and the top of the ranking \
             (all computed); under publish the top list's small counts and scores are null and no \
             skipped record is quoted",
        )?;
    }
    Ok(())
}
