//! The street index: an R-tree over every 2-point piece of every segment, plus a uniform grid
//! for large batches, for exact nearest-street snapping of single points and of large batches.
//!
//! The rules a snap follows (inclusive maximum distance, tie-breaks, side, chainage,
//! determinism) are stated in full in the docs of the `snap` module and summarised on
//! [`StreetIndex`]; they hold for every method and every search here.
//!
//! # How it works
//!
//! [`StreetIndex::new`] lists the pieces; an [`rstar::RTree`] with one entry per piece is
//! bulk-loaded on the first search that needs it (a single batch large enough for the grid,
//! the usual CLI run, never does: that saves the tree's sequential build). A query looks
//! up the pieces whose bounding box meets the square `point ± max_distance_m` (with internal
//! iteration, no allocation), computes each one's squared distance by hand and keeps the best
//! piece and the best piece of another segment. [`StreetIndex::snap`] always does this.
//!
//! A batch ([`StreetIndex::snap_all`], [`StreetIndex::snap_all_serial`]) of at least one point
//! per piece uses a uniform grid instead (the `grid` module): square cells of 3/4 of the
//! maximum distance (or half the pieces' mean extent, if larger), each listing every piece that
//! comes within the maximum distance (plus a rounding margin) of the cell, in CSR arrays. One
//! cell then holds every candidate of every point in it (5.7 on average on the city, 3.6 of
//! them in reach): no tree descent, and a branch-free distance and candidate update per piece,
//! the cell's pieces visited by ascending key so that ties break by order. The points are
//! radix-sorted by cell, answered, and put back in input order. The grid is built on the first such batch and kept for later
//! batches with the same maximum distance; smaller batches, NaN, negative or infinite maximum
//! distances, and networks whose grid would be too large (see [`StreetIndex::snap_all`]) use
//! the R-tree, sorted along a Hilbert curve. Both searches offer a superset of the pieces in
//! reach to the same exact test and tie-breaks, so they give the same bits (tested against each
//! other and against brute force).
//!
//! On the 100k-street city (245k pieces, 30 m): about 870 instructions per point through the
//! grid (775 for [`StreetIndex::snap_all_map`] keeping a segment and a distance) against 2,300
//! through the R-tree; building the grid costs about 1,160 instructions per piece, once, in
//! stripes of rows built in parallel (see `Grid::build`), and [`StreetIndex::new`] about 250
//! per piece (its two passes side by side).

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use geo_types::{Coord, Point};
use rayon::prelude::*;
use rstar::{AABB, RTree, RTreeObject};

use crate::Segment;
use crate::grid::{Extent, Grid, radix_sort_high};
use crate::hilbert::{hilbert_order, inverse_permutation};
use crate::snap::{
    Candidate, ChosenPiece, SnapOptions, SnapOutcome, Tracker, UnmatchedReason, dist2, finish,
    precheck, usable_piece,
};

/// A batch uses the grid when it has at least one point per this many pieces (or when the grid
/// for its maximum distance is already built): building the grid (about 1,160 instructions per
/// piece on the city, on every thread of the pool) costs less than what the grid saves on one
/// point per piece (2,300 against 870 instructions per point), so a batch this large gains on
/// its first call.
const PIECES_PER_GRID_POINT: usize = 1;

/// The grid answers a batch in blocks of this many points (in cell order), each block's points
/// gathered first.
const GATHER_BLOCK: usize = 1024;

/// Which search a batch uses (tests force each one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Search {
    /// The rule of [`StreetIndex::snap_all`].
    Auto,
    /// The R-tree, Hilbert-sorted.
    Tree,
    /// The grid when it can be built, else the R-tree.
    Grid,
}

/// The grid of the last batch's maximum distance (`None` inside when it could not be built),
/// shared by clones of the index.
#[derive(Debug, Default)]
struct GridCache(Mutex<Option<(u64, Option<Arc<Grid>>)>>);

impl Clone for GridCache {
    fn clone(&self) -> Self {
        let slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        GridCache(Mutex::new(slot.clone()))
    }
}

/// One 2-point piece of a segment, as stored in the tree.
#[derive(Debug, Clone, Copy)]
struct Piece {
    a: Coord<f64>,
    b: Coord<f64>,
    /// Index of the segment.
    segment: usize,
    /// Index of `a` in the concatenation of all segments' vertices.
    piece: usize,
}

impl Piece {
    /// `(a, b, segment, piece)`, as the grid reads a piece.
    fn parts(&self) -> (Coord<f64>, Coord<f64>, usize, usize) {
        (self.a, self.b, self.segment, self.piece)
    }
}

impl RTreeObject for Piece {
    type Envelope = AABB<[f64; 2]>;

    #[inline]
    fn envelope(&self) -> Self::Envelope {
        AABB::from_corners([self.a.x, self.a.y], [self.b.x, self.b.y])
    }
}

/// An R-tree over the pieces of a street network, built once and queried many times.
///
/// It copies what it needs from the segments (their vertices), so it does not borrow them;
/// the segment indices in its answers refer to the slice it was built from. It is `Send +
/// Sync`: share one index across threads.
///
/// # Rules
///
/// - A point matches a segment within `max_distance_m` *inclusive* (`d <= max`); a NaN or
///   infinite point is [`UnmatchedReason::NonFinitePoint`], an index without pieces
///   [`UnmatchedReason::EmptyIndex`], nothing in reach [`UnmatchedReason::NoSegmentWithin`].
/// - Squared distances are compared exactly in `f64`; the square root is taken once.
/// - Ties: the smaller distance wins, then the lower segment index, then (within a segment)
///   the earliest piece. The runner-up is the best piece of any other segment, same rule;
///   `ambiguous` is `runner_up.distance_m - distance_m <= ambiguity_tolerance_m`.
/// - [`Side`](crate::Side) is the sign of the cross product of the chosen piece's digitised
///   direction and (point − piece start): positive `Left`, negative `Right`, zero `On`.
/// - Chainage is the length of the earlier pieces plus the distance along the chosen piece;
///   fraction is chainage / segment length, clamped to `[0, 1]`.
/// - Answers are bit-identical between [`StreetIndex::snap`], [`StreetIndex::snap_all`]
///   (any number of threads), [`StreetIndex::snap_all_serial`] and a brute-force scan.
///
/// # Examples
///
/// ```
/// use geo_types::{line_string, Point};
/// use streetrank::{Segment, SnapOptions, SourceId, StreetIndex};
///
/// let streets = vec![
///     Segment::new(SourceId::from(1), line_string![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0)])?,
///     Segment::new(SourceId::from(2), line_string![(x: 0.0, y: 0.0), (x: 0.0, y: 100.0)])?,
/// ];
/// let index = StreetIndex::new(&streets);
/// let opts = SnapOptions::new().max_distance_m(20.0);
/// let points = [Point::new(50.0, 5.0), Point::new(-3.0, 60.0), Point::new(90.0, 90.0)];
/// let out = index.snap_all(&points, &opts);
/// assert_eq!(out[0].segment(), Some(0));
/// assert_eq!(out[1].segment(), Some(1));
/// assert_eq!(out[2].segment(), None);
/// let snap = out[0].snapped().unwrap();
/// assert_eq!((snap.distance_m, snap.chainage_m, snap.fraction), (5.0, 50.0, 0.5));
/// # Ok::<(), streetrank::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct StreetIndex {
    /// Every usable piece, in segment order.
    pieces: Vec<Piece>,
    /// The R-tree over `pieces`, bulk-loaded on the first search that needs it (a large batch
    /// uses the grid only, so a run that snaps one large batch never builds it).
    tree: OnceLock<RTree<Piece>>,
    /// Vertices of all segments, concatenated.
    coords: Vec<Coord<f64>>,
    /// Chainage of each vertex in `coords` along its own segment.
    chainage: Vec<f64>,
    /// Length of the piece from each vertex in `coords` to the next (0 for a segment's last
    /// vertex), as `chainage` sums it: the answer's `hypot`, done once per piece.
    piece_len: Vec<f64>,
    /// Length of each segment (sum of its piece lengths).
    lengths: Vec<f64>,
    /// The largest absolute coordinate of any indexed vertex: scales the search-box margin.
    max_abs_coord: f64,
    /// The pieces' bounding box and mean size, for the grid (`None` without pieces).
    extent: Option<Extent>,
    /// The uniform grid for large batches, built on demand.
    grid: GridCache,
}

