//! Hilbert-curve ordering of query points, so that a batch visits the R-tree with good locality.
//!
//! Sorting a batch along the curve before querying cuts the memory stalls of random-order
//! queries about threefold (see `docs/performance.md`); results are put back in input order
//! afterwards, so the order never shows in an answer.

use geo_types::Point;

/// Bits per axis of the grid the points are mapped to (65,536 cells across the batch's extent).
const ORDER: u32 = 16;

/// Position of cell (`x`, `y`) along the Hilbert curve over a `2^order × 2^order` grid.
///
/// `x` and `y` must be below `2^order`; `order` at most 31.
pub(crate) fn hilbert_index(order: u32, x: u32, y: u32) -> u64 {
    let n: u64 = 1 << order;
    let (mut x, mut y) = (u64::from(x), u64::from(y));
    let mut d = 0u64;
    let mut s = n >> 1;
    while s > 0 {
        let rx = u64::from(x & s > 0);
        let ry = u64::from(y & s > 0);
        d += s * s * ((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = n - 1 - x;
                y = n - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s >>= 1;
    }
    d
}

/// The positions `0..points.len()` sorted along a Hilbert curve over the finite points'
/// bounding box (non-finite points last), ties by position.
///
/// Returns `None` when the batch is too large to pack a position in 32 bits; callers then keep
/// input order, which gives the same results, only slower.
pub(crate) fn hilbert_order(points: &[Point<f64>], parallel: bool) -> Option<Vec<u64>> {
    if u32::try_from(points.len()).is_err() {
        return None;
    }
    let (mut min_x, mut min_y) = (f64::INFINITY, f64::INFINITY);
    let (mut max_x, mut max_y) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for p in points {
        let (x, y) = (p.x(), p.y());
        if x.is_finite() && y.is_finite() {
            min_x = min_x.min(x);
            min_y = min_y.min(y);
            max_x = max_x.max(x);
            max_y = max_y.max(y);
        }
    }
    let cells = f64::from((1u32 << ORDER) - 1);
    let extent = (max_x - min_x).max(max_y - min_y);
    let scale = if extent > 0.0 && extent.is_finite() {
        cells / extent
    } else {
        0.0
    };
    let key = |p: &Point<f64>| -> u64 {
        let (x, y) = (p.x(), p.y());
        if !(x.is_finite() && y.is_finite()) {
            return u64::from(u32::MAX);
        }
        // `as` saturates and maps NaN to 0; the clamp keeps rounding inside the grid.
        let gx = ((x - min_x) * scale).clamp(0.0, cells) as u32;
        let gy = ((y - min_y) * scale).clamp(0.0, cells) as u32;
        hilbert_index(ORDER, gx, gy)
    };
    let mut keys: Vec<u64> = points
        .iter()
        .zip(0u64..)
        .map(|(p, i)| (key(p) << 32) | i)
        .collect();
    if parallel {
        use rayon::slice::ParallelSliceMut;
        keys.par_sort_unstable();
    } else {
        keys.sort_unstable();
    }
    for k in &mut keys {
        *k &= u64::from(u32::MAX);
    }
    Some(keys)
}

/// The inverse of the permutation `order` (as returned by [`hilbert_order`], or any order whose
/// low 32 bits are the positions): for each input position, where it sits in `order`.
///
/// Gathering answers through it (`inverse.iter().map(|&k| sorted[k])`) reads at random but
/// independently, which measured twice as fast as swapping the answers into place.
pub(crate) fn inverse_permutation(order: &[u64]) -> Vec<u32> {
    let mut inverse = vec![0u32; order.len()];
    for (k, &i) in (0u32..).zip(order) {
        let i = i & u64::from(u32::MAX);
        if let Some(slot) = usize::try_from(i).ok().and_then(|i| inverse.get_mut(i)) {
            *slot = k;
        }
    }
    inverse
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (house rule)
mod tests {
    use super::*;

    #[test]
    fn curve_visits_every_cell_once_through_neighbours() {
        for order in 1..=4 {
            let n = 1u32 << order;
            let mut cells = vec![None; (n * n) as usize];
            for x in 0..n {
                for y in 0..n {
                    let d = hilbert_index(order, x, y) as usize;
                    assert!(cells[d].is_none(), "order {order}: d {d} twice");
                    cells[d] = Some((x, y));
                }
            }
            let cells: Vec<(u32, u32)> = cells.into_iter().map(Option::unwrap).collect();
            for w in cells.windows(2) {
                let step = w[0].0.abs_diff(w[1].0) + w[0].1.abs_diff(w[1].1);
                assert_eq!(step, 1, "order {order}: {:?} -> {:?}", w[0], w[1]);
            }
        }
    }

    #[test]
    fn order_is_a_permutation_and_its_inverse_restores_input_order() {
        let points: Vec<Point<f64>> = (0..500)
            .map(|i| {
                let f = f64::from(i);
                if i % 97 == 0 {
                    Point::new(f64::NAN, f)
                } else {
                    Point::new((f * 7.31) % 113.0, (f * 3.17) % 71.0)
                }
            })
            .collect();
        for parallel in [false, true] {
            let order = hilbert_order(&points, parallel).unwrap();
            let mut seen = vec![false; points.len()];
            for &i in &order {
                assert!(!seen[i as usize]);
                seen[i as usize] = true;
            }
            let inverse = inverse_permutation(&order);
            let restored: Vec<u64> = inverse.iter().map(|&k| order[k as usize]).collect();
            assert_eq!(restored, (0..points.len() as u64).collect::<Vec<_>>());
        }
        // Empty and single-point batches.
        assert_eq!(hilbert_order(&[], false), Some(vec![]));
        assert_eq!(hilbert_order(&[Point::new(1.0, 1.0)], true), Some(vec![0]));
    }
}
