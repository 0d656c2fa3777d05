//! A uniform grid over the pieces of a street network, padded for one maximum distance, for
//! answering large snap batches with one cell look-up per point.
//!
//! # Layout
//!
//! The grid covers the pieces' bounding box grown by the padding `R` (a little more than the
//! maximum distance, see [`pad_for`]) in square cells. A piece is registered in every cell that
//! comes within `R` of the piece itself (row by row along the piece, not its whole bounding box,
//! so a long diagonal piece costs cells in proportion to its length). The cells are stored in
//! CSR form: one `offsets` array (row-major cells) and one `entries` array of positions in the
//! pieces array, each cell's listed by ascending piece key (so that a search can break ties by
//! visiting order, see [`crate::snap::OrderedTracker`]); the pieces are stored once,
//! contiguously, one cache line each with the parts of the distance that depend on the piece
//! alone, sorted by the cell of their midpoint so that the pieces of neighbouring cells sit
//! close together in memory.
//!
//! # Why one cell is enough
//!
//! A piece whose computed squared distance to a point `c` is within `max²` lies truly within
//! `max` plus a rounding error of `c`; the R-tree query pads its search box by
//! `1e-9 × (max + max_abs_coord + |c.x| + |c.y|)` for that error, and [`pad_for`] is larger than
//! that pad for every point inside the grid. So every such piece has a point within Chebyshev
//! distance `R` of `c`, and is registered in `c`'s cell; the candidates of a cell are a superset
//! of the pieces in reach, and the exact test `dist2 <= max²` decides as everywhere else. A
//! point outside the covered area is farther than `R` from every piece. Cell numbers come from
//! one monotone function ([`Grid::col`], [`Grid::row`]) used both to register pieces and to
//! look points up, so a point on a cell border is found in whichever cell the rounding gives.
//!
//! # When the grid is not used
//!
//! [`Grid::build`] gives up (the caller then uses the R-tree) when the padding is not a finite
//! number (a NaN, negative or infinite maximum distance), when a piece or segment number does
//! not fit in `u32`, when the grid would need more than [`MAX_CELLS_PER_PIECE`] cells per piece
//! after growing the cells, or more than [`MAX_ENTRIES_PER_PIECE`] registrations per piece
//! (pieces far longer than the cells, with cells that cannot grow because the pieces are also
//! dense).

use geo_types::Coord;
use rayon::prelude::*;

use std::hint::select_unpredictable;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::hilbert::inverse_permutation;
#[cfg(any(doc, test))]
use crate::snap::dist2;
use crate::snap::{OrderedTracker, Tracker};

/// At most this many cells per piece (plus [`MIN_CELLS`]): cells grow to stay under it.
pub(crate) const MAX_CELLS_PER_PIECE: usize = 4;
/// Any grid may have this many cells.
const MIN_CELLS: usize = 1024;
/// At most this many registrations per piece (plus [`MIN_CELLS`]), or no grid.
pub(crate) const MAX_ENTRIES_PER_PIECE: usize = 64;
/// About this many pieces per stripe of rows while the cells are filled (more stripes with
/// more threads): a stripe's counters, entries and spans then stay in a core's cache.
const PIECES_PER_STRIPE: usize = 16_384;
/// The pieces are dealt to the stripes in chunks of this many.
const CHUNK: u32 = 16_384;

/// The grid's padding for `max_distance_m` over pieces whose coordinates are at most
/// `max_abs_coord` in absolute value.
///
/// For every point `c` with `|c.x|, |c.y| <= max_abs_coord + pad`, the pad is larger than the
/// R-tree search box's half-width `max + 1e-9 × (max + max_abs_coord + |c.x| + |c.y|)`:
/// `1e-9 × (3 max + 3 max_abs_coord + tiny) < 4e-9 × (max + max_abs_coord + 1)`.
pub(crate) fn pad_for(max_distance_m: f64, max_abs_coord: f64) -> f64 {
    max_distance_m + 4e-9 * (max_distance_m + max_abs_coord + 1.0)
}

/// One piece as the grid stores it, in one cache line: its two vertices `a` and `b` (the two
/// `x` side by side, then the two `y`), the parts of [`dist2`] that depend on the piece alone
/// (`b - a` and its squared length, computed as [`dist2`] does), its global piece key (see
/// [`crate::snap::Candidate`]) and its segment.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(64))]
pub(crate) struct GridPiece {
    x: [f64; 2],
    y: [f64; 2],
    abx: f64,
    aby: f64,
    len2: f64,
    pub(crate) piece: u32,
    pub(crate) segment: u32,
}

impl GridPiece {
    fn new(a: Coord<f64>, b: Coord<f64>, piece: u32, segment: u32) -> GridPiece {
        let abx = b.x - a.x;
        let aby = b.y - a.y;
        GridPiece {
            x: [a.x, b.x],
            y: [a.y, b.y],
            abx,
            aby,
            len2: abx * abx + aby * aby,
            piece,
            segment,
        }
    }

    #[cfg(test)]
    fn a(&self) -> Coord<f64> {
        Coord {
            x: self.x[0],
            y: self.y[0],
        }
    }

    #[cfg(test)]
    fn b(&self) -> Coord<f64> {
        Coord {
            x: self.x[1],
            y: self.y[1],
        }
    }

    /// [`dist2`] from `p` to this piece, without branches: all three cases are computed and one
    /// is selected, by the same conditions in the same order, from the same operations (the
    /// stored `b - a` and squared length are those it computes), so the bits are those of
    /// [`dist2`]. The case is unpredictable in the grid's inner loop, where this is faster.
    #[inline(always)]
    fn dist2(&self, p: Coord<f64>) -> f64 {
        let apx = p.x - self.x[0];
        let bpx = p.x - self.x[1];
        let apy = p.y - self.y[0];
        let bpy = p.y - self.y[1];
        let (abx, aby, len2) = (self.abx, self.aby, self.len2);
        let dot = apx * abx + apy * aby;
        let cross = abx * apy - aby * apx;
        let to_a = apx * apx + apy * apy;
        let to_b = bpx * bpx + bpy * bpy;
        // When neither condition holds, 0 < dot < len2 and the division is the one `dist2`
        // does. (As `if`s, the compiler turns these back into branches around the division.)
        let inside = cross * cross / len2;
        let beyond = select_unpredictable(dot >= len2, to_b, inside);
        select_unpredictable(dot <= 0.0, to_a, beyond)
    }
}

/// A uniform grid of pieces padded for one maximum distance (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct Grid {
    /// Lower-left corner of the covered area.
    origin: Coord<f64>,
    /// Upper-right corner of the covered area.
    end: Coord<f64>,
    /// Side of a cell.
    cell: f64,
    cols: u32,
    rows: u32,
    /// `offsets[k]..offsets[k + 1]` are cell `k`'s entries (cells row-major).
    offsets: Vec<u32>,
    /// Positions in `pieces`, by ascending piece key within a cell.
    entries: Vec<u32>,
    pieces: Vec<GridPiece>,
}

