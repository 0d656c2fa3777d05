//! The commands' work: load, index, snap, score, write, and report.

use std::path::Path;
use std::process::ExitCode;
use std::sync::OnceLock;

use anyhow::{Context, bail};
use geo_types::Point;
use rayon::prelude::*;
use streetrank::{
    Complaint, InputDigest, Ranking, ScoreConfig, ScoreInput, SnapOptions, SnapOutcome, StreetIndex,
};
use streetrank_io::{
    AssignmentsTable, ComplaintsOptions, Destination, Format, LoadedComplaints, LoadedStreets,
    OnError, Profile, RankingTable, Ratings, RunConfig, StreetsOptions, WriteOptions,
};

use crate::args::{FormatArg, Global, InputArgs, ScoreArgs, SnapArgs, ValidateArgs};
use crate::outputs::{Privacy, Sources, redact_summary, warn_personal};
use crate::progress::Phases;
use crate::summary::{Brief, SnapSummary, SnapTally, Summary};

/// Everything read from the inputs.
pub struct Loaded {
    /// The street network in the working CRS.
    pub streets: LoadedStreets,
    /// The complaints of every file, in file order, in the working CRS (empty when they were
    /// streamed: see [`score_streamed`]).
    pub complaints: Vec<Complaint>,
    /// How many complaints were loaded (`complaints.len()` unless they were streamed).
    pub complaint_count: usize,
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
    let mut streets = load_streets(input, cfg, on_error, phases)?;
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
    let ratings = load_ratings(input, cfg, on_error, &mut streets, phases)?;
    Ok(Loaded {
        streets,
        complaint_count: complaints.len(),
        complaints,
        complaint_properties,
        complaint_files,
        ratings,
    })
}

/// Reads the streets into the working CRS.
fn load_streets(
    input: &InputArgs,
    cfg: &RunConfig,
    on_error: OnError,
    phases: &mut Phases,
) -> anyhow::Result<LoadedStreets> {
    let streets_opts = StreetsOptions {
        mapping: cfg.streets.clone(),
        on_error,
        work_crs: cfg.work_crs.clone(),
    };
    Ok(phases.run("read streets", "reading streets", || {
        streetrank_io::read_streets(&input.streets, &streets_opts)
    })?)
}

/// Reads the ratings, when given, into the streets: with how many segments they rated and how
/// many ids matched no segment.
fn load_ratings(
    input: &InputArgs,
    cfg: &RunConfig,
    on_error: OnError,
    streets: &mut LoadedStreets,
    phases: &mut Phases,
) -> anyhow::Result<Option<(Ratings, usize, usize)>> {
    let Some(path) = &input.ratings else {
        return Ok(None);
    };
    let ratings = phases.run("read ratings", "reading ratings", || {
        streetrank_io::read_ratings(path, &cfg.ratings, on_error)
    })?;
    let (rated, unknown) = streetrank_io::apply_ratings(&mut streets.network, &ratings);
    Ok(Some((ratings, rated, unknown)))
}