impl StreetIndex {
    /// Builds the index from the pieces of `segments` (the R-tree over them is bulk-loaded on
    /// the first search that needs it). Its two passes (vertices and pieces; lengths) run side
    /// by side on rayon's current pool; the index is the same for any number of threads.
    ///
    /// Pieces with equal end vertices are left out, and so are pieces with a non-finite
    /// coordinate (impossible for segments made by [`Segment::new`]); a segment without any
    /// usable piece is never snapped to.
    ///
    /// # Examples
    ///
    /// ```
    /// use geo_types::line_string;
    /// use streetrank::{Segment, SourceId, StreetIndex};
    /// // The repeated vertex makes a zero-length piece, which is left out.
    /// let line =
    ///     line_string![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0)];
    /// let s = Segment::new(SourceId::from(1), line)?;
    /// let index = StreetIndex::new(&[s]);
    /// assert_eq!((index.len(), index.piece_count()), (1, 2));
    /// # Ok::<(), streetrank::Error>(())
    /// ```
    #[must_use]
    pub fn new(segments: &[Segment]) -> StreetIndex {
        let n_coords = segments.iter().map(|s| s.geometry.0.len()).sum();
        // Two independent passes over the segments, side by side on rayon's current pool: the
        // vertices and pieces, and the lengths (a `hypot` per piece).
        let vertices_and_pieces = || {
            let mut coords = Vec::with_capacity(n_coords);
            let mut pieces = Vec::with_capacity(n_coords.saturating_sub(segments.len()));
            let mut max_abs_coord = 0.0_f64;
            // What the grid needs of the pieces, taken here beside the lengths' pass.
            let mut extent: Option<Extent> = None;
            for (segment, s) in segments.iter().enumerate() {
                let vs = &s.geometry.0;
                let offset = coords.len();
                coords.extend_from_slice(vs);
                for (i, w) in vs.windows(2).enumerate() {
                    if usable_piece(w[0], w[1]) {
                        // Finite values: plain comparisons give `f64::max`'s answer.
                        for v in [w[0].x, w[0].y, w[1].x, w[1].y] {
                            if v.abs() > max_abs_coord {
                                max_abs_coord = v.abs();
                            }
                        }
                        let piece = Piece {
                            a: w[0],
                            b: w[1],
                            segment,
                            piece: offset + i,
                        };
                        extent
                            .get_or_insert_with(|| Extent::starting_at(piece.a))
                            .add(piece.parts());
                        pieces.push(piece);
                    }
                }
            }
            (coords, pieces, max_abs_coord, extent)
        };
        let lengths = || {
            let mut chainage = Vec::with_capacity(n_coords);
            let mut piece_len = Vec::with_capacity(n_coords);
            let mut lengths = Vec::with_capacity(segments.len());
            for s in segments {
                let vs = &s.geometry.0;
                // `chainages`' sums, from the same piece lengths.
                let mut acc = 0.0_f64;
                for (i, &v) in vs.iter().enumerate() {
                    let len = vs.get(i + 1).map_or(0.0, |w| (w.x - v.x).hypot(w.y - v.y));
                    chainage.push(acc);
                    piece_len.push(len);
                    acc += len;
                }
                // The last vertex's chainage (0 for a segment without vertices).
                let last = chainage.last().copied().filter(|_| !vs.is_empty());
                lengths.push(last.unwrap_or(0.0));
            }
            (chainage, piece_len, lengths)
        };
        let ((coords, pieces, max_abs_coord, extent), (chainage, piece_len, lengths)) =
            rayon::join(vertices_and_pieces, lengths);
        StreetIndex {
            pieces,
            tree: OnceLock::new(),
            coords,
            chainage,
            piece_len,
            lengths,
            max_abs_coord,
            extent,
            grid: GridCache::default(),
        }
    }

    /// Number of segments the index was built from (including any without a usable piece).
    #[must_use]
    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    /// `true` when the index was built from no segment.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    /// Number of 2-point pieces in the tree.
    #[must_use]
    pub fn piece_count(&self) -> usize {
        self.pieces.len()
    }

    /// The R-tree, bulk-loaded on first use.
    fn tree(&self) -> &RTree<Piece> {
        self.tree
            .get_or_init(|| RTree::bulk_load(self.pieces.clone()))
    }

    /// Snaps one point to its nearest segment within `opts`' maximum distance.
    ///
    /// Does not validate `opts` (see [`SnapOptions::validate`]); a NaN or negative maximum
    /// distance matches nothing. Allocates nothing.
    ///
    /// # Units
    ///
    /// `p` in the projected metres of the segments; distances and chainages in metres.
    ///
    /// # Examples
    ///
    /// ```
    /// use geo_types::{line_string, Point};
    /// use streetrank::{Segment, Side, SnapOptions, SnapOutcome, SourceId, StreetIndex};
    /// use streetrank::UnmatchedReason;
    /// let s = Segment::new(SourceId::from(1), line_string![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0)])?;
    /// let index = StreetIndex::new(&[s]);
    /// let opts = SnapOptions::default();
    /// let snap = *index.snap(Point::new(4.0, 3.0), &opts).snapped().unwrap();
    /// assert_eq!((snap.distance_m, snap.side, snap.fraction), (3.0, Side::Left, 0.4));
    /// assert_eq!(
    ///     index.snap(Point::new(f64::NAN, 0.0), &opts),
    ///     SnapOutcome::Unmatched(UnmatchedReason::NonFinitePoint)
    /// );
    /// # Ok::<(), streetrank::Error>(())
    /// ```
    #[must_use]
    pub fn snap(&self, p: Point<f64>, opts: &SnapOptions) -> SnapOutcome {
        let (c, max2) = match precheck(p, opts, self.pieces.is_empty()) {
            Ok(v) => v,
            Err(reason) => return SnapOutcome::Unmatched(reason),
        };
        let Some(max2) = max2 else {
            return self.no_match(opts);
        };
        let max = opts.get_max_distance_m();
        // The box must hold every piece whose *computed* squared distance is within `max2`:
        // pad it by far more than the rounding error of the box corners and of `dist2`.
        let half = max + 1e-9 * (max + self.max_abs_coord + c.x.abs() + c.y.abs());
        let envelope = AABB::from_corners([c.x - half, c.y - half], [c.x + half, c.y + half]);
        let mut tracker = Tracker::new();
        let _: ControlFlow<()> =
            self.tree()
                .locate_in_envelope_intersecting_int(&envelope, |piece| {
                    let d2 = dist2(c, piece.a, piece.b);
                    if d2 <= max2 {
                        tracker.offer(Candidate {
                            d2,
                            piece: piece.piece,
                            segment: piece.segment,
                        });
                    }
                    ControlFlow::Continue(())
                });
        self.answer(c, &tracker, opts)
    }

