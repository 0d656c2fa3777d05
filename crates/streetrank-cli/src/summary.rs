//! The one-screen summary printed at the end of a run, and its JSON form.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rayon::prelude::*;
use serde_json::{Value, json};
use streetrank::{Ranking, SnapOutcome, UnmatchedReason};
use streetrank_io::{LoadReport, RunConfig, thousands};

use crate::pipeline::Loaded;
use crate::progress::Phases;

/// Counts from snapping.
#[derive(Debug, Clone, Default)]
pub struct SnapSummary {
    /// Complaints snapped to a segment.
    pub matched: usize,
    /// Unmatched complaints by reason.
    pub unmatched: BTreeMap<String, usize>,
    /// Matched complaints whose runner-up street was within the ambiguity tolerance.
    pub ambiguous: usize,
    /// Median snap distance of the matched complaints, metres.
    pub median_distance_m: Option<f64>,
}

impl SnapSummary {
    /// The counts of a whole run's outcomes.
    pub fn build(outcomes: &[SnapOutcome]) -> SnapSummary {
        let mut tally = SnapTally::default();
        tally.add(outcomes, Brief::of);
        tally.finish()
    }
}

/// What the summary and scoring keep of a snap answer: 24 bytes, where a [`SnapOutcome`] takes
/// about 90 (the streamed `score` snaps a million points at a time).
#[derive(Debug, Clone, Copy)]
pub enum Brief {
    /// Snapped to `segment` at `distance_m`; `ambiguous` as [`streetrank::Snap::ambiguous`].
    Snapped {
        segment: usize,
        distance_m: f64,
        ambiguous: bool,
    },
    /// Not snapped, and why.
    Unmatched(UnmatchedReason),
}

impl Brief {
    /// The brief of a full answer.
    pub fn of(o: &SnapOutcome) -> Brief {
        match o {
            SnapOutcome::Snapped(s) => Brief::Snapped {
                segment: s.segment,
                distance_m: s.distance_m,
                ambiguous: s.ambiguous,
            },
            SnapOutcome::Unmatched(r) => Brief::Unmatched(*r),
        }
    }

    /// The segment, if the point snapped.
    pub fn segment(&self) -> Option<usize> {
        match self {
            Brief::Snapped { segment, .. } => Some(*segment),
            Brief::Unmatched(_) => None,
        }
    }
}

/// [`SnapSummary`] gathered batch by batch: the counts, and the distances for the median.
#[derive(Debug, Default)]
pub struct SnapTally {
    counts: SnapSummary,
    distances: Vec<f64>,
}

impl SnapTally {
    /// Adds a batch's answers, each seen through `brief`.
    pub fn add<T: Sync>(&mut self, answers: &[T], brief: impl Fn(&T) -> Brief + Sync) {
        // Counts are sums, so the parallel fold gives the same numbers for any split.
        let (matched, ambiguous, unmatched) = answers
            .par_iter()
            .fold(
                || (0usize, 0usize, BTreeMap::new()),
                |(mut m, mut a, mut u), o| {
                    match brief(o) {
                        Brief::Snapped { ambiguous, .. } => {
                            m += 1;
                            a += usize::from(ambiguous);
                        }
                        Brief::Unmatched(reason) => {
                            *u.entry(streetrank_io::unmatched_reason_text(&reason))
                                .or_insert(0usize) += 1;
                        }
                    }
                    (m, a, u)
                },
            )
            .reduce(
                || (0, 0, BTreeMap::new()),
                |(m1, a1, mut u1), (m2, a2, u2)| {
                    for (k, v) in u2 {
                        *u1.entry(k).or_insert(0) += v;
                    }
                    (m1 + m2, a1 + a2, u1)
                },
            );
        self.counts.matched += matched;
        self.counts.ambiguous += ambiguous;
        for (k, v) in unmatched {
            *self.counts.unmatched.entry(k).or_insert(0) += v;
        }
        let distances = answers.par_iter().filter_map(|o| match brief(o) {
            Brief::Snapped { distance_m, .. } => Some(distance_m),
            Brief::Unmatched(_) => None,
        });
        if self.distances.is_empty() {
            self.distances = distances.collect();
        } else {
            let batch: Vec<f64> = distances.collect();
            self.distances.extend_from_slice(&batch);
        }
    }

    /// The summary of everything added.
    pub fn finish(self) -> SnapSummary {
        let SnapTally {
            mut counts,
            mut distances,
        } = self;
        // The element a full sort would put at the middle: `total_cmp` is a total order, so
        // the selected value is the same, whatever the order the batches came in.
        let mid = distances.len() / 2;
        counts.median_distance_m = (mid < distances.len())
            .then(|| *distances.select_nth_unstable_by(mid, f64::total_cmp).1);
        counts
    }
}

/// Ratings counts.
#[derive(Debug, Clone, Default)]
pub struct RatingsSummary {
    /// Segment ids in the ratings file.
    pub ids: usize,
    /// Segments that received a rating.
    pub rated: usize,
    /// Rated ids that match no segment.
    pub unknown_ids: usize,
}

