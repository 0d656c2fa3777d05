//! The streets' lines as a WGS84 source gave them, kept for the outputs.

use geo_types::Coord;

/// Every segment's line in WGS84 longitude/latitude exactly as the source file gave it, kept by
/// the street readers when the file is in WGS84 (every GeoJSON file, and Shapefiles or CSV in
/// EPSG:4326) and the network was reprojected to a metric working CRS.
///
/// Outputs in WGS84 (the ranking table's lines) then carry the source's own coordinates instead
/// of a round trip through the working CRS, and skip an inverse PROJ pass over every vertex.
/// Line `i` belongs to `network.segments[i]` of the [`LoadedStreets`](crate::LoadedStreets) it
/// came with; [`LonLatLines::matches`] checks that they still pair up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LonLatLines {
    coords: Vec<Coord<f64>>,
    /// Line `i` is `coords[ends[i - 1]..ends[i]]` (from 0 for the first).
    ends: Vec<usize>,
}

impl LonLatLines {
    /// Lines from their vertices, one slice per segment in order.
    ///
    /// # Examples
    ///
    /// ```
    /// use geo_types::coord;
    /// use streetrank_io::LonLatLines;
    ///
    /// let a = [coord! { x: -76.15, y: 43.04 }, coord! { x: -76.14, y: 43.04 }];
    /// let b = [coord! { x: -76.14, y: 43.04 }, coord! { x: -76.14, y: 43.05 }];
    /// let lines = LonLatLines::from_lines([&a[..], &b[..]]);
    /// assert_eq!(lines.len(), 2);
    /// assert_eq!(lines.line(1), Some(&b[..]));
    /// assert_eq!(lines.line(2), None);
    /// ```
    pub fn from_lines<'a>(lines: impl IntoIterator<Item = &'a [Coord<f64>]>) -> LonLatLines {
        let mut out = LonLatLines::default();
        for line in lines {
            out.coords.extend_from_slice(line);
            out.ends.push(out.coords.len());
        }
        out
    }

    /// The lines of `coords[start..start + len]` for each `(start, len)` of `spans`, in that
    /// order; `None` when a span lies outside `coords`. The vertices are taken over without a
    /// copy when the spans cover `coords` exactly, in order.
    pub(crate) fn from_spans(
        coords: Vec<Coord<f64>>,
        spans: impl ExactSizeIterator<Item = (usize, usize)> + Clone,
    ) -> Option<LonLatLines> {
        let mut ends = Vec::with_capacity(spans.len());
        let mut at = 0;
        let mut contiguous = true;
        for (start, len) in spans.clone() {
            let end = start.checked_add(len).filter(|&e| e <= coords.len())?;
            contiguous &= start == at;
            at = end;
            ends.push(end);
        }
        if contiguous && at == coords.len() {
            return Some(LonLatLines { coords, ends });
        }
        // Some features were dropped after their vertices were read: copy the others.
        Some(LonLatLines::from_lines(
            spans.map(|(start, len)| &coords[start..start + len]),
        ))
    }

    /// The number of lines.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no lines.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Line `i`'s vertices, longitude as `x`, latitude as `y`.
    #[must_use]
    pub fn line(&self, i: usize) -> Option<&[Coord<f64>]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.coords.get(start..end)
    }

    /// Whether these are `lines.len()` lines with as many vertices as each of the given ones,
    /// in order: the lines still pair up with the segments they were read with.
    pub fn matches<'a>(&self, mut lines: impl ExactSizeIterator<Item = &'a [Coord<f64>]>) -> bool {
        lines.len() == self.len()
            && (0..self.len()).all(|i| {
                lines
                    .next()
                    .zip(self.line(i))
                    .is_some_and(|(a, b)| a.len() == b.len())
            })
    }
}

impl crate::LoadedStreets {
    /// [`LoadedStreets::lonlat_lines`](crate::LoadedStreets::lonlat_lines) while they still pair
    /// up with the network's segments ([`LonLatLines::matches`]), else `None`: what outputs in
    /// WGS84 use instead of reprojecting the network back.
    #[must_use]
    pub fn lonlat_lines_in_step(&self) -> Option<&LonLatLines> {
        self.lonlat_lines.as_ref().filter(|kept| {
            kept.matches(
                self.network
                    .segments
                    .iter()
                    .map(|s| s.geometry.0.as_slice()),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::coord;

    fn c(x: f64) -> Coord<f64> {
        coord! { x: x, y: -x }
    }

    #[test]
    fn spans_covering_everything_take_the_vertices_over() {
        let coords: Vec<_> = (0..5).map(|i| c(f64::from(i))).collect();
        let lines = LonLatLines::from_spans(coords.clone(), [(0, 2), (2, 3)].into_iter()).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines.line(0), Some(&coords[0..2]));
        assert_eq!(lines.line(1), Some(&coords[2..5]));
        assert_eq!(lines.line(2), None);
    }

    #[test]
    fn dropped_features_are_left_out() {
        let coords: Vec<_> = (0..7).map(|i| c(f64::from(i))).collect();
        let lines = LonLatLines::from_spans(coords.clone(), [(0, 2), (4, 3)].into_iter()).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines.line(0), Some(&coords[0..2]));
        assert_eq!(lines.line(1), Some(&coords[4..7]));
        assert_eq!(lines.coords.len(), 5);
    }

    #[test]
    fn spans_outside_the_vertices_are_refused() {
        let coords: Vec<_> = (0..3).map(|i| c(f64::from(i))).collect();
        assert!(LonLatLines::from_spans(coords.clone(), [(0, 2), (2, 2)].into_iter()).is_none());
        assert!(LonLatLines::from_spans(coords, [(usize::MAX, 2)].into_iter()).is_none());
    }

    #[test]
    fn matches_compares_counts_of_lines_and_vertices() {
        let a = [c(1.0), c(2.0)];
        let b = [c(3.0), c(4.0), c(5.0)];
        let lines = LonLatLines::from_lines([&a[..], &b[..]]);
        assert!(lines.matches([&a[..], &b[..]].into_iter()));
        assert!(!lines.matches([&b[..], &a[..]].into_iter()));
        assert!(!lines.matches([&a[..]].into_iter()));
        assert!(!lines.matches([&a[..], &b[..], &a[..]].into_iter()));
        assert!(LonLatLines::default().matches(std::iter::empty()));
    }
}
