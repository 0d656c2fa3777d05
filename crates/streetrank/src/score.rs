//! Scoring and ranking street segments for repair from complaints, condition, usage and equity.
//!
//! The model is documented on [`score`], the public entry point (this module
//! is private; its items are re-exported from the crate root), and explained
//! with a worked example in `docs/scoring.md`.

use std::collections::BTreeMap;

use geo_types::Point;
use rayon::prelude::*;
use serde::Serialize;

use crate::config::lookup_key;
use crate::{
    Cap, Complaint, Error, InputDigest, ScoreConfig, Segment, SourceId, StreetNetwork, Timestamp,
    settings_hash,
};

/// One factor of one segment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FactorScore {
    /// The factor's value before normalisation, in its own unit (see the
    /// [`score`] docs); NaN when the segment has no value for it.
    pub raw: f64,
    /// The factor on the 0..1 scale, 1 = most in need.
    pub normalised: f64,
    /// Its share of the score, in score points: `100 · w · normalised / Σ w`.
    pub contribution: f64,
}

/// The score of one segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentScore {
    /// Position of the segment in [`StreetNetwork::segments`].
    pub segment: usize,
    /// 1 = repair first.
    pub rank: usize,
    /// 0..100, the sum of the four contributions.
    pub score: f64,
    /// Complaint pressure.
    pub pressure: FactorScore,
    /// Pavement condition.
    pub condition: FactorScore,
    /// Usage.
    pub usage: FactorScore,
    /// Equity.
    pub equity: FactorScore,
    /// Complaints matched to this segment (all of them, including duplicates
    /// and complaints created after `as_of`).
    pub complaints: usize,
    /// Complaints that count in pressure: not created after `as_of`, not duplicates.
    pub complaints_kept: usize,
    /// True when the segment had no usable condition value and got `condition.missing`.
    pub condition_missing: bool,
}

/// The result of [`score`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranking {
    /// One score per segment, in segment (input) order.
    pub scores: Vec<SegmentScore>,
    /// Segment positions from rank 1 down.
    pub order: Vec<usize>,
    /// The time complaint ages were measured from.
    pub as_of: Timestamp,
    /// The pressure cap used, in complaints per `per_length_m` metres.
    pub pressure_cap: f64,
    /// Plain-language remarks on how the inputs were used (defaults taken,
    /// complaints left out …), in a fixed order.
    pub notes: Vec<String>,
    /// [`settings_hash`] of the configuration and the input digests.
    pub settings_hash: String,
}

/// The complaint pressure of one segment before normalisation, and its complaint counts: what
/// [`pressure_tally`] computes from the segment's complaints and [`score_tallies`] ranks.
///
/// Scoring on a cluster computes these per segment where the complaints are, and ranks once.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PressureTally {
    /// The raw pressure (see [`score`]), in kept-complaint weight per `per_length_m` metres.
    pub raw: f64,
    /// Complaints matched to the segment.
    pub matched: usize,
    /// Complaints that count in pressure (kept dated ones plus undated ones).
    pub kept: usize,
    /// Matched complaints created after `as_of` (left out).
    pub future: usize,
    /// Matched complaints without a creation time.
    pub undated: usize,
    /// Matched complaints counted as duplicates of a kept one.
    pub duplicates: usize,
}

/// One matched complaint as the pressure factor reads it, for [`pressure_tally`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PressurePoint {
    /// The complaint's point, in the segments' projected metres.
    pub x: f64,
    /// See `x`.
    pub y: f64,
    /// Its creation time; `None` for an undated complaint.
    pub created: Option<Timestamp>,
    /// Its position in the whole complaint input (0-based, unique): complaints created at the
    /// same time are taken in this order.
    pub position: u64,
}

/// The totals over all complaints that [`score_tallies`] needs beside the per-segment
/// tallies: how many complaints there were, how many matched a segment, and the latest
/// creation time with the position and id of the first complaint created then.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScoreTotals {
    /// Complaints, matched or not.
    pub complaints: usize,
    /// Complaints that matched a segment.
    pub matched: usize,
    /// The latest creation time among all complaints (matched or not), the input position of
    /// the first complaint with it, and that complaint's id; `None` when none is dated.
    pub latest: Option<(Timestamp, usize, SourceId)>,
}

impl ScoreTotals {
    /// The time complaint ages are measured from: `config.as_of`, else the latest creation
    /// time, else the epoch (as [`score`] resolves it).
    #[must_use]
    pub fn as_of(&self, config: &ScoreConfig) -> Timestamp {
        resolve_as_of(config, self.latest.as_ref(), &mut Vec::new())
    }
}