/// The scoring settings from the config, with `--as-of`.
fn score_config(cfg: &RunConfig, as_of: Option<&str>) -> anyhow::Result<ScoreConfig> {
    let mut score_cfg: ScoreConfig = cfg.score.clone();
    if let Some(text) = as_of {
        score_cfg.as_of =
            Some(streetrank::Timestamp::parse_utc(text).with_context(|| {
                format!("--as-of {text}: expected a date like 2016-10-01 (UTC)")
            })?);
    }
    Ok(score_cfg)
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

/// Loads, snaps and scores, with `cfg` the run configuration (`input.run_config()`).
pub fn score_run(
    input: &InputArgs,
    cfg: &RunConfig,
    as_of: Option<&str>,
    phases: &mut Phases,
) -> anyhow::Result<ScoreRun> {
    let snap_opts = snap_options(cfg)?;
    let score_cfg = score_config(cfg, as_of)?;
    if input.complaints.is_empty() {
        bail!("score needs --complaints FILE");
    }
    let loaded = load(input, cfg, input.on_error(), phases)?;
    let outcomes = snap_all(&loaded, &snap_opts, phases);
    let assignments: Vec<Option<usize>> = outcomes.par_iter().map(SnapOutcome::segment).collect();
    let digests = digests(input, &loaded, cfg)?;
    let ranking = phases.run("score", "scoring segments", || {
        streetrank::score(
            &loaded.streets.network,
            &loaded.complaints,
            &assignments,
            &score_cfg,
            &digests,
        )
    })?;
    Ok(ScoreRun {
        loaded,
        outcomes,
        ranking,
    })
}

/// A scored run whose complaints were streamed: what the summary and the outputs need.
pub struct StreamedRun {
    /// The inputs, without the complaints (`complaints` is empty).
    pub loaded: Loaded,
    /// The snapping counts.
    pub snap: SnapSummary,
    /// The ranking.
    pub ranking: Ranking,
}

/// Points gathered from the file's blocks before they are snapped together: enough that
/// neighbouring points meet in the grid's cells (on the 10M-complaint metro, reading and
/// snapping took 59 s with each 16 MiB block snapped on its own, 24 s with batches of 2^20
/// points; rough wall times on a loaded machine); 32 bytes each, plus the snapper's answers
/// while it runs (about 180 bytes each).
const SNAP_BATCH: usize = 1 << 20;

/// Snaps and gathers streamed complaints, [`SNAP_BATCH`] at a time (more while the index is
/// still being built: its cell is empty until then).
struct Gather<'i> {
    index: &'i OnceLock<StreetIndex>,
    opts: &'i SnapOptions,
    input: ScoreInput,
    snap: SnapTally,
    points: Vec<Point<f64>>,
    created: Vec<Option<streetrank::Timestamp>>,
    /// The first of the pending complaints with their latest time, and its id.
    latest: Option<(streetrank::Timestamp, usize, streetrank::SourceId)>,
    error: Option<streetrank::Error>,
}

impl Gather<'_> {
    /// Takes a batch's points and times (one pass), then drops the batch on the pool, off the
    /// reading thread.
    fn add(&mut self, batch: Vec<Complaint>) {
        let base = self.points.len();
        let before = self.latest.as_ref().map(|(t, _, _)| *t);
        // The first complaint of the batch with its latest time, when later than `before`.
        let mut latest: Option<(streetrank::Timestamp, usize)> = None;
        self.points.reserve(batch.len());
        self.created.reserve(batch.len());
        for (i, c) in batch.iter().enumerate() {
            self.points.push(c.point);
            self.created.push(c.created);
            if let Some(t) = c.created
                && latest.map_or(before.is_none_or(|b| t > b), |(l, _)| t > l)
            {
                latest = Some((t, i));
            }
        }
        if let Some((t, i)) = latest
            && let Some(c) = batch.get(i)
        {
            self.latest = Some((t, base + i, c.id.clone()));
        }
        rayon::spawn(move || drop(batch));
        if self.points.len() >= SNAP_BATCH && self.index.get().is_some() {
            self.flush();
        }
    }

    /// Snaps the pending points; a no-op until the index is built.
    fn flush(&mut self) {
        if self.error.is_some() {
            self.points.clear();
            self.created.clear();
        }
        let Some(index) = self.index.get() else {
            return;
        };
        if self.points.is_empty() {
            return;
        }
        let briefs = index.snap_all_map(&self.points, self.opts, Brief::of);
        self.snap.add(&briefs, |b| *b);
        let segments: Vec<Option<usize>> = briefs.par_iter().map(Brief::segment).collect();
        drop(briefs);
        let latest = self.latest.take();
        let r = self
            .input
            .extend_parts(&self.points, &self.created, &segments, |i| {
                latest.and_then(|(_, j, id)| (i == j).then_some(id))
            });
        if let Err(e) = r {
            self.error = Some(e);
        }
        self.points.clear();
        self.created.clear();
    }
}