/// What [`Grid::build`] needs of all the pieces before it starts, in one pass in input order
/// (the index takes it while it lists the pieces, beside its other work).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Extent {
    /// Number of pieces.
    count: usize,
    /// Lower-left corner of the pieces' bounding box.
    lo: Coord<f64>,
    /// Upper-right corner of the pieces' bounding box.
    hi: Coord<f64>,
    /// The pieces' larger sides (`max(|dx|, |dy|)`) summed in input order.
    extent_sum: f64,
    /// Every key and segment number fits in `u32` (`u32::MAX` excluded).
    fits: bool,
    /// The keys ascend in input order.
    in_key_order: bool,
    /// The last key taken in.
    last_key: u32,
}

impl Extent {
    /// The extent of `pieces` (read through `get` as in [`Grid::build`]), `None` for none.
    pub(crate) fn of<P>(
        pieces: &[P],
        get: impl Fn(&P) -> (Coord<f64>, Coord<f64>, usize, usize),
    ) -> Option<Extent> {
        let (first, _, _, _) = get(pieces.first()?);
        let mut extent = Extent::starting_at(first);
        for p in pieces {
            extent.add(get(p));
        }
        Some(extent)
    }

    /// No piece yet; `first` is the first piece's `a`.
    pub(crate) fn starting_at(first: Coord<f64>) -> Extent {
        Extent {
            count: 0,
            lo: first,
            hi: first,
            extent_sum: 0.0,
            fits: true,
            in_key_order: true,
            last_key: 0,
        }
    }

    /// Takes in the next piece, as `(a, b, segment, piece key)`. (Plain comparisons: for
    /// finite coordinates they give `f64::min`'s and `f64::max`'s values, up to the sign of
    /// a zero, which no use of the box or the sum can tell apart.)
    #[inline]
    pub(crate) fn add(&mut self, (a, b, segment, piece): (Coord<f64>, Coord<f64>, usize, usize)) {
        let fit = |v: usize| u32::try_from(v).ok().filter(|&v| v != u32::MAX);
        let key = fit(piece);
        self.fits &= key.is_some() && fit(segment).is_some();
        // The previous key is `count - 1`'s: keys ascend iff each exceeds the last one seen.
        self.in_key_order &= self.count == 0 || key.is_some_and(|k| self.last_key < k);
        self.last_key = key.unwrap_or(u32::MAX);
        self.count += 1;
        for v in [a, b] {
            if v.x < self.lo.x {
                self.lo.x = v.x;
            }
            if v.y < self.lo.y {
                self.lo.y = v.y;
            }
            if v.x > self.hi.x {
                self.hi.x = v.x;
            }
            if v.y > self.hi.y {
                self.hi.y = v.y;
            }
        }
        let (dx, dy) = ((b.x - a.x).abs(), (b.y - a.y).abs());
        self.extent_sum += if dx > dy { dx } else { dy };
    }
}

/// One stripe of rows while [`Grid::build`] fills the cells.
struct Stripe<'a> {
    /// Position among the stripes.
    index: usize,
    row_lo: u32,
    row_hi: u32,
    /// The stripe's cells' counters: `offsets[k + 1]` for each cell `k` of the stripe.
    cells: &'a mut [u32],
    /// `[position of the piece, first cell, last cell]` of each row of each piece, the
    /// cells relative to the stripe's first, in piece-key order.
    spans: Vec<[u32; 3]>,
    /// Registrations in the stripe.
    total: usize,
}

/// How many stripes [`Grid::build`] cuts `pieces` pieces into: about [`PIECES_PER_STRIPE`]
/// each, and with `parallel` at least four per thread (of at least 1,024 pieces), for balance.
fn stripe_count(pieces: usize, parallel: bool) -> usize {
    let by_size = pieces.div_ceil(PIECES_PER_STRIPE);
    let by_threads = if parallel {
        rayon::current_num_threads()
            .saturating_mul(4)
            .min(pieces / 1024)
    } else {
        0
    };
    by_size.max(by_threads).max(1)
}