/// Scores and ranks every segment of `network`.
///
/// `assignments[i]` is the segment complaint `i` snapped to (`None` when it
/// matched none); `inputs` are the digests of the files the data came from,
/// used only for [`Ranking::settings_hash`] (pass `&[]` for data built in memory).
/// `docs/scoring.md` explains the model with a worked example.
///
/// # The model
///
/// Every segment gets four factors, each
/// normalised to 0..1 (1 = most in need of repair), and a score from 0 to 100:
///
/// ```text
/// score          = Σ contribution_i                       (in the order pressure, condition, usage, equity)
/// contribution_i = 100 · w_i · n_i / Σ w                  (w = ScoreConfig::weights, n = normalised factor)
/// ```
///
/// so the four contributions add up to the score.
///
/// ## Pressure: complaints per length of street
///
/// For each segment, its matched complaints are taken in order of creation
/// time, then complaint position in the input; undated complaints come last.
/// Complaints created after `as_of` are left out (and counted in the notes).
/// Going down that list greedily, a dated complaint is a **duplicate** when it
/// lies within `pressure.dedup_distance_m` metres (Euclidean distance between
/// the complaint points, inclusive) of a complaint already *kept* on the same
/// segment and was created at most `pressure.dedup_window_days` days (inclusive)
/// after it. Duplicates of duplicates are not chained: only kept complaints
/// absorb others. Undated complaints cannot fall in a time window, so they are
/// never duplicates.
///
/// A kept complaint weighs `0.5^(age_days / half_life_days)` with
/// `age_days = as_of − created` (so it weighs 1 when new and 0.5 at one
/// half-life); an undated one weighs `pressure.undated_weight`. Then
///
/// ```text
/// raw        = Σ weights / (max(length_m, min_length_m) / per_length_m)   (weights summed in the order above)
/// normalised = min(1, raw / cap)                          (0 when cap is 0)
/// ```
///
/// where `cap` is [`Cap::Fixed`] or, by default, the 95th percentile by the
/// nearest-rank method of the positive raw values of all segments (the
/// `⌈0.95·k⌉`-th smallest of the `k` positive values), 0 when there are none.
///
/// ## Condition: distance from perfect pavement
///
/// `need = (best − value) / (best − worst)`, clamped to 0..1. It works for
/// scales where a larger number is worse (`best < worst`) as well. A missing or
/// non-finite value gives `condition.missing` and sets
/// [`SegmentScore::condition_missing`]. The raw value is the rating as given
/// (NaN when missing).
///
/// ## Usage: how many people the street serves
///
/// With a finite, non-negative AADT: `min(1, ln(1 + aadt) / ln(1 + aadt_reference))`
/// (traffic counts span orders of magnitude; the logarithm keeps a 500-vehicle
/// street from rounding to 0). Otherwise the weight of the road class in
/// `usage.class_weights` (case-insensitive, trimmed), else `usage.missing`.
/// The raw value is the AADT (NaN when not used).
///
/// ## Equity
///
/// The weight of the segment's district in `equity.district_weights`
/// (case-insensitive, trimmed), else `equity.missing`. The raw value is that
/// weight (NaN when the district is missing or unknown).
///
/// ## Ranking and determinism
///
/// Rank 1 is the highest score. Equal scores are ordered by [`SourceId`](crate::SourceId)
/// ascending (integer ids before text ids, integers numerically, text
/// byte-wise), then by segment position. Ranks are distinct: 1..=n.
///
/// Results are bit-identical for any rayon thread count: complaints are
/// grouped by segment with a stable counting sort (input order within each
/// segment), each segment is then computed on its own in a fixed order, and the
/// cross-segment values are order-independent (counts, maxima, the cap from
/// values sorted by a total order, the order by unique keys). `score` uses the
/// current rayon pool and never configures the global one.
///
/// # Errors
///
/// - [`Error::InvalidConfig`] when [`ScoreConfig::validate`] refuses `config`;
/// - [`Error::MismatchedInput`] when `assignments` and `complaints` differ in
///   length, an assignment names a segment the network lacks, or a segment's
///   `length_m` is not a positive finite number.
///
/// # Examples
///
/// ```
/// use geo_types::{line_string, Point};
/// use streetrank::{score, Complaint, ScoreConfig, Segment, SourceId, StreetNetwork, Timestamp};
///
/// let network = StreetNetwork::new(vec![
///     Segment::new(SourceId::from(1), line_string![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0)])?,
///     Segment::new(SourceId::from(2), line_string![(x: 0.0, y: 50.0), (x: 100.0, y: 50.0)])?,
/// ], vec![])?;
/// let complaints = vec![
///     Complaint::new(SourceId::from("R1"), Point::new(40.0, 1.0))?.with_created(Some(Timestamp(0))),
/// ];
/// let ranking = score(&network, &complaints, &[Some(0)], &ScoreConfig::default(), &[])?;
/// assert_eq!(ranking.order, vec![0, 1]);
/// assert_eq!(ranking.scores[0].pressure.raw, 1.0);
/// // Equal condition and usage (both missing): only pressure differs, by its weight.
/// assert!((ranking.scores[0].score - ranking.scores[1].score - 50.0).abs() < 1e-9);
/// # Ok::<(), streetrank::Error>(())
/// ```
pub fn score(
    network: &StreetNetwork,
    complaints: &[Complaint],
    assignments: &[Option<usize>],
    config: &ScoreConfig,
    inputs: &[InputDigest],
) -> Result<Ranking, Error> {
    config.validate()?;
    check_assignments(network.segments.len(), complaints, assignments)?;
    let input = ScoreInput::from_complaints(complaints, assignments)?;
    score_input(network, &input, config, inputs)
}

/// Segments whose complaints [`score_input`] reads ahead together: a few hundred complaints
/// on the presets (about ten per segment), enough loads to overlap, few enough to stay in cache.
const TALLY_RUN: usize = 32;

/// What [`score`] reads of one matched complaint: 32 bytes.
#[derive(Debug, Clone, Copy)]
struct Matched {
    x: f64,
    y: f64,
    /// Creation time (seconds), meaningful when `dated`.
    created: i64,
    segment: u32,
    dated: bool,
}