/// Loads, snaps and scores with the complaints streamed from one file: each batch is snapped
/// a million at a time as they are read and only what scoring and the summary need is kept
/// (32 bytes per matched complaint and 8 per snap distance), so memory does not hold the
/// complaints.
///
/// `None` when the file repeated ids that were skipped: complaints already snapped would have
/// to be taken back, and the caller runs the whole-file path instead (the same results).
pub fn score_streamed(
    input: &InputArgs,
    cfg: &RunConfig,
    as_of: Option<&str>,
    phases: &mut Phases,
) -> anyhow::Result<Option<StreamedRun>> {
    let snap_opts = snap_options(cfg)?;
    let score_cfg = score_config(cfg, as_of)?;
    let [path] = input.complaints.as_slice() else {
        bail!("the streamed score reads exactly one complaints file");
    };
    let on_error = input.on_error();
    let mut streets = load_streets(input, cfg, on_error, phases)?;
    let index = OnceLock::new();
    let opts = ComplaintsOptions {
        mapping: cfg.complaints.clone(),
        on_error,
        streets_extent_lonlat: Some(streets.extent_lonlat),
        ..ComplaintsOptions::new(streets.work_crs.clone())
    };
    let mut gather = Gather {
        index: &index,
        opts: &snap_opts,
        input: ScoreInput::new(),
        snap: SnapTally::default(),
        points: Vec::with_capacity(SNAP_BATCH),
        created: Vec::with_capacity(SNAP_BATCH),
        latest: None,
        error: None,
    };
    // The index is built on the pool while this thread starts reading: the first snap waits
    // for it (points gather meanwhile), the reading does not.
    let segments = &streets.network.segments;
    let read = phases.run(
        "index, read and snap complaints",
        "indexing streets, reading and snapping complaints",
        || {
            rayon::in_place_scope(|scope| {
                scope.spawn(|_| {
                    let built = StreetIndex::new(segments);
                    built.prepare_grid(&snap_opts);
                    let _ = index.set(built);
                });
                streetrank_io::stream_complaints(path, &opts, &mut |batch| gather.add(batch))
            })
        },
    )?;
    phases.run("snap", "snapping complaints", || gather.flush());
    if let Some(e) = gather.error {
        return Err(e.into());
    }
    if !read.retracted.is_empty() {
        return Ok(None);
    }
    let Gather {
        input: score_input,
        snap,
        ..
    } = gather;
    drop(index);
    let ratings = load_ratings(input, cfg, on_error, &mut streets, phases)?;
    let loaded = Loaded {
        streets,
        complaints: Vec::new(),
        complaint_count: read.file.report.loaded,
        complaint_properties: read.file.property_names.clone(),
        complaint_files: vec![read.file],
        ratings,
    };
    let digests = digests(input, &loaded, cfg)?;
    let ranking = phases.run("score", "scoring segments", || {
        streetrank::score_input(&loaded.streets.network, &score_input, &score_cfg, &digests)
    })?;
    exit_without_freeing(score_input);
    Ok(Some(StreamedRun {
        loaded,
        snap: snap.finish(),
        ranking,
    }))
}

