//! Snap and score on arbitrary coordinates (NaN, infinities, 1e300, repeated vertices):
//! `StreetIndex::snap` (R-tree, one point at a time), `snap_all` on a batch large enough for
//! the uniform grid and on a small batch (R-tree), and `snap_all_serial` must give the same
//! outcomes bit for bit; `score` of the snapped complaints must not panic.
#![no_main]

use arbitrary::Arbitrary;
use geo_types::{Coord, LineString, Point};
use libfuzzer_sys::fuzz_target;
use streetrank::{
    Complaint, ScoreConfig, Segment, SnapOptions, SnapOutcome, SourceId, StreetIndex,
    StreetNetwork, Timestamp, score,
};

#[derive(Debug, Arbitrary)]
struct Input {
    streets: Vec<Vec<(Num, Num)>>,
    points: Vec<(Num, Num, Option<i64>)>,
    max_distance_m: Num,
    ambiguity_tolerance_m: Num,
    half_life_days: Option<Num>,
}

/// A coordinate: mostly small integers and fractions (so that points fall near streets and
/// ties happen), sometimes any f64 (NaN, infinities, huge, subnormal).
#[derive(Debug, Arbitrary)]
enum Num {
    Small(i8),
    Fraction(i16),
    Any(f64),
}

impl Num {
    fn get(&self) -> f64 {
        match *self {
            Num::Small(v) => f64::from(v),
            Num::Fraction(v) => f64::from(v) / 64.0,
            Num::Any(v) => v,
        }
    }
}

/// Debug text of outcomes: bit-for-bit except NaN payloads (never produced by snapping).
fn text(outcomes: &[SnapOutcome]) -> String {
    format!("{outcomes:?}")
}

fuzz_target!(|input: Input| {
    let segments: Vec<Segment> = input
        .streets
        .iter()
        .take(64)
        .enumerate()
        .filter_map(|(i, coords)| {
            let line: LineString<f64> = coords
                .iter()
                .take(32)
                .map(|(x, y)| Coord {
                    x: x.get(),
                    y: y.get(),
                })
                .collect();
            Segment::new(SourceId::from(i as i64), line).ok()
        })
        .collect();
    let points: Vec<Point<f64>> = input
        .points
        .iter()
        .take(256)
        .map(|(x, y, _)| Point::new(x.get(), y.get()))
        .collect();
    let opts = SnapOptions::new()
        .max_distance_m(input.max_distance_m.get())
        .ambiguity_tolerance_m(input.ambiguity_tolerance_m.get());

    let index = StreetIndex::new(&segments);
    let one_by_one: Vec<SnapOutcome> = points.iter().map(|&p| index.snap(p, &opts)).collect();
    // A small batch (fewer points than pieces) goes through the R-tree, a large one through
    // the grid where the grid can be built: repeat the points to reach the piece count.
    let small = index.snap_all(&points, &opts);
    assert_eq!(
        text(&small),
        text(&one_by_one),
        "snap_all (small batch) != snap"
    );
    if !points.is_empty() {
        let reps = index.piece_count().div_ceil(points.len()).max(1) + 1;
        let large: Vec<Point<f64>> = (0..reps).flat_map(|_| points.iter().copied()).collect();
        let want: Vec<SnapOutcome> = (0..reps).flat_map(|_| one_by_one.iter().cloned()).collect();
        assert_eq!(
            text(&index.snap_all(&large, &opts)),
            text(&want),
            "snap_all (grid) != snap"
        );
        assert_eq!(
            text(&index.snap_all_serial(&large, &opts)),
            text(&want),
            "snap_all_serial (grid) != snap"
        );
    }

    // Score what snapped (complaints with non-finite points are refused by Complaint::new).
    let Ok(network) = StreetNetwork::new(segments, vec![]) else {
        return;
    };
    let mut complaints = Vec::new();
    let mut assignments = Vec::new();
    for (k, ((_, _, created), outcome)) in input.points.iter().zip(&one_by_one).enumerate() {
        if let Ok(c) = Complaint::new(SourceId::from(k as i64), points[k]) {
            complaints.push(c.with_created(created.map(Timestamp)));
            assignments.push(outcome.segment());
        }
    }
    let mut config = ScoreConfig::default();
    if let Some(h) = &input.half_life_days {
        config.pressure.half_life_days = h.get();
    }
    let _ = score(&network, &complaints, &assignments, &config, &[]);
});