impl Matched {
    /// A placeholder, overwritten before it is read.
    const EMPTY: Matched = Matched {
        x: 0.0,
        y: 0.0,
        created: 0,
        segment: 0,
        dated: false,
    };
}

/// The part of the complaints that scoring reads, gathered one complaint (or batch) at a time,
/// for [`score_input`]: per matched complaint its segment, point and creation time (32
/// bytes), the number of complaints, and the latest creation time with its complaint's id.
///
/// Built from whole slices by [`score`]; a caller that reads complaints in batches pushes each
/// batch with its assignments and drops the complaints, so that memory holds 32 bytes per
/// matched complaint rather than the complaints. Either way the ranking is the same, bit for
/// bit, as long as the complaints are pushed in the same order.
///
/// # Examples
///
/// ```
/// use geo_types::{line_string, Point};
/// use streetrank::{score, score_input, Complaint, ScoreConfig, ScoreInput, Segment, SourceId, StreetNetwork};
///
/// let network = StreetNetwork::new(vec![
///     Segment::new(SourceId::from(1), line_string![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0)])?,
/// ], vec![])?;
/// let complaints = vec![
///     Complaint::new(SourceId::from("R1"), Point::new(40.0, 1.0))?,
///     Complaint::new(SourceId::from("R2"), Point::new(900.0, 1.0))?,
/// ];
/// let mut input = ScoreInput::new();
/// for (c, a) in complaints.iter().zip([Some(0), None]) {
///     input.push(c, a)?; // e.g. batch by batch, as the complaints are read
/// }
/// let config = ScoreConfig::default();
/// let streamed = score_input(&network, &input, &config, &[])?;
/// let whole = score(&network, &complaints, &[Some(0), None], &config, &[])?;
/// assert_eq!(streamed.scores[0].score.to_bits(), whole.scores[0].score.to_bits());
/// assert_eq!(streamed.notes, whole.notes);
/// # Ok::<(), streetrank::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ScoreInput {
    complaints: usize,
    matched: Vec<Matched>,
    /// The latest creation time, the position of the first complaint with it, and its id.
    latest: Option<(Timestamp, usize, SourceId)>,
}

impl ScoreInput {
    /// No complaints yet.
    #[must_use]
    pub fn new() -> ScoreInput {
        ScoreInput::default()
    }

    /// Complaints pushed so far, matched or not.
    #[must_use]
    pub fn len(&self) -> usize {
        self.complaints
    }

    /// `true` before the first complaint.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.complaints == 0
    }

    /// Complaints pushed so far that matched a segment.
    #[must_use]
    pub fn matched(&self) -> usize {
        self.matched.len()
    }

    /// Adds the next complaint (in input order) and the segment it snapped to (`None`: it
    /// matched none).
    ///
    /// # Errors
    ///
    /// [`Error::MismatchedInput`] when `segment` is `u32::MAX` or more (no network has that
    /// many segments); [`score_input`] checks it against the network.
    pub fn push(&mut self, complaint: &Complaint, segment: Option<usize>) -> Result<(), Error> {
        let position = self.complaints;
        if let Some(t) = complaint.created
            && self.latest.as_ref().is_none_or(|(l, _, _)| t > *l)
        {
            self.latest = Some((t, position, complaint.id.clone()));
        }
        if let Some(s) = segment {
            self.matched
                .push(matched(complaint.point, complaint.created, s, position)?);
        }
        self.complaints += 1;
        Ok(())
    }

    /// [`ScoreInput::push`] for every complaint of a batch, in parallel.
    ///
    /// # Errors
    ///
    /// As [`ScoreInput::push`]; also [`Error::MismatchedInput`] when the two slices differ in
    /// length.
    pub fn extend(
        &mut self,
        complaints: &[Complaint],
        segments: &[Option<usize>],
    ) -> Result<(), Error> {
        let points: Vec<Point<f64>> = complaints.par_iter().map(|c| c.point).collect();
        let created: Vec<Option<Timestamp>> = complaints.par_iter().map(|c| c.created).collect();
        self.extend_parts(&points, &created, segments, |i| {
            complaints.get(i).map(|c| c.id.clone())
        })
    }

    /// [`ScoreInput::extend`] from the parts scoring reads: each complaint's point, creation
    /// time and segment, in input order; `id(i)` gives the id of the batch's complaint `i`
    /// and is asked only for the first complaint with the batch's latest time, when that time
    /// is later than every earlier batch's (it names the default `as_of` in the notes).
    ///
    /// # Errors
    ///
    /// As [`ScoreInput::push`]; also [`Error::MismatchedInput`] when the slices differ in
    /// length or `id` gives no id.
    pub fn extend_parts(
        &mut self,
        points: &[Point<f64>],
        created: &[Option<Timestamp>],
        segments: &[Option<usize>],
        id: impl FnOnce(usize) -> Option<SourceId>,
    ) -> Result<(), Error> {
        if points.len() != segments.len() || created.len() != segments.len() {
            return Err(mismatch(format!(
                "{} assignments for {} complaints; pass one (possibly None) per complaint, in complaint order",
                segments.len(),
                points.len()
            )));
        }
        let base = self.complaints;
        // A segment number no network has: the first one, in input order, is the error.
        let bad =
            |s: &Option<usize>| s.is_some_and(|s| u32::try_from(s).map_or(true, |s| s == u32::MAX));
        if let Some(i) = segments.par_iter().position_first(bad)
            && let Some(s) = segments[i]
        {
            matched(points[i], created[i], s, base + i)?;
        }
        // The first complaint with the latest time (the maximum of (time, reversed position)
        // is unique, so the parallel reduction is deterministic).
        let latest = created
            .par_iter()
            .enumerate()
            .filter_map(|(i, t)| t.map(|t| (t, std::cmp::Reverse(i))))
            .max();
        let mut new_latest = None;
        if let Some((t, std::cmp::Reverse(i))) = latest
            && self.latest.as_ref().is_none_or(|(l, _, _)| t > *l)
        {
            let id = id(i).ok_or_else(|| {
                mismatch(format!(
                    "no id for complaint {} (position {i} of the batch)",
                    base + i
                ))
            })?;
            new_latest = Some((t, base + i, id));
        }
        // The matched complaints written in place: counted per chunk, then each chunk fills
        // its own part of the vector, all in parallel (no partial vectors joined on one thread).
        const CHUNK: usize = 1 << 16;
        let counts: Vec<usize> = segments
            .par_chunks(CHUNK)
            .map(|c| c.iter().filter(|s| s.is_some()).count())
            .collect();
        let start = self.matched.len();
        self.matched
            .par_extend(rayon::iter::repeat_n(Matched::EMPTY, counts.iter().sum()));
        let mut rest = self.matched.get_mut(start..).unwrap_or_default();
        let mut parts = Vec::with_capacity(counts.len());
        for &n in &counts {
            let (part, tail) = rest.split_at_mut(n.min(rest.len()));
            parts.push(part);
            rest = tail;
        }
        let filled = parts.into_par_iter().enumerate().try_for_each(|(k, out)| {
            let lo = k * CHUNK;
            let hi = (lo + CHUNK).min(segments.len());
            let taken = (lo..hi).filter_map(|i| segments[i].map(|s| (i, s)));
            for (slot, (i, s)) in out.iter_mut().zip(taken) {
                *slot = matched(points[i], created[i], s, base + i)?;
            }
            Ok(())
        });
        if let Err(e) = filled {
            self.matched.truncate(start);
            return Err(e);
        }
        if new_latest.is_some() {
            self.latest = new_latest;
        }
        self.complaints += points.len();
        Ok(())
    }

    /// A whole set of complaints with their assignments.
    fn from_complaints(
        complaints: &[Complaint],
        assignments: &[Option<usize>],
    ) -> Result<ScoreInput, Error> {
        let mut input = ScoreInput::new();
        input.extend(complaints, assignments)?;
        Ok(input)
    }
}

