//! Tests of the scoring model: hand-computed cases per factor, ranking, errors, determinism.

use geo_types::{LineString, Point, line_string};

use super::*;
use crate::{SegmentAttributes, SourceId, Weights};

const DAY: i64 = Timestamp::DAY;

/// A straight segment along y = `y` from x = 0 to x = `len`.
fn seg(id: impl Into<SourceId>, len: f64, y: f64) -> Segment {
    Segment::new(id.into(), line_string![(x: 0.0, y: y), (x: len, y: y)]).unwrap()
}

fn seg_with(id: i64, attrs: SegmentAttributes) -> Segment {
    seg(id, 100.0, id as f64 * 10.0).with_attributes(attrs)
}

/// A complaint at (x, y) created `day` days after the epoch (None = undated).
fn complaint(id: i64, x: f64, y: f64, day: Option<f64>) -> Complaint {
    Complaint::new(SourceId::from(id), Point::new(x, y))
        .unwrap()
        .with_created(day.map(|d| Timestamp((d * DAY as f64).round() as i64)))
}

fn net(segments: Vec<Segment>) -> StreetNetwork {
    StreetNetwork::new(segments, vec![]).unwrap()
}

fn cfg_as_of(day: i64) -> ScoreConfig {
    ScoreConfig {
        as_of: Some(Timestamp(day * DAY)),
        ..ScoreConfig::default()
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

/// Scores complaints all assigned to segment 0 of a single 100 m segment.
fn one_segment(complaints: &[Complaint], config: &ScoreConfig) -> Ranking {
    let network = net(vec![seg(1, 100.0, 0.0)]);
    let assignments = vec![Some(0); complaints.len()];
    score(&network, complaints, &assignments, config, &[]).unwrap()
}

#[test]
fn dedup_table() {
    // (complaints as (x, day), expected kept, expected raw with as_of = day 100)
    type Case = (&'static str, Vec<(f64, Option<f64>)>, usize);
    let cases: Vec<Case> = vec![
        (
            "10 m and 5 days apart: one kept",
            vec![(0.0, Some(90.0)), (10.0, Some(95.0))],
            1,
        ),
        (
            "60 m apart: both kept",
            vec![(0.0, Some(90.0)), (60.0, Some(95.0))],
            2,
        ),
        (
            "31 days apart: both kept",
            vec![(0.0, Some(60.0)), (10.0, Some(91.0))],
            2,
        ),
        (
            "exactly 50 m and 30 days: duplicate (inclusive)",
            vec![(0.0, Some(60.0)), (50.0, Some(90.0))],
            1,
        ),
        (
            "50.001 m: both kept",
            vec![(0.0, Some(60.0)), (50.001, Some(90.0))],
            2,
        ),
        (
            "same time, same place: one kept",
            vec![(5.0, Some(90.0)), (5.0, Some(90.0))],
            1,
        ),
        (
            "input order does not matter: later one listed first",
            vec![(10.0, Some(95.0)), (0.0, Some(90.0))],
            1,
        ),
        (
            "undated are never duplicates",
            vec![(5.0, None), (5.0, None)],
            2,
        ),
        (
            "undated vs dated at the same point",
            vec![(5.0, Some(90.0)), (5.0, None)],
            2,
        ),
        // A kept, B dup of A (40 m), C is 80 m from A and 40 m from B: only kept ones absorb.
        (
            "no chaining through duplicates (space)",
            vec![(0.0, Some(90.0)), (40.0, Some(91.0)), (80.0, Some(92.0))],
            2,
        ),
        // A kept, B dup at +20 d, C at +40 d: 40 days after A, B was not kept.
        (
            "no chaining through duplicates (time)",
            vec![(0.0, Some(10.0)), (0.0, Some(30.0)), (0.0, Some(50.0))],
            2,
        ),
        // Window slides: A@0 kept, B@40 kept, C@65 within 30 d of B only.
        (
            "sliding window",
            vec![(0.0, Some(0.0)), (0.0, Some(40.0)), (0.0, Some(65.0))],
            2,
        ),
        ("empty", vec![], 0),
    ];
    let config = cfg_as_of(100);
    for (name, points, want_kept) in cases {
        let complaints: Vec<Complaint> = points
            .iter()
            .enumerate()
            .map(|(i, &(x, d))| complaint(i as i64, x, 0.0, d))
            .collect();
        let r = one_segment(&complaints, &config);
        let s = &r.scores[0];
        assert_eq!(s.complaints, points.len(), "{name}");
        assert_eq!(s.complaints_kept, want_kept, "{name}");
    }
}

#[test]
fn dedup_keeps_the_earliest_and_weighs_it() {
    // Kept: the day-90 complaint (10 days old at as_of 100); the day-95 one is its duplicate.
    let config = cfg_as_of(100);
    let r = one_segment(
        &[
            complaint(0, 10.0, 0.0, Some(95.0)),
            complaint(1, 0.0, 0.0, Some(90.0)),
        ],
        &config,
    );
    assert!(close(r.scores[0].pressure.raw, 0.5f64.powf(10.0 / 90.0)));
    assert!(
        r.notes
            .iter()
            .any(|n| n.starts_with("1 matched complaints were counted as duplicates")),
        "{:?}",
        r.notes
    );
}

#[test]
fn recency_weights_table() {
    // (age in days, undated weight, expected raw on a 100 m segment)
    let cases: [(Option<f64>, f64, f64); 6] = [
        (Some(0.0), 1.0, 1.0),
        (Some(90.0), 1.0, 0.5),
        (Some(180.0), 1.0, 0.25),
        (Some(45.0), 1.0, std::f64::consts::FRAC_1_SQRT_2),
        (None, 1.0, 1.0),
        (None, 0.3, 0.3),
    ];
    for (age, undated_weight, want) in cases {
        let mut config = cfg_as_of(1000);
        config.pressure.undated_weight = undated_weight;
        let r = one_segment(&[complaint(0, 1.0, 0.0, age.map(|a| 1000.0 - a))], &config);
        assert!(
            close(r.scores[0].pressure.raw, want),
            "{age:?}: {}",
            r.scores[0].pressure.raw
        );
    }
    // Exactly one half-life weighs exactly 0.5.
    let r = one_segment(&[complaint(0, 1.0, 0.0, Some(910.0))], &cfg_as_of(1000));
    assert_eq!(r.scores[0].pressure.raw, 0.5);
}

#[test]
fn complaints_after_as_of_are_excluded_and_noted() {
    let config = cfg_as_of(100);
    let r = one_segment(
        &[
            complaint(0, 0.0, 0.0, Some(100.0)),
            complaint(1, 90.0, 0.0, Some(100.5)),
            complaint(2, 0.0, 0.0, Some(101.0)),
        ],
        &config,
    );
    let s = &r.scores[0];
    assert_eq!((s.complaints, s.complaints_kept), (3, 1));
    assert_eq!(s.pressure.raw, 1.0);
    assert!(
        r.notes
            .iter()
            .any(|n| n.starts_with("2 matched complaints were created after as_of")),
        "{:?}",
        r.notes
    );
    // A future complaint does not absorb earlier ones as a kept anchor either.
    assert_eq!(r.as_of, Timestamp(100 * DAY));
}

#[test]
fn raw_is_per_length() {
    // One fresh complaint: 1 per 200 m = 0.5 per 100 m; 0.25 per 50 m; 1 per 200 m.
    // A 25 m stub counts as min_length_m long: 50 m by default (2 per 100 m), its own length at 0.
    for (len, per, min_len, want) in [
        (200.0, 100.0, 50.0, 0.5),
        (200.0, 50.0, 50.0, 0.25),
        (200.0, 200.0, 50.0, 1.0),
        (25.0, 100.0, 50.0, 2.0),
        (50.0, 100.0, 50.0, 2.0),
        (25.0, 100.0, 0.0, 4.0),
        (25.0, 100.0, 20.0, 4.0),
    ] {
        let mut config = cfg_as_of(10);
        config.pressure.per_length_m = per;
        config.pressure.min_length_m = min_len;
        let network = net(vec![seg(1, len, 0.0)]);
        let r = score(
            &network,
            &[complaint(0, 1.0, 0.0, Some(10.0))],
            &[Some(0)],
            &config,
            &[],
        )
        .unwrap();
        assert!(
            close(r.scores[0].pressure.raw, want),
            "{len} {per} {min_len}"
        );
    }
}

/// 21 segments of 1000 m: segment k has k fresh complaints 1 m apart (dedup by distance 0 keeps all),
/// so its raw value is k / 10. Segment 0 has none.
fn ladder(cap: Cap) -> Ranking {
    let segments: Vec<Segment> = (0..21).map(|k| seg(k, 1000.0, k as f64 * 100.0)).collect();
    let mut complaints = Vec::new();
    let mut assignments = Vec::new();
    for k in 0..21usize {
        for j in 0..k {
            complaints.push(complaint(
                (k * 100 + j) as i64,
                j as f64,
                k as f64 * 100.0,
                Some(5.0),
            ));
            assignments.push(Some(k));
        }
    }
    let mut config = cfg_as_of(5);
    config.pressure.dedup_distance_m = 0.0;
    config.pressure.cap = cap;
    score(&net(segments), &complaints, &assignments, &config, &[]).unwrap()
}

#[test]
fn p95_cap_nearest_rank() {
    let r = ladder(Cap::P95);
    // 20 positive values 0.1..2.0; ⌈0.95·20⌉ = 19th smallest = 1.9 (segment 0 has 0 and is not counted).
    assert!(close(r.pressure_cap, 1.9), "{}", r.pressure_cap);
    assert_eq!(r.scores[0].pressure.normalised, 0.0);
    assert_eq!(r.scores[20].pressure.normalised, 1.0);
    assert_eq!(r.scores[19].pressure.normalised, 1.0);
    assert!(close(r.scores[10].pressure.normalised, 1.0 / 1.9));
    let fixed = ladder(Cap::Fixed(4.0));
    assert_eq!(fixed.pressure_cap, 4.0);
    assert!(close(fixed.scores[20].pressure.normalised, 0.5));
    assert!(close(fixed.scores[4].pressure.normalised, 0.1));
}

#[test]
fn p95_small_samples() {
    let t = |raws: &[f64]| -> Vec<PressureTally> {
        raws.iter()
            .map(|&raw| PressureTally {
                raw,
                ..PressureTally::default()
            })
            .collect()
    };
    let cases: [(&[f64], f64); 6] = [
        (&[], 0.0),
        (&[0.0, 0.0], 0.0),
        (&[3.0], 3.0),
        (&[0.0, 2.0, 1.0], 2.0),           // ⌈1.9⌉ = 2nd of [1, 2]
        (&[5.0, 1.0, 2.0, 3.0, 4.0], 5.0), // ⌈4.75⌉ = 5th
        (&[f64::NAN, 1.0], 1.0),           // NaN is not positive
    ];
    for (raws, want) in cases {
        assert_eq!(p95(&t(raws)), want, "{raws:?}");
    }
    // 100 values 1..=100: the 95th.
    let hundred: Vec<f64> = (1..=100).rev().map(f64::from).collect();
    assert_eq!(p95(&t(&hundred)), 95.0);
}

fn attrs() -> SegmentAttributes {
    SegmentAttributes::default()
}

fn normalised_of(segment_attrs: Vec<SegmentAttributes>, config: &ScoreConfig) -> Vec<SegmentScore> {
    let segments = segment_attrs
        .into_iter()
        .enumerate()
        .map(|(i, a)| seg_with(i as i64, a))
        .collect();
    score(&net(segments), &[], &[], config, &[]).unwrap().scores
}

#[test]
fn condition_table() {
    // (worst, best, value, expected need, missing?)
    let cases: [(f64, f64, Option<f64>, f64, bool); 14] = [
        (0.0, 100.0, Some(100.0), 0.0, false),
        (0.0, 100.0, Some(0.0), 1.0, false),
        (0.0, 100.0, Some(40.0), 0.6, false),
        (0.0, 100.0, Some(120.0), 0.0, false),
        (0.0, 100.0, Some(-5.0), 1.0, false),
        (0.0, 100.0, Some(f64::NAN), 0.5, true),
        (0.0, 100.0, Some(f64::INFINITY), 0.5, true),
        (0.0, 100.0, None, 0.5, true),
        // Syracuse 1-10, 10 = best.
        (1.0, 10.0, Some(10.0), 0.0, false),
        (1.0, 10.0, Some(1.0), 1.0, false),
        (1.0, 10.0, Some(5.5), 0.5, false),
        // Reversed: 1 = best, 10 = worst.
        (10.0, 1.0, Some(10.0), 1.0, false),
        (10.0, 1.0, Some(1.0), 0.0, false),
        (10.0, 1.0, Some(7.75), 0.75, false),
    ];
    for (worst, best, value, want, missing) in cases {
        let mut config = ScoreConfig::default();
        config.condition.worst = worst;
        config.condition.best = best;
        let s = &normalised_of(
            vec![SegmentAttributes {
                condition: value,
                ..attrs()
            }],
            &config,
        )[0];
        assert!(
            close(s.condition.normalised, want),
            "{worst} {best} {value:?}: {}",
            s.condition.normalised
        );
        assert_eq!(s.condition_missing, missing);
        if missing {
            assert!(s.condition.raw.is_nan());
        } else {
            assert_eq!(Some(s.condition.raw), value);
        }
    }
}

#[test]
fn usage_table() {
    let ln = |a: f64| (1.0 + a).ln() / 20_001f64.ln();
    // (aadt, class, expected usage)
    let cases: Vec<(Option<f64>, Option<&str>, f64)> = vec![
        (Some(20_000.0), None, 1.0),
        (Some(40_000.0), Some("TRAIL"), 1.0),
        (Some(0.0), Some("INTERSTATE"), 0.0),
        (Some(141.0), None, ln(141.0)),
        (Some(f64::NAN), Some("MINOR"), 0.4),
        (Some(-3.0), Some("S1200"), 0.8),
        (None, Some("major"), 0.8),
        (None, Some(" S1400 "), 0.4),
        (None, Some("Arterial"), 1.0),
        (None, Some("COLLECTOR"), 0.7),
        (None, Some("xyz"), 0.4),
        (None, Some(""), 0.4),
        (None, None, 0.4),
    ];
    let config = ScoreConfig::default();
    for (aadt, class, want) in cases {
        let a = SegmentAttributes {
            aadt,
            road_class: class.map(str::to_owned),
            ..attrs()
        };
        let s = &normalised_of(vec![a], &config)[0];
        assert!(
            close(s.usage.normalised, want),
            "{aadt:?} {class:?}: {}",
            s.usage.normalised
        );
    }
    let mut config = ScoreConfig::default();
    config.usage.missing = 0.0;
    config.usage.class_weights = [("Local".to_owned(), 0.25)].into_iter().collect();
    let got = normalised_of(
        vec![
            SegmentAttributes {
                road_class: Some("LOCAL".into()),
                ..attrs()
            },
            SegmentAttributes {
                road_class: Some("MAJOR".into()),
                ..attrs()
            },
        ],
        &config,
    );
    assert_eq!(
        (got[0].usage.normalised, got[1].usage.normalised),
        (0.25, 0.0)
    );
}

#[test]
fn equity_table() {
    let mut config = ScoreConfig::default();
    config.weights.equity = 1.0;
    config.equity.district_weights = [("Ward 1".to_owned(), 1.0), ("Ward 2".to_owned(), 0.5)]
        .into_iter()
        .collect();
    // (district, equity.missing, expected weight, expected raw is NaN)
    let cases: [(Option<&str>, f64, f64, bool); 5] = [
        (Some("Ward 1"), 0.0, 1.0, false),
        (Some(" ward 2"), 0.0, 0.5, false),
        (Some("Ward 3"), 0.0, 0.0, true),
        (Some("Ward 3"), 0.25, 0.25, true),
        (None, 0.25, 0.25, true),
    ];
    for (district, missing, want, raw_nan) in cases {
        config.equity.missing = missing;
        let a = SegmentAttributes {
            district: district.map(str::to_owned),
            ..attrs()
        };
        let s = &normalised_of(vec![a], &config)[0];
        assert_eq!(s.equity.normalised, want, "{district:?}");
        assert_eq!(s.equity.raw.is_nan(), raw_nan, "{district:?}");
        if !raw_nan {
            assert_eq!(s.equity.raw, want);
        }
    }
}

#[test]
fn ties_in_score_go_by_id_then_higher_scores_first() {
    let ids: Vec<SourceId> = vec![
        SourceId::from("b"),
        SourceId::from(3),
        SourceId::from("a"),
        SourceId::from(-1),
        SourceId::from(20),
    ];
    let segments: Vec<Segment> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| seg(id.clone(), 100.0, i as f64 * 100.0))
        .collect();
    let r = score(
        &net(segments.clone()),
        &[],
        &[],
        &ScoreConfig::default(),
        &[],
    )
    .unwrap();
    // All equal: integers numerically, then text.
    assert_eq!(r.order, vec![3, 1, 4, 2, 0]);
    let ranks: Vec<usize> = r.scores.iter().map(|s| s.rank).collect();
    assert_eq!(ranks, vec![5, 2, 4, 1, 3]);

    // A complaint lifts segment "b" to the top.
    let c = complaint(0, 1.0, 0.0, Some(0.0));
    let r = score(
        &net(segments),
        &[c],
        &[Some(0)],
        &ScoreConfig::default(),
        &[],
    )
    .unwrap();
    assert_eq!(r.order, vec![0, 3, 1, 4, 2]);
    assert_eq!(r.scores[0].rank, 1);
    for w in r.order.windows(2) {
        assert!(r.scores[w[0]].score >= r.scores[w[1]].score);
    }
}

#[test]
fn contributions_sum_to_score() {
    let mut config = cfg_as_of(50);
    config.weights = Weights {
        pressure: 2.0,
        condition: 1.0,
        usage: 0.7,
        equity: 0.3,
    };
    config.equity.district_weights = [("D".to_owned(), 0.6)].into_iter().collect();
    let segments = vec![
        seg_with(
            1,
            SegmentAttributes {
                condition: Some(33.0),
                aadt: Some(5000.0),
                district: Some("D".into()),
                ..attrs()
            },
        ),
        seg_with(
            2,
            SegmentAttributes {
                condition: Some(90.0),
                road_class: Some("S1400".into()),
                ..attrs()
            },
        ),
    ];
    let complaints = vec![
        complaint(0, 1.0, 10.0, Some(40.0)),
        complaint(1, 70.0, 10.0, Some(20.0)),
    ];
    let r = score(
        &net(segments),
        &complaints,
        &[Some(0), Some(0)],
        &config,
        &[],
    )
    .unwrap();
    for s in &r.scores {
        let parts = [s.pressure, s.condition, s.usage, s.equity];
        let sum: f64 = parts.iter().map(|f| f.contribution).sum();
        assert!(close(sum, s.score));
        let weighted = 100.0
            * (2.0 * s.pressure.normalised
                + s.condition.normalised
                + 0.7 * s.usage.normalised
                + 0.3 * s.equity.normalised)
            / 4.0;
        assert!(close(weighted, s.score), "{weighted} vs {}", s.score);
        assert!((0.0..=100.0).contains(&s.score));
        for f in parts {
            assert!((0.0..=1.0).contains(&f.normalised));
        }
    }
    // Segment 1: both complaints kept (69 m apart): weights 0.5^(10/90) + 0.5^(30/90) per 100 m.
    let want = 0.5f64.powf(10.0 / 90.0) + 0.5f64.powf(30.0 / 90.0);
    assert!(close(r.scores[0].pressure.raw, want));
    assert_eq!(r.scores[0].pressure.normalised, 1.0); // it is the only positive value: the cap
}

#[test]
fn empty_network_and_no_complaints() {
    let empty = StreetNetwork::default();
    let r = score(&empty, &[], &[], &ScoreConfig::default(), &[]).unwrap();
    assert!(r.scores.is_empty() && r.order.is_empty());
    assert_eq!(r.pressure_cap, 0.0);
    assert_eq!(r.as_of, Timestamp(0));
    assert!(
        r.notes[0].contains("no complaint has a creation time"),
        "{:?}",
        r.notes
    );

    // Unmatched complaints on an empty network are fine; they set as_of and are noted.
    let c = complaint(7, 0.0, 0.0, Some(3.0));
    let r = score(&empty, &[c], &[None], &ScoreConfig::default(), &[]).unwrap();
    assert_eq!(r.as_of, Timestamp(3 * DAY));
    assert!(
        r.notes
            .contains(&"1 of 1 complaints matched no segment and do not count".to_owned()),
        "{:?}",
        r.notes
    );
    assert!(
        r.notes[0].contains("1970-01-04T00:00:00Z (complaint 7)"),
        "{:?}",
        r.notes
    );

    // Segments without complaints: pressure 0 everywhere, the rest still scores.
    let segments = vec![
        seg_with(
            1,
            SegmentAttributes {
                condition: Some(0.0),
                ..attrs()
            },
        ),
        seg_with(
            2,
            SegmentAttributes {
                condition: Some(100.0),
                ..attrs()
            },
        ),
    ];
    let r = score(&net(segments), &[], &[], &ScoreConfig::default(), &[]).unwrap();
    assert_eq!(r.pressure_cap, 0.0);
    assert!(
        r.scores
            .iter()
            .all(|s| s.pressure.raw == 0.0 && s.pressure.normalised == 0.0 && s.complaints == 0)
    );
    assert!(close(r.scores[0].score, 100.0 * (0.3 + 0.2 * 0.4)));
    assert!(close(r.scores[1].score, 100.0 * (0.2 * 0.4)));
    assert_eq!(r.order, vec![0, 1]);
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("pressure is 0 everywhere"))
    );
}

