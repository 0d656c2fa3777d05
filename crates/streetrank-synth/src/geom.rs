//! Small planar helpers in metres: a point along a polyline and the brute-force
//! distance from a point to a polyline.

use geo_types::{Coord, coord};

/// The point at `fraction` (0-1, clamped) of the way along `line`, with the
/// unit left normal of the piece it falls on. `None` for a line with fewer
/// than two points or zero length.
pub(crate) fn along(line: &[Coord<f64>], fraction: f64) -> Option<(Coord<f64>, Coord<f64>)> {
    let piece_len = |w: &[Coord<f64>]| {
        let (dx, dy) = (w[1].x - w[0].x, w[1].y - w[0].y);
        (dx * dx + dy * dy).sqrt()
    };
    let total: f64 = line.windows(2).map(piece_len).sum();
    if total.is_nan() || total <= 0.0 {
        return None;
    }
    let mut rest = fraction.clamp(0.0, 1.0) * total;
    let mut last = None;
    for w in line.windows(2) {
        let len = piece_len(w);
        if len == 0.0 {
            continue;
        }
        let normal = coord! { x: -(w[1].y - w[0].y) / len, y: (w[1].x - w[0].x) / len };
        let t = (rest / len).min(1.0);
        let p = coord! { x: w[0].x + (w[1].x - w[0].x) * t, y: w[0].y + (w[1].y - w[0].y) * t };
        last = Some((p, normal));
        if rest <= len {
            break;
        }
        rest -= len;
    }
    last
}

/// Distance from `p` to the nearest point of `line` (brute force over its
/// pieces): the oracle the tests use for "distance to the segment the
/// complaint was generated from". Infinity for an empty line, NaN for a NaN
/// point.
///
/// # Units
///
/// Metres (the coordinates' unit).
///
/// # Examples
///
/// ```
/// use geo_types::coord;
/// use streetrank_synth::distance_to_line;
/// let line = [coord! { x: 0.0, y: 0.0 }, coord! { x: 10.0, y: 0.0 }];
/// assert_eq!(distance_to_line(coord! { x: 13.0, y: 4.0 }, &line), 5.0);
/// ```
#[must_use]
pub fn distance_to_line(p: Coord<f64>, line: &[Coord<f64>]) -> f64 {
    if p.x.is_nan() || p.y.is_nan() {
        return f64::NAN;
    }
    let mut best = f64::INFINITY;
    if let [only] = line {
        return ((p.x - only.x).powi(2) + (p.y - only.y).powi(2)).sqrt();
    }
    for w in line.windows(2) {
        let (a, b) = (w[0], w[1]);
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 {
            (((p.x - a.x) * dx + (p.y - a.y) * dy) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (qx, qy) = (a.x + dx * t, a.y + dy * t);
        let d2 = (p.x - qx) * (p.x - qx) + (p.y - qy) * (p.y - qy);
        best = best.min(d2);
    }
    best.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(x: f64, y: f64) -> Coord<f64> {
        coord! { x: x, y: y }
    }

    #[test]
    fn distance_table() {
        let l = [c(0.0, 0.0), c(10.0, 0.0), c(10.0, 10.0)];
        let cases = [
            (c(5.0, 0.0), 0.0),   // exactly on the line
            (c(5.0, 3.0), 3.0),   // beside the first piece
            (c(-3.0, -4.0), 5.0), // beyond the start
            (c(13.0, 5.0), 3.0),  // beside the second piece
            (c(10.0, 0.0), 0.0),  // on the vertex: a tie between pieces
        ];
        for (p, want) in cases {
            assert_eq!(distance_to_line(p, &l), want, "{p:?}");
        }
        assert_eq!(distance_to_line(c(1.0, 1.0), &[]), f64::INFINITY);
        assert_eq!(distance_to_line(c(3.0, 4.0), &[c(0.0, 0.0)]), 5.0);
        // Zero-length piece.
        assert_eq!(
            distance_to_line(c(3.0, 4.0), &[c(0.0, 0.0), c(0.0, 0.0)]),
            5.0
        );
        assert!(distance_to_line(c(f64::NAN, 0.0), &l).is_nan());
    }

    #[test]
    fn along_table() {
        let l = [c(0.0, 0.0), c(10.0, 0.0), c(10.0, 10.0)];
        let cases = [
            (0.0, c(0.0, 0.0), c(0.0, 1.0)),
            (0.25, c(5.0, 0.0), c(0.0, 1.0)),
            (0.5, c(10.0, 0.0), c(0.0, 1.0)),
            (0.75, c(10.0, 5.0), c(-1.0, 0.0)),
            (1.0, c(10.0, 10.0), c(-1.0, 0.0)),
            (7.0, c(10.0, 10.0), c(-1.0, 0.0)), // clamped
        ];
        for (f, p, n) in cases {
            assert_eq!(along(&l, f), Some((p, n)), "{f}");
        }
        assert_eq!(along(&[], 0.5), None);
        assert_eq!(along(&[c(1.0, 1.0), c(1.0, 1.0)], 0.5), None);
    }
}