fn matched(
    point: Point<f64>,
    created: Option<Timestamp>,
    segment: usize,
    position: usize,
) -> Result<Matched, Error> {
    let segment = u32::try_from(segment)
        .ok()
        .filter(|&s| s != u32::MAX)
        .ok_or_else(|| {
            mismatch(format!(
                "complaint at position {position} is assigned to segment {segment}; segments are numbered below 4,294,967,295"
            ))
        })?;
    Ok(Matched {
        x: point.x(),
        y: point.y(),
        created: created.map_or(0, |t| t.0),
        segment,
        dated: created.is_some(),
    })
}

/// [`score`] on complaints gathered in a [`ScoreInput`]: the same model and the same
/// ranking, bit for bit, for the same complaints and assignments. ([`score`] itself gathers
/// its complaints into a `ScoreInput` and calls this.)
///
/// # Errors
///
/// - [`Error::InvalidConfig`] when [`ScoreConfig::validate`] refuses `config`;
/// - [`Error::MismatchedInput`] when a complaint is assigned to a segment the network lacks,
///   or a segment's `length_m` is not a positive finite number.
pub fn score_input(
    network: &StreetNetwork,
    input: &ScoreInput,
    config: &ScoreConfig,
    inputs: &[InputDigest],
) -> Result<Ranking, Error> {
    config.validate()?;
    let segments = &network.segments;
    let n = segments.len();
    check_segments(segments, &input.matched)?;

    let mut notes = Vec::new();
    let as_of = resolve_as_of(config, input.latest.as_ref(), &mut notes);

    let (starts, members) = group_by_segment(&input.matched, n);

    // A run of segments at a time: their complaints lie scattered over all of `matched` (in
    // input order), so each is read once ahead, all their loads issued together, before the
    // tally reads them one after another (on the metro, 10M complaints, the tally waited on
    // each otherwise).
    let matched = &input.matched;
    let mut tallies = vec![PressureTally::default(); n];
    tallies.par_chunks_mut(TALLY_RUN).enumerate().for_each_init(
        TallyScratch::default,
        |scratch, (b, out)| {
            let lo = b * TALLY_RUN;
            let run = &members[starts[lo]..starts[lo + out.len()]];
            let ahead = run.iter().fold(0i64, |acc, &ci| acc ^ matched[ci].created);
            std::hint::black_box(ahead);
            for (k, tally) in out.iter_mut().enumerate() {
                let s = lo + k;
                *tally = tally_entries(
                    members[starts[s]..starts[s + 1]].iter().map(|&ci| {
                        let m = &matched[ci];
                        (m.dated.then_some(Timestamp(m.created)), ci)
                    }),
                    |ci| (matched[ci].x, matched[ci].y),
                    as_of,
                    config,
                    segments[s].length_m,
                    scratch,
                );
            }
        },
    );

    let totals = (input.complaints, input.matched.len());
    Ok(rank(
        network, &tallies, totals, as_of, notes, config, inputs,
    ))
}