#[test]
fn as_of_defaults_to_latest_complaint_including_unmatched() {
    let network = net(vec![seg(1, 100.0, 0.0)]);
    let complaints = vec![
        complaint(1, 0.0, 0.0, Some(10.0)),
        complaint(2, 0.0, 0.0, None),
        complaint(3, 0.0, 0.0, Some(100.0)),
    ];
    let r = score(
        &network,
        &complaints,
        &[Some(0), Some(0), None],
        &ScoreConfig::default(),
        &[],
    )
    .unwrap();
    assert_eq!(r.as_of, Timestamp(100 * DAY));
    assert!(
        r.notes[0]
            .starts_with("as_of not set: using the latest complaint time, 1970-04-11T00:00:00Z"),
        "{:?}",
        r.notes
    );
    // The day-10 complaint is 90 days old; the undated one weighs 1.
    assert!(close(r.scores[0].pressure.raw, 1.5));
    assert!(
        r.notes
            .iter()
            .any(|n| n.starts_with("1 matched complaints have no creation time"))
    );
}

#[test]
fn mismatched_inputs_are_errors() {
    let network = net(vec![seg(1, 100.0, 0.0)]);
    let c = vec![complaint(9, 0.0, 0.0, None)];
    let err = score(&network, &c, &[], &ScoreConfig::default(), &[]).unwrap_err();
    assert!(
        matches!(&err, Error::MismatchedInput { message } if message.starts_with("0 assignments for 1 complaints")),
        "{err}"
    );
    let err = score(&network, &c, &[Some(1)], &ScoreConfig::default(), &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "inputs do not fit together: complaint 9 (position 0) is assigned to segment 1, but the network has 1 segments"
    );
    let mut bad = network.clone();
    bad.segments[0].length_m = 0.0;
    let err = score(&bad, &[], &[], &ScoreConfig::default(), &[]).unwrap_err();
    assert!(
        err.to_string().contains("segment 1: length_m is 0"),
        "{err}"
    );
    bad.segments[0].length_m = f64::NAN;
    assert!(score(&bad, &[], &[], &ScoreConfig::default(), &[]).is_err());

    let mut config = ScoreConfig::default();
    config.weights.condition = -1.0;
    let err = score(&network, &c, &[None], &config, &[]).unwrap_err();
    assert!(
        matches!(err, Error::InvalidConfig { ref setting, .. } if setting == "weights.condition")
    );
}