/// `streetrank score`.
pub fn score_command(args: &ScoreArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let profile: Profile = args.profile.into();
    if args.assignments.is_some()
        && let Some(e) = profile.refuse_per_complaint("--assignments")
    {
        return Err(e.into());
    }
    // Before any file is read, not once the ranking is written.
    let cfg = args.input.run_config()?;
    streetrank_io::check_kept_columns(
        Some(&cfg.streets.keep),
        args.assignments
            .is_some()
            .then_some(cfg.complaints.keep.as_slice()),
    )?;
    let mut phases = Phases::new(global.quiet);
    // Without the per-complaint table, one file of complaints is streamed (bounded memory);
    // `None` when it must be read whole after all (repeated ids were skipped).
    let streamed = if args.assignments.is_none() && args.input.complaints.len() == 1 {
        score_streamed(&args.input, &cfg, args.as_of.as_deref(), &mut phases)?
    } else {
        None
    };
    let (loaded, ranking, snap, outcomes) = match streamed {
        Some(run) => (run.loaded, run.ranking, run.snap, Vec::new()),
        None => {
            let run = score_run(&args.input, &cfg, args.as_of.as_deref(), &mut phases)?;
            let snap = SnapSummary::build(&run.outcomes);
            (run.loaded, run.ranking, snap, run.outcomes)
        }
    };
    let privacy = Privacy::new(profile, &cfg);
    warn_personal(&loaded, &cfg, args.assignments.is_some());
    let dest = Destination::parse(&args.output);
    let format = output_format(args.format, &dest)?;
    let write_opts = WriteOptions::default();
    let sources = Sources::new(&loaded, &cfg, Some(&ranking.settings_hash));
    phases.run("write", "writing outputs", || -> anyhow::Result<()> {
        // Each row is built as it is written (CSV, GeoJSON): a million-segment ranking never
        // holds its cells in memory at once. The Shapefile writer builds the whole table.
        let mut table = RankingTable::for_streets(&loaded.streets, &ranking)?;
        let suppressed = privacy
            .publish()
            .then(|| table.suppress_small_counts(privacy.min_count));
        streetrank_io::write_table(&table, &dest, format, &write_opts)?;
        sources.write_segment_manifest("score", &dest, &table, &loaded, privacy, suppressed)?;
        if let Some(path) = &args.assignments {
            drop(table);
            write_assignments(
                &loaded,
                &outcomes,
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
        &loaded,
        Some(snap),
        Some(&ranking),
        &cfg,
        &phases,
        args.top,
    );
    finish(
        &summary,
        global,
        args.summary_json.as_deref().map(|p| (p, &sources, privacy)),
    )?;
    exit_without_freeing((loaded, ranking, outcomes, summary));
    Ok(ExitCode::SUCCESS)
}

/// Leaves `value` unfreed: the process is about to exit and the OS reclaims its memory at
/// once, where dropping a million complaints, their outcomes and the tables would free each
/// heap block one by one (2.5 % of a city run's CPU).
fn exit_without_freeing<T>(value: T) {
    std::mem::forget(value);
}

/// The per-complaint table (internal: carries complaint locations), each row built as it is
/// written.
pub fn assignments<'a>(
    loaded: &'a Loaded,
    outcomes: &'a [SnapOutcome],
) -> anyhow::Result<AssignmentsTable<'a>> {
    Ok(AssignmentsTable::new(
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
    streetrank_io::check_kept_columns(None, Some(&cfg.complaints.keep))?;
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
    let summary = Summary::build(
        "snap",
        &loaded,
        Some(SnapSummary::build(&outcomes)),
        None,
        &cfg,
        &phases,
        0,
    );
    finish(&summary, global, None)?;
    exit_without_freeing((loaded, outcomes, summary));
    Ok(ExitCode::SUCCESS)
}

/// `streetrank validate`: reads everything leniently and lists each problem; exit 1 if any.
pub fn validate_command(args: &ValidateArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let mut phases = Phases::new(global.quiet);
    let cfg = args.input.run_config()?;
    streetrank_io::check_kept_columns(None, Some(&cfg.complaints.keep))?;
    let snap_opts = snap_options(&cfg)?;
    let loaded = load(&args.input, &cfg, OnError::List, &mut phases)?;
    let outcomes =
        (!args.input.complaints.is_empty()).then(|| snap_all(&loaded, &snap_opts, &mut phases));
    let summary = Summary::build(
        "validate",
        &loaded,
        outcomes.as_deref().map(SnapSummary::build),
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
