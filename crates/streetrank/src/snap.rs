//! Snapping a point to its nearest street segment: options, outcomes and the exact rules.
//!
//! [`crate::StreetIndex::snap`] answers "which street is this complaint on?". This module holds
//! the vocabulary of that answer ([`SnapOptions`], [`SnapOutcome`], [`Snap`], [`Side`],
//! [`RunnerUp`], [`UnmatchedReason`]) and the distance kernel both the index and the
//! brute-force oracle use, so that the two give bit-identical answers.
//!
//! # Rules
//!
//! Every segment is cut into its 2-point *pieces* (consecutive vertices). A piece whose two
//! vertices are equal (a repeated vertex) or not finite is left out: it adds no point to the
//! line that a neighbouring piece does not already have.
//!
//! - **Matching distance.** A point matches a piece when its distance to the piece is at most
//!   `max_distance_m`, inclusive (`d <= max`). A point with a NaN or infinite coordinate is
//!   [`UnmatchedReason::NonFinitePoint`]; an index without any piece answers
//!   [`UnmatchedReason::EmptyIndex`]; otherwise no piece within reach gives
//!   [`UnmatchedReason::NoSegmentWithin`]. The checks run in that order. A NaN or negative
//!   `max_distance_m` (which [`SnapOptions::validate`] refuses) matches nothing.
//! - **Exact comparison.** Distances are compared as squared distances in `f64`, computed by one
//!   fixed formula (to the nearer end vertex when the foot of the perpendicular falls outside
//!   the piece, `cross² / |ab|²` otherwise); the square root is taken once, for the result.
//!   The max-distance test compares against `max_distance_m²`. A squared distance that
//!   overflows to infinity (a distance beyond ~1.3e154 m) never matches, whatever the limit.
//! - **Tie-break, deterministic.** The smallest squared distance wins; on exactly equal distance
//!   the *lower segment index* wins; within one segment the *earliest piece* (smallest
//!   chainage) wins. So a point on a vertex shared by two pieces of one segment snaps to the
//!   end of the first piece.
//! - **Runner-up.** The best piece of any *other* segment within `max_distance_m`, chosen by the
//!   same rule. [`Snap::ambiguous`] is `runner_up.distance_m - distance_m <=
//!   ambiguity_tolerance_m`; it is `false` without a runner-up.
//! - **Side.** The sign of the cross product of the chosen piece's direction (as digitised, first
//!   vertex to last) and the vector from the piece's start to the point: positive is
//!   [`Side::Left`], negative [`Side::Right`], exactly zero [`Side::On`]. A point exactly on the
//!   straight extension of the chosen piece beyond its end vertex is therefore `On` too.
//! - **Chainage and fraction.** Chainage is the length of all earlier pieces of the segment plus
//!   the distance along the chosen piece to the closest point (lengths with `hypot`, summed in
//!   order from the first vertex). Fraction is chainage divided by the segment's length (the
//!   same sum over all its pieces, equal to [`crate::Segment::length_m`] for a segment made by
//!   [`crate::Segment::new`]), clamped to `[0, 1]`.
//! - **Determinism.** Every point is answered on its own, with no floating-point reduction
//!   across points or threads: [`crate::StreetIndex::snap_all`] gives the same bits for any
//!   number of threads, and the same bits as [`crate::StreetIndex::snap`] per point and as a
//!   brute-force scan over all pieces.

use std::hint::select_unpredictable;

use geo_types::{Coord, Point};

use crate::{Error, Segment};

/// How far and how strictly to snap.
///
/// Build it with [`SnapOptions::new`] (or `default()`) and the chained setters; check values
/// that came from a user with [`SnapOptions::validate`].
///
/// # Examples
///
/// ```
/// use streetrank::SnapOptions;
/// let opts = SnapOptions::new().max_distance_m(15.0).ambiguity_tolerance_m(0.5);
/// opts.validate()?;
/// assert_eq!(opts.get_max_distance_m(), 15.0);
/// assert!(SnapOptions::new().max_distance_m(f64::NAN).validate().is_err());
/// # Ok::<(), streetrank::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SnapOptions {
    max_distance_m: f64,
    ambiguity_tolerance_m: f64,
}

