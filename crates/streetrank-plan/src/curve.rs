//! Deterioration: condition over time ([`PowerCurve`]), per road class
//! ([`DeteriorationConfig`]), and the condition path after a treatment ([`Trajectory`]).
//!
//! Conditions are on the planner's 0-100 scale (100 = new pavement, 0 =
//! failed; PCI-like, see the crate docs).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{PlanError, invalid};

/// Condition against pavement age: `C(t) = 100 − a·t^b`, clamped to 0..=100.
///
/// `t` is the age in years since the pavement was new (condition 100). A
/// segment in condition `c` is placed on the curve at its *equivalent age*
/// [`PowerCurve::age_of`]`(c)` and ages from there ([`PowerCurve::advance`]):
/// the usual way a PMS applies a class curve to a segment whose construction
/// date is unknown.
///
/// `b > 1` gives the accelerating decline typical of asphalt; `b = 1` a
/// straight line (convenient for hand-made tests).
///
/// # Examples
///
/// ```
/// use streetrank_plan::PowerCurve;
/// let line = PowerCurve { a: 5.0, b: 1.0 }; // 5 points a year
/// assert_eq!(line.condition_at(4.0), 80.0);
/// assert_eq!(line.age_of(80.0), 4.0);
/// assert_eq!(line.advance(80.0, 2.0), 70.0);
/// assert_eq!(line.advance(3.0, 2.0), 0.0); // clamped at 0
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerCurve {
    /// Scale, condition points lost in the first year. Finite and `> 0`.
    pub a: f64,
    /// Shape exponent. Finite and `> 0`.
    pub b: f64,
}

impl PowerCurve {
    /// The default curve: `a = 0.25`, `b = 1.8` (100 → 84 at 10 years, 70 at
    /// 14, 45 at 20). An illustrative accelerating asphalt curve; replace it
    /// with a fitted one ([`crate::fit_deterioration`], `docs/planning.md`).
    pub const DEFAULT: PowerCurve = PowerCurve { a: 0.25, b: 1.8 };

    /// Condition at age `years` (negative ages count as 0).
    #[must_use]
    pub fn condition_at(&self, years: f64) -> f64 {
        (100.0 - self.a * years.max(0.0).powf(self.b)).clamp(0.0, 100.0)
    }

    /// Equivalent age of condition `c` (clamped to 0..=100): the age at which
    /// the curve reaches `c`. Condition 0 maps to the age at which the curve
    /// first reaches 0.
    #[must_use]
    pub fn age_of(&self, c: f64) -> f64 {
        ((100.0 - c.clamp(0.0, 100.0)) / self.a).powf(1.0 / self.b)
    }

    /// Condition `years` after condition `c`, doing nothing.
    #[must_use]
    pub fn advance(&self, c: f64, years: f64) -> f64 {
        self.condition_at(self.age_of(c) + years)
    }

    pub(crate) fn validate(&self, setting: &str) -> Result<(), PlanError> {
        for (name, v) in [("a", self.a), ("b", self.b)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(invalid(
                    format!("{setting}.{name}"),
                    format!("must be > 0, got {v}"),
                ));
            }
        }
        Ok(())
    }
}

impl Default for PowerCurve {
    fn default() -> Self {
        PowerCurve::DEFAULT
    }
}

/// Deterioration curves by road class.
///
/// In TOML:
///
/// ```toml
/// [plan.deterioration]
/// default = { a = 0.25, b = 1.8 }
/// by_class = { Local = { a = 0.3, b = 1.7 }, MA = { a = 0.4, b = 1.7 } }
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeteriorationConfig {
    /// The curve of a segment whose class is missing or not in `by_class`.
    /// Default [`PowerCurve::DEFAULT`].
    pub default: PowerCurve,
    /// Curves by road class, matched case-insensitively after trimming.
    /// Default empty.
    pub by_class: BTreeMap<String, PowerCurve>,
}