impl Grid {
    /// Builds the grid for `max_distance_m` over `pieces` (any order; each read through `get`
    /// as `(a, b, segment, piece key)`), or `None` when the grid does not fit (see the module
    /// docs). `max_abs_coord` bounds every piece coordinate; `extent` is [`Extent::of`] the
    /// pieces, when the caller has it already (else it is computed here). With `parallel`, the work runs on
    /// rayon's current pool; the grid is the same either way, for any number of threads.
    ///
    /// # How
    ///
    /// One pass in input order finds the covered area and the cell size; the pieces are
    /// radix-sorted by the cell of their midpoint and stored. The rows are then cut into
    /// stripes of about [`PIECES_PER_STRIPE`] pieces (more with more threads), and the pieces,
    /// in key order, dealt to the stripes their reach touches. Each stripe, on its own, lists
    /// the cells of each of its pieces as spans of a row (computed once), and counts its cells'
    /// registrations from them (a difference array); the stripes' totals place each stripe's
    /// entries in the one `entries` array, and each stripe fills its part from its spans. No
    /// stripe writes outside its own rows of `offsets` and its own part of `entries`, and
    /// a stripe's counters stay in a core's cache.
    pub(crate) fn build<P, F>(
        pieces: &[P],
        get: F,
        extent: Option<&Extent>,
        max_abs_coord: f64,
        max_distance_m: f64,
        parallel: bool,
    ) -> Option<Grid>
    where
        P: Sync,
        F: Fn(&P) -> (Coord<f64>, Coord<f64>, usize, usize) + Sync,
    {
        if max_distance_m.is_nan() || max_distance_m < 0.0 {
            return None;
        }
        let pad = pad_for(max_distance_m, max_abs_coord);
        if !pad.is_finite() {
            return None;
        }
        let n = u32::try_from(pieces.len())
            .ok()
            .filter(|&v| v != u32::MAX)?;
        let computed;
        let extent = match extent {
            Some(e) if e.count == pieces.len() => e,
            _ => {
                computed = Extent::of(pieces, &get)?;
                &computed
            }
        };
        if !extent.fits {
            return None;
        }
        let Extent {
            lo,
            hi,
            extent_sum,
            in_key_order,
            ..
        } = *extent;
        let fit = |v: usize| u32::try_from(v).ok().filter(|&v| v != u32::MAX);
        // Margin for the rounding of cell borders and of the row-by-row clipping below.
        let eps = 1e-9 * (max_abs_coord + pad + 1.0);
        let reach = pad + eps;
        let origin = Coord {
            x: lo.x - reach,
            y: lo.y - reach,
        };
        let end = Coord {
            x: hi.x + reach,
            y: hi.y + reach,
        };
        let (width, height) = (end.x - origin.x, end.y - origin.y);
        // Cell size: 3/4 of the padding or half the pieces' mean extent, whichever is larger,
        // grown until the cell count is bounded by the piece count. (Measured on the 100k-street
        // city at 30 m: cells of 22.5 m need 9 % fewer instructions per point than 30 m cells
        // and 13 % fewer than 39 m; smaller cells gain nothing more and cost memory.)
        let mean_extent = extent_sum / f64::from(n);
        let mut cell = (0.75 * pad).max(0.5 * mean_extent).max(eps);
        let max_cells = MAX_CELLS_PER_PIECE
            .saturating_mul(pieces.len())
            .saturating_add(MIN_CELLS);
        let (cols, rows) = loop {
            let cols = (width / cell).floor() + 1.0;
            let rows = (height / cell).floor() + 1.0;
            if !(cols.is_finite() && rows.is_finite() && cell.is_finite()) {
                return None;
            }
            #[allow(clippy::cast_precision_loss)]
            if cols * rows <= max_cells.min(u32::MAX as usize) as f64 {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                break (cols as u32, rows as u32);
            }
            cell *= 1.25;
        };
        let mut grid = Grid {
            origin,
            end,
            cell,
            cols,
            rows,
            offsets: Vec::new(),
            entries: Vec::new(),
            pieces: Vec::new(),
        };
        let n_cells = usize::try_from(u64::from(cols) * u64::from(rows)).ok()?;
        let max_entries = MAX_ENTRIES_PER_PIECE
            .saturating_mul(pieces.len())
            .saturating_add(MIN_CELLS)
            .min(u32::MAX as usize);
        // The pieces are handled by key rank `r`: the `r`-th piece by ascending key. Given in
        // key order (as the index gives them), rank and position in `pieces` are one.
        let by_key: Option<Vec<u32>> = (!in_key_order).then(|| {
            let mut v: Vec<u32> = (0..n).collect();
            v.sort_by_key(|&i| pieces.get(i as usize).map(|p| get(p).3));
            v
        });
        // The piece of rank `r` as (a, b, key, segment); an impossible out-of-range rank reads
        // as a NaN piece (its distance to any point is NaN, which no search accepts).
        let at = |r: u32| -> (Coord<f64>, Coord<f64>, u32, u32) {
            let i = by_key
                .as_ref()
                .map_or(Some(r), |v| v.get(r as usize).copied());
            match i.and_then(|i| pieces.get(i as usize)) {
                Some(p) => {
                    let (a, b, segment, piece) = get(p);
                    (
                        a,
                        b,
                        fit(piece).unwrap_or(u32::MAX),
                        fit(segment).unwrap_or(u32::MAX),
                    )
                }
                None => {
                    let nan = Coord {
                        x: f64::NAN,
                        y: f64::NAN,
                    };
                    (nan, nan, u32::MAX, u32::MAX)
                }
            }
        };
        // Pieces sorted by the cell of their midpoint, then by key (the radix sort is stable
        // and the low half of each sort key is the rank): (cell << 32 | rank).
        let g = &grid;
        let cell_key = |r: u32| {
            let (a, b, _, _) = at(r);
            let mid = Coord {
                x: 0.5 * (a.x + b.x),
                y: 0.5 * (a.y + b.y),
            };
            let k = u64::from(g.row(mid.y)) * u64::from(cols) + u64::from(g.col(mid.x));
            (k << 32) | u64::from(r)
        };
        let keys: Vec<u64> = if parallel {
            (0..n).into_par_iter().map(cell_key).collect()
        } else {
            (0..n).map(cell_key).collect()
        };
        let key_bits = u64::BITS - (n_cells as u64).saturating_sub(1).leading_zeros();
        let order = radix_sort_high(keys, key_bits, parallel);
        // Stripes of rows holding about equal numbers of pieces (by their midpoints).
        let n_stripes = stripe_count(pieces.len(), parallel).clamp(1, rows as usize);
        let mut bounds = vec![0u32];
        for t in 1..n_stripes {
            let k = order
                .get(pieces.len() * t / n_stripes)
                .map_or(0, |&k| k >> 32);
            let row = u32::try_from(k / u64::from(cols)).unwrap_or(rows);
            if row > bounds.last().copied().unwrap_or(0) && row < rows {
                bounds.push(row);
            }
        }
        bounds.push(rows);
        let make_piece = |&k: &u64| {
            #[allow(clippy::cast_possible_truncation)] // the low half: the rank
            let (a, b, piece, segment) = at(k as u32);
            GridPiece::new(a, b, piece, segment)
        };
        // `position[r]`: where the piece of rank `r` is in `grid.pieces`.
        let (stored, position) = if parallel {
            rayon::join(
                || order.par_iter().map(make_piece).collect(),
                || inverse_permutation(&order),
            )
        } else {
            (
                order.iter().map(make_piece).collect(),
                inverse_permutation(&order),
            )
        };
        drop(order);
        // The ranks dealt to the stripes their reach touches, in chunks of ranks (each chunk's
        // lists in rank order: a stripe reading the chunks in turn sees its pieces by key).
        let g = &grid;
        let bounds = &bounds;
        // Each list comes with the number of rows its pieces reach in its stripe (a bound on
        // the stripe's spans, to size them at once).
        let n_stripes = bounds.len() - 1;
        let deal = |chunk: u32| {
            let from = chunk.saturating_mul(CHUNK);
            let to = from.saturating_add(CHUNK).min(n);
            let guess = (to - from) as usize / n_stripes + 64;
            let mut lists: Vec<(Vec<u32>, usize)> = (0..n_stripes)
                .map(|_| (Vec::with_capacity(guess), 0))
                .collect();
            for r in from..to {
                let (a, b, _, _) = at(r);
                let (r0, r1) = g.row_reach(a, b, reach);
                let s0 = bounds.partition_point(|&row| row <= r0).saturating_sub(1);
                for ((list, rows), w) in lists.iter_mut().zip(bounds.windows(2)).skip(s0) {
                    if w[0] > r1 {
                        break;
                    }
                    list.push(r);
                    *rows += (r1.min(w[1] - 1) - r0.max(w[0]) + 1) as usize;
                }
            }
            lists
        };
        let n_chunks = n.div_ceil(CHUNK);
        let dealt: Vec<Vec<(Vec<u32>, usize)>> = if parallel {
            (0..n_chunks).into_par_iter().map(deal).collect()
        } else {
            (0..n_chunks).map(deal).collect()
        };
        // Each stripe owns `offsets[first_cell + 1..=last_cell + 1]`: cell `k`'s count, then
        // its start, then (after the fill moved it on) its end, which is cell `k + 1`'s start.
        let mut offsets = vec![0u32; n_cells + 1];
        let mut stripes = Vec::with_capacity(bounds.len() - 1);
        let mut rest = offsets.get_mut(1..).unwrap_or_default();
        for (s, w) in bounds.windows(2).enumerate() {
            let (row_lo, row_hi) = (w[0], w[1]);
            let cells = (row_hi - row_lo) as usize * cols as usize;
            let (head, tail) = rest.split_at_mut(cells.min(rest.len()));
            rest = tail;
            // At most one span per row reached (capped: a grid about to be refused could
            // reach far more rows than it will ever hold spans).
            let rows: usize = dealt
                .iter()
                .filter_map(|lists| lists.get(s))
                .map(|&(_, rows)| rows)
                .sum();
            stripes.push(Stripe {
                index: s,
                row_lo,
                row_hi,
                cells: head,
                spans: Vec::with_capacity(rows.min(max_entries / n_stripes + 1024)),
                total: 0,
            });
        }
        // Counting: every stripe's spans and cell counts, then its cell starts (relative to
        // the stripe). The spans are also counted across stripes, to give up early: a span
        // holds at least one registration, so past `max_entries` spans in all there is no
        // grid (this bounds the spans' memory; the exact test on the registrations follows).
        let spans_so_far = AtomicUsize::new(0);
        let count = |s: &mut Stripe<'_>| -> bool {
            let first = s.row_lo as usize * cols as usize;
            let lists = dealt.iter().filter_map(|lists| lists.get(s.index));
            for &r in lists.flat_map(|(list, _)| list) {
                let (a, b, _, _) = at(r);
                let pos = position.get(r as usize).copied().unwrap_or(u32::MAX);
                let before = s.spans.len();
                g.for_each_span(a, b, reach, s.row_lo, s.row_hi, |from, to| {
                    let (from, to) = (from - first, to - first);
                    // A difference array: +1 from `from` on, -1 after `to`.
                    if let Some(c) = s.cells.get_mut(from) {
                        *c = c.wrapping_add(1);
                    }
                    if let Some(c) = s.cells.get_mut(to + 1) {
                        *c = c.wrapping_sub(1);
                    }
                    #[allow(clippy::cast_possible_truncation)] // cells fit in u32
                    s.spans.push([pos, from as u32, to as u32]);
                });
                let added = s.spans.len() - before;
                if added > 0
                    && spans_so_far.fetch_add(added, Ordering::Relaxed) + added > max_entries
                {
                    return false;
                }
            }
            // Counts from the differences (a cell's count is at most the piece count), then
            // exclusive prefix sums: each cell's start (exact while the total fits in u32).
            let (mut count, mut start, mut total) = (0u32, 0u32, 0u64);
            for c in s.cells.iter_mut() {
                count = count.wrapping_add(*c);
                *c = start;
                start = start.wrapping_add(count);
                total += u64::from(count);
            }
            s.total = usize::try_from(total).unwrap_or(usize::MAX);
            true
        };
        let counted = if parallel {
            stripes.par_iter_mut().all(count)
        } else {
            stripes.iter_mut().all(count)
        };
        drop((dealt, position));
        let total = stripes
            .iter()
            .fold(0usize, |acc, s| acc.saturating_add(s.total));
        if !counted || total > max_entries {
            return None;
        }
        // Filling: each stripe's part of `entries`, from its spans in key order, so that each
        // cell lists its pieces by ascending key; then its starts made absolute.
        let mut entries = vec![0u32; total];
        let mut parts = Vec::with_capacity(stripes.len());
        let mut rest = entries.as_mut_slice();
        let mut base = 0u32;
        for s in stripes {
            let (head, tail) = rest.split_at_mut(s.total.min(rest.len()));
            rest = tail;
            let next = base.wrapping_add(u32::try_from(s.total).ok()?);
            parts.push((s, head, base));
            base = next;
        }
        let fill = |(s, out, base): (Stripe<'_>, &mut [u32], u32)| {
            for &[pos, from, to] in &s.spans {
                let run = s
                    .cells
                    .get_mut(from as usize..=to as usize)
                    .unwrap_or_default();
                for next in run {
                    let slot = *next;
                    *next = slot + 1;
                    if let Some(e) = out.get_mut(slot as usize) {
                        *e = pos;
                    }
                }
            }
            drop(s.spans);
            for c in s.cells {
                *c += base;
            }
        };
        if parallel {
            parts.into_par_iter().for_each(fill);
        } else {
            parts.into_iter().for_each(fill);
        }
        grid.offsets = offsets;
        grid.entries = entries;
        grid.pieces = stored;
        Some(grid)
    }

    /// The lower-left corner and the cell side (tests put points on cell borders with them).
    #[cfg(test)]
    pub(crate) fn origin_and_cell(&self) -> (Coord<f64>, f64) {
        (self.origin, self.cell)
    }

    /// Number of cells.
    pub(crate) fn cell_count(&self) -> u32 {
        self.cols * self.rows
    }

    /// Column of `x`, clamped to the grid: monotone in `x`.
    #[inline]
    fn col(&self, x: f64) -> u32 {
        // `as` saturates (NaN to 0); the min keeps the far border inside.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let c = ((x - self.origin.x) / self.cell) as u32;
        c.min(self.cols - 1)
    }

    /// Row of `y`, clamped to the grid: monotone in `y`.
    #[inline]
    fn row(&self, y: f64) -> u32 {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let r = ((y - self.origin.y) / self.cell) as u32;
        r.min(self.rows - 1)
    }

    /// The cell of a finite point, or `None` outside the covered area (no piece in reach).
    #[inline]
    pub(crate) fn cell_of(&self, c: Coord<f64>) -> Option<u32> {
        if c.x >= self.origin.x && c.x <= self.end.x && c.y >= self.origin.y && c.y <= self.end.y {
            Some(self.row(c.y) * self.cols + self.col(c.x))
        } else {
            None
        }
    }

    /// The positions in `pieces` registered in `cell` (empty for a cell out of range).
    #[inline]
    fn cell_entries(&self, cell: u32) -> &[u32] {
        let k = cell as usize;
        let from = self.offsets.get(k).copied().unwrap_or(0) as usize;
        let to = self.offsets.get(k + 1).copied().unwrap_or(0) as usize;
        self.entries.get(from..to).unwrap_or(&[])
    }

    /// The pieces registered in `cell` (empty for a cell out of range).
    #[cfg(test)]
    pub(crate) fn candidates(&self, cell: u32) -> impl Iterator<Item = &GridPiece> {
        self.cell_entries(cell)
            .iter()
            .filter_map(|&i| self.pieces.get(i as usize))
    }

    /// The best piece and runner-up for the finite point `c` in cell `cell` (see
    /// [`Grid::cell_of`]): every piece of the cell is offered, in the cell's ascending
    /// piece-key order; those out of reach (`dist2 > max2`, `max2` the square of the maximum
    /// distance the grid was built for) change nothing.
    #[inline]
    pub(crate) fn search(&self, cell: u32, c: Coord<f64>, max2: f64) -> Tracker {
        let mut tracker = OrderedTracker::new();
        for &i in self.cell_entries(cell) {
            if let Some(p) = self.pieces.get(i as usize) {
                tracker.offer(p.dist2(c), max2, p.piece, p.segment);
            }
        }
        tracker.into_tracker()
    }

    /// The rows `r0..=r1` that come within `reach` of the piece `a`-`b` (the rows
    /// [`Grid::for_each_span`] considers before clipping to a stripe).
    #[inline]
    fn row_reach(&self, a: Coord<f64>, b: Coord<f64>, reach: f64) -> (u32, u32) {
        (
            self.row(lo(a.y, b.y) - reach),
            self.row(hi(a.y, b.y) + reach),
        )
    }

    /// Calls `f(from, to)` for every row of `row_lo..row_hi` that comes within `reach` of the
    /// piece `a`-`b`, with the first and last cell (row-major numbers) of that row within
    /// `reach` of the piece, row by row.
    #[inline]
    fn for_each_span(
        &self,
        a: Coord<f64>,
        b: Coord<f64>,
        reach: f64,
        row_lo: u32,
        row_hi: u32,
        mut f: impl FnMut(usize, usize),
    ) {
        let (r0, r1) = self.row_reach(a, b, reach);
        let r0 = r0.max(row_lo);
        if r1 < r0 || row_hi <= r0 {
            return;
        }
        let r1 = r1.min(row_hi - 1);
        let c0 = self.col(lo(a.x, b.x) - reach);
        let c1 = self.col(hi(a.x, b.x) + reach);
        let dy = b.y - a.y;
        // Every `x` the clipping below computes, `a.x + t (b.x - a.x)` with `0 <= t <= 1`,
        // lies between `a.x` and `a.x + (b.x - a.x)` (rounding is monotone, and `t = 1` gives
        // the latter exactly). When the columns of that range's ends, less and plus `reach`,
        // are already `c0` and `c1`, every row's clipped span is `c0..=c1`: no clipping. (So
        // it is for a horizontal piece, and mostly for a near-vertical one.)
        let far = a.x + (b.x - a.x);
        let (x_min, x_max) = (lo(lo(a.x, b.x), far), hi(hi(a.x, b.x), far));
        if dy == 0.0 || (self.col(x_max - reach) <= c0 && self.col(x_min + reach) >= c1) {
            for r in r0..=r1 {
                let base = r as usize * self.cols as usize;
                f(base + c0 as usize, base + c1 as usize);
            }
            return;
        }
        // A row whose band holds the piece's whole height clamps `t0` and `t1` to 0 and 1
        // (a band end beyond a vertex stays beyond it when rounded), so `x0` and `x1` are
        // `a.x` and `far`: that row's span, the same for all such rows, is this one.
        let (y_min, y_max) = (lo(a.y, b.y), hi(a.y, b.y));
        let whole = (
            self.col(lo(a.x, far) - reach).max(c0),
            self.col(hi(a.x, far) + reach).min(c1),
        );
        for r in r0..=r1 {
            // The part of the piece within `reach` of this row's band, in y.
            let band_lo = self.origin.y + f64::from(r) * self.cell - reach;
            let band_hi = self.origin.y + f64::from(r + 1) * self.cell + reach;
            let (from, to) = if band_lo <= y_min && band_hi >= y_max {
                whole
            } else {
                let t0 = ((band_lo - a.y) / dy).clamp(0.0, 1.0);
                let t1 = ((band_hi - a.y) / dy).clamp(0.0, 1.0);
                let x0 = a.x + t0 * (b.x - a.x);
                let x1 = a.x + t1 * (b.x - a.x);
                let (x_lo, x_hi) = (lo(x0, x1), hi(x0, x1));
                (
                    self.col(x_lo - reach).max(c0),
                    self.col(x_hi + reach).min(c1),
                )
            };
            if from <= to {
                let base = r as usize * self.cols as usize;
                f(base + from as usize, base + to as usize);
            }
        }
    }
}