impl Default for SnapOptions {
    fn default() -> Self {
        SnapOptions {
            max_distance_m: 30.0,
            ambiguity_tolerance_m: 1.0,
        }
    }
}

impl SnapOptions {
    /// The defaults: `max_distance_m` 30.0, `ambiguity_tolerance_m` 1.0.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets how far a point may be from a street and still match it (inclusive).
    ///
    /// Default 30.0. Not checked here: see [`SnapOptions::validate`].
    ///
    /// # Units
    ///
    /// Metres (units of the projected CRS).
    #[must_use]
    pub fn max_distance_m(mut self, m: f64) -> Self {
        self.max_distance_m = m;
        self
    }

    /// Sets how much farther the runner-up street may be and still make a snap ambiguous
    /// (inclusive).
    ///
    /// Default 1.0. Not checked here: see [`SnapOptions::validate`].
    ///
    /// # Units
    ///
    /// Metres.
    #[must_use]
    pub fn ambiguity_tolerance_m(mut self, m: f64) -> Self {
        self.ambiguity_tolerance_m = m;
        self
    }

    /// Checks that both values are finite and not negative.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] naming `snap.max_distance_m` or `snap.ambiguity_tolerance_m`
    /// for a NaN, infinite or negative value.
    pub fn validate(&self) -> Result<(), Error> {
        for (setting, value) in [
            ("snap.max_distance_m", self.max_distance_m),
            ("snap.ambiguity_tolerance_m", self.ambiguity_tolerance_m),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(Error::InvalidConfig {
                    setting: setting.to_owned(),
                    message: format!("must be a finite number of metres >= 0, got {value}"),
                });
            }
        }
        Ok(())
    }

    /// The maximum snapping distance.
    ///
    /// # Units
    ///
    /// Metres.
    #[must_use]
    pub fn get_max_distance_m(&self) -> f64 {
        self.max_distance_m
    }

    /// The ambiguity tolerance.
    ///
    /// # Units
    ///
    /// Metres.
    #[must_use]
    pub fn get_ambiguity_tolerance_m(&self) -> f64 {
        self.ambiguity_tolerance_m
    }
}

/// Which side of the street a point lies on, relative to the digitised direction of the piece
/// it snapped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Side {
    /// To the left when walking from the piece's first vertex to its second.
    Left,
    /// To the right.
    Right,
    /// Exactly on the piece's line (cross product exactly zero).
    On,
}

impl Side {
    /// `"left"`, `"right"` or `"on"`: the spelling every output uses.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(streetrank::Side::Left.as_str(), "left");
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Left => "left",
            Side::Right => "right",
            Side::On => "on",
        }
    }
}

/// The nearest street other than the one snapped to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunnerUp {
    /// Index of the segment in the slice the index was built from.
    pub segment: usize,
    /// Distance from the point to that segment.
    ///
    /// # Units
    ///
    /// Metres.
    pub distance_m: f64,
}

/// A successful snap: the street a point belongs to and where on it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snap {
    /// Index of the segment in the `&[Segment]` the index was built from.
    pub segment: usize,
    /// Distance from the point to the segment, in metres.
    pub distance_m: f64,
    /// Position along the whole segment, `chainage_m / length`, in `0..=1`.
    pub fraction: f64,
    /// Metres from the segment's first vertex to the closest point, along the line.
    pub chainage_m: f64,
    /// Side of the street, relative to the digitised direction of the nearest piece.
    pub side: Side,
    /// The closest point on the segment.
    pub closest: Point<f64>,
    /// The nearest other segment within the maximum distance, if any.
    pub runner_up: Option<RunnerUp>,
    /// `true` when the runner-up is at most the ambiguity tolerance farther than this segment.
    pub ambiguous: bool,
}

/// Why a point did not snap.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum UnmatchedReason {
    /// The point has a NaN or infinite coordinate.
    NonFinitePoint,
    /// No street lies within the maximum distance.
    NoSegmentWithin {
        /// The maximum distance that was used, in metres.
        max_distance_m: f64,
    },
    /// The index holds no street to snap to.
    EmptyIndex,
}