#[test]
fn extreme_and_odd_values_do_not_panic() {
    let network = net(vec![seg(1, 100.0, 0.0)]);
    let mut far = complaint(0, 0.0, 0.0, None);
    far.created = Some(Timestamp(i64::MIN));
    let mut nan = complaint(1, 0.0, 0.0, Some(0.0));
    nan.point = Point::new(f64::NAN, 0.0); // not via Complaint::new
    let config = ScoreConfig {
        as_of: Some(Timestamp(i64::MAX)),
        ..ScoreConfig::default()
    };
    let r = score(&network, &[far, nan], &[Some(0), Some(0)], &config, &[]).unwrap();
    assert_eq!(r.scores[0].complaints_kept, 2);
    assert!(r.scores[0].pressure.raw.is_finite());
    assert!(r.scores[0].score.is_finite());
}

#[test]
fn settings_hash_is_carried() {
    let inputs = vec![InputDigest::from_bytes("streets", "s.geojson", b"x")];
    let config = ScoreConfig::default();
    let r = score(&StreetNetwork::default(), &[], &[], &config, &inputs).unwrap();
    assert_eq!(r.settings_hash, settings_hash(&config, &inputs));
}

/// The worked example of docs/scoring.md.
#[test]
fn worked_example_from_docs() {
    let a = Segment::new(
        SourceId::from("A"),
        line_string![(x: 0.0, y: 0.0), (x: 200.0, y: 0.0)],
    )
    .unwrap()
    .with_attributes(SegmentAttributes {
        condition: Some(40.0),
        road_class: Some("MAJOR".into()),
        ..attrs()
    });
    let b = Segment::new(
        SourceId::from("B"),
        LineString::from(vec![(0.0, 100.0), (100.0, 100.0)]),
    )
    .unwrap()
    .with_attributes(SegmentAttributes {
        condition: Some(85.0),
        aadt: Some(20_000.0),
        ..attrs()
    });
    let complaints = vec![
        complaint(1, 50.0, 2.0, Some(0.0)),     // A, 90 days old: 0.5
        complaint(2, 60.0, -3.0, Some(5.0)),    // A, ~10 m and 5 days after #1: duplicate
        complaint(3, 150.0, 1.0, Some(90.0)),   // A, new: 1.0
        complaint(4, 40.0, 101.0, Some(-90.0)), // B, 180 days old: 0.25
    ];
    let r = score(
        &net(vec![a, b]),
        &complaints,
        &[Some(0), Some(0), Some(0), Some(1)],
        &ScoreConfig::default(),
        &[],
    )
    .unwrap();
    assert_eq!(r.as_of, Timestamp(90 * DAY));
    let (sa, sb) = (&r.scores[0], &r.scores[1]);
    assert_eq!((sa.complaints, sa.complaints_kept), (3, 2));
    assert!(close(sa.pressure.raw, 0.75));
    assert!(close(sb.pressure.raw, 0.25));
    assert!(close(r.pressure_cap, 0.75));
    assert!(close(sb.pressure.normalised, 1.0 / 3.0));
    assert!(close(sa.condition.normalised, 0.6));
    assert!(close(sb.condition.normalised, 0.15));
    assert!(close(sa.usage.normalised, 0.8));
    assert!(close(sb.usage.normalised, 1.0));
    assert!(close(sa.score, 84.0), "{}", sa.score);
    assert!(
        close(sb.score, 100.0 * (0.5 / 3.0 + 0.045 + 0.2)),
        "{}",
        sb.score
    );
    assert!((sb.score - 41.17).abs() < 0.005);
    assert_eq!(r.order, vec![0, 1]);
}