    /// The outcome for the query point `c` once `tracker` has seen every piece in reach.
    #[inline(always)]
    fn answer(&self, c: Coord<f64>, tracker: &Tracker, opts: &SnapOptions) -> SnapOutcome {
        let best = tracker.best;
        let chosen = match (
            self.coords.get(best.piece),
            self.coords.get(best.piece.wrapping_add(1)),
            self.piece_len.get(best.piece),
            self.chainage.get(best.piece),
            self.lengths.get(best.segment),
        ) {
            (
                Some(&a),
                Some(&b),
                Some(&piece_len),
                Some(&start_chainage),
                Some(&segment_length),
            ) => ChosenPiece {
                a,
                b,
                piece_len,
                start_chainage,
                segment_length,
            },
            _ => return self.no_match(opts),
        };
        finish(c, tracker, &chosen, opts)
    }

    fn no_match(&self, opts: &SnapOptions) -> SnapOutcome {
        SnapOutcome::Unmatched(UnmatchedReason::NoSegmentWithin {
            max_distance_m: opts.get_max_distance_m(),
        })
    }

    /// Snaps a batch of points in parallel (rayon's current pool), in input order.
    ///
    /// The answers are bit for bit those of [`StreetIndex::snap`] per point, for any number of
    /// threads. A large batch (at least one point per piece) is answered with a uniform
    /// grid padded for `opts`' maximum distance, built on the first such call and kept in the
    /// index for later batches with the same maximum distance (a different one replaces it);
    /// a smaller batch, or one whose grid would be too large (see below), uses the R-tree.
    /// Either way the batch is first sorted so that neighbouring points are answered one after
    /// the other (by grid cell, or along a Hilbert curve), then the answers are put back in
    /// input order. While it runs it holds the answers twice (about 90 bytes each per point);
    /// split very large batches if memory is tight.
    ///
    /// The grid is not built for a NaN, negative or infinite maximum distance, for more than
    /// `u32::MAX - 1` pieces or segments, or when it would need more than about 64 cell
    /// registrations per piece (pieces much longer than the cells in a dense network); the
    /// grid's cells are twice the padding wide or the pieces' mean extent, grown until there
    /// are at most about four cells per piece. See `docs/performance.md` for the figures.
    ///
    /// # Units
    ///
    /// As [`StreetIndex::snap`].
    #[must_use]
    pub fn snap_all(&self, points: &[Point<f64>], opts: &SnapOptions) -> Vec<SnapOutcome> {
        self.snap_batch(points, opts, true, Search::Auto, &whole)
    }

    /// [`StreetIndex::snap_all`] keeping only what `brief` takes from each answer, as the
    /// answer is made: the batch then holds twice `size_of::<T>()` bytes per point instead of
    /// twice a whole [`SnapOutcome`] (about 90 bytes). For callers that aggregate (a segment
    /// and a distance per point, say) and snap millions of points at a time.
    ///
    /// `brief` is called once per point, on any thread, in no particular order; the answers
    /// come back in input order and are bit for bit those of [`StreetIndex::snap_all`].
    ///
    /// # Units
    ///
    /// As [`StreetIndex::snap`].
    ///
    /// # Examples
    ///
    /// ```
    /// use geo_types::{line_string, Point};
    /// use streetrank::{Segment, SnapOptions, SnapOutcome, SourceId, StreetIndex};
    /// let s = Segment::new(SourceId::from(1), line_string![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0)])?;
    /// let index = StreetIndex::new(&[s]);
    /// let points = [Point::new(4.0, 3.0), Point::new(4.0, 300.0)];
    /// let segments = index.snap_all_map(&points, &SnapOptions::default(), SnapOutcome::segment);
    /// assert_eq!(segments, [Some(0), None]);
    /// # Ok::<(), streetrank::Error>(())
    /// ```
    #[must_use]
    pub fn snap_all_map<T, F>(&self, points: &[Point<f64>], opts: &SnapOptions, brief: F) -> Vec<T>
    where
        T: Copy + Send + Sync,
        F: Fn(&SnapOutcome) -> T + Sync,
    {
        self.snap_batch(points, opts, true, Search::Auto, &brief)
    }

    /// Builds and keeps the grid that [`StreetIndex::snap_all`] answers large batches with,
    /// for `opts`' maximum distance, so that later batches of any size use it too (when the
    /// grid cannot be built, they use the R-tree, as without this call).
    ///
    /// The answers are the same either way, bit for bit; this is for callers that snap points
    /// in many smaller batches as they are read, which would otherwise search the R-tree. The
    /// grid is built on rayon's current pool (in stripes of rows, in parallel); it is the same
    /// for any number of threads.
    pub fn prepare_grid(&self, opts: &SnapOptions) {
        let _ = self.grid_for(opts, 0, true, true);
    }

    /// Snaps a batch of points on the calling thread, in input order.
    ///
    /// Same answers and same choice of search as [`StreetIndex::snap_all`]; for callers that
    /// manage their own threads and for benchmarks.
    ///
    /// # Units
    ///
    /// As [`StreetIndex::snap`].
    #[must_use]
    pub fn snap_all_serial(&self, points: &[Point<f64>], opts: &SnapOptions) -> Vec<SnapOutcome> {
        self.snap_batch(points, opts, false, Search::Auto, &whole)
    }

    fn snap_batch<T, F>(
        &self,
        points: &[Point<f64>],
        opts: &SnapOptions,
        parallel: bool,
        search: Search,
        brief: &F,
    ) -> Vec<T>
    where
        T: Copy + Send + Sync,
        F: Fn(&SnapOutcome) -> T + Sync,
    {
        if search != Search::Tree
            && let Some(grid) = self.grid_for(opts, points.len(), search == Search::Grid, parallel)
            && let Some(out) = self.snap_grid(&grid, points, opts, parallel, brief)
        {
            return out;
        }
        self.snap_tree(points, opts, parallel, brief)
    }

    /// The grid for `opts`' maximum distance: the cached one, or a new one when the batch of
    /// `batch_len` points is large enough (or `force`); `None` when it cannot be built.
    fn grid_for(
        &self,
        opts: &SnapOptions,
        batch_len: usize,
        force: bool,
        parallel: bool,
    ) -> Option<Arc<Grid>> {
        let max = opts.get_max_distance_m();
        {
            let slot = self.grid.0.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((bits, grid)) = slot.as_ref()
                && *bits == max.to_bits()
            {
                return grid.clone();
            }
        }
        let large = batch_len.saturating_mul(PIECES_PER_GRID_POINT) >= self.pieces.len();
        if !(large || force) {
            return None;
        }
        // Built without holding the lock: a rayon worker waiting inside the parallel build may
        // pick up another batch on this index, which must not block on the lock. Two batches
        // racing may both build; the grids are equal.
        let extent = self.extent.as_ref();
        let grid = Grid::build(
            &self.pieces,
            Piece::parts,
            extent,
            self.max_abs_coord,
            max,
            parallel,
        )
        .map(Arc::new);
        let mut slot = self.grid.0.lock().unwrap_or_else(PoisonError::into_inner);
        *slot = Some((max.to_bits(), grid.clone()));
        grid
    }

