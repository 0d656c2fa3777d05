//! The planner's view of a street segment ([`PlanSegment`]), built from the
//! core engine's score ([`plan_segments`]), and its treatment options ([`treatment_options`]).

use rayon::prelude::*;
use serde::Serialize;
use streetrank::{Ranking, SourceId, StreetNetwork};

use crate::error::{PlanError, mismatch};
use crate::{PlanConfig, PowerCurve, Trajectory, WidthConfig};

/// One segment as the planner sees it.
///
/// # Units
///
/// Metres; `condition` on the 0-100 scale (100 = new); `usage` and `pressure`
/// are the score's normalised factors (0..1, 1 = most used / most complained about).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanSegment {
    /// The source's id.
    pub id: SourceId,
    /// Length, metres. Finite and `> 0`.
    pub length_m: f64,
    /// Pavement width, metres. Finite and `> 0`.
    pub width_m: f64,
    /// Lanes (for lane-km), `>= 1`.
    pub lanes: f64,
    /// Road class, as the source spells it.
    pub road_class: Option<String>,
    /// District (council district, ward …).
    pub district: Option<String>,
    /// Condition 0-100.
    pub condition: f64,
    /// True when the condition was missing and the score's default was used.
    pub condition_missing: bool,
    /// Usage 0..1.
    pub usage: f64,
    /// Complaint pressure 0..1.
    pub pressure: f64,
}

impl PlanSegment {
    /// A segment with the given id, length (m), width (m) and condition (0-100);
    /// two lanes, no class or district, usage and pressure 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use streetrank_plan::PlanSegment;
    /// let s = PlanSegment::new(7.into(), 100.0, 9.0, 55.0);
    /// assert_eq!(s.area_m2(), 900.0);
    /// assert_eq!(s.lane_km(), 0.2);
    /// ```
    #[must_use]
    pub fn new(id: SourceId, length_m: f64, width_m: f64, condition: f64) -> PlanSegment {
        PlanSegment {
            id,
            length_m,
            width_m,
            lanes: 2.0,
            road_class: None,
            district: None,
            condition,
            condition_missing: false,
            usage: 0.0,
            pressure: 0.0,
        }
    }

    /// Pavement area, m²: `length_m · width_m`.
    #[must_use]
    pub fn area_m2(&self) -> f64 {
        self.length_m * self.width_m
    }

    /// Lane-kilometres: `length_m / 1000 · lanes`.
    #[must_use]
    pub fn lane_km(&self) -> f64 {
        self.length_m / 1000.0 * self.lanes
    }

    /// The benefit weight: `length_km · (1 + usage_weight·usage) · (1 + pressure_weight·pressure)`.
    #[must_use]
    pub fn weight(&self, config: &PlanConfig) -> f64 {
        self.length_m / 1000.0
            * (1.0 + config.benefit.usage_weight * self.usage)
            * (1.0 + config.benefit.pressure_weight * self.pressure)
    }

    pub(crate) fn check(&self, position: usize) -> Result<(), PlanError> {
        let bad = |what: &str, v: f64| {
            mismatch(format!(
                "segment {} (position {position}): {what} is {v}",
                self.id
            ))
        };
        if !(self.length_m.is_finite() && self.length_m > 0.0) {
            return Err(bad("length_m", self.length_m));
        }
        if !(self.width_m.is_finite() && self.width_m > 0.0) {
            return Err(bad("width_m", self.width_m));
        }
        if !(self.lanes.is_finite() && self.lanes > 0.0) {
            return Err(bad("lanes", self.lanes));
        }
        if !(0.0..=100.0).contains(&self.condition) {
            return Err(bad("condition (0-100)", self.condition));
        }
        if !(0.0..=1.0).contains(&self.usage) {
            return Err(bad("usage (0..1)", self.usage));
        }
        if !(0.0..=1.0).contains(&self.pressure) {
            return Err(bad("pressure (0..1)", self.pressure));
        }
        Ok(())
    }
}

impl WidthConfig {
    /// Width (m) and lanes of a segment from its attributes; see [`WidthConfig`].
    ///
    /// Lanes: the attribute when `>= 1`, else `floor(width / lane_width_m)`, at least 1
    /// (a 9 m local street has two lanes and parking).
    ///
    /// # Examples
    ///
    /// ```
    /// use streetrank_plan::WidthConfig;
    /// let w = WidthConfig::default();
    /// assert_eq!(w.resolve(Some(12.0), None, None), (12.0, 3.0));
    /// assert_eq!(w.resolve(None, Some(4), None), (14.4, 4.0));
    /// assert_eq!(w.resolve(None, None, Some("Local")), (9.0, 2.0));
    /// assert_eq!(w.resolve(Some(f64::NAN), None, Some("unknown")), (9.0, 2.0));
    /// ```
    #[must_use]
    pub fn resolve(
        &self,
        width_m: Option<f64>,
        lanes: Option<u32>,
        road_class: Option<&str>,
    ) -> (f64, f64) {
        let lanes = lanes.filter(|&l| l >= 1).map(f64::from);
        let class_width = road_class.and_then(|c| {
            let key = crate::lookup_key(c);
            self.by_class
                .iter()
                .find(|(k, _)| crate::lookup_key(k) == key)
                .map(|(_, &v)| v)
        });
        let width = width_m
            .filter(|w| w.is_finite() && *w > 0.0)
            .or_else(|| lanes.map(|l| l * self.lane_width_m))
            .or(class_width)
            .unwrap_or(self.default_m);
        let lanes = lanes.unwrap_or_else(|| (width / self.lane_width_m).floor().max(1.0));
        (width, lanes)
    }
}