/// SplitMix64, for seeded random cases.
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
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

fn random_case(
    seed: u64,
) -> (
    StreetNetwork,
    Vec<Complaint>,
    Vec<Option<usize>>,
    ScoreConfig,
) {
    let mut rng = SplitMix64(seed);
    let classes = ["MAJOR", "minor", "S1400", "S1100", "unknown"];
    let districts = ["D1", "d2", "D3"];
    let n = 400;
    let segments: Vec<Segment> = (0..n)
        .map(|i| {
            let x0 = rng.unit() * 5000.0;
            let y0 = rng.unit() * 5000.0;
            let len = 5.0 + rng.unit() * 400.0;
            let attributes = SegmentAttributes {
                road_class: (rng.below(4) > 0).then(|| classes[rng.below(5) as usize].to_owned()),
                condition: (rng.below(3) > 0).then(|| rng.unit() * 100.0),
                aadt: (rng.below(3) == 0).then(|| rng.unit() * 40_000.0),
                district: (rng.below(2) == 0).then(|| districts[rng.below(3) as usize].to_owned()),
                ..attrs()
            };
            // Half the ids are integers, half text: both kinds in the tie order.
            let id = if i % 2 == 0 {
                SourceId::from(i64::from(i))
            } else {
                SourceId::from(format!("s{i}"))
            };
            Segment::new(id, line_string![(x: x0, y: y0), (x: x0 + len, y: y0)])
                .unwrap()
                .with_attributes(attributes)
        })
        .collect();
    let mut complaints = Vec::new();
    let mut assignments = Vec::new();
    for j in 0..6000 {
        // Skewed: a few segments get many complaints.
        let s = if rng.below(4) == 0 {
            rng.below(10) as usize
        } else {
            rng.below(n as u64) as usize
        };
        let seg = &segments[s];
        let start = seg.geometry.0[0];
        let x = start.x + rng.unit() * seg.length_m;
        let y = start.y + rng.unit() * 20.0 - 10.0;
        let day = (rng.below(10) > 0).then(|| rng.unit() * 700.0);
        complaints.push(complaint(j, x, y, day));
        assignments.push((rng.below(20) > 0).then_some(s));
    }
    let mut config = ScoreConfig::default();
    config.weights.equity = 0.1;
    config.equity.district_weights = [("d1".to_owned(), 1.0), ("D2".to_owned(), 0.4)]
        .into_iter()
        .collect();
    (net(segments), complaints, assignments, config)
}