impl DeteriorationConfig {
    /// The curve for a road class.
    ///
    /// # Examples
    ///
    /// ```
    /// use streetrank_plan::{DeteriorationConfig, PowerCurve};
    /// let mut d = DeteriorationConfig::default();
    /// d.by_class.insert("Local".into(), PowerCurve { a: 1.0, b: 1.0 });
    /// assert_eq!(d.curve_for(Some(" local ")).a, 1.0);
    /// assert_eq!(d.curve_for(Some("MA")), PowerCurve::DEFAULT);
    /// assert_eq!(d.curve_for(None), PowerCurve::DEFAULT);
    /// ```
    #[must_use]
    pub fn curve_for(&self, class: Option<&str>) -> PowerCurve {
        class
            .and_then(|c| {
                let key = crate::lookup_key(c);
                self.by_class
                    .iter()
                    .find(|(k, _)| crate::lookup_key(k) == key)
                    .map(|(_, v)| *v)
            })
            .unwrap_or(self.default)
    }

    pub(crate) fn validate(&self) -> Result<(), PlanError> {
        self.default.validate("deterioration.default")?;
        for (k, c) in &self.by_class {
            c.validate(&format!("deterioration.by_class.{k}"))?;
        }
        Ok(())
    }
}

/// The condition path of a segment after a treatment, against time since the treatment.
///
/// A treatment raises condition `before` to `after` and lasts `life` years,
/// the time until the pavement is back at `before` (the definition of
/// treatment service life in NCHRP Report 523: the time until condition
/// returns to its pre-treatment level). So:
///
/// ```text
/// t <= life : C(age(after) + k·t),  k = (age(before) − age(after)) / life
/// t >  life : C(age(before) + t − life)   (the do-nothing path, `life` years late)
/// ```
///
/// with `C` and `age` the segment's class curve. The treated path meets
/// `before` at `t = life` and is never below the do-nothing path
/// `C(age(before) + t)`. When `after <= before` the treatment does nothing
/// and the path is the do-nothing path.
///
/// # Examples
///
/// ```
/// use streetrank_plan::{PowerCurve, Trajectory};
/// let line = PowerCurve { a: 5.0, b: 1.0 };
/// let t = Trajectory { curve: line, before: 50.0, after: 100.0, life: 10.0 };
/// assert_eq!(t.at(0.0), 100.0);
/// assert_eq!(t.at(10.0), 50.0);      // back at `before` after its life
/// assert_eq!(t.at(12.0), 40.0);      // then the do-nothing path, 10 years late
/// assert_eq!(t.do_nothing(12.0), 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trajectory {
    /// The segment's class curve.
    pub curve: PowerCurve,
    /// Condition just before the treatment.
    pub before: f64,
    /// Condition just after it.
    pub after: f64,
    /// Years until the condition is back at `before`; `> 0`.
    pub life: f64,
}

impl Trajectory {
    /// Treated condition `t` years after the treatment.
    #[must_use]
    pub fn at(&self, t: f64) -> f64 {
        if self.after <= self.before || self.life <= 0.0 {
            return self.do_nothing(t);
        }
        let age_before = self.curve.age_of(self.before);
        if t <= self.life {
            let age_after = self.curve.age_of(self.after);
            let k = (age_before - age_after) / self.life;
            self.curve.condition_at(age_after + k * t)
        } else {
            self.curve.condition_at(age_before + t - self.life)
        }
    }

    /// Condition `t` years later without the treatment.
    #[must_use]
    pub fn do_nothing(&self, t: f64) -> f64 {
        self.curve.advance(self.before, t)
    }

    /// Area between the treated and do-nothing paths over `0..years`, each
    /// path counted only above `floor`, in condition-point-years.
    ///
    /// Composite Simpson's rule with 64 intervals on each smooth piece
    /// (before and after `life`); exact for straight-line curves.
    ///
    /// # Examples
    ///
    /// ```
    /// use streetrank_plan::{PowerCurve, Trajectory};
    /// let t = Trajectory { curve: PowerCurve { a: 5.0, b: 1.0 }, before: 50.0, after: 100.0, life: 10.0 };
    /// // Treated 100 → 50 over 10 years, do-nothing 50 → 0: a 50-point band for 10 years.
    /// assert!((t.benefit_area(10.0, 0.0) - 500.0).abs() < 1e-9);
    /// ```
    #[must_use]
    pub fn benefit_area(&self, years: f64, floor: f64) -> f64 {
        if years.is_nan() || years <= 0.0 || self.after <= self.before {
            return 0.0;
        }
        let gap = |t: f64| self.at(t).max(floor) - self.do_nothing(t).max(floor);
        let split = self.life.min(years);
        let mut area = simpson(&gap, 0.0, split);
        if years > split {
            area += simpson(&gap, split, years);
        }
        area.max(0.0)
    }
}