/// The planner's segments from a network and its [`streetrank::score`] ranking.
///
/// Condition is `100 · (1 − condition need)`: the score's condition factor is
/// `(best − rating) / (best − worst)` clamped to 0..1 (`ScoreConfig::condition`),
/// so a rating of `best` becomes 100 and `worst` becomes 0 (Syracuse's 1-10
/// with `worst = 1, best = 10`: 10 → 100, 5.5 → 50, 1 → 0). A segment without
/// a rating gets the score's `condition.missing` need and
/// [`PlanSegment::condition_missing`]. Usage and pressure are the score's
/// normalised factors; width and lanes from [`WidthConfig::resolve`].
///
/// # Errors
///
/// [`PlanError::MismatchedInput`] when the ranking has another number of
/// scores than the network has segments; [`PlanError::InvalidConfig`] from
/// [`PlanConfig::validate`].
///
/// # Examples
///
/// ```
/// use geo_types::line_string;
/// use streetrank::{score, ScoreConfig, Segment, SegmentAttributes, SourceId, StreetNetwork};
/// use streetrank_plan::{plan_segments, PlanConfig};
///
/// let seg = Segment::new(SourceId::from(1), line_string![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0)])?
///     .with_attributes(SegmentAttributes { condition: Some(4.0), road_class: Some("Local".into()), ..Default::default() });
/// let network = StreetNetwork::new(vec![seg], vec![])?;
/// let mut sc = ScoreConfig::default();
/// (sc.condition.worst, sc.condition.best) = (1.0, 10.0);
/// let ranking = score(&network, &[], &[], &sc, &[])?;
/// let segs = plan_segments(&network, &ranking, &PlanConfig::default()).unwrap();
/// assert!((segs[0].condition - 100.0 / 3.0).abs() < 1e-9); // (4 − 1) / 9
/// assert_eq!((segs[0].width_m, segs[0].usage), (9.0, 0.4));
/// # Ok::<(), streetrank::Error>(())
/// ```
pub fn plan_segments(
    network: &StreetNetwork,
    ranking: &Ranking,
    config: &PlanConfig,
) -> Result<Vec<PlanSegment>, PlanError> {
    config.validate()?;
    if ranking.scores.len() != network.segments.len() {
        return Err(mismatch(format!(
            "the ranking has {} scores for {} segments; score this network and plan on that ranking",
            ranking.scores.len(),
            network.segments.len()
        )));
    }
    if let Some((i, sc)) = ranking
        .scores
        .iter()
        .enumerate()
        .find(|(i, sc)| sc.segment != *i)
    {
        return Err(mismatch(format!(
            "score {i} is for segment {}; the ranking must hold one score per segment, in segment order",
            sc.segment
        )));
    }
    let segs: Vec<PlanSegment> = network
        .segments
        .iter()
        .zip(&ranking.scores)
        .map(|(seg, sc)| {
            let a = &seg.attributes;
            let (width_m, lanes) =
                config
                    .widths
                    .resolve(a.width_m, a.lanes, a.road_class.as_deref());
            PlanSegment {
                id: seg.id.clone(),
                length_m: seg.length_m,
                width_m,
                lanes,
                road_class: a.road_class.clone(),
                district: a.district.clone(),
                condition: (100.0 * (1.0 - sc.condition.normalised)).clamp(0.0, 100.0),
                condition_missing: sc.condition_missing,
                usage: sc.usage.normalised.clamp(0.0, 1.0),
                pressure: sc.pressure.normalised.clamp(0.0, 1.0),
            }
        })
        .collect();
    for (i, s) in segs.iter().enumerate() {
        s.check(i)?;
    }
    Ok(segs)
}

/// One treatment a segment can get, with its cost and benefit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TreatmentOption {
    /// Position of the treatment in [`PlanConfig::treatments`].
    pub treatment: usize,
    /// `unit_cost · area_m2`, currency units.
    pub cost: f64,
    /// Weighted benefit (see [`crate::BenefitConfig`]).
    pub benefit: f64,
    /// Condition right after the treatment.
    pub condition_after: f64,
}