fn bits(r: &Ranking) -> Vec<u64> {
    let mut out = vec![r.pressure_cap.to_bits(), r.as_of.0 as u64];
    for s in &r.scores {
        out.extend([
            s.score.to_bits(),
            s.rank as u64,
            s.complaints as u64,
            s.complaints_kept as u64,
        ]);
        for f in [s.pressure, s.condition, s.usage, s.equity] {
            out.extend([
                f.raw.to_bits(),
                f.normalised.to_bits(),
                f.contribution.to_bits(),
            ]);
        }
    }
    out.extend(r.order.iter().map(|&i| i as u64));
    out
}

#[test]
fn bit_identical_for_any_thread_count() -> Result<(), Box<dyn std::error::Error>> {
    for seed in [1u64, 0xDEAD_BEEF] {
        let (network, complaints, assignments, config) = random_case(seed);
        let mut reference: Option<(Vec<u64>, Ranking)> = None;
        for threads in [1, 2, 8] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()?;
            let r = pool.install(|| score(&network, &complaints, &assignments, &config, &[]))?;
            let b = bits(&r);
            match &reference {
                None => {
                    // The case is not trivial: duplicates, varied scores, a positive cap.
                    assert!(r.pressure_cap > 0.0);
                    assert!(r.scores.iter().any(|s| s.complaints > s.complaints_kept));
                    reference = Some((b, r));
                }
                Some((rb, rr)) => {
                    assert_eq!(&b, rb, "{threads} threads differ (seed {seed})");
                    assert_eq!(r.notes, rr.notes);
                }
            }
        }
    }
    Ok(())
}