/// Ranks the segments of `network` from their pressure tallies (one per segment, in segment
/// order, from [`pressure_tally`] with `totals.as_of(config)`): the rest of [`score`] (cap,
/// the other factors, ranks, notes, settings hash), the same code, so the same ranking bit
/// for bit as [`score`] on the complaints the tallies and totals were computed from.
///
/// # Errors
///
/// - [`Error::InvalidConfig`] when [`ScoreConfig::validate`] refuses `config`;
/// - [`Error::MismatchedInput`] when there is not one tally per segment, the tallies'
///   matched complaints do not add up to `totals.matched`, `totals.matched` exceeds
///   `totals.complaints`, or a segment's `length_m` is not a positive finite number.
///
/// # Examples
///
/// ```
/// use geo_types::{line_string, Point};
/// use streetrank::{pressure_tally, score, score_tallies, Complaint, PressurePoint, ScoreConfig};
/// use streetrank::{ScoreTotals, Segment, SourceId, StreetNetwork, Timestamp};
///
/// let network = StreetNetwork::new(vec![
///     Segment::new(SourceId::from(1), line_string![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0)])?,
///     Segment::new(SourceId::from(2), line_string![(x: 0.0, y: 50.0), (x: 100.0, y: 50.0)])?,
/// ], vec![])?;
/// let complaint = Complaint::new(SourceId::from("R1"), Point::new(40.0, 1.0))?
///     .with_created(Some(Timestamp(86_400)));
/// let config = ScoreConfig::default();
/// let totals = ScoreTotals {
///     complaints: 1,
///     matched: 1,
///     latest: Some((Timestamp(86_400), 0, SourceId::from("R1"))),
/// };
/// let as_of = totals.as_of(&config);
/// let point = PressurePoint { x: 40.0, y: 1.0, created: complaint.created, position: 0 };
/// let tallies = [
///     pressure_tally(&[point], as_of, &config, network.segments[0].length_m),
///     pressure_tally(&[], as_of, &config, network.segments[1].length_m),
/// ];
/// let merged = score_tallies(&network, &tallies, &totals, &config, &[])?;
/// let whole = score(&network, &[complaint], &[Some(0)], &config, &[])?;
/// assert_eq!(merged.order, whole.order);
/// assert_eq!(merged.scores[0].score.to_bits(), whole.scores[0].score.to_bits());
/// assert_eq!(merged.notes, whole.notes);
/// # Ok::<(), streetrank::Error>(())
/// ```
pub fn score_tallies(
    network: &StreetNetwork,
    tallies: &[PressureTally],
    totals: &ScoreTotals,
    config: &ScoreConfig,
    inputs: &[InputDigest],
) -> Result<Ranking, Error> {
    config.validate()?;
    let segments = &network.segments;
    check_segments(segments, &[])?;
    if tallies.len() != segments.len() {
        return Err(mismatch(format!(
            "{} pressure tallies for {} segments; pass one per segment, in segment order",
            tallies.len(),
            segments.len()
        )));
    }
    let matched: usize = tallies.iter().map(|t| t.matched).sum();
    if matched != totals.matched || totals.matched > totals.complaints {
        return Err(mismatch(format!(
            "the tallies hold {matched} matched complaints, the totals say {} matched of {}",
            totals.matched, totals.complaints
        )));
    }
    let mut notes = Vec::new();
    let as_of = resolve_as_of(config, totals.latest.as_ref(), &mut notes);
    let counts = (totals.complaints, totals.matched);
    Ok(rank(network, tallies, counts, as_of, notes, config, inputs))
}

/// The part of [`score_input`] and [`score_tallies`] after the pressure tallies; `totals` is
/// (complaints, matched complaints).
fn rank(
    network: &StreetNetwork,
    tallies: &[PressureTally],
    totals: (usize, usize),
    as_of: Timestamp,
    mut notes: Vec<String>,
    config: &ScoreConfig,
    inputs: &[InputDigest],
) -> Ranking {
    let segments = &network.segments;
    let pressure_cap = match config.pressure.cap {
        Cap::Fixed(x) => x,
        Cap::P95 => p95(tallies),
    };

    let classes = lookup_table(&config.usage.class_weights);
    let districts = lookup_table(&config.equity.district_weights);
    let mut scores: Vec<SegmentScore> = segments
        .par_iter()
        .zip(tallies.par_iter())
        .enumerate()
        .map(|(i, (seg, tally))| {
            segment_score(i, seg, tally, pressure_cap, config, &classes, &districts)
        })
        .collect();

    let order = rank_order(&scores, segments);
    for (r, &s) in order.iter().enumerate() {
        scores[s].rank = r + 1;
    }

    add_notes(&mut notes, config, totals, tallies, &scores, pressure_cap);

    Ranking {
        scores,
        order,
        as_of,
        pressure_cap,
        notes,
        settings_hash: settings_hash(config, inputs),
    }
}