    /// Answers a batch with `grid`: points sorted by cell (radix sort), answered, put back in
    /// input order. `None` for a batch of `u32::MAX` points or more.
    fn snap_grid<T, F>(
        &self,
        grid: &Grid,
        points: &[Point<f64>],
        opts: &SnapOptions,
        parallel: bool,
        brief: &F,
    ) -> Option<Vec<T>>
    where
        T: Copy + Send + Sync,
        F: Fn(&SnapOutcome) -> T + Sync,
    {
        if u32::try_from(points.len()).is_err() {
            return None;
        }
        // Points outside the grid (or not finite) go to one extra bucket after the cells.
        let outside = grid.cell_count();
        let key_bits = u32::BITS - outside.leading_zeros();
        let key = |(i, p): (u64, &Point<f64>)| -> u64 {
            let cell = grid.cell_of(p.0).unwrap_or(outside);
            (u64::from(cell) << 32) | i
        };
        let keys: Vec<u64> = if parallel {
            points
                .par_iter()
                .enumerate()
                .map(|(i, p)| key((i as u64, p)))
                .collect()
        } else {
            (0u64..).zip(points).map(key).collect()
        };
        let order = radix_sort_high(keys, key_bits, parallel);
        // Answered in blocks of points in cell order: a block's points are first gathered (random
        // reads, independent of each other, which the CPU overlaps: read inside the answer loop,
        // each waited for its own cache miss), then answered from that small buffer.
        let fallback = brief(&SnapOutcome::Unmatched(UnmatchedReason::EmptyIndex));
        let answer_block =
            |keys: &[u64], buf: &mut Vec<Point<f64>>, put: &mut dyn FnMut(usize, T)| {
                buf.clear();
                buf.extend(
                    keys.iter()
                        .map(|&k| point_at(points, k & u64::from(u32::MAX))),
                );
                for (j, (&k, &p)) in keys.iter().zip(buf.iter()).enumerate() {
                    #[allow(clippy::cast_possible_truncation)] // the high half of the key
                    let cell = (k >> 32) as u32;
                    put(j, brief(&self.snap_in_cell(grid, p, cell, opts)));
                }
            };
        if !parallel {
            // Each answer goes straight to its input position.
            let mut out = vec![fallback; points.len()];
            let mut buf = Vec::with_capacity(GATHER_BLOCK);
            for keys in order.chunks(GATHER_BLOCK) {
                answer_block(keys, &mut buf, &mut |j, a| {
                    let i = keys
                        .get(j)
                        .map_or(usize::MAX, |&k| (k & u64::from(u32::MAX)) as usize);
                    if let Some(slot) = out.get_mut(i) {
                        *slot = a;
                    }
                });
            }
            return Some(out);
        }
        let mut sorted = vec![fallback; points.len()];
        sorted
            .par_chunks_mut(GATHER_BLOCK)
            .zip(order.par_chunks(GATHER_BLOCK))
            .for_each_init(
                || Vec::with_capacity(GATHER_BLOCK),
                |buf, (out, keys)| {
                    answer_block(keys, buf, &mut |j, a| {
                        if let Some(slot) = out.get_mut(j) {
                            *slot = a;
                        }
                    });
                },
            );
        Some(unpermute(&order, &sorted, parallel, brief))
    }

    /// [`StreetIndex::snap`] through the grid, for a point whose cell (or the outside bucket)
    /// is `cell`.
    #[inline(always)]
    fn snap_in_cell(
        &self,
        grid: &Grid,
        p: Point<f64>,
        cell: u32,
        opts: &SnapOptions,
    ) -> SnapOutcome {
        let (c, max2) = match precheck(p, opts, self.pieces.is_empty()) {
            Ok(v) => v,
            Err(reason) => return SnapOutcome::Unmatched(reason),
        };
        let Some(max2) = max2 else {
            return self.no_match(opts);
        };
        let tracker = grid.search(cell, c, max2);
        self.answer(c, &tracker, opts)
    }

    /// Answers a batch with the R-tree, Hilbert-sorted.
    fn snap_tree<T, F>(
        &self,
        points: &[Point<f64>],
        opts: &SnapOptions,
        parallel: bool,
        brief: &F,
    ) -> Vec<T>
    where
        T: Copy + Send + Sync,
        F: Fn(&SnapOutcome) -> T + Sync,
    {
        let Some(order) = hilbert_order(points, parallel) else {
            return if parallel {
                points
                    .par_iter()
                    .map(|&p| brief(&self.snap(p, opts)))
                    .collect()
            } else {
                points.iter().map(|&p| brief(&self.snap(p, opts))).collect()
            };
        };
        let answer = |&i: &u64| brief(&self.snap(point_at(points, i & u64::from(u32::MAX)), opts));
        let sorted: Vec<T> = if parallel {
            order.par_iter().with_min_len(256).map(answer).collect()
        } else {
            order.iter().map(answer).collect()
        };
        unpermute(&order, &sorted, parallel, brief)
    }
}

/// The answers in input order, given them in the order `order` (positions in the low 32 bits).
fn unpermute<T, F>(order: &[u64], sorted: &[T], parallel: bool, brief: &F) -> Vec<T>
where
    T: Copy + Send + Sync,
    F: Fn(&SnapOutcome) -> T + Sync,
{
    let fallback = brief(&SnapOutcome::Unmatched(UnmatchedReason::EmptyIndex));
    let at = |k: u32| sorted.get(k as usize).copied().unwrap_or(fallback);
    if parallel {
        // The inverse permutation built on the pool too: its writes go to random places, as
        // relaxed atomic stores (plain stores on the machine).
        let inverse: Vec<AtomicU32> = (0..order.len())
            .into_par_iter()
            .map(|_| AtomicU32::new(0))
            .collect();
        order
            .par_iter()
            .enumerate()
            .with_min_len(4096)
            .for_each(|(k, &i)| {
                let i = (i & u64::from(u32::MAX)) as usize;
                if let (Some(slot), Ok(k)) = (inverse.get(i), u32::try_from(k)) {
                    slot.store(k, Ordering::Relaxed);
                }
            });
        inverse
            .par_iter()
            .with_min_len(4096)
            .map(|k| at(k.load(Ordering::Relaxed)))
            .collect()
    } else {
        inverse_permutation(order).into_iter().map(at).collect()
    }
}

/// The whole answer: the `brief` of [`StreetIndex::snap_all`].
#[inline]
fn whole(o: &SnapOutcome) -> SnapOutcome {
    *o
}