/// The serial stable counting sort the parallel grouping replaced.
fn group_serially(assignments: &[Option<usize>], n: usize) -> (Vec<usize>, Vec<usize>) {
    let mut starts = vec![0usize; n + 1];
    for &s in assignments.iter().flatten() {
        starts[s + 1] += 1;
    }
    for i in 0..n {
        starts[i + 1] += starts[i];
    }
    let mut next = starts.clone();
    let mut members = vec![0usize; starts[n]];
    for (ci, a) in assignments.iter().enumerate() {
        if let Some(s) = *a {
            members[next[s]] = ci;
            next[s] += 1;
        }
    }
    (starts, members)
}

#[test]
fn grouping_by_segment_equals_the_serial_counting_sort_for_any_block_count() {
    let mut rng = SplitMix64(11);
    // (segments, complaints): empty, one segment, fewer segments than threads, many.
    for (n, m) in [(0, 0), (0, 5), (1, 0), (1, 9), (2, 50), (5, 3), (97, 1000)] {
        let assignments: Vec<Option<usize>> = (0..m)
            .map(|_| {
                let k = rng.below(n as u64 + 1) as usize;
                (k < n).then_some(k)
            })
            .collect();
        // The grouping sees the matched complaints only, numbered among themselves.
        let flat: Vec<Option<usize>> = assignments.iter().flatten().map(|&s| Some(s)).collect();
        let matched: Vec<Matched> = flat
            .iter()
            .flatten()
            .map(|&s| Matched {
                x: 0.0,
                y: 0.0,
                created: 0,
                segment: u32::try_from(s).unwrap(),
                dated: false,
            })
            .collect();
        let want = group_serially(&flat, n);
        for threads in [1, 2, 3, 8] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let got = pool.install(|| group_by_segment(&matched, n));
            assert_eq!(got, want, "{n} segments, {m} complaints, {threads} threads");
        }
    }
}

/// Issue 6 (bounded memory): complaints gathered batch by batch, by `push` or `extend` in
/// batches of any size, score bit for bit as the whole slices do, notes included.
#[test]
fn score_input_in_batches_equals_score() -> Result<(), Box<dyn std::error::Error>> {
    for seed in [3u64, 0xFEED] {
        let (network, mut complaints, assignments, config) = random_case(seed);
        // The latest time twice, on both sides of a batch boundary: the first one names it.
        let t = Timestamp(800 * Timestamp::DAY);
        complaints[99].created = Some(t);
        complaints[100].created = Some(t);
        let want = score(&network, &complaints, &assignments, &config, &[])?;
        assert!(want.notes.iter().any(|n| n.contains("(complaint 99)")));
        for batch in [1, 7, 100, 6000] {
            let mut input = ScoreInput::new();
            for (c, a) in complaints.chunks(batch).zip(assignments.chunks(batch)) {
                if batch == 1 {
                    input.push(&c[0], a[0])?;
                } else {
                    input.extend(c, a)?;
                }
            }
            assert_eq!(input.len(), complaints.len());
            let got = score_input(&network, &input, &config, &[])?;
            assert_eq!(bits(&got), bits(&want), "batches of {batch}");
            assert_eq!(got.notes, want.notes);
        }
    }
    Ok(())
}