/// Area of `treated − none` over `0..years`, both counted only above `floor`,
/// with Simpson's rule on the pieces between the kinks `breaks`.
pub(crate) fn area_between(
    treated: &impl Fn(f64) -> f64,
    none: &impl Fn(f64) -> f64,
    years: f64,
    floor: f64,
    breaks: &[f64],
) -> f64 {
    if years.is_nan() || years <= 0.0 {
        return 0.0;
    }
    let gap = |t: f64| treated(t).max(floor) - none(t).max(floor);
    let mut cuts: Vec<f64> = breaks
        .iter()
        .copied()
        .filter(|b| *b > 0.0 && *b < years)
        .collect();
    cuts.sort_by(f64::total_cmp);
    let mut lo = 0.0;
    let mut area = 0.0;
    for hi in cuts.into_iter().chain(std::iter::once(years)) {
        area += simpson(&gap, lo, hi);
        lo = hi;
    }
    area.max(0.0)
}

/// Composite Simpson's rule on `[lo, hi]` with 64 intervals.
fn simpson(f: &impl Fn(f64) -> f64, lo: f64, hi: f64) -> f64 {
    const N: usize = 64;
    if hi <= lo {
        return 0.0;
    }
    let h = (hi - lo) / N as f64;
    let mut sum = f(lo) + f(hi);
    for i in 1..N {
        let w = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += w * f(lo + h * i as f64);
    }
    sum * h / 3.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curve_inverse_round_trips() {
        let c = PowerCurve::DEFAULT;
        for cond in [0.0, 10.0, 45.5, 70.0, 99.0, 100.0] {
            let back = c.condition_at(c.age_of(cond));
            assert!((back - cond).abs() < 1e-9, "{cond} -> {back}");
        }
        assert_eq!(c.age_of(100.0), 0.0);
        assert_eq!(c.age_of(150.0), 0.0);
        assert_eq!(c.condition_at(-3.0), 100.0);
        assert_eq!(c.advance(0.0, 5.0), 0.0);
    }

    #[test]
    fn trajectory_is_never_below_do_nothing() {
        let t = Trajectory {
            curve: PowerCurve::DEFAULT,
            before: 62.0,
            after: 95.0,
            life: 12.0,
        };
        for i in 0..=300 {
            let x = f64::from(i) / 10.0;
            assert!(t.at(x) + 1e-12 >= t.do_nothing(x), "t = {x}");
        }
        assert!((t.at(12.0) - 62.0).abs() < 1e-9);
    }

    #[test]
    fn benefit_area_hand_cases() {
        let line = PowerCurve { a: 5.0, b: 1.0 };
        // Crack seal on 80: +5 points, life 2 years. k = (4 - 3) / 2 = 0.5 ⇒ treated
        // falls 2.5 points a year for 2 years (85 → 80), then 80 − 5(t − 2).
        // Do-nothing: 80 − 5t. Gap: 5 + 2.5t on 0..2 (area 15), then 10 (area 10·(T − 2)).
        let cs = Trajectory {
            curve: line,
            before: 80.0,
            after: 85.0,
            life: 2.0,
        };
        assert!((cs.benefit_area(5.0, 0.0) - (15.0 + 30.0)).abs() < 1e-9);
        // With a floor of 70 the do-nothing path counts only above 70 (it hits 70 at t = 2).
        // Gap on 0..2 as before (15); on 2..4 treated 80 → 70, do-nothing at 70: area 10;
        // after t = 4 both at the floor. (The kink at t = 4 is not a Simpson node: O(h²) error.)
        assert!((cs.benefit_area(5.0, 70.0) - 25.0).abs() < 1e-2);
        // No improvement, no benefit; zero period, no benefit.
        let none = Trajectory { after: 80.0, ..cs };
        assert_eq!(none.benefit_area(5.0, 0.0), 0.0);
        assert_eq!(cs.benefit_area(0.0, 0.0), 0.0);
        assert_eq!(cs.benefit_area(f64::NAN, 0.0), 0.0);
    }
}