/// `points[i]`; an impossible out-of-range position reads as a NaN point.
#[inline]
fn point_at(points: &[Point<f64>], i: u64) -> Point<f64> {
    usize::try_from(i)
        .ok()
        .and_then(|i| points.get(i).copied())
        .unwrap_or(Point::new(f64::NAN, f64::NAN))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (house rule)
mod tests {
    use super::*;
    use crate::snap::brute_force_snap;
    use crate::{RunnerUp, Side, Snap, SourceId};
    use geo_types::{LineString, line_string};

    fn seg(id: i64, coords: &[(f64, f64)]) -> Segment {
        let ls: LineString<f64> = coords.iter().map(|&(x, y)| Coord { x, y }).collect();
        Segment::new(SourceId::from(id), ls).unwrap()
    }

    /// Field-by-field, bit-for-bit equality (NaN-safe, -0.0 distinct from 0.0).
    fn assert_same(a: &SnapOutcome, b: &SnapOutcome, ctx: &str) {
        match (a, b) {
            (SnapOutcome::Snapped(x), SnapOutcome::Snapped(y)) => {
                assert_eq!(x.segment, y.segment, "segment {ctx}");
                assert_eq!(x.distance_m.to_bits(), y.distance_m.to_bits(), "dist {ctx}");
                assert_eq!(x.fraction.to_bits(), y.fraction.to_bits(), "fraction {ctx}");
                assert_eq!(x.chainage_m.to_bits(), y.chainage_m.to_bits(), "ch {ctx}");
                assert_eq!(x.side, y.side, "side {ctx}");
                assert_eq!(x.closest.x().to_bits(), y.closest.x().to_bits(), "cx {ctx}");
                assert_eq!(x.closest.y().to_bits(), y.closest.y().to_bits(), "cy {ctx}");
                match (x.runner_up, y.runner_up) {
                    (None, None) => {}
                    (Some(r), Some(s)) => {
                        assert_eq!(r.segment, s.segment, "runner segment {ctx}");
                        assert_eq!(r.distance_m.to_bits(), s.distance_m.to_bits(), "r {ctx}");
                    }
                    (r, s) => panic!("runner-up {ctx}: {r:?} vs {s:?}"),
                }
                assert_eq!(x.ambiguous, y.ambiguous, "ambiguous {ctx}");
            }
            (SnapOutcome::Unmatched(r), SnapOutcome::Unmatched(s)) => match (r, s) {
                (
                    UnmatchedReason::NoSegmentWithin { max_distance_m: m },
                    UnmatchedReason::NoSegmentWithin { max_distance_m: n },
                ) => assert_eq!(m.to_bits(), n.to_bits(), "{ctx}"),
                _ => assert_eq!(r, s, "{ctx}"),
            },
            _ => panic!("{ctx}: {a:?} vs {b:?}"),
        }
    }

    /// Snaps with the index (single and both batch forms) and the oracle; all must agree.
    fn snap_checked(segments: &[Segment], p: Point<f64>, opts: &SnapOptions) -> SnapOutcome {
        let index = StreetIndex::new(segments);
        let one = index.snap(p, opts);
        assert_same(&one, &brute_force_snap(segments, p, opts), "vs brute force");
        assert_same(&one, &index.snap_all(&[p], opts)[0], "vs snap_all");
        assert_same(&one, &index.snap_all_serial(&[p], opts)[0], "vs serial");
        one
    }

    fn snapped(o: SnapOutcome) -> Snap {
        match o {
            SnapOutcome::Snapped(s) => s,
            SnapOutcome::Unmatched(r) => panic!("unmatched: {r:?}"),
        }
    }

    #[test]
    fn unmatched_table() {
        let line = vec![seg(1, &[(0.0, 0.0), (100.0, 0.0)])];
        let opts = SnapOptions::default();
        let no30 = UnmatchedReason::NoSegmentWithin {
            max_distance_m: 30.0,
        };
        let cases: Vec<(&[Segment], Point<f64>, SnapOptions, UnmatchedReason)> = vec![
            (&[], Point::new(1.0, 1.0), opts, UnmatchedReason::EmptyIndex),
            (
                &[],
                Point::new(f64::NAN, 1.0),
                opts,
                UnmatchedReason::NonFinitePoint,
            ),
            (
                &line,
                Point::new(f64::NAN, 1.0),
                opts,
                UnmatchedReason::NonFinitePoint,
            ),
            (
                &line,
                Point::new(1.0, f64::NAN),
                opts,
                UnmatchedReason::NonFinitePoint,
            ),
            (
                &line,
                Point::new(f64::INFINITY, 0.0),
                opts,
                UnmatchedReason::NonFinitePoint,
            ),
            (
                &line,
                Point::new(0.0, f64::NEG_INFINITY),
                opts,
                UnmatchedReason::NonFinitePoint,
            ),
            // Just beyond the maximum distance, perpendicular and past an end.
            (&line, Point::new(50.0, 30.000_000_000_001), opts, no30),
            (&line, Point::new(-30.000_000_000_001, 0.0), opts, no30),
            (&line, Point::new(118.0, -24.000_000_001), opts, no30),
            // Options that validate() refuses match nothing.
            (
                &line,
                Point::new(50.0, 0.0),
                opts.max_distance_m(-1.0),
                UnmatchedReason::NoSegmentWithin {
                    max_distance_m: -1.0,
                },
            ),
        ];
        for (segments, p, o, want) in cases {
            let got = snap_checked(segments, p, &o);
            assert_eq!(got, SnapOutcome::Unmatched(want), "{p:?}");
        }
        // NaN maximum distance.
        let got = snap_checked(&line, Point::new(50.0, 0.0), &opts.max_distance_m(f64::NAN));
        let SnapOutcome::Unmatched(UnmatchedReason::NoSegmentWithin { max_distance_m }) = got
        else {
            panic!("{got:?}");
        };
        assert!(max_distance_m.is_nan());
        let empty = StreetIndex::new(&[]);
        assert!(empty.is_empty());
        assert_eq!((empty.len(), empty.piece_count()), (0, 0));
        assert!(empty.snap_all(&[], &opts).is_empty());
    }

    #[test]
    fn exactly_at_max_distance_matches() {
        let line = vec![seg(1, &[(0.0, 0.0), (100.0, 0.0)])];
        let opts = SnapOptions::default();
        // (point, distance, chainage): perpendicular, before the start, past the end (3-4-5).
        let cases = [
            ((40.0, 30.0), 30.0, 40.0),
            ((40.0, -30.0), 30.0, 40.0),
            ((-30.0, 0.0), 30.0, 0.0),
            ((118.0, -24.0), 30.0, 100.0),
            ((0.0, 0.0), 0.0, 0.0),
        ];
        for ((x, y), d, ch) in cases {
            let s = snapped(snap_checked(&line, Point::new(x, y), &opts));
            assert_eq!(
                (s.segment, s.distance_m, s.chainage_m),
                (0, d, ch),
                "({x}, {y})"
            );
        }
        // Zero max distance: only points exactly on the line match.
        let zero = opts.max_distance_m(0.0);
        let s = snapped(snap_checked(&line, Point::new(25.0, 0.0), &zero));
        assert_eq!((s.distance_m, s.side, s.fraction), (0.0, Side::On, 0.25));
        assert!(
            snap_checked(&line, Point::new(25.0, 1e-9), &zero)
                .snapped()
                .is_none()
        );
    }

    #[test]
    fn a_distance_whose_square_overflows_never_matches() {
        // Found by the snap_score fuzz target: with a limit whose square overflows too, the
        // point-by-point answer matched at an infinite distance while a batch matched nothing.
        let line = vec![seg(1, &[(0.0, 0.0), (100.0, 0.0)])];
        let huge = SnapOptions::default().max_distance_m(4.781_668_346_242_405e180);
        let far = Point::new(-7.269_300_372_276_537e182, 0.0);
        assert_eq!(
            snap_checked(&line, far, &huge),
            SnapOutcome::Unmatched(UnmatchedReason::NoSegmentWithin {
                max_distance_m: 4.781_668_346_242_405e180
            })
        );
        // Within the limit, and its square finite: matched as ever.
        let s = snapped(snap_checked(&line, Point::new(-1e150, 0.0), &huge));
        assert_eq!((s.distance_m, s.chainage_m), (1e150, 0.0));
        let index = StreetIndex::new(&line);
        let batch = vec![far; 4 * index.piece_count() + 8];
        assert!(
            index
                .snap_all(&batch, &huge)
                .iter()
                .all(|o| o.snapped().is_none())
        );
    }

    #[test]
    fn side_table() {
        // Digitised left to right, then up: left of an eastbound street is north.
        let street = vec![seg(1, &[(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)])];
        let opts = SnapOptions::default();
        let cases = [
            ((5.0, 2.0), Side::Left),
            ((5.0, -2.0), Side::Right),
            ((5.0, 0.0), Side::On),
            ((8.0, 5.0), Side::Left), // west of the northbound piece
            ((12.0, 5.0), Side::Right),
            ((10.0, 5.0), Side::On),
            ((-3.0, 0.0), Side::On),  // on the extension before the start
            ((10.0, 14.0), Side::On), // on the extension past the end
            ((-3.0, 1.0), Side::Left),
            ((13.0, -1.0), Side::Right), // nearest the shared vertex: first piece decides
            ((10.0, 0.0), Side::On),     // the shared vertex itself
        ];
        for ((x, y), want) in cases {
            let s = snapped(snap_checked(&street, Point::new(x, y), &opts));
            assert_eq!(s.side, want, "({x}, {y})");
        }
    }

    #[test]
    fn on_line_and_shared_vertex() {
        let street = vec![seg(7, &[(0.0, 0.0), (30.0, 40.0), (30.0, 100.0)])];
        let opts = SnapOptions::default();
        // Exactly on the first piece (3-4-5 triangle): distance zero.
        let s = snapped(snap_checked(&street, Point::new(6.0, 8.0), &opts));
        assert_eq!((s.distance_m, s.chainage_m, s.side), (0.0, 10.0, Side::On));
        assert_eq!(s.closest, Point::new(6.0, 8.0));
        // On the shared vertex: the first piece wins, chainage is its end.
        let s = snapped(snap_checked(&street, Point::new(30.0, 40.0), &opts));
        assert_eq!((s.distance_m, s.chainage_m, s.side), (0.0, 50.0, Side::On));
        assert_eq!(s.fraction, 50.0 / 110.0);
        assert_eq!(s.closest, Point::new(30.0, 40.0));
        assert_eq!(s.runner_up, None);
        assert!(!s.ambiguous);
        // Off the shared vertex on the outer side of the bend: both pieces are 5 m away at the
        // vertex; the first piece wins and decides the side.
        let s = snapped(snap_checked(&street, Point::new(34.0, 37.0), &opts));
        assert_eq!((s.distance_m, s.chainage_m), (5.0, 50.0));
        assert_eq!(s.side, Side::Right);
    }

    #[test]
    fn chainage_and_fraction_on_a_multi_vertex_segment() {
        // Pieces of 10, 20 (with a repeated vertex between them) and 30 m: length 60.
        let street = vec![seg(
            1,
            &[
                (0.0, 0.0),
                (10.0, 0.0),
                (10.0, 0.0),
                (10.0, 20.0),
                (40.0, 20.0),
            ],
        )];
        let index = StreetIndex::new(&street);
        assert_eq!(index.piece_count(), 3);
        let opts = SnapOptions::default();
        let cases = [
            ((0.0, 0.0), 0.0, 0.0),
            ((5.0, 1.0), 5.0, 5.0 / 60.0),
            ((10.0, 0.0), 10.0, 10.0 / 60.0),
            ((11.0, 15.0), 25.0, 25.0 / 60.0),
            ((25.0, 19.0), 45.0, 0.75),
            ((40.0, 20.0), 60.0, 1.0),
            ((45.0, 20.0), 60.0, 1.0),
            ((-5.0, 0.0), 0.0, 0.0),
        ];
        for ((x, y), ch, fr) in cases {
            let s = snapped(snap_checked(&street, Point::new(x, y), &opts));
            assert_eq!((s.chainage_m, s.fraction), (ch, fr), "({x}, {y})");
        }
    }

    #[test]
    fn equidistant_segments_tie_to_lower_index_with_runner_up() {
        let streets = vec![
            seg(1, &[(0.0, 10.0), (100.0, 10.0)]),
            seg(2, &[(0.0, -10.0), (100.0, -10.0)]),
            seg(3, &[(0.0, 10.0), (100.0, 10.0)]), // duplicate of segment 0
            seg(4, &[(0.0, 50.0), (100.0, 50.0)]),
        ];
        let opts = SnapOptions::default();
        // Between 0 and 1: 0 wins, 1 is runner-up (lower than the equal 2).
        let s = snapped(snap_checked(&streets, Point::new(50.0, 0.0), &opts));
        assert_eq!((s.segment, s.distance_m), (0, 10.0));
        assert_eq!(
            s.runner_up,
            Some(RunnerUp {
                segment: 1,
                distance_m: 10.0
            })
        );
        assert!(s.ambiguous);
        // On the duplicate pair: 0 wins, 2 is runner-up at the same distance.
        let s = snapped(snap_checked(&streets, Point::new(50.0, 12.0), &opts));
        assert_eq!((s.segment, s.runner_up.map(|r| r.segment)), (0, Some(2)));
        assert!(s.ambiguous);
        // Nearer 0 by more than the tolerance: not ambiguous, runner-up still reported.
        let s = snapped(snap_checked(&streets, Point::new(50.0, 5.0), &opts));
        assert_eq!(s.segment, 0);
        assert_eq!(s.runner_up.map(|r| r.segment), Some(2));
        let s = snapped(snap_checked(&streets, Point::new(50.0, -6.0), &opts));
        assert_eq!((s.segment, s.distance_m), (1, 4.0));
        assert_eq!(
            s.runner_up,
            Some(RunnerUp {
                segment: 0,
                distance_m: 16.0
            })
        );
        assert!(!s.ambiguous);
        // The ambiguity tolerance is inclusive.
        let tol = opts.ambiguity_tolerance_m(12.0);
        assert!(snapped(snap_checked(&streets, Point::new(50.0, -6.0), &tol)).ambiguous);
        let tol = opts.ambiguity_tolerance_m(11.999);
        assert!(!snapped(snap_checked(&streets, Point::new(50.0, -6.0), &tol)).ambiguous);
        // Runner-up beyond the maximum distance is not reported.
        let s = snapped(snap_checked(&streets, Point::new(50.0, 45.0), &opts));
        assert_eq!((s.segment, s.distance_m), (3, 5.0));
        assert_eq!(s.runner_up, None);
        assert!(!s.ambiguous);
    }

    #[test]
    fn index_shape() {
        let streets = vec![
            seg(1, &[(0.0, 0.0), (1.0, 0.0), (2.0, 0.0)]),
            seg(2, &[(0.0, 1.0), (0.0, 1.0), (0.0, 2.0)]),
        ];
        let index = StreetIndex::new(&streets);
        assert_eq!((index.len(), index.piece_count()), (2, 3));
        assert!(!index.is_empty());
        fn send_sync<T: Send + Sync>() {}
        send_sync::<StreetIndex>();
        let _ = line_string![(x: 0.0, y: 0.0), (x: 1.0, y: 1.0)];
    }

    /// SplitMix64: a tiny, seeded, portable PRNG.
    struct SplitMix64(u64);

    impl SplitMix64 {
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        /// Uniform in [0, 1).
        fn unit(&mut self) -> f64 {
            (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next_u64() % n as u64) as usize
        }
        /// A coordinate in [0, 200), on a 0.5 m lattice half of the time (exact ties).
        fn coord(&mut self) -> f64 {
            if self.next_u64().is_multiple_of(2) {
                self.below(400) as f64 * 0.5
            } else {
                self.unit() * 200.0
            }
        }
    }

    fn random_network(rng: &mut SplitMix64) -> Vec<Segment> {
        let n = rng.below(12);
        let mut segments: Vec<Segment> = Vec::with_capacity(n + 2);
        while segments.len() < n {
            let k = 2 + rng.below(4);
            let mut coords: Vec<(f64, f64)> = (0..k).map(|_| (rng.coord(), rng.coord())).collect();
            if rng.below(6) == 0 && k > 2 {
                coords[1] = coords[0]; // a repeated vertex
            }
            let ls: LineString<f64> = coords.iter().map(|&(x, y)| Coord { x, y }).collect();
            let Ok(s) = Segment::new(SourceId::from(segments.len() as i64), ls) else {
                continue;
            };
            if !segments.is_empty() && rng.below(4) == 0 {
                // An exact duplicate of an earlier segment, or a parallel copy shifted by a
                // lattice step: exact ties between segments.
                let other = segments[rng.below(segments.len())].clone();
                let shift = if rng.below(2) == 0 { 0.0 } else { 1.0 };
                let moved: LineString<f64> = other
                    .geometry
                    .0
                    .iter()
                    .map(|c| Coord {
                        x: c.x,
                        y: c.y + shift,
                    })
                    .collect();
                if let Ok(d) = Segment::new(SourceId::from(segments.len() as i64), moved) {
                    segments.push(d);
                }
            } else {
                segments.push(s);
            }
        }
        segments
    }

    fn random_point(rng: &mut SplitMix64, segments: &[Segment], max: f64) -> Point<f64> {
        let vertex = |rng: &mut SplitMix64| {
            let s = &segments[rng.below(segments.len())];
            s.geometry.0[rng.below(s.geometry.0.len())]
        };
        match rng.below(10) {
            0 if !segments.is_empty() => Point(vertex(rng)),
            1 if !segments.is_empty() => {
                // Exactly max away from a vertex along an axis, or along a 3-4-5 diagonal.
                let v = vertex(rng);
                let (dx, dy) = match rng.below(6) {
                    0 => (max, 0.0),
                    1 => (-max, 0.0),
                    2 => (0.0, max),
                    3 => (0.0, -max),
                    4 => (0.6 * max, 0.8 * max),
                    _ => (-0.8 * max, 0.6 * max),
                };
                Point::new(v.x + dx, v.y + dy)
            }
            2 if !segments.is_empty() => {
                // Exactly on a piece, at a lattice fraction.
                let s = &segments[rng.below(segments.len())];
                let i = rng.below(s.geometry.0.len() - 1);
                let (a, b) = (s.geometry.0[i], s.geometry.0[i + 1]);
                let t = rng.below(5) as f64 * 0.25;
                Point::new(a.x + t * (b.x - a.x), a.y + t * (b.y - a.y))
            }
            3 => Point::new(f64::NAN, rng.coord()),
            _ => Point::new(rng.coord() - 20.0, rng.coord() - 20.0),
        }
    }

    #[test]
    fn oracle_snap_all_equals_snap_equals_brute_force() {
        let mut cases = 0usize;
        let mut snapped_count = 0usize;
        let mut tie_runner_ups = 0usize;
        for seed in [1u64, 42, 2024] {
            let mut rng = SplitMix64(seed);
            for _ in 0..150 {
                let segments = random_network(&mut rng);
                let index = StreetIndex::new(&segments);
                let max = [0.0, 0.5, 5.0, 12.5, 30.0][rng.below(5)];
                let opts = SnapOptions::new()
                    .max_distance_m(max)
                    .ambiguity_tolerance_m([0.0, 1.0][rng.below(2)]);
                let points: Vec<Point<f64>> = (0..25)
                    .map(|_| random_point(&mut rng, &segments, max))
                    .collect();
                let all = index.snap_all(&points, &opts);
                let serial = index.snap_all_serial(&points, &opts);
                let tree = index.snap_batch(&points, &opts, false, Search::Tree, &whole);
                let grid = index.snap_batch(&points, &opts, true, Search::Grid, &whole);
                assert_eq!(
                    index.grid_for(&opts, 0, false, false).is_some(),
                    !segments.is_empty()
                );
                assert_eq!(all.len(), points.len());
                for (k, &p) in points.iter().enumerate() {
                    let ctx = format!("seed {seed} point {k} {p:?} max {max}");
                    let one = index.snap(p, &opts);
                    assert_same(&one, &brute_force_snap(&segments, p, &opts), &ctx);
                    assert_same(&one, &all[k], &ctx);
                    assert_same(&one, &serial[k], &ctx);
                    assert_same(&one, &tree[k], &ctx);
                    assert_same(&one, &grid[k], &ctx);
                    if let SnapOutcome::Snapped(s) = one {
                        snapped_count += 1;
                        if s.runner_up.is_some_and(|r| r.distance_m == s.distance_m) {
                            tie_runner_ups += 1;
                        }
                    }
                    cases += 1;
                }
            }
        }
        assert!(cases >= 10_000, "{cases}");
        // The generator must exercise matches and exact ties, not only misses.
        assert!(snapped_count > cases / 4, "{snapped_count} of {cases}");
        assert!(tie_runner_ups > 100, "{tie_runner_ups}");
    }

    #[test]
    fn snap_all_is_identical_for_any_thread_count() {
        let mut rng = SplitMix64(7);
        let segments = random_network(&mut rng);
        let segments = if segments.is_empty() {
            vec![seg(1, &[(0.0, 0.0), (200.0, 200.0)])]
        } else {
            segments
        };
        let index = StreetIndex::new(&segments);
        let opts = SnapOptions::default();
        let points: Vec<Point<f64>> = (0..5000)
            .map(|_| random_point(&mut rng, &segments, 30.0))
            .collect();
        let reference = index.snap_all_serial(&points, &opts);
        for threads in [1, 2, 3, 8] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let got = pool.install(|| index.snap_all(&points, &opts));
            for (k, (a, b)) in reference.iter().zip(&got).enumerate() {
                assert_same(a, b, &format!("{threads} threads, point {k}"));
            }
        }
    }

    /// Every path (grid and R-tree, serial and parallel, automatic, per point) against brute
    /// force; returns whether a grid was built for `opts`.
    fn check_all_paths(
        segments: &[Segment],
        points: &[Point<f64>],
        opts: &SnapOptions,
        ctx: &str,
    ) -> bool {
        let index = StreetIndex::new(segments);
        let batches = [
            index.snap_batch(points, opts, false, Search::Tree, &whole),
            index.snap_batch(points, opts, true, Search::Tree, &whole),
            index.snap_batch(points, opts, false, Search::Grid, &whole),
            index.snap_batch(points, opts, true, Search::Grid, &whole),
            index.snap_all(points, opts),
        ];
        for (k, &p) in points.iter().enumerate() {
            let ctx = format!("{ctx}: point {k} {p:?}");
            let one = index.snap(p, opts);
            assert_same(&one, &brute_force_snap(segments, p, opts), &ctx);
            for b in &batches {
                assert_same(&one, &b[k], &ctx);
            }
        }
        // The briefs (snap_all_map) on every path: the full answers, briefed.
        let brief = |o: &SnapOutcome| o.snapped().map(|s| (s.segment, s.distance_m.to_bits()));
        let want: Vec<_> = batches[0].iter().map(brief).collect();
        for (search, parallel) in [
            (Search::Tree, false),
            (Search::Tree, true),
            (Search::Grid, false),
            (Search::Grid, true),
        ] {
            let got = index.snap_batch(points, opts, parallel, search, &brief);
            assert!(got == want, "{ctx}: briefs differ (parallel {parallel})");
        }
        assert!(
            index.snap_all_map(points, opts, brief) == want,
            "{ctx}: snap_all_map"
        );
        index.grid_for(opts, 0, false, false).is_some()
    }

    #[test]
    fn grid_equals_tree_on_cell_borders_long_pieces_and_odd_extents() {
        let mut rng = SplitMix64(99);
        let opts = SnapOptions::new();
        // A long diagonal piece over many cells among short ones.
        let mut streets = vec![seg(0, &[(0.0, 0.0), (5000.0, 3000.0), (5000.0, 5000.0)])];
        for i in 0..400 {
            let (x, y) = (rng.unit() * 5000.0, rng.unit() * 5000.0);
            streets.push(seg(i + 1, &[(x, y), (x + 20.0, y + rng.unit() * 10.0)]));
        }
        let near_long: Vec<Point<f64>> = (0..3000)
            .map(|_| {
                let t = rng.unit();
                let dx = rng.unit() * 80.0 - 40.0;
                Point::new(5000.0 * t + dx, 3000.0 * t - dx)
            })
            .collect();
        assert!(check_all_paths(&streets, &near_long, &opts, "long piece"));
        // Points exactly on the grid's cell borders, and one ulp either side.
        let index = StreetIndex::new(&streets);
        let grid = index.grid_for(&opts, 0, true, true).unwrap();
        let (origin, cell) = grid.origin_and_cell();
        let mut borders = Vec::new();
        for i in 0..60u32 {
            let x = origin.x + f64::from(i * 3) * cell;
            let y = origin.y + f64::from(i * 5 % 200) * cell;
            for (px, py) in [
                (x, y),
                (x.next_up(), y),
                (x, y.next_down()),
                (x.next_down(), y.next_up()),
            ] {
                borders.push(Point::new(px, py));
            }
        }
        assert!(check_all_paths(&streets, &borders, &opts, "cell borders"));
        // Maximum distance zero: only points exactly on a piece match.
        let zero = opts.max_distance_m(0.0);
        let on: Vec<Point<f64>> = streets
            .iter()
            .flat_map(|s| s.geometry.0.iter().map(|&c| Point(c)))
            .chain(near_long.iter().take(200).copied())
            .collect();
        assert!(check_all_paths(&streets, &on, &zero, "max 0"));
        // A single segment; an empty index.
        let one = vec![seg(1, &[(10.0, 10.0), (40.0, 50.0)])];
        let pts: Vec<Point<f64>> = (0..500)
            .map(|_| Point::new(rng.unit() * 120.0 - 30.0, rng.unit() * 120.0 - 30.0))
            .collect();
        assert!(check_all_paths(&one, &pts, &opts, "single segment"));
        assert!(!check_all_paths(&[], &pts, &opts, "empty index"));
        // Huge coordinates (1e7) with lattice ties.
        let far: Vec<Segment> = random_network(&mut rng)
            .iter()
            .chain(&random_network(&mut rng))
            .enumerate()
            .map(|(i, s)| {
                let coords: Vec<(f64, f64)> = s
                    .geometry
                    .0
                    .iter()
                    .map(|c| (c.x + 1e7, c.y - 1e7))
                    .collect();
                seg(i as i64, &coords)
            })
            .collect();
        if !far.is_empty() {
            let pts: Vec<Point<f64>> = (0..2000)
                .map(|_| {
                    let p = random_point(&mut rng, &far, 30.0);
                    if p.x() < 1e6 {
                        Point::new(p.x() + 1e7, p.y() - 1e7)
                    } else {
                        p
                    }
                })
                .collect();
            assert!(check_all_paths(&far, &pts, &opts, "huge coordinates"));
        }
        // Degenerate extents: every street on one horizontal line, then on one vertical line.
        let line_x: Vec<Segment> = (0..50)
            .map(|i| {
                let x = f64::from(i) * 37.5;
                seg(
                    i64::from(i),
                    &[(x, 5.0), (x + 30.0 + f64::from(i % 3) * 10.0, 5.0)],
                )
            })
            .collect();
        let line_y: Vec<Segment> = line_x
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let coords: Vec<(f64, f64)> = s.geometry.0.iter().map(|c| (-3.0, c.x)).collect();
                seg(i as i64, &coords)
            })
            .collect();
        let pts: Vec<Point<f64>> = (0..2000)
            .map(|_| {
                let along = rng.unit() * 2000.0 - 50.0;
                let across =
                    [0.0, 1.0, -29.5, 30.0, 31.0][rng.below(5)] + rng.below(2) as f64 * 0.25;
                Point::new(along, 5.0 + across)
            })
            .collect();
        assert!(check_all_paths(&line_x, &pts, &opts, "horizontal line"));
        let swapped: Vec<Point<f64>> = pts.iter().map(|p| Point::new(p.y() - 8.0, p.x())).collect();
        assert!(check_all_paths(&line_y, &swapped, &opts, "vertical line"));
        // Maximum distances the grid refuses: the R-tree answers.
        for max in [f64::NAN, -1.0, f64::INFINITY] {
            let o = opts.max_distance_m(max);
            assert!(!check_all_paths(
                &line_x,
                &pts[..200],
                &o,
                &format!("max {max}")
            ));
        }
    }

    #[test]
    fn grid_is_chosen_by_batch_size_and_reused() {
        let streets: Vec<Segment> = (0..100)
            .map(|i| {
                let y = f64::from(i) * 10.0;
                seg(i64::from(i), &[(0.0, y), (50.0, y), (100.0, y)])
            })
            .collect();
        let index = StreetIndex::new(&streets);
        assert_eq!(index.piece_count(), 200);
        let opts = SnapOptions::default();
        // Small batch: no grid built.
        let few = vec![Point::new(1.0, 1.0); 10];
        let _ = index.snap_all(&few, &opts);
        assert!(index.grid_for(&opts, 0, false, false).is_none());
        // One point per piece: the grid is built, kept, and shared with clones.
        let many = vec![Point::new(1.0, 1.0); 200];
        let _ = index.snap_all(&many, &opts);
        let grid = index.grid_for(&opts, 0, false, false).unwrap();
        assert!(Arc::ptr_eq(
            &grid,
            &index.clone().grid_for(&opts, 0, false, false).unwrap()
        ));
        // Another maximum distance replaces it.
        let other = opts.max_distance_m(5.0);
        assert!(index.grid_for(&other, 0, false, false).is_none());
        let _ = index.snap_all(&many, &other);
        assert!(index.grid_for(&opts, 0, false, false).is_none());
        assert!(index.grid_for(&other, 0, false, false).is_some());
    }

    #[test]
    fn nested_parallel_batches_on_one_index_do_not_deadlock() {
        let streets: Vec<Segment> = (0..300)
            .map(|i| {
                let y = f64::from(i) * 7.0;
                seg(i64::from(i), &[(0.0, y), (300.0, y)])
            })
            .collect();
        let index = StreetIndex::new(&streets);
        let opts = SnapOptions::default();
        let points: Vec<Point<f64>> = (0..4000)
            .map(|i| Point::new(f64::from(i % 300), f64::from(i) * 0.5))
            .collect();
        let reference = index.snap_all_serial(&points, &opts);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        for max in [30.0, 5.0] {
            let o = opts.max_distance_m(max);
            let fresh = StreetIndex::new(&streets);
            let chunks: Vec<Vec<SnapOutcome>> = pool.install(|| {
                points
                    .par_chunks(500)
                    .map(|c| fresh.snap_all(c, &o))
                    .collect()
            });
            let want = if max == 30.0 {
                reference.clone()
            } else {
                index.snap_all_serial(&points, &o)
            };
            for (k, (a, b)) in want.iter().zip(chunks.concat().iter()).enumerate() {
                assert_same(a, b, &format!("max {max} point {k}"));
            }
        }
    }
}