#[test]
fn score_input_refuses_a_segment_the_network_lacks() {
    let network = net(vec![seg(1, 100.0, 0.0)]);
    let mut input = ScoreInput::new();
    input
        .push(&complaint(1, 1.0, 0.0, Some(1.0)), Some(3))
        .unwrap();
    let e = score_input(&network, &input, &ScoreConfig::default(), &[]).unwrap_err();
    assert!(
        e.to_string()
            .contains("segment 3, but the network has 1 segments"),
        "{e}"
    );
    assert!(
        input
            .push(&complaint(2, 1.0, 0.0, None), Some(usize::MAX))
            .is_err()
    );
}

/// Issue 7 (scale-out): tallies computed per segment from the complaints in any order, then
/// ranked by `score_tallies`, give `score`'s ranking bit for bit (with and without `as_of`).
#[test]
fn score_tallies_equals_score_for_any_grouping_order() {
    for (seed, fixed_as_of) in [(5u64, false), (0xC0FFEE, true)] {
        let (network, mut complaints, assignments, mut config) = random_case(seed);
        // Whole days: many equal creation times, so the position tie-break matters.
        for c in &mut complaints {
            c.created = c.created.map(|t| Timestamp(t.0 / DAY * DAY));
        }
        if fixed_as_of {
            config.as_of = Some(Timestamp(400 * DAY));
        }
        let whole = score(&network, &complaints, &assignments, &config, &[]).unwrap();

        let mut latest: Option<(Timestamp, usize, SourceId)> = None;
        for (i, c) in complaints.iter().enumerate() {
            if let Some(t) = c.created
                && latest.as_ref().is_none_or(|(l, _, _)| t > *l)
            {
                latest = Some((t, i, c.id.clone()));
            }
        }
        let totals = ScoreTotals {
            complaints: complaints.len(),
            matched: assignments.iter().flatten().count(),
            latest,
        };
        let as_of = totals.as_of(&config);
        let mut per_segment: Vec<Vec<PressurePoint>> = vec![Vec::new(); network.segments.len()];
        // Reversed input order: pressure_tally must not depend on it.
        for (i, (c, a)) in complaints.iter().zip(&assignments).enumerate().rev() {
            if let Some(s) = a {
                per_segment[*s].push(PressurePoint {
                    x: c.point.x(),
                    y: c.point.y(),
                    created: c.created,
                    position: i as u64,
                });
            }
        }
        let tallies: Vec<PressureTally> = per_segment
            .iter()
            .zip(&network.segments)
            .map(|(points, seg)| pressure_tally(points, as_of, &config, seg.length_m))
            .collect();
        let merged = score_tallies(&network, &tallies, &totals, &config, &[]).unwrap();
        assert_eq!(bits(&merged), bits(&whole), "seed {seed}");
        // (Ranking's PartialEq fails on its NaN raw values: compare the rest.)
        assert_eq!(
            (&merged.notes, &merged.settings_hash, merged.as_of),
            (&whole.notes, &whole.settings_hash, whole.as_of),
            "seed {seed}"
        );

        // A tally too few, and totals that do not add up, are errors.
        assert!(score_tallies(&network, &tallies[1..], &totals, &config, &[]).is_err());
        let wrong = ScoreTotals {
            matched: totals.matched + 1,
            ..totals.clone()
        };
        assert!(score_tallies(&network, &tallies, &wrong, &config, &[]).is_err());
    }
}

/// `ScoreInput::extend_parts` in batches (across its 65,536-complaint chunks, with empty and
/// unmatched stretches) gathers exactly what pushing one complaint at a time does; a segment
/// no network can have is an error naming the first such complaint, and leaves the input as
/// it was.
#[test]
fn extend_parts_in_batches_equals_pushing_one_by_one() {
    let n = 200_000;
    let complaints: Vec<Complaint> = (0..n)
        .map(|i| {
            let day = (i % 7 != 0).then_some(((i * 37) % 900) as f64);
            complaint(i as i64, (i % 1000) as f64, (i / 1000) as f64, day)
        })
        .collect();
    let segments: Vec<Option<usize>> = (0..n)
        .map(|i| match i {
            70_000..80_000 => None,
            _ if i % 5 == 0 => None,
            _ => Some(i % 97),
        })
        .collect();
    let mut one = ScoreInput::new();
    for (c, s) in complaints.iter().zip(&segments) {
        one.push(c, *s).unwrap();
    }
    let mut batched = ScoreInput::new();
    for (lo, hi) in [
        (0, 0),
        (0, 65_537),
        (65_537, 65_537),
        (65_537, 140_000),
        (140_000, n),
    ] {
        let part = &complaints[lo..hi];
        let points: Vec<Point<f64>> = part.iter().map(|c| c.point).collect();
        let created: Vec<Option<Timestamp>> = part.iter().map(|c| c.created).collect();
        batched
            .extend_parts(&points, &created, &segments[lo..hi], |i| {
                Some(part[i].id.clone())
            })
            .unwrap();
    }
    assert_eq!(format!("{one:?}"), format!("{batched:?}"));

    let before = format!("{batched:?}");
    let points = [Point::new(0.0, 0.0); 3];
    let created = [None; 3];
    let bad = [Some(1), Some(u32::MAX as usize), Some(usize::MAX)];
    let e = batched
        .extend_parts(&points, &created, &bad, |_| None)
        .unwrap_err()
        .to_string();
    assert!(e.contains(&format!("position {}", n + 1)), "{e}");
    assert_eq!(format!("{batched:?}"), before);
}