/// The segments by score, highest first; equal scores by segment id, then by position: a total
/// order, so the one answer.
///
/// Sorted as compact keys (the score's bits ordered as `f64::total_cmp` orders the scores, and
/// the position), then each run of equal scores by id: comparing the segments' scores and ids
/// in place reads two scattered records per comparison, which on the 1M-segment metro made
/// this sort a quarter of the scoring phase.
fn rank_order(scores: &[SegmentScore], segments: &[Segment]) -> Vec<usize> {
    // `total_cmp`'s order as a signed integer's, reversed: highest score first.
    let key = |x: f64| {
        let bits = x.to_bits().cast_signed();
        !(bits ^ ((bits >> 63).cast_unsigned() >> 1).cast_signed())
    };
    let mut keyed: Vec<(i64, usize)> = scores
        .par_iter()
        .enumerate()
        .map(|(i, s)| (key(s.score), i))
        .collect();
    keyed.par_sort_unstable();
    let mut order: Vec<usize> = keyed.par_iter().map(|&(_, i)| i).collect();
    let mut start = 0;
    while start < keyed.len() {
        let k = keyed[start].0;
        let end = start + keyed[start..].partition_point(|&(kk, _)| kk == k);
        let by_id = |&a: &usize, &b: &usize| segments[a].id.cmp(&segments[b].id).then(a.cmp(&b));
        // Positions ascend within the run; ids usually do too, which the sort finds at once.
        // A long run (segments with the same score, such as all those without complaints or
        // attributes) is sorted on all threads.
        match end - start {
            0 | 1 => {}
            len if len < 1 << 14 => order[start..end].sort_by(by_id),
            _ => order[start..end].par_sort_by(by_id),
        }
        start = end;
    }
    order
}

fn mismatch(message: String) -> Error {
    Error::MismatchedInput { message }
}

fn check_assignments(
    n: usize,
    complaints: &[Complaint],
    assignments: &[Option<usize>],
) -> Result<(), Error> {
    if assignments.len() != complaints.len() {
        return Err(mismatch(format!(
            "{} assignments for {} complaints; pass one (possibly None) per complaint, in complaint order",
            assignments.len(),
            complaints.len()
        )));
    }
    // The first bad assignment in input order, found in parallel.
    if let Some(i) = assignments
        .par_iter()
        .position_first(|a| a.is_some_and(|s| s >= n))
    {
        let s = assignments[i].unwrap_or_default();
        return Err(mismatch(format!(
            "complaint {} (position {i}) is assigned to segment {s}, but the network has {n} segments",
            complaints[i].id,
        )));
    }
    Ok(())
}

fn check_segments(segments: &[Segment], matched: &[Matched]) -> Result<(), Error> {
    let n = segments.len();
    if let Some(m) = matched.par_iter().find_first(|m| m.segment as usize >= n) {
        return Err(mismatch(format!(
            "a complaint is assigned to segment {}, but the network has {n} segments",
            m.segment
        )));
    }
    if let Some(seg) = segments
        .par_iter()
        .find_first(|seg| !(seg.length_m.is_finite() && seg.length_m > 0.0))
    {
        return Err(mismatch(format!(
            "segment {}: length_m is {}; it must be a positive finite number (build segments with Segment::new)",
            seg.id, seg.length_m
        )));
    }
    Ok(())
}

/// Groups matched complaints (their positions in `matched`) by segment: a stable counting
/// sort, so each segment's complaints are in input order. Returns `(starts, members)`:
/// segment `s`'s complaints are `members[starts[s]..starts[s + 1]]`.
///
/// The segments are split into one contiguous block per thread; each block counts and places
/// its own complaints into its own part of `members`. The result is the unique stable grouping,
/// the same for any number of blocks. Every segment must be below `n` (checked before).
fn group_by_segment(matched: &[Matched], n: usize) -> (Vec<usize>, Vec<usize>) {
    let block_len = n.div_ceil(rayon::current_num_threads().max(1)).max(1);
    // Every block scans every complaint's segment: 4 bytes each rather than the 32 of a
    // `Matched`, so the scans repeated per block cost little.
    let segment: Vec<u32> = matched.par_iter().map(|m| m.segment).collect();
    let mut starts = vec![0usize; n + 1];
    if let Some(counts) = starts.get_mut(1..) {
        counts
            .par_chunks_mut(block_len)
            .enumerate()
            .for_each(|(b, counts)| {
                let lo = b * block_len;
                for &s in &segment {
                    let s = s as usize;
                    if let Some(c) = s.checked_sub(lo).and_then(|k| counts.get_mut(k)) {
                        *c += 1;
                    }
                }
            });
    }
    for i in 0..n {
        starts[i + 1] += starts[i];
    }
    let mut members = vec![0usize; starts[n]];
    let mut blocks = Vec::with_capacity(n.div_ceil(block_len));
    let mut rest = members.as_mut_slice();
    for lo in (0..n).step_by(block_len) {
        let hi = (lo + block_len).min(n);
        let (head, tail) = rest.split_at_mut(starts[hi] - starts[lo]);
        blocks.push((lo, head));
        rest = tail;
    }
    blocks.into_par_iter().for_each(|(lo, out)| {
        let hi = (lo + block_len).min(n);
        let mut next: Vec<usize> = starts[lo..hi].iter().map(|&x| x - starts[lo]).collect();
        for (ci, &s) in segment.iter().enumerate() {
            let s = s as usize;
            if (lo..hi).contains(&s) {
                let k = &mut next[s - lo];
                out[*k] = ci;
                *k += 1;
            }
        }
    });
    (starts, members)
}