/// The treatments that apply to `segment` at its condition, in
/// [`PlanConfig::treatments`] order, each with its cost and benefit; those
/// with no benefit (the condition after is not above the condition before)
/// are left out.
///
/// The do-nothing path is the segment's class curve from its current condition.
///
/// # Examples
///
/// ```
/// use streetrank_plan::{treatment_options, PlanConfig, PlanSegment};
/// let cfg = PlanConfig::default();
/// let seg = PlanSegment::new(1.into(), 100.0, 9.0, 60.0);
/// let opts = treatment_options(&seg, &cfg);
/// // At 60: surface treatment (55-80) and mill and overlay (30-65).
/// let names: Vec<&str> = opts.iter().map(|o| cfg.treatments[o.treatment].name.as_str()).collect();
/// assert_eq!(names, ["surface_treatment", "mill_and_overlay"]);
/// assert_eq!(opts[1].cost, 18.0 * 900.0);
/// assert_eq!(opts[1].condition_after, 95.0);
/// ```
#[must_use]
pub fn treatment_options(segment: &PlanSegment, config: &PlanConfig) -> Vec<TreatmentOption> {
    options_with_history(segment, config, &[])
}

/// The treatments a segment has had in a scenario: each path and the years since it began.
pub(crate) type History = Vec<(Trajectory, f64)>;

/// Condition `t` years from now of a segment with this history (the best of
/// its treatment paths), or its class curve from `now` when it has none.
pub(crate) fn history_at(
    history: &[(Trajectory, f64)],
    curve: PowerCurve,
    now: f64,
    t: f64,
) -> f64 {
    if history.is_empty() {
        curve.advance(now, t)
    } else {
        history
            .iter()
            .map(|(p, since)| p.at(since + t))
            .fold(f64::NEG_INFINITY, f64::max)
    }
}

/// [`treatment_options`] of a segment that may be on earlier treatments' paths.
///
/// Doing nothing, it follows the best of those paths ([`history_at`]); a new
/// treatment's path is the better of the new [`Trajectory`] and that.
pub(crate) fn options_with_history(
    segment: &PlanSegment,
    config: &PlanConfig,
    history: &[(Trajectory, f64)],
) -> Vec<TreatmentOption> {
    let curve = config
        .deterioration
        .curve_for(segment.road_class.as_deref());
    let weight = segment.weight(config);
    let area = segment.area_m2();
    let (years, floor) = (config.benefit.years, config.benefit.floor);
    config
        .treatments
        .iter()
        .enumerate()
        .filter(|(_, t)| t.applies(segment.condition))
        .filter_map(|(i, t)| {
            let after = t.after.apply(segment.condition);
            let path = Trajectory {
                curve,
                before: segment.condition,
                after,
                life: t.life_years,
            };
            let condition_area = if history.is_empty() {
                path.benefit_area(years, floor)
            } else {
                let none = |x: f64| history_at(history, curve, segment.condition, x);
                let treated = |x: f64| path.at(x).max(none(x));
                let breaks: Vec<f64> = std::iter::once(path.life)
                    .chain(history.iter().map(|(p, since)| p.life - since))
                    .collect();
                crate::curve::area_between(&treated, &none, years, floor, &breaks)
            };
            let benefit = condition_area * weight;
            let cost = t.unit_cost * area;
            (benefit > 0.0 && benefit.is_finite() && cost.is_finite()).then_some(TreatmentOption {
                treatment: i,
                cost,
                benefit,
                condition_after: after,
            })
        })
        .collect()
}

/// [`treatment_options`] of every segment, in parallel, in segment order.
#[must_use]
pub fn all_options(segments: &[PlanSegment], config: &PlanConfig) -> Vec<Vec<TreatmentOption>> {
    segments
        .par_iter()
        .map(|s| treatment_options(s, config))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use streetrank::{ScoreConfig, Segment, score};

    #[test]
    fn a_ranking_of_another_network_is_refused() {
        let seg = |id: i64| {
            Segment::new(
                SourceId::from(id),
                geo_types::LineString::from(vec![(0.0, 0.0), (10.0, 0.0)]),
            )
            .unwrap()
        };
        let one = StreetNetwork::new(vec![seg(1)], vec![]).unwrap();
        let two = StreetNetwork::new(vec![seg(1), seg(2)], vec![]).unwrap();
        let ranking = score(&one, &[], &[], &ScoreConfig::default(), &[]).unwrap();
        let err = plan_segments(&two, &ranking, &PlanConfig::default()).unwrap_err();
        assert!(err.to_string().contains("1 scores for 2 segments"), "{err}");
        let mut shuffled = score(&two, &[], &[], &ScoreConfig::default(), &[]).unwrap();
        shuffled.scores.swap(0, 1);
        let err = plan_segments(&two, &shuffled, &PlanConfig::default()).unwrap_err();
        assert!(
            err.to_string().contains("score 0 is for segment 1"),
            "{err}"
        );
        // Missing condition: the score's `missing` need (0.5) gives 50, flagged.
        let ranking = score(&one, &[], &[], &ScoreConfig::default(), &[]).unwrap();
        let s = plan_segments(&one, &ranking, &PlanConfig::default()).unwrap();
        assert_eq!((s[0].condition, s[0].condition_missing), (50.0, true));
    }
}