/// The answer for one point: snapped, or unmatched with a reason.
///
/// Exactly these two variants, for good: new reasons go into [`UnmatchedReason`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SnapOutcome {
    /// The point snapped to a street.
    Snapped(Snap),
    /// The point did not snap.
    Unmatched(UnmatchedReason),
}

impl SnapOutcome {
    /// The snap, if the point snapped.
    #[must_use]
    pub fn snapped(&self) -> Option<&Snap> {
        match self {
            SnapOutcome::Snapped(s) => Some(s),
            SnapOutcome::Unmatched(_) => None,
        }
    }

    /// The segment index, if the point snapped.
    #[must_use]
    pub fn segment(&self) -> Option<usize> {
        self.snapped().map(|s| s.segment)
    }
}

/// Whether the piece `a`-`b` takes part in snapping: finite and not a repeated vertex.
#[inline]
pub(crate) fn usable_piece(a: Coord<f64>, b: Coord<f64>) -> bool {
    a.x.is_finite() && a.y.is_finite() && b.x.is_finite() && b.y.is_finite() && a != b
}

/// Squared distance from `p` to the piece `a`-`b`: the one formula everyone uses.
#[inline(always)]
pub(crate) fn dist2(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let abx = b.x - a.x;
    let aby = b.y - a.y;
    let apx = p.x - a.x;
    let apy = p.y - a.y;
    let dot = apx * abx + apy * aby;
    if dot <= 0.0 {
        return apx * apx + apy * apy;
    }
    let len2 = abx * abx + aby * aby;
    if dot >= len2 {
        let bpx = p.x - b.x;
        let bpy = p.y - b.y;
        return bpx * bpx + bpy * bpy;
    }
    // Here 0 < dot < len2, so len2 > 0.
    let cross = abx * apy - aby * apx;
    cross * cross / len2
}

/// A candidate piece: its squared distance, its global piece key and its segment.
///
/// `piece` orders pieces by (segment, position in segment); it is the index of the piece's
/// first vertex in the concatenation of all segments' vertices.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Candidate {
    pub(crate) d2: f64,
    pub(crate) piece: usize,
    pub(crate) segment: usize,
}

impl Candidate {
    pub(crate) const NONE: Candidate = Candidate {
        d2: f64::INFINITY,
        piece: usize::MAX,
        segment: usize::MAX,
    };

    #[inline(always)]
    fn beats(&self, other: &Candidate) -> bool {
        self.d2 < other.d2 || (self.d2 == other.d2 && self.piece < other.piece)
    }

    fn is_some(&self) -> bool {
        self.piece != usize::MAX
    }
}

/// Keeps the best piece and the best piece of any other segment, in any visiting order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tracker {
    pub(crate) best: Candidate,
    pub(crate) runner: Candidate,
}

impl Tracker {
    pub(crate) fn new() -> Self {
        Tracker {
            best: Candidate::NONE,
            runner: Candidate::NONE,
        }
    }

    /// Offers one piece already known to be within reach.
    #[inline(always)]
    pub(crate) fn offer(&mut self, c: Candidate) {
        if c.beats(&self.best) {
            // The old best is the best of all segments but `c.segment` seen so far.
            if self.best.segment != c.segment {
                self.runner = self.best;
            }
            self.best = c;
        } else if c.segment != self.best.segment && c.beats(&self.runner) {
            self.runner = c;
        }
    }
}

/// [`Tracker`] for pieces offered in ascending piece-key order (the grid lists each cell's
/// pieces that way), for the grid's inner loop: the same rules, decided with integer
/// comparisons and selects instead of branches (which the CPU cannot predict there).
///
/// In ascending piece order a piece that ties an earlier one on distance never beats it, so
/// [`Candidate`]'s order `(d2, piece)` reduces to a strict comparison of `d2`, done on its bits:
/// for the non-negative, non-NaN `d2` of a piece in reach, comparing `d2.to_bits()` compares
/// `d2` (no `-0.0` can occur: `d2` is a sum of squares or a square over a positive number). A
/// piece out of reach (or with a NaN distance) gets the key `u64::MAX`, which is no `d2`'s bits
/// and never wins.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OrderedTracker {
    best: u64,
    best_piece: u32,
    best_segment: u32,
    runner: u64,
    runner_segment: u32,
}