/// `as_of` from the config, else the latest complaint time, else the epoch.
fn resolve_as_of(
    config: &ScoreConfig,
    latest: Option<&(Timestamp, usize, SourceId)>,
    notes: &mut Vec<String>,
) -> Timestamp {
    if let Some(t) = config.as_of {
        return t;
    }
    match latest {
        Some((t, _, id)) => {
            notes.push(format!(
                "as_of not set: using the latest complaint time, {t} (complaint {id})"
            ));
            *t
        }
        None => {
            notes.push(
                "as_of not set and no complaint has a creation time: ages are not used; as_of is reported as 1970-01-01T00:00:00Z"
                    .to_owned(),
            );
            Timestamp(0)
        }
    }
}

/// Days from `from` to `to`, without overflow for any pair of timestamps.
fn days_between(from: Timestamp, to: Timestamp) -> f64 {
    (i128::from(to.0) - i128::from(from.0)) as f64 / Timestamp::DAY as f64
}

/// The pressure tally of one segment from its matched complaints, in any order: exactly what
/// [`score`] computes for the segment (the model is on [`score`]), bit for bit, when given the
/// same complaints with their input positions. Complaints are taken in (creation time,
/// position) order, so the order of `points` does not matter; positions must be unique.
///
/// For scoring where the complaints are spread over machines: group them by segment, call
/// this per segment, then [`score_tallies`] once.
///
/// # Units
///
/// `points` and `length_m` in the segments' projected metres.
///
/// # Examples
///
/// ```
/// use streetrank::{pressure_tally, PressurePoint, ScoreConfig, Timestamp};
///
/// let config = ScoreConfig { as_of: Some(Timestamp(0)), ..ScoreConfig::default() };
/// let point = |x, position| PressurePoint { x, y: 0.0, created: Some(Timestamp(0)), position };
/// // Two reports 5 m apart on the same day: the later position is the duplicate.
/// let t = pressure_tally(&[point(5.0, 9), point(0.0, 3)], Timestamp(0), &config, 100.0);
/// assert_eq!((t.matched, t.kept, t.duplicates, t.raw), (2, 1, 1, 1.0));
/// ```
#[must_use]
pub fn pressure_tally(
    points: &[PressurePoint],
    as_of: Timestamp,
    config: &ScoreConfig,
    length_m: f64,
) -> PressureTally {
    tally_entries(
        points
            .iter()
            .enumerate()
            .map(|(i, p)| (p.created, (p.position, i))),
        |(_, i)| (points[i].x, points[i].y),
        as_of,
        config,
        length_m,
        &mut TallyScratch::default(),
    )
}

/// The vectors [`tally_entries`] works in, kept from one segment to the next on a thread so
/// that a million segments do not each allocate two.
struct TallyScratch<K> {
    dated: Vec<(Timestamp, K)>,
    kept: Vec<(Timestamp, f64, f64)>,
}

impl<K> Default for TallyScratch<K> {
    fn default() -> Self {
        TallyScratch {
            dated: Vec::new(),
            kept: Vec::new(),
        }
    }
}

/// The one implementation of a segment's pressure: `entries` are its complaints' creation
/// times and unique ordering keys (any order), `xy` gives a complaint's point from its key.
/// `scratch` is working space only (its contents are replaced).
fn tally_entries<K: Ord + Copy>(
    entries: impl ExactSizeIterator<Item = (Option<Timestamp>, K)>,
    xy: impl Fn(K) -> (f64, f64),
    as_of: Timestamp,
    config: &ScoreConfig,
    length_m: f64,
    scratch: &mut TallyScratch<K>,
) -> PressureTally {
    let p = &config.pressure;
    let mut tally = PressureTally {
        matched: entries.len(),
        ..PressureTally::default()
    };
    // (created, key): unique keys, so the order is total.
    let TallyScratch { dated, kept } = scratch;
    dated.clear();
    kept.clear();
    for (created, key) in entries {
        match created {
            Some(t) if t > as_of => tally.future += 1,
            Some(t) => dated.push((t, key)),
            None => tally.undated += 1,
        }
    }
    dated.sort_unstable();

    let mut sum = 0.0;
    // Kept complaints in time order; those before `window_start` are older than
    // the window for every later complaint too.
    let mut window_start = 0;
    for &(t, key) in dated.iter() {
        let (x, y) = xy(key);
        while window_start < kept.len()
            && days_between(kept[window_start].0, t) > p.dedup_window_days
        {
            window_start += 1;
        }
        let duplicate = kept[window_start..]
            .iter()
            .any(|&(_, kx, ky)| (x - kx).hypot(y - ky) <= p.dedup_distance_m);
        if duplicate {
            tally.duplicates += 1;
        } else {
            kept.push((t, x, y));
            sum += 0.5f64.powf(days_between(t, as_of) / p.half_life_days);
        }
    }
    for _ in 0..tally.undated {
        sum += p.undated_weight;
    }
    tally.kept = kept.len() + tally.undated;
    tally.raw = sum / (length_m.max(p.min_length_m) / p.per_length_m);
    tally
}