/// The smaller of two finite numbers: `f64::min`'s value up to the sign of a zero, which
/// the build never tells apart (a zero less or plus the positive reach is the same number);
/// a plain comparison, without `f64::min`'s NaN handling.
#[inline(always)]
fn lo(a: f64, b: f64) -> f64 {
    if b < a { b } else { a }
}

/// The larger of two finite numbers (as [`lo`]).
#[inline(always)]
fn hi(a: f64, b: f64) -> f64 {
    if b > a { b } else { a }
}

/// Sorts `keys` by bits `32..32 + key_bits` (the low 32 bits ride along), stably: an LSD radix
/// sort in passes of at most 11 bits. With `parallel`, each pass splits the keys into one run
/// per thread of rayon's pool (at most 8 runs): each run's histogram, then each run scatters
/// its keys into its own share of every bucket (after the shares of the runs before it, so the
/// sort stays stable).
pub(crate) fn radix_sort_high(keys: Vec<u64>, key_bits: u32, parallel: bool) -> Vec<u64> {
    const DIGIT: u32 = 11;
    let mut src = keys;
    let mut dst = vec![0u64; src.len()];
    let mut done = 0;
    while done < key_bits {
        let bits = DIGIT.min(key_bits - done);
        radix_pass(&src, &mut dst, 32 + done, bits, parallel);
        std::mem::swap(&mut src, &mut dst);
        done += bits;
    }
    src
}