impl OrderedTracker {
    pub(crate) const fn new() -> Self {
        OrderedTracker {
            best: u64::MAX,
            best_piece: u32::MAX,
            best_segment: u32::MAX,
            runner: u64::MAX,
            runner_segment: u32::MAX,
        }
    }

    /// Offers one piece (any distance: out of reach changes nothing). Pieces must come in
    /// strictly ascending `piece` order; `piece` and `segment` must be below `u32::MAX`.
    #[inline(always)]
    pub(crate) fn offer(&mut self, d2: f64, max2: f64, piece: u32, segment: u32) {
        let key = select_unpredictable(d2 <= max2, d2.to_bits(), u64::MAX);
        let new_best = key < self.best;
        let other = segment != self.best_segment;
        // As `Tracker::offer`: a new best from another segment demotes the old best to
        // runner-up (even at an equal distance: the old best came first); a piece of another
        // segment that is not the best may still beat the runner-up.
        let to_runner = other & (new_best | (key < self.runner));
        let (runner, runner_segment) = if new_best {
            (self.best, self.best_segment)
        } else {
            (key, segment)
        };
        self.runner = select_unpredictable(to_runner, runner, self.runner);
        self.runner_segment = select_unpredictable(to_runner, runner_segment, self.runner_segment);
        self.best = select_unpredictable(new_best, key, self.best);
        self.best_piece = select_unpredictable(new_best, piece, self.best_piece);
        self.best_segment = select_unpredictable(new_best, segment, self.best_segment);
    }

    /// The result as a [`Tracker`] (the runner-up's piece is not kept: it reads as 0, which
    /// only [`Candidate::is_some`] looks at).
    pub(crate) fn into_tracker(self) -> Tracker {
        let candidate = |key: u64, piece: u32, segment: u32| {
            if key == u64::MAX {
                return Candidate::NONE;
            }
            Candidate {
                d2: f64::from_bits(key),
                piece: piece as usize,
                segment: segment as usize,
            }
        };
        Tracker {
            best: candidate(self.best, self.best_piece, self.best_segment),
            runner: candidate(self.runner, 0, self.runner_segment),
        }
    }
}

/// What the final answer needs to know about the chosen piece.
pub(crate) struct ChosenPiece {
    pub(crate) a: Coord<f64>,
    pub(crate) b: Coord<f64>,
    /// Length of the piece, `(b.x - a.x).hypot(b.y - a.y)` (as [`chainages`] sums it).
    pub(crate) piece_len: f64,
    /// Chainage of `a` along its segment.
    pub(crate) start_chainage: f64,
    /// Length of the whole segment.
    pub(crate) segment_length: f64,
}

/// Turns the tracker's result into the outcome (shared by the index and the oracle).
#[inline(always)]
pub(crate) fn finish(
    p: Coord<f64>,
    tracker: &Tracker,
    piece: &ChosenPiece,
    opts: &SnapOptions,
) -> SnapOutcome {
    let best = tracker.best;
    let (a, b) = (piece.a, piece.b);
    let abx = b.x - a.x;
    let aby = b.y - a.y;
    let apx = p.x - a.x;
    let apy = p.y - a.y;
    let dot = apx * abx + apy * aby;
    let len2 = abx * abx + aby * aby;
    let piece_len = piece.piece_len;
    let (along, closest) = if dot <= 0.0 {
        (0.0, a)
    } else if dot >= len2 {
        (piece_len, b)
    } else {
        let t = dot / len2;
        (
            t * piece_len,
            Coord {
                x: a.x + t * abx,
                y: a.y + t * aby,
            },
        )
    };
    let chainage_m = piece.start_chainage + along;
    let fraction = if piece.segment_length > 0.0 {
        (chainage_m / piece.segment_length).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let cross = abx * apy - aby * apx;
    let side = if cross > 0.0 {
        Side::Left
    } else if cross < 0.0 {
        Side::Right
    } else {
        Side::On
    };
    let distance_m = best.d2.sqrt();
    let runner_up = tracker.runner.is_some().then(|| RunnerUp {
        segment: tracker.runner.segment,
        distance_m: tracker.runner.d2.sqrt(),
    });
    let ambiguous =
        runner_up.is_some_and(|r| r.distance_m - distance_m <= opts.ambiguity_tolerance_m);
    SnapOutcome::Snapped(Snap {
        segment: best.segment,
        distance_m,
        fraction,
        chainage_m,
        side,
        closest: Point(closest),
        runner_up,
        ambiguous,
    })
}

/// Accumulated chainage of every vertex of `coords`, by the one summation order everyone uses.
pub(crate) fn chainages(coords: &[Coord<f64>]) -> impl Iterator<Item = f64> + '_ {
    let mut acc = 0.0_f64;
    std::iter::once(0.0).chain(coords.windows(2).map(move |w| {
        acc += (w[1].x - w[0].x).hypot(w[1].y - w[0].y);
        acc
    }))
}