/// Nearest-rank 95th percentile of the positive raw pressures; 0 when none.
fn p95(tallies: &[PressureTally]) -> f64 {
    let mut positive: Vec<f64> = tallies.iter().map(|t| t.raw).filter(|&r| r > 0.0).collect();
    if positive.is_empty() {
        return 0.0;
    }
    let k = positive.len();
    // ⌈0.95·k⌉ in integers, at least 1.
    let rank = (95 * k).div_ceil(100).max(1);
    // total_cmp is a total order on bits, so the value a full sort would put at `rank - 1` is
    // the one selected, found without sorting.
    *positive.select_nth_unstable_by(rank - 1, f64::total_cmp).1
}

/// The weight `table` (from [`lookup_table`]) gives `name`: looked up as [`lookup_key`] writes
/// it, without allocating for a short ASCII name (one per segment, a million on the metro).
fn lookup(table: &BTreeMap<String, f64>, name: &str) -> Option<f64> {
    if table.is_empty() {
        return None;
    }
    let t = name.trim();
    let mut buf = [0u8; 64];
    if t.is_ascii()
        && let Some(b) = buf.get_mut(..t.len())
    {
        // ASCII lowercases as `to_lowercase` does, byte for byte.
        b.copy_from_slice(t.as_bytes());
        b.make_ascii_lowercase();
        if let Ok(key) = std::str::from_utf8(b) {
            return table.get(key).copied();
        }
    }
    table.get(&lookup_key(name)).copied()
}

fn lookup_table(map: &BTreeMap<String, f64>) -> BTreeMap<String, f64> {
    map.iter().map(|(k, &v)| (lookup_key(k), v)).collect()
}

fn segment_score(
    index: usize,
    seg: &Segment,
    tally: &PressureTally,
    cap: f64,
    config: &ScoreConfig,
    classes: &BTreeMap<String, f64>,
    districts: &BTreeMap<String, f64>,
) -> SegmentScore {
    let attrs = &seg.attributes;

    let pressure_n = if cap > 0.0 {
        (tally.raw / cap).min(1.0)
    } else {
        0.0
    };

    let c = &config.condition;
    let (condition_raw, condition_n, condition_missing) = match attrs.condition {
        Some(v) if v.is_finite() => (
            v,
            ((c.best - v) / (c.best - c.worst)).clamp(0.0, 1.0),
            false,
        ),
        _ => (f64::NAN, c.missing, true),
    };

    let u = &config.usage;
    let class_weight = || {
        attrs
            .road_class
            .as_deref()
            .and_then(|rc| lookup(classes, rc))
    };
    let (usage_raw, usage_n) = match attrs.aadt {
        Some(a) if a.is_finite() && a >= 0.0 => {
            (a, (a.ln_1p() / u.aadt_reference.ln_1p()).min(1.0))
        }
        _ => (f64::NAN, class_weight().unwrap_or(u.missing)),
    };

    let district = attrs.district.as_deref().and_then(|d| lookup(districts, d));
    let (equity_raw, equity_n) = match district {
        Some(w) => (w, w),
        None => (f64::NAN, config.equity.missing),
    };

    let w = &config.weights;
    let total = w.sum();
    let factor = |raw: f64, normalised: f64, weight: f64| FactorScore {
        raw,
        normalised,
        contribution: 100.0 * weight * normalised / total,
    };
    let pressure = factor(tally.raw, pressure_n, w.pressure);
    let condition = factor(condition_raw, condition_n, w.condition);
    let usage = factor(usage_raw, usage_n, w.usage);
    let equity = factor(equity_raw, equity_n, w.equity);
    SegmentScore {
        segment: index,
        rank: 0,
        score: pressure.contribution
            + condition.contribution
            + usage.contribution
            + equity.contribution,
        pressure,
        condition,
        usage,
        equity,
        complaints: tally.matched,
        complaints_kept: tally.kept,
        condition_missing,
    }
}

fn add_notes(
    notes: &mut Vec<String>,
    config: &ScoreConfig,
    (complaints, matched): (usize, usize),
    tallies: &[PressureTally],
    scores: &[SegmentScore],
    cap: f64,
) {
    let unmatched = complaints - matched;
    if unmatched > 0 {
        notes.push(format!(
            "{unmatched} of {complaints} complaints matched no segment and do not count"
        ));
    }
    let sum = |f: fn(&PressureTally) -> usize| tallies.iter().map(f).sum::<usize>();
    let future = sum(|t| t.future);
    if future > 0 {
        notes.push(format!(
            "{future} matched complaints were created after as_of and were left out"
        ));
    }
    let duplicates = sum(|t| t.duplicates);
    if duplicates > 0 {
        let p = &config.pressure;
        notes.push(format!(
            "{duplicates} matched complaints were counted as duplicates (within {} m and {} days after a kept complaint on the same segment)",
            p.dedup_distance_m, p.dedup_window_days
        ));
    }
    let undated = sum(|t| t.undated);
    if undated > 0 {
        notes.push(format!(
            "{undated} matched complaints have no creation time; each weighs pressure.undated_weight = {}",
            config.pressure.undated_weight
        ));
    }
    if !scores.is_empty() && cap == 0.0 {
        notes.push("no segment has complaint pressure: pressure is 0 everywhere".to_owned());
    }
    let missing = scores.par_iter().filter(|s| s.condition_missing).count();
    if missing > 0 {
        notes.push(format!(
            "{missing} of {} segments have no usable condition value and use condition.missing = {}",
            scores.len(),
            config.condition.missing
        ));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (house rule)
mod tests;