fn radix_pass(src: &[u64], dst: &mut [u64], shift: u32, bits: u32, parallel: bool) {
    let buckets = 1usize << bits;
    let mask = (1u64 << bits) - 1;
    #[allow(clippy::cast_possible_truncation)] // masked to `bits` <= 11 bits
    let digit = |k: u64| ((k >> shift) & mask) as usize;
    let histogram = |run: &[u64]| {
        let mut h = vec![0usize; buckets];
        for &k in run {
            if let Some(n) = h.get_mut(digit(k)) {
                *n += 1;
            }
        }
        h
    };
    let parts = if parallel {
        rayon::current_num_threads().clamp(1, 8)
    } else {
        1
    };
    let runs: Vec<&[u64]> = src.chunks(src.len().div_ceil(parts).max(1)).collect();
    let counts: Vec<Vec<usize>> = if runs.len() > 1 {
        runs.par_iter().map(|run| histogram(run)).collect()
    } else {
        runs.iter().map(|run| histogram(run)).collect()
    };
    // `dst` cut bucket by bucket, and each bucket run by run: run `r` gets the slice of every
    // bucket that its keys fill, so the runs write disjoint slices.
    let mut shares: Vec<Vec<&mut [u64]>> =
        runs.iter().map(|_| Vec::with_capacity(buckets)).collect();
    let mut rest = dst;
    for b in 0..buckets {
        for (run, share) in counts.iter().zip(&mut shares) {
            let n = run.get(b).copied().unwrap_or(0);
            let (head, tail) = std::mem::take(&mut rest)
                .split_at_mut_checked(n)
                .unwrap_or_default();
            share.push(head);
            rest = tail;
        }
    }
    debug_assert!(rest.is_empty(), "the runs' counts add up to the keys");
    let scatter = |(run, mut share): (&[u64], Vec<&mut [u64]>)| {
        for &k in run {
            let placed = if let Some(slot) = share.get_mut(digit(k))
                && let Some((first, tail)) = std::mem::take(slot).split_first_mut()
            {
                *first = k;
                *slot = tail;
                true
            } else {
                false
            };
            debug_assert!(
                placed,
                "each key has a place in its run's share of its bucket"
            );
        }
    };
    if runs.len() > 1 {
        runs.into_par_iter().zip(shares).for_each(scatter);
    } else {
        runs.into_iter().zip(shares).for_each(scatter);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (house rule)
mod tests {
    use super::*;

    /// The grid as built before the stripes of issue 4 (key-order scans of every piece per
    /// stripe, counted then filled, parts concatenated): the reference the build must equal.
    fn reference_build(
        pieces: impl Iterator<Item = (Coord<f64>, Coord<f64>, usize, usize)>,
        max_abs_coord: f64,
        max_distance_m: f64,
        parallel: bool,
    ) -> Option<Grid> {
        if max_distance_m.is_nan() || max_distance_m < 0.0 {
            return None;
        }
        let pad = pad_for(max_distance_m, max_abs_coord);
        if !pad.is_finite() {
            return None;
        }
        // (a, b, piece, segment), compact until sorted.
        let mut stored: Vec<(Coord<f64>, Coord<f64>, u32, u32)> = Vec::new();
        for (a, b, segment, piece) in pieces {
            stored.push((
                a,
                b,
                u32::try_from(piece).ok().filter(|&v| v != u32::MAX)?,
                u32::try_from(segment).ok().filter(|&v| v != u32::MAX)?,
            ));
        }
        if stored.is_empty() {
            return None;
        }
        // Covered area and the pieces' mean extent.
        let (mut lo, mut hi) = (stored[0].0, stored[0].0);
        let mut extent_sum = 0.0;
        for &(a, b, _, _) in &stored {
            for v in [a, b] {
                lo.x = lo.x.min(v.x);
                lo.y = lo.y.min(v.y);
                hi.x = hi.x.max(v.x);
                hi.y = hi.y.max(v.y);
            }
            extent_sum += (b.x - a.x).abs().max((b.y - a.y).abs());
        }
        // Margin for the rounding of cell borders and of the row-by-row clipping below.
        let eps = 1e-9 * (max_abs_coord + pad + 1.0);
        let reach = pad + eps;
        let origin = Coord {
            x: lo.x - reach,
            y: lo.y - reach,
        };
        let end = Coord {
            x: hi.x + reach,
            y: hi.y + reach,
        };
        let (width, height) = (end.x - origin.x, end.y - origin.y);
        // Cell size: 3/4 of the padding or half the pieces' mean extent, whichever is larger,
        // grown until the cell count is bounded by the piece count. (Measured on the 100k-street
        // city at 30 m: cells of 22.5 m need 9 % fewer instructions per point than 30 m cells
        // and 13 % fewer than 39 m; smaller cells gain nothing more and cost memory.)
        #[allow(clippy::cast_precision_loss)] // a mean: precision is irrelevant
        let mean_extent = extent_sum / stored.len() as f64;
        let mut cell = (0.75 * pad).max(0.5 * mean_extent).max(eps);
        let max_cells = MAX_CELLS_PER_PIECE
            .saturating_mul(stored.len())
            .saturating_add(MIN_CELLS);
        let (cols, rows) = loop {
            let cols = (width / cell).floor() + 1.0;
            let rows = (height / cell).floor() + 1.0;
            if !(cols.is_finite() && rows.is_finite() && cell.is_finite()) {
                return None;
            }
            #[allow(clippy::cast_precision_loss)]
            if cols * rows <= max_cells.min(u32::MAX as usize) as f64 {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                break (cols as u32, rows as u32);
            }
            cell *= 1.25;
        };
        let mut grid = Grid {
            origin,
            end,
            cell,
            cols,
            rows,
            offsets: Vec::new(),
            entries: Vec::new(),
            pieces: Vec::new(),
        };
        // Pieces sorted by the cell of their midpoint (then by key: deterministic); the sort
        // moves 12-byte (key, index) pairs, not the pieces.
        let mut keyed: Vec<(u64, u32)> = (0u32..)
            .zip(&stored)
            .map(|(i, &(a, b, piece, _))| {
                let mid = Coord {
                    x: 0.5 * (a.x + b.x),
                    y: 0.5 * (a.y + b.y),
                };
                let k = u64::from(grid.row(mid.y)) * u64::from(cols) + u64::from(grid.col(mid.x));
                ((k << 32) | u64::from(piece), i)
            })
            .collect();
        if parallel {
            use rayon::slice::ParallelSliceMut;
            keyed.par_sort_unstable_by_key(|&(k, _)| k);
        } else {
            keyed.sort_unstable_by_key(|&(k, _)| k);
        }
        grid.pieces = keyed
            .iter()
            .filter_map(|&(_, i)| stored.get(i as usize))
            .map(|&(a, b, piece, segment)| GridPiece::new(a, b, piece, segment))
            .collect();
        drop((keyed, stored));
        // The positions in piece-key order: registering the pieces in this order lists each
        // cell's pieces by ascending key, the order `OrderedTracker` needs.
        let mut by_key: Vec<(u32, u32)> = (0u32..)
            .zip(&grid.pieces)
            .map(|(i, p)| (p.piece, i))
            .collect();
        by_key.sort_unstable();
        let by_key: Vec<u32> = by_key.into_iter().map(|(_, i)| i).collect();
        // Count, then fill (CSR), in stripes of rows: one per thread with `parallel`, each
        // scanning every piece for its own rows, then concatenated.
        let max_entries = MAX_ENTRIES_PER_PIECE
            .saturating_mul(grid.pieces.len())
            .saturating_add(MIN_CELLS)
            .min(u32::MAX as usize);
        let stripes = if parallel {
            u32::try_from(rayon::current_num_threads())
                .unwrap_or(1)
                .clamp(1, rows)
        } else {
            1
        };
        let bounds: Vec<(u32, u32)> = (0..stripes)
            .map(|t| {
                let row = |t: u32| (u64::from(rows) * u64::from(t) / u64::from(stripes)) as u32;
                (row(t), row(t + 1))
            })
            .collect();
        let g = &grid;
        let build_stripe = |&(row_lo, row_hi): &(u32, u32)| {
            reference_stripe(g, &by_key, row_lo, row_hi, reach, max_entries)
        };
        let parts: Vec<Option<(Vec<u32>, Vec<u32>)>> = if parallel {
            use rayon::prelude::*;
            bounds.par_iter().map(build_stripe).collect()
        } else {
            bounds.iter().map(build_stripe).collect()
        };
        let n_cells = usize::try_from(u64::from(cols) * u64::from(rows)).ok()?;
        let mut offsets = Vec::with_capacity(n_cells + 1);
        let mut entries = Vec::new();
        for part in parts {
            let (starts, part_entries) = part?;
            let base = u32::try_from(entries.len()).ok()?;
            offsets.extend(starts.iter().map(|&s| s + base));
            entries.extend_from_slice(&part_entries);
            if entries.len() > max_entries {
                return None;
            }
        }
        offsets.push(u32::try_from(entries.len()).ok()?);
        grid.offsets = offsets;
        grid.entries = entries;
        Some(grid)
    }

    /// The CSR arrays of rows `row_lo..row_hi`: each cell's start (relative to the stripe) and
    /// the stripe's entries, registered in the order of the positions `by_key`; `None` past
    /// `max_entries`.
    fn reference_stripe(
        grid: &Grid,
        by_key: &[u32],
        row_lo: u32,
        row_hi: u32,
        reach: f64,
        max_entries: usize,
    ) -> Option<(Vec<u32>, Vec<u32>)> {
        let first = row_lo as usize * grid.cols as usize;
        let n = (row_hi - row_lo) as usize * grid.cols as usize;
        let mut counts = vec![0u32; n];
        let mut total = 0usize;
        for p in by_key.iter().filter_map(|&i| grid.pieces.get(i as usize)) {
            reference_for_each_cell(grid, p, reach, row_lo, row_hi, |k| {
                if let Some(c) = counts.get_mut(k - first) {
                    *c += 1;
                }
                total += 1;
            });
            if total > max_entries {
                return None;
            }
        }
        // Exclusive prefix sums: counts[k] becomes the start of cell k.
        let mut acc = 0u32;
        for c in &mut counts {
            let n = *c;
            *c = acc;
            acc += n;
        }
        let mut next = counts.clone();
        let mut entries = vec![0u32; total];
        for &i in by_key {
            let Some(p) = grid.pieces.get(i as usize) else {
                continue;
            };
            reference_for_each_cell(grid, p, reach, row_lo, row_hi, |k| {
                if let Some(slot) = next.get_mut(k - first) {
                    if let Some(e) = entries.get_mut(*slot as usize) {
                        *e = i;
                    }
                    *slot += 1;
                }
            });
        }
        Some((counts, entries))
    }

    /// Calls `f` with every cell of rows `row_lo..row_hi` that comes within `reach` of the
    /// piece, row by row.
    fn reference_for_each_cell(
        grid: &Grid,
        p: &GridPiece,
        reach: f64,
        row_lo: u32,
        row_hi: u32,
        mut f: impl FnMut(usize),
    ) {
        let (a, b) = (p.a(), p.b());
        let r0 = grid.row(a.y.min(b.y) - reach).max(row_lo);
        let r1 = grid.row(a.y.max(b.y) + reach);
        if r1 < r0 || row_hi <= r0 {
            return;
        }
        let r1 = r1.min(row_hi - 1);
        let c0 = grid.col(a.x.min(b.x) - reach);
        let c1 = grid.col(a.x.max(b.x) + reach);
        let dy = b.y - a.y;
        for r in r0..=r1 {
            // The part of the piece within `reach` of this row's band, in y.
            let band_lo = grid.origin.y + f64::from(r) * grid.cell - reach;
            let band_hi = grid.origin.y + f64::from(r + 1) * grid.cell + reach;
            let (x_lo, x_hi) = if dy == 0.0 {
                (a.x.min(b.x), a.x.max(b.x))
            } else {
                let t0 = ((band_lo - a.y) / dy).clamp(0.0, 1.0);
                let t1 = ((band_hi - a.y) / dy).clamp(0.0, 1.0);
                let x0 = a.x + t0 * (b.x - a.x);
                let x1 = a.x + t1 * (b.x - a.x);
                (x0.min(x1), x0.max(x1))
            };
            let from = grid.col(x_lo - reach).max(c0);
            let to = grid.col(x_hi + reach).min(c1);
            let base = r as usize * grid.cols as usize;
            for c in from..=to {
                f(base + c as usize);
            }
        }
    }

    /// Field by field, floats bit for bit.
    fn assert_same_grid(a: &Grid, b: &Grid, ctx: &str) {
        let bits = |c: Coord<f64>| (c.x.to_bits(), c.y.to_bits());
        assert_eq!(bits(a.origin), bits(b.origin), "origin {ctx}");
        assert_eq!(bits(a.end), bits(b.end), "end {ctx}");
        assert_eq!(a.cell.to_bits(), b.cell.to_bits(), "cell {ctx}");
        assert_eq!((a.cols, a.rows), (b.cols, b.rows), "cols, rows {ctx}");
        assert!(a.offsets == b.offsets, "offsets {ctx}");
        assert!(a.entries == b.entries, "entries {ctx}");
        let piece_bits = |p: &GridPiece| {
            (
                [p.x[0], p.x[1], p.y[0], p.y[1], p.abx, p.aby, p.len2].map(f64::to_bits),
                p.piece,
                p.segment,
            )
        };
        assert_eq!(a.pieces.len(), b.pieces.len(), "pieces {ctx}");
        for (k, (p, q)) in a.pieces.iter().zip(&b.pieces).enumerate() {
            assert_eq!(piece_bits(p), piece_bits(q), "piece {k} {ctx}");
        }
    }

    type Input = (Coord<f64>, Coord<f64>, usize, usize);

    /// A seeded random network of `n` pieces (in key order, keys with gaps): short streets in
    /// blocks, with some long, horizontal, vertical, repeated and far-away pieces.
    fn random_pieces(seed: u64, n: usize, spread: f64) -> Vec<Input> {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut unit = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut out = Vec::with_capacity(n);
        let mut key = 0usize;
        let mut segment = 0usize;
        while out.len() < n {
            let kind = (unit() * 20.0) as u32;
            let a = Coord {
                x: (unit() * spread).round() * if kind == 0 { 1.0 } else { 0.5 },
                y: (unit() * spread).round() * 0.5,
            };
            let (dx, dy) = match kind {
                1 => (unit() * spread * 0.5, unit() * spread * 0.3),
                2 => ((unit() * 80.0).round() + 1.0, 0.0),
                3 => (0.0, -(unit() * 80.0).round() - 1.0),
                _ => (unit() * 120.0 - 60.0, unit() * 120.0 - 60.0),
            };
            let b = Coord {
                x: a.x + dx,
                y: a.y + dy,
            };
            out.push((a, b, segment, key));
            if kind == 4 && out.len() < n {
                key += 1;
                out.push((a, b, segment, key)); // the same piece again
            }
            key += 1 + (unit() * 3.0) as usize;
            if unit() < 0.4 {
                segment += 1;
                key += 1;
            }
        }
        out.truncate(n);
        out
    }

    #[test]
    fn build_equals_the_reference_build_for_any_order_and_thread_count() {
        let pools: Vec<rayon::ThreadPool> = [1, 2, 3, 8]
            .iter()
            .map(|&t| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(t)
                    .build()
                    .unwrap()
            })
            .collect();
        let mut built = 0;
        for (seed, n, spread) in [
            (1u64, 1usize, 10.0),
            (2, 2, 100.0),
            (3, 50, 300.0),
            (4, 3_000, 2_000.0),
            (5, 40_000, 20_000.0),
            (6, 70_000, 8_000.0),
            (7, 5_000, 1.0e6),
        ] {
            let pieces = random_pieces(seed, n, spread);
            let far: Vec<Input> = pieces
                .iter()
                .map(|&(a, b, s, k)| {
                    let m = |c: Coord<f64>| Coord {
                        x: c.x + 1e7,
                        y: c.y - 1e7,
                    };
                    (m(a), m(b), s, k)
                })
                .collect();
            // Scrambled order: the build must sort by key itself.
            let mut scrambled = pieces.clone();
            let len = scrambled.len();
            for i in 0..len {
                scrambled.swap(i, (i * 7919 + 13) % len);
            }
            for (input, max_abs, what) in [
                (&pieces, 1.0e6 + 2.0e6, "key order"),
                (&scrambled, 1.0e6 + 2.0e6, "scrambled"),
                (&far, 1.2e7, "far"),
            ] {
                // The serial builds are given the extent, the parallel ones compute it.
                let extent = Extent::of(input, |&p| p);
                for max in [0.0, 0.5, 30.0, 250.0] {
                    let ctx = format!("seed {seed} n {n} {what} max {max}");
                    let want = reference_build(input.iter().copied(), max_abs, max, false);
                    let serial = Grid::build(input, |&p| p, extent.as_ref(), max_abs, max, false);
                    assert_eq!(want.is_some(), serial.is_some(), "{ctx}");
                    let (Some(want), Some(serial)) = (want, serial) else {
                        continue;
                    };
                    assert_same_grid(&want, &serial, &format!("serial {ctx}"));
                    built += 1;
                    if n < 1_000 || max == 250.0 || (n > 10_000 && what != "key order") {
                        continue;
                    }
                    for pool in &pools {
                        let got = pool
                            .install(|| Grid::build(input, |&p| p, None, max_abs, max, true))
                            .unwrap();
                        let threads = pool.current_num_threads();
                        assert_same_grid(&want, &got, &format!("{threads} threads {ctx}"));
                    }
                }
            }
        }
        assert!(built > 60, "{built}");
    }

    #[test]
    fn radix_sort_matches_a_stable_sort() {
        let mut x = 12345u64;
        let keys: Vec<u64> = (0..100_000u64)
            .map(|i| {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                ((x >> 40) % 300_000) << 32 | i
            })
            .collect();
        let mut want = keys.clone();
        want.sort_by_key(|k| k >> 32);
        for parallel in [false, true] {
            assert_eq!(radix_sort_high(keys.clone(), 19, parallel), want);
        }
        // Pools of 1 to 9 threads (the runs are capped at 8), fewer keys than runs, and keys
        // all in one bucket of a pass.
        let same: Vec<u64> = (0..1000u64).map(|i| (7 << 32) | (999 - i)).collect();
        for threads in [1, 2, 3, 8, 9] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                assert_eq!(radix_sort_high(keys.clone(), 19, true), want, "{threads}");
                assert_eq!(radix_sort_high(same.clone(), 19, true), same, "{threads}");
                for n in 0..12u64 {
                    let few: Vec<u64> = (0..n).map(|i| ((n - i) % 3) << 32 | i).collect();
                    let mut sorted = few.clone();
                    sorted.sort_by_key(|k| k >> 32);
                    assert_eq!(
                        radix_sort_high(few, 2, true),
                        sorted,
                        "{threads} threads, {n} keys"
                    );
                }
            });
        }
        assert!(radix_sort_high(Vec::new(), 19, true).is_empty());
        assert_eq!(radix_sort_high(vec![5, 3], 0, false), vec![5, 3]);
    }

    #[test]
    fn long_piece_is_registered_along_its_length_only() {
        let a = Coord { x: 0.0, y: 0.0 };
        let b = Coord {
            x: 10_000.0,
            y: 10_000.0,
        };
        // Short pieces every 100 m keep the cells small.
        let short = (0..10_000u32).map(|i| {
            let (x, y) = (f64::from(i % 100) * 100.0, f64::from(i / 100) * 100.0);
            let k = i as usize + 1;
            (Coord { x, y }, Coord { x: x + 20.0, y }, k, 2 * k)
        });
        let pieces: Vec<Input> = std::iter::once((a, b, 0, 0)).chain(short).collect();
        let grid = Grid::build(&pieces, |&p| p, None, 10_000.0, 30.0, true).unwrap();
        let crossed = (10_000.0 / grid.cell) as usize;
        assert!(crossed > 100, "{}", grid.cell);
        let cells_with_long = (0..grid.cell_count())
            .filter(|&k| grid.candidates(k).any(|p| p.segment == 0))
            .count();
        // A band a few cells wide along the diagonal (each row: the row's height plus twice
        // the reach, plus the reach either side), not the whole square of `crossed²` cells.
        assert!(cells_with_long < crossed * 8, "{cells_with_long} {crossed}");
        assert!(cells_with_long > crossed * 2, "{cells_with_long} {crossed}");
    }

    #[test]
    fn cells_list_pieces_by_ascending_key_and_distances_match_dist2() {
        // Pieces given in scrambled key order, crossing each other.
        let pieces: Vec<(Coord<f64>, Coord<f64>, usize, usize)> = (0..2000u32)
            .map(|i| {
                let key = (i * 7919) % 2000;
                let (x, y) = (f64::from(i % 50) * 13.0, f64::from(i / 50) * 11.0);
                let a = Coord { x, y };
                let b = Coord {
                    x: x + f64::from(key % 7) * 9.5 - 20.0,
                    y: y + f64::from(key % 5) * 7.25 + 0.5,
                };
                (a, b, key as usize / 3, key as usize)
            })
            .collect();
        let grid = Grid::build(&pieces, |&p| p, None, 1000.0, 30.0, false).unwrap();
        let mut listed = 0;
        for cell in 0..grid.cell_count() {
            let keys: Vec<u32> = grid.candidates(cell).map(|p| p.piece).collect();
            assert!(
                keys.windows(2).all(|w| w[0] < w[1]),
                "cell {cell}: {keys:?}"
            );
            listed += keys.len();
        }
        assert!(listed > 2000, "{listed}");
        // The stored piece's distance is `dist2`'s, bit for bit, in every case (before `a`,
        // past `b`, alongside, on the piece, on a vertex).
        for &(a, b, _, _) in pieces.iter().take(200) {
            let g = GridPiece::new(a, b, 0, 0);
            for (dx, dy) in [
                (0.0, 0.0),
                (-3.0, 1.5),
                (0.1, 0.3),
                (7.25, -2.0),
                (40.0, 40.0),
            ] {
                for base in [
                    a,
                    b,
                    Coord {
                        x: 0.5 * (a.x + b.x),
                        y: 0.5 * (a.y + b.y),
                    },
                ] {
                    let p = Coord {
                        x: base.x + dx,
                        y: base.y + dy,
                    };
                    assert_eq!(g.dist2(p).to_bits(), dist2(p, a, b).to_bits(), "{p:?}");
                }
            }
        }
    }

    #[test]
    fn no_grid_for_unusable_distances() {
        let p: [Input; 1] = [(Coord { x: 0.0, y: 0.0 }, Coord { x: 1.0, y: 0.0 }, 0, 0)];
        let build = |pieces: &[Input], max: f64| Grid::build(pieces, |&p| p, None, 1.0, max, false);
        assert!(build(&p, f64::NAN).is_none());
        assert!(build(&p, -1.0).is_none());
        assert!(build(&p, f64::INFINITY).is_none());
        assert!(build(&[], 30.0).is_none());
        assert!(build(&p, 0.0).is_some());
        // Numbers that do not fit in u32 (u32::MAX is reserved).
        let big = usize::try_from(u32::MAX).unwrap();
        let (a, b, _, _) = p[0];
        assert!(build(&[(a, b, big, 0)], 30.0).is_none());
        assert!(build(&[(a, b, 0, big)], 30.0).is_none());
        assert!(build(&[(a, b, big - 1, big - 1)], 30.0).is_some());
    }
}