/// The checks before any search: a finite point, then (given `empty`) a non-empty index.
/// Returns the query point and `max_distance_m²` (at most `f64::MAX`, so that a squared
/// distance that overflowed to infinity matches nothing), or `None` for the squared limit when
/// the limit is NaN or negative.
pub(crate) fn precheck(
    p: Point<f64>,
    opts: &SnapOptions,
    empty: bool,
) -> Result<(Coord<f64>, Option<f64>), UnmatchedReason> {
    let c = p.0;
    if !(c.x.is_finite() && c.y.is_finite()) {
        return Err(UnmatchedReason::NonFinitePoint);
    }
    if empty {
        return Err(UnmatchedReason::EmptyIndex);
    }
    let max = opts.max_distance_m;
    Ok((c, (max >= 0.0).then_some((max * max).min(f64::MAX))))
}

/// Snaps by scanning every piece of every segment: the oracle for [`crate::StreetIndex`].
///
/// Follows the module's rules exactly and gives bit-identical results to
/// [`crate::StreetIndex::snap`] on an index built from the same `segments`. Linear in the
/// number of pieces: for tests and benchmarks only.
#[doc(hidden)]
#[must_use]
pub fn brute_force_snap(segments: &[Segment], p: Point<f64>, opts: &SnapOptions) -> SnapOutcome {
    let has_piece = segments
        .iter()
        .any(|s| s.geometry.0.windows(2).any(|w| usable_piece(w[0], w[1])));
    let (c, max2) = match precheck(p, opts, !has_piece) {
        Ok(v) => v,
        Err(reason) => return SnapOutcome::Unmatched(reason),
    };
    let no_match = SnapOutcome::Unmatched(UnmatchedReason::NoSegmentWithin {
        max_distance_m: opts.max_distance_m,
    });
    let Some(max2) = max2 else {
        return no_match;
    };
    let mut tracker = Tracker::new();
    let mut offset = 0usize;
    for (segment, s) in segments.iter().enumerate() {
        let coords = &s.geometry.0;
        for (i, w) in coords.windows(2).enumerate() {
            if !usable_piece(w[0], w[1]) {
                continue;
            }
            let d2 = dist2(c, w[0], w[1]);
            if d2 <= max2 {
                tracker.offer(Candidate {
                    d2,
                    piece: offset + i,
                    segment,
                });
            }
        }
        offset += coords.len();
    }
    if !tracker.best.is_some() {
        return no_match;
    }
    let best = tracker.best;
    let Some(s) = segments.get(best.segment) else {
        return no_match;
    };
    let coords = &s.geometry.0;
    let local = best.piece - (offset_of(segments, best.segment));
    let mut start_chainage = 0.0;
    let mut segment_length = 0.0;
    for (i, ch) in chainages(coords).enumerate() {
        if i == local {
            start_chainage = ch;
        }
        segment_length = ch;
    }
    let (Some(&a), Some(&b)) = (coords.get(local), coords.get(local + 1)) else {
        return no_match;
    };
    let chosen = ChosenPiece {
        a,
        b,
        piece_len: (b.x - a.x).hypot(b.y - a.y),
        start_chainage,
        segment_length,
    };
    finish(c, &tracker, &chosen, opts)
}