/// One row of the top of the ranking.
#[derive(Debug, Clone)]
pub struct TopRow {
    rank: usize,
    id: String,
    score: f64,
    pressure: f64,
    condition: f64,
    usage: f64,
    complaints: usize,
    length_m: f64,
    name: String,
}

/// Everything the end-of-run summary says.
#[derive(Debug, Clone)]
pub struct Summary {
    command: &'static str,
    reports: Vec<(&'static str, LoadReport)>,
    segments: usize,
    total_km: f64,
    crs: String,
    complaints: Option<usize>,
    swapped: bool,
    far_away: usize,
    ratings: Option<RatingsSummary>,
    snap: Option<SnapSummary>,
    max_distance_m: f64,
    as_of: Option<String>,
    settings_hash: Option<String>,
    pressure_cap: Option<f64>,
    score_notes: Vec<String>,
    top: Vec<TopRow>,
    times: Vec<(&'static str, f64)>,
}

/// A name for a segment to show a person: its first text property that looks like a street name.
fn display_name(loaded: &Loaded, segment: usize) -> String {
    let net = &loaded.streets.network;
    let Some(seg) = net.segments.get(segment) else {
        return String::new();
    };
    for (name, value) in net.property_names.iter().zip(&seg.properties) {
        let lower = name.to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "name" | "street" | "fullname" | "st_name" | "streetname"
        ) {
            return value.to_string();
        }
    }
    String::new()
}

impl Summary {
    /// Builds the summary of a run.
    pub fn build(
        command: &'static str,
        loaded: &Loaded,
        snap: Option<SnapSummary>,
        ranking: Option<&Ranking>,
        cfg: &RunConfig,
        phases: &Phases,
        top: usize,
    ) -> Summary {
        let net = &loaded.streets.network;
        let mut reports = vec![("streets", loaded.streets.report.clone())];
        for c in &loaded.complaint_files {
            reports.push(("complaints", c.report.clone()));
        }
        if let Some((r, _, _)) = &loaded.ratings {
            reports.push(("ratings", r.report.clone()));
        }
        let top_rows = ranking
            .map(|r| {
                r.order
                    .iter()
                    .take(top)
                    .filter_map(|&i| {
                        let s = r.scores.get(i)?;
                        let seg = net.segments.get(i)?;
                        Some(TopRow {
                            rank: s.rank,
                            id: seg.id.to_string(),
                            score: s.score,
                            pressure: s.pressure.contribution,
                            condition: s.condition.contribution,
                            usage: s.usage.contribution,
                            complaints: s.complaints,
                            length_m: seg.length_m,
                            name: display_name(loaded, i),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Summary {
            command,
            reports,
            segments: net.segments.len(),
            total_km: net.total_length_m() / 1000.0,
            crs: format!(
                "{} -> {}",
                loaded.streets.source_crs.label(),
                loaded.streets.work_crs.label()
            ),
            complaints: (!loaded.complaint_files.is_empty()).then_some(loaded.complaint_count),
            swapped: loaded.complaint_files.iter().any(|c| c.swapped),
            far_away: loaded.complaint_files.iter().map(|c| c.far_away).sum(),
            ratings: loaded
                .ratings
                .as_ref()
                .map(|(r, rated, unknown)| RatingsSummary {
                    ids: r.by_id.len(),
                    rated: *rated,
                    unknown_ids: *unknown,
                }),
            snap,
            max_distance_m: cfg.snap.max_distance_m,
            as_of: ranking.map(|r| r.as_of.to_string()),
            settings_hash: ranking.map(|r| r.settings_hash.clone()),
            pressure_cap: ranking.map(|r| r.pressure_cap),
            score_notes: ranking.map(|r| r.notes.clone()).unwrap_or_default(),
            top: top_rows,
            times: phases
                .times()
                .iter()
                .map(|(n, d)| (*n, d.as_secs_f64()))
                .collect(),
        }
    }

    /// Records skipped or otherwise problematic, for `validate`'s exit code.
    pub fn problem_count(&self) -> usize {
        let skipped: usize = self.reports.iter().map(|(_, r)| r.skipped_total()).sum();
        skipped + usize::from(self.swapped) + self.far_away
    }

    /// The human-readable summary; `all_examples` lists every kept example of every skip reason.
    pub fn render(&self, all_examples: bool) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "streetrank {}", self.command);
        let _ = writeln!(
            out,
            "  streets     {} segments, {:.1} km; CRS {}",
            thousands(self.segments),
            self.total_km,
            self.crs
        );
        if let Some(n) = self.complaints {
            let mut line = format!("  complaints  {} loaded", thousands(n));
            if self.swapped {
                line.push_str("; x/y columns swapped back");
            }
            if self.far_away > 0 {
                let _ = write!(
                    line,
                    "; {} far outside the streets",
                    thousands(self.far_away)
                );
            }
            let _ = writeln!(out, "{line}");
        }
        if let Some(r) = &self.ratings {
            let _ = writeln!(
                out,
                "  ratings     {} of {} segments rated ({} ids in file, {} match no segment)",
                thousands(r.rated),
                thousands(self.segments),
                thousands(r.ids),
                thousands(r.unknown_ids)
            );
        }
        for (what, report) in &self.reports {
            if report.skipped_total() > 0 {
                let _ = writeln!(
                    out,
                    "  skipped     {} {what} records:",
                    thousands(report.skipped_total())
                );
                for (reason, n) in &report.skipped {
                    let _ = writeln!(out, "                {} {reason}", thousands(*n));
                    let examples = report
                        .skip_examples
                        .get(reason)
                        .map_or(&[][..], Vec::as_slice);
                    let shown = if all_examples {
                        examples.len()
                    } else {
                        examples.len().min(1)
                    };
                    for e in &examples[..shown] {
                        let _ = writeln!(out, "                  e.g. {e}");
                    }
                }
            }
        }
        if let Some(s) = &self.snap {
            let total = s.matched + s.unmatched.values().sum::<usize>();
            let pct = if total == 0 {
                0.0
            } else {
                100.0 * s.matched as f64 / total as f64
            };
            let median = s
                .median_distance_m
                .map_or(String::new(), |m| format!(", median distance {m:.1} m"));
            let _ = writeln!(
                out,
                "  snapped     {} of {} within {} m ({pct:.1}%){median}; {} ambiguous",
                thousands(s.matched),
                thousands(total),
                self.max_distance_m,
                thousands(s.ambiguous)
            );
            for (reason, n) in &s.unmatched {
                let _ = writeln!(out, "  unmatched   {} {reason}", thousands(*n));
            }
        }
        if let (Some(as_of), Some(hash)) = (&self.as_of, &self.settings_hash) {
            let _ = writeln!(out, "  as of       {as_of}");
            let _ = writeln!(out, "  settings    sha256:{hash}");
        }
        if !self.top.is_empty() {
            let _ = writeln!(
                out,
                "\n  {:>4}  {:<14} {:<24} {:>6}  {:>8} {:>9} {:>6}  {:>10} {:>7}",
                "rank",
                "segment",
                "name",
                "score",
                "pressure",
                "condition",
                "usage",
                "complaints",
                "length"
            );
            for t in &self.top {
                let name: String = t.name.chars().take(24).collect();
                let _ = writeln!(
                    out,
                    "  {:>4}  {:<14} {:<24} {:>6.1}  {:>8.1} {:>9.1} {:>6.1}  {:>10} {:>5.0} m",
                    t.rank,
                    t.id,
                    name,
                    t.score,
                    t.pressure,
                    t.condition,
                    t.usage,
                    t.complaints,
                    t.length_m
                );
            }
            let _ = writeln!(out);
        }
        let notes: Vec<&String> = self
            .reports
            .iter()
            .flat_map(|(_, r)| r.notes.iter())
            .chain(&self.score_notes)
            .collect();
        if !notes.is_empty() {
            let _ = writeln!(out, "  notes:");
            for n in notes {
                let _ = writeln!(out, "    - {n}");
            }
        }
        if !self.times.is_empty() {
            let total: f64 = self.times.iter().map(|(_, t)| t).sum();
            let parts: Vec<String> = self
                .times
                .iter()
                .map(|(n, t)| format!("{n} {t:.2} s"))
                .collect();
            let _ = writeln!(out, "  time        {total:.2} s: {}", parts.join(" · "));
        }
        out
    }

    /// The machine-readable summary.
    pub fn to_json(&self) -> Value {
        let reports: Vec<Value> = self
            .reports
            .iter()
            .map(|(what, r)| {
                json!({
                    "input": what,
                    "path": r.path.display().to_string(),
                    "loaded": r.loaded,
                    "skipped": r.skipped,
                    "skip_examples": r.skip_examples,
                    "notes": r.notes,
                })
            })
            .collect();
        json!({
            "command": self.command,
            "inputs": reports,
            "segments": self.segments,
            "total_km": self.total_km,
            "crs": self.crs,
            "complaints": self.complaints,
            "swapped_xy": self.swapped,
            "far_away": self.far_away,
            "ratings": self.ratings.as_ref().map(|r| json!({"ids": r.ids, "rated": r.rated, "unknown_ids": r.unknown_ids})),
            "snap": self.snap.as_ref().map(|s| json!({
                "matched": s.matched, "unmatched": s.unmatched, "ambiguous": s.ambiguous,
                "median_distance_m": s.median_distance_m, "max_distance_m": self.max_distance_m,
            })),
            "as_of": self.as_of,
            "settings_hash": self.settings_hash,
            "pressure_cap": self.pressure_cap,
            "score_notes": self.score_notes,
            "top": self.top.iter().map(|t| json!({"rank": t.rank, "segment_id": t.id, "score": t.score, "complaints": t.complaints})).collect::<Vec<_>>(),
            "seconds": self.times.iter().map(|(n, t)| ((*n).to_owned(), json!(t))).collect::<serde_json::Map<_, _>>(),
        })
    }
}