/// Issue 4: the ranking order from compact keys equals sorting with the comparator it
/// replaced (score by `total_cmp`, highest first, then id, then position), with many ties,
/// signed zeros, NaN and infinities, integer and text ids.
#[test]
fn rank_order_equals_the_comparator_sort() {
    let mut rng = SplitMix64(41);
    let values = [
        0.0,
        -0.0,
        1.5,
        -1.5,
        96.7,
        f64::NAN,
        -f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MIN_POSITIVE,
        5e-324,
    ];
    for round in 0..300 {
        let n = rng.below(60) as usize;
        let segments: Vec<Segment> = (0..n)
            .map(|i| {
                let id = rng.below(8) as i64;
                if round % 2 == 0 {
                    seg(id, 10.0, i as f64)
                } else {
                    seg(format!("s{id}"), 10.0, i as f64)
                }
            })
            .collect();
        let scores: Vec<SegmentScore> = (0..n)
            .map(|i| {
                let score = if rng.below(3) == 0 {
                    values[rng.below(values.len() as u64) as usize]
                } else {
                    (rng.below(5) as f64) * 0.5
                };
                SegmentScore {
                    segment: i,
                    score,
                    ..one_segment(&[], &ScoreConfig::default()).scores[0].clone()
                }
            })
            .collect();
        assert_eq!(
            rank_order(&scores, &segments),
            comparator_order(&scores, &segments),
            "round {round}"
        );
    }
    // Runs of equal scores long enough to be sorted on all threads, ids not ascending.
    let n = 40_000;
    let template = one_segment(&[], &ScoreConfig::default()).scores[0].clone();
    let segments: Vec<Segment> = (0..n)
        .map(|i| seg((i * 7919 % n) as i64, 10.0, i as f64))
        .collect();
    let scores: Vec<SegmentScore> = (0..n)
        .map(|i| SegmentScore {
            segment: i,
            score: (i % 2) as f64,
            ..template.clone()
        })
        .collect();
    assert_eq!(
        rank_order(&scores, &segments),
        comparator_order(&scores, &segments)
    );
}

/// The ranking order as the comparator `rank_order` replaced sorts it.
fn comparator_order(scores: &[SegmentScore], segments: &[Segment]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| {
        scores[b]
            .score
            .total_cmp(&scores[a].score)
            .then_with(|| segments[a].id.cmp(&segments[b].id))
            .then(a.cmp(&b))
    });
    order
}

/// Issue 4: the weight lookup without allocation finds what looking up `lookup_key` finds:
/// case, surrounding spaces, non-ASCII letters (which lowercase beyond ASCII), a name longer
/// than the stack buffer, and an empty table.
#[test]
fn weight_lookup_equals_lookup_key() {
    let long = "X".repeat(70);
    let table = lookup_table(&BTreeMap::from([
        ("Major".to_owned(), 1.0),
        ("d2".to_owned(), 0.5),
        ("ÉST".to_owned(), 0.25),
        (long.clone(), 0.125),
    ]));
    let names = [
        "major", "MAJOR", " Major ", "D2", "d2\t", "d3", "", " ", "Ést", "éST", "EST", &long, "xX",
    ];
    for name in names {
        assert_eq!(
            lookup(&table, name),
            table.get(&lookup_key(name)).copied(),
            "{name:?}"
        );
    }
    assert_eq!(lookup(&BTreeMap::new(), "major"), None);
}

/// Issue 4: the 95th percentile by selection equals the nearest-rank value of a full sort.
#[test]
fn p95_by_selection_equals_sorting() {
    let mut rng = SplitMix64(7);
    for _ in 0..300 {
        let n = rng.below(50) as usize;
        let tallies: Vec<PressureTally> = (0..n)
            .map(|_| PressureTally {
                raw: if rng.below(4) == 0 {
                    0.0
                } else {
                    (rng.below(6) as f64) * rng.unit()
                },
                ..PressureTally::default()
            })
            .collect();
        let mut positive: Vec<f64> = tallies.iter().map(|t| t.raw).filter(|&r| r > 0.0).collect();
        positive.sort_by(f64::total_cmp);
        let want = match positive.len() {
            0 => 0.0,
            k => positive[(95 * k).div_ceil(100).max(1) - 1],
        };
        assert_eq!(p95(&tallies).to_bits(), want.to_bits());
    }
}

/// The grouping is the stable one (each segment's complaints in input order) whatever the
/// number of threads: against a stable sort by segment, for pools of 1 to 9 threads, networks
/// of 1 to 1,000 segments, no complaints, and every complaint on one segment.
#[test]
fn grouping_by_segment_is_the_stable_grouping_on_any_number_of_threads() {
    let mut x = 987_654_321u64;
    let mut next = |m: u64| {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (x >> 33) % m
    };
    let matched_on = |segments: &[u32]| -> Vec<Matched> {
        segments
            .iter()
            .map(|&segment| Matched {
                segment,
                ..Matched::EMPTY
            })
            .collect()
    };
    let mut cases: Vec<(usize, Vec<u32>)> = Vec::new();
    for n in [1usize, 2, 3, 7, 1000] {
        let segs: Vec<u32> = (0..5000).map(|_| next(n as u64) as u32).collect();
        cases.push((n, segs));
        cases.push((n, Vec::new()));
        cases.push((n, vec![(n - 1) as u32; 300]));
    }
    for (n, segs) in &cases {
        let mut order: Vec<usize> = (0..segs.len()).collect();
        order.sort_by_key(|&i| segs[i]);
        let mut want_starts = vec![0usize; n + 1];
        for &s in segs {
            want_starts[s as usize + 1] += 1;
        }
        for i in 0..*n {
            want_starts[i + 1] += want_starts[i];
        }
        let matched = matched_on(segs);
        for threads in [1, 2, 3, 8, 9] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let (starts, members) = pool.install(|| group_by_segment(&matched, *n));
            assert_eq!(starts, want_starts, "{n} segments, {threads} threads");
            assert_eq!(members, order, "{n} segments, {threads} threads");
        }
    }
}