/// Index of the first vertex of `segments[segment]` in the concatenation of all vertices.
fn offset_of(segments: &[Segment], segment: usize) -> usize {
    segments[..segment].iter().map(|s| s.geometry.0.len()).sum()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (house rule)
mod tests {
    use super::*;

    #[test]
    fn options_defaults_and_setters() {
        let d = SnapOptions::default();
        assert_eq!(d, SnapOptions::new());
        assert_eq!(d.get_max_distance_m(), 30.0);
        assert_eq!(d.get_ambiguity_tolerance_m(), 1.0);
        let o = d.max_distance_m(5.0).ambiguity_tolerance_m(0.0);
        assert_eq!(o.get_max_distance_m(), 5.0);
        assert_eq!(o.get_ambiguity_tolerance_m(), 0.0);
        assert!(o.validate().is_ok());
    }

    #[test]
    fn options_validation_table() {
        let cases = [
            (0.0, 0.0, None),
            (30.0, 1.0, None),
            (f64::NAN, 1.0, Some("snap.max_distance_m")),
            (-1.0, 1.0, Some("snap.max_distance_m")),
            (f64::INFINITY, 1.0, Some("snap.max_distance_m")),
            (30.0, f64::NAN, Some("snap.ambiguity_tolerance_m")),
            (30.0, -0.5, Some("snap.ambiguity_tolerance_m")),
            (30.0, f64::NEG_INFINITY, Some("snap.ambiguity_tolerance_m")),
        ];
        for (max, tol, want) in cases {
            let got = SnapOptions::new()
                .max_distance_m(max)
                .ambiguity_tolerance_m(tol)
                .validate();
            match (got, want) {
                (Ok(()), None) => {}
                (Err(Error::InvalidConfig { setting, .. }), Some(name)) => {
                    assert_eq!(setting, name);
                }
                (r, w) => panic!("({max}, {tol}): got {r:?}, wanted {w:?}"),
            }
        }
    }

    #[test]
    fn dist2_table() {
        let a = Coord { x: 0.0, y: 0.0 };
        let b = Coord { x: 10.0, y: 0.0 };
        let cases = [
            ((5.0, 0.0), 0.0),   // on the piece
            ((5.0, 3.0), 9.0),   // perpendicular
            ((-3.0, 4.0), 25.0), // before the start
            ((13.0, -4.0), 25.0),
            ((0.0, 0.0), 0.0), // on a vertex
            ((20.0, 0.0), 100.0),
        ];
        for ((x, y), want) in cases {
            assert_eq!(dist2(Coord { x, y }, a, b), want, "({x}, {y})");
        }
        // A zero-length piece (never indexed) still has no division by zero.
        assert_eq!(dist2(Coord { x: 3.0, y: 4.0 }, a, a), 25.0);
    }

    #[test]
    fn tracker_keeps_best_and_other_segment_runner_up_in_any_order() {
        let cands = [
            Candidate {
                d2: 4.0,
                piece: 5,
                segment: 1,
            },
            Candidate {
                d2: 1.0,
                piece: 7,
                segment: 1,
            },
            Candidate {
                d2: 1.0,
                piece: 9,
                segment: 2,
            },
            Candidate {
                d2: 9.0,
                piece: 0,
                segment: 0,
            },
        ];
        // Every permutation of the 4 candidates gives the same answer.
        let perms = [
            [0, 1, 2, 3],
            [3, 2, 1, 0],
            [2, 0, 3, 1],
            [1, 3, 0, 2],
            [2, 3, 1, 0],
        ];
        for perm in perms {
            let mut t = Tracker::new();
            for i in perm {
                t.offer(cands[i]);
            }
            assert_eq!((t.best.piece, t.best.segment), (7, 1), "{perm:?}");
            assert_eq!((t.runner.piece, t.runner.segment), (9, 2), "{perm:?}");
        }
    }

    #[test]
    fn outcome_accessors() {
        let u = SnapOutcome::Unmatched(UnmatchedReason::EmptyIndex);
        assert!(u.snapped().is_none());
        assert_eq!(u.segment(), None);
    }
}
