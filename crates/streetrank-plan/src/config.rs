//! Settings of the planner ([`PlanConfig`]), their defaults, sources and validation.
//!
//! Like the scoring config, every struct is `#[serde(deny_unknown_fields, default)]`:
//! a file names only what it changes and a misspelt key is an error. The
//! default costs and lives are **illustrative**, sourced in `docs/planning.md`;
//! a city replaces them with its own unit costs.
//!
//! # Examples
//!
//! ```
//! use streetrank_plan::{After, PlanConfig};
//! let cfg: PlanConfig = toml::from_str(r#"
//!     budgets = [2e6, 2e6]
//!     [benefit]
//!     years = 15
//!     [[treatments]]
//!     name = "overlay"
//!     unit_cost = 20.0
//!     min_condition = 30
//!     max_condition = 70
//!     after = { reset = 95 }
//!     life_years = 12
//! "#).unwrap();
//! assert_eq!(cfg.treatments.len(), 1);
//! assert_eq!(cfg.treatments[0].after, After::Reset(95.0));
//! assert_eq!(cfg.benefit.usage_weight, 1.0); // not named: default
//! cfg.validate()?;
//! assert!(toml::from_str::<PlanConfig>("budget = [1]").is_err()); // misspelt key
//! # Ok::<(), streetrank_plan::PlanError>(())
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::DeteriorationConfig;
use crate::error::{PlanError, invalid};

/// All settings of the planner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlanConfig {
    /// The treatments a segment can get. Default [`Treatment::defaults`].
    pub treatments: Vec<Treatment>,
    /// Deterioration curves by road class.
    pub deterioration: DeteriorationConfig,
    /// Pavement width when the data has none.
    pub widths: WidthConfig,
    /// How benefit is measured and weighted.
    pub benefit: BenefitConfig,
    /// Budget allocation method and limits.
    pub solver: SolverConfig,
    /// Budget of each year of the scenario, in currency units. Default empty
    /// (the caller passes budgets); each must be finite and `>= 0`.
    pub budgets: Vec<f64>,
    /// District equity constraints and populations.
    pub districts: DistrictConfig,
    /// Condition bands and backlog reported each year.
    pub report: ReportConfig,
}

impl Default for PlanConfig {
    fn default() -> Self {
        PlanConfig {
            treatments: Treatment::defaults(),
            deterioration: DeteriorationConfig::default(),
            widths: WidthConfig::default(),
            benefit: BenefitConfig::default(),
            solver: SolverConfig::default(),
            budgets: Vec::new(),
            districts: DistrictConfig::default(),
            report: ReportConfig::default(),
        }
    }
}

/// One repair treatment.
///
/// It applies to a segment whose condition `c` satisfies
/// `min_condition <= c <= max_condition`, costs `unit_cost · area`, sets the
/// condition to [`Treatment::after`] and lasts `life_years` (the years until
/// the condition is back where it was; see [`crate::Trajectory`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Treatment {
    /// Name, unique in the list (case-insensitive).
    pub name: String,
    /// Cost per square metre of pavement, in the budget's currency. Finite, `> 0`.
    pub unit_cost: f64,
    /// Lowest condition (0-100) it applies to, inclusive.
    pub min_condition: f64,
    /// Highest condition (0-100) it applies to, inclusive; `>= min_condition`.
    pub max_condition: f64,
    /// Condition right after the treatment.
    pub after: After,
    /// Service life in years, `> 0`.
    pub life_years: f64,
}

/// The condition right after a treatment.
///
/// In TOML: `after = { reset = 95 }` or `after = { improve = 5 }`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum After {
    /// A fixed condition (0-100), whatever the condition before (overlays,
    /// reconstruction).
    Reset(f64),
    /// The condition before plus this many points, at most 100 (crack seal,
    /// surface treatments).
    Improve(f64),
}

impl After {
    /// The condition after treating condition `before`.
    ///
    /// # Examples
    ///
    /// ```
    /// use streetrank_plan::After;
    /// assert_eq!(After::Reset(95.0).apply(40.0), 95.0);
    /// assert_eq!(After::Improve(5.0).apply(97.0), 100.0);
    /// ```
    #[must_use]
    pub fn apply(self, before: f64) -> f64 {
        match self {
            After::Reset(x) => x,
            After::Improve(x) => (before + x).min(100.0),
        }
    }
}

impl Treatment {
    /// The default treatments. **Illustrative** US unit costs (2020s, per m²;
    /// 1 yd² = 0.836 m²) and lives; `docs/planning.md` gives the sources.
    ///
    /// | name | $/m² | applies at | after | life (yr) |
    /// |---|---|---|---|---|
    /// | `crack_seal` | 1.5 | 70-90 | +4 | 3 |
    /// | `surface_treatment` | 4.5 | 55-80 | +15 | 6 |
    /// | `mill_and_overlay` | 18 | 30-65 | 95 | 12 |
    /// | `reconstruction` | 90 | 0-40 | 100 | 25 |
    #[must_use]
    pub fn defaults() -> Vec<Treatment> {
        let t =
            |name: &str, unit_cost, min_condition, max_condition, after, life_years| Treatment {
                name: name.to_owned(),
                unit_cost,
                min_condition,
                max_condition,
                after,
                life_years,
            };
        vec![
            t("crack_seal", 1.5, 70.0, 90.0, After::Improve(4.0), 3.0),
            t(
                "surface_treatment",
                4.5,
                55.0,
                80.0,
                After::Improve(15.0),
                6.0,
            ),
            t(
                "mill_and_overlay",
                18.0,
                30.0,
                65.0,
                After::Reset(95.0),
                12.0,
            ),
            t("reconstruction", 90.0, 0.0, 40.0, After::Reset(100.0), 25.0),
        ]
    }

    /// True when the treatment applies to condition `c`.
    #[must_use]
    pub fn applies(&self, c: f64) -> bool {
        self.min_condition <= c && c <= self.max_condition
    }
}

/// Pavement width used when a segment has none.
///
/// A segment's width is, in order: its `width_m` attribute; its lane count ×
/// `lane_width_m`; the width of its road class in `by_class`; `default_m`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WidthConfig {
    /// Width of one lane, metres. Default `3.6` (12 ft, the AASHTO standard lane).
    pub lane_width_m: f64,
    /// Width by road class, metres, matched case-insensitively. Default:
    /// arterials 14 (`arterial`, `PA`, `MA`, `MAJOR`, `S1200`), collectors 11
    /// (`collector`, `CO`), local streets 9 (`local`, `MINOR`, `S1400`),
    /// `S1100`/`INTERSTATE` 22. A map in a file replaces this table.
    pub by_class: BTreeMap<String, f64>,
    /// Width of a segment with no width, lanes or known class. Default `9.0`
    /// (about 30 ft, Syracuse's most common rated width is 27-30 ft).
    pub default_m: f64,
}

impl Default for WidthConfig {
    fn default() -> Self {
        let by_class = [
            ("arterial", 14.0),
            ("PA", 14.0),
            ("MA", 14.0),
            ("MAJOR", 14.0),
            ("S1200", 14.0),
            ("collector", 11.0),
            ("CO", 11.0),
            ("local", 9.0),
            ("MINOR", 9.0),
            ("S1400", 9.0),
            ("S1100", 22.0),
            ("INTERSTATE", 22.0),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        WidthConfig {
            lane_width_m: 3.6,
            by_class,
            default_m: 9.0,
        }
    }
}

/// How the benefit of a treatment is measured.
///
/// ```text
/// benefit = area(treated − do-nothing, over `years`, above `floor`)     condition-point-years
///         × length_km × (1 + usage_weight·usage) × (1 + pressure_weight·pressure)
/// ```
///
/// with `usage` and `pressure` the segment's normalised factors (0..1) from
/// the score. See [`crate::Trajectory::benefit_area`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BenefitConfig {
    /// Analysis period in years. Default `10.0`. Finite, `> 0`.
    pub years: f64,
    /// Condition below which nothing counts (a path below it counts as at
    /// it). Default `0.0`: every point of condition counts.
    pub floor: f64,
    /// Extra weight of a fully used street. Default `1.0` (an arterial's
    /// benefit counts up to twice a quiet street's). Finite, `>= 0`.
    pub usage_weight: f64,
    /// Extra weight of a street at full complaint pressure. Default `1.0`.
    /// Finite, `>= 0`.
    pub pressure_weight: f64,
}

impl Default for BenefitConfig {
    fn default() -> Self {
        BenefitConfig {
            years: 10.0,
            floor: 0.0,
            usage_weight: 1.0,
            pressure_weight: 1.0,
        }
    }
}

/// How each year's budget is allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Every (segment, treatment) pair by benefit/cost, best first; a pair is
    /// taken when its segment has none yet and it fits.
    Greedy,
    /// Incremental benefit-cost: each segment's options on their efficient
    /// frontier, upgrades taken by incremental benefit/cost, best first.
    Incremental,
    /// The exact 0/1 multiple-choice knapsack (branch and bound on a
    /// Lagrangian-reduced core), with the gap to the LP bound reported. The default.
    #[default]
    Exact,
}

/// Budget allocation method and the limits of the exact search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SolverConfig {
    /// Default [`Method::Exact`].
    pub method: Method,
    /// Branch-and-bound nodes per solve before it stops with the best plan
    /// found and its gap. Default `20_000_000`. Deterministic.
    pub max_nodes: u64,
    /// Seconds per solve before it stops the same way. Default `5.0`. A stop
    /// on time is the only thing that can make two runs differ; the result
    /// says when it happened.
    pub time_limit_s: f64,
}

impl Default for SolverConfig {
    fn default() -> Self {
        SolverConfig {
            method: Method::Exact,
            max_nodes: 20_000_000,
            time_limit_s: 5.0,
        }
    }
}

/// District equity: spend floors and populations.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DistrictConfig {
    /// Share (0..1) of each year's budget reserved for work in a district,
    /// by district name (case-insensitive). The shares add up to at most 1.
    /// Default empty (no floors). See [`crate::allocate`] for how it is enforced.
    pub min_spend_share: BTreeMap<String, f64>,
    /// Share (0..1) of each year's total benefit a district must get, by
    /// district name (case-insensitive). The shares add up to at most 1.
    /// Default empty. See [`crate::allocate`].
    pub min_benefit_share: BTreeMap<String, f64>,
    /// Population by district, for benefit per capita. Default empty (benefit
    /// per lane-km is reported instead).
    pub population: BTreeMap<String, f64>,
}

/// A condition band: segments with `condition >= min` (and below the next
/// band's `min`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// Name shown in reports.
    pub name: String,
    /// Lowest condition in the band, inclusive.
    pub min: f64,
}

/// What each year of a scenario reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportConfig {
    /// Condition bands, best first, `min` strictly decreasing, last `min` 0.
    /// Default `good` ≥ 70, `fair` ≥ 50, `poor` ≥ 25, `failed` ≥ 0 (a project
    /// choice in the spirit of MTC StreetSaver's PCI categories).
    pub bands: Vec<Band>,
    /// Backlog: the cost of the best applicable treatment (highest condition
    /// after, then cheapest) of every segment below this condition. Default `50.0`.
    pub backlog_below: f64,
}

impl Default for ReportConfig {
    fn default() -> Self {
        let b = |name: &str, min| Band {
            name: name.to_owned(),
            min,
        };
        ReportConfig {
            bands: vec![
                b("good", 70.0),
                b("fair", 50.0),
                b("poor", 25.0),
                b("failed", 0.0),
            ],
            backlog_below: 50.0,
        }
    }
}

fn positive(setting: &str, v: f64) -> Result<(), PlanError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(invalid(setting, format!("must be > 0, got {v}")))
    }
}

fn non_negative(setting: &str, v: f64) -> Result<(), PlanError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(invalid(setting, format!("must be >= 0, got {v}")))
    }
}

fn condition(setting: &str, v: f64) -> Result<(), PlanError> {
    if (0.0..=100.0).contains(&v) {
        Ok(())
    } else {
        Err(invalid(
            setting,
            format!("must be a condition between 0 and 100, got {v}"),
        ))
    }
}

impl PlanConfig {
    /// Checks every setting.
    ///
    /// # Errors
    ///
    /// [`PlanError::InvalidConfig`] naming the first bad setting, e.g.
    /// `treatments[1].unit_cost` with `must be > 0, got 0`.
    ///
    /// # Examples
    ///
    /// ```
    /// use streetrank_plan::PlanConfig;
    /// let mut cfg = PlanConfig::default();
    /// cfg.treatments[1].unit_cost = 0.0;
    /// assert_eq!(
    ///     cfg.validate().unwrap_err().to_string(),
    ///     "invalid setting `treatments[1].unit_cost`: must be > 0, got 0"
    /// );
    /// ```
    pub fn validate(&self) -> Result<(), PlanError> {
        if self.treatments.is_empty() {
            return Err(invalid(
                "treatments",
                "the list is empty; give at least one treatment".to_owned(),
            ));
        }
        let mut names: BTreeMap<String, usize> = BTreeMap::new();
        for (i, t) in self.treatments.iter().enumerate() {
            let s = |f: &str| format!("treatments[{i}].{f}");
            if t.name.trim().is_empty() {
                return Err(invalid(s("name"), "must not be empty".to_owned()));
            }
            if let Some(first) = names.insert(crate::lookup_key(&t.name), i) {
                return Err(invalid(
                    s("name"),
                    format!(
                        "`{}` is also the name of treatments[{first}] (names match case-insensitively)",
                        t.name
                    ),
                ));
            }
            positive(&s("unit_cost"), t.unit_cost)?;
            condition(&s("min_condition"), t.min_condition)?;
            condition(&s("max_condition"), t.max_condition)?;
            if t.max_condition < t.min_condition {
                return Err(invalid(
                    s("max_condition"),
                    format!(
                        "must be >= min_condition ({}), got {}",
                        t.min_condition, t.max_condition
                    ),
                ));
            }
            match t.after {
                After::Reset(x) => condition(&s("after.reset"), x)?,
                After::Improve(x) => positive(&s("after.improve"), x)?,
            }
            positive(&s("life_years"), t.life_years)?;
        }
        self.deterioration.validate()?;
        positive("widths.lane_width_m", self.widths.lane_width_m)?;
        positive("widths.default_m", self.widths.default_m)?;
        for (k, &v) in &self.widths.by_class {
            positive(&format!("widths.by_class.{k}"), v)?;
        }
        positive("benefit.years", self.benefit.years)?;
        condition("benefit.floor", self.benefit.floor)?;
        non_negative("benefit.usage_weight", self.benefit.usage_weight)?;
        non_negative("benefit.pressure_weight", self.benefit.pressure_weight)?;
        if self.solver.time_limit_s.is_nan() || self.solver.time_limit_s <= 0.0 {
            return Err(invalid(
                "solver.time_limit_s",
                format!("must be > 0, got {}", self.solver.time_limit_s),
            ));
        }
        for (i, &b) in self.budgets.iter().enumerate() {
            non_negative(&format!("budgets[{i}]"), b)?;
        }
        for (setting, map) in [
            ("districts.min_spend_share", &self.districts.min_spend_share),
            (
                "districts.min_benefit_share",
                &self.districts.min_benefit_share,
            ),
        ] {
            let mut sum = 0.0;
            let mut seen: BTreeMap<String, &str> = BTreeMap::new();
            for (k, &v) in map {
                if let Some(first) = seen.insert(crate::lookup_key(k), k) {
                    return Err(invalid(
                        setting,
                        format!(
                            "`{first}` and `{k}` are the same district (names match case-insensitively); keep one"
                        ),
                    ));
                }
                if !(0.0..=1.0).contains(&v) {
                    return Err(invalid(
                        format!("{setting}.{k}"),
                        format!("must be between 0 and 1, got {v}"),
                    ));
                }
                sum += v;
            }
            if sum > 1.0 + 1e-12 {
                return Err(invalid(
                    setting,
                    format!("the shares add up to {sum}; they must add up to at most 1"),
                ));
            }
        }
        for (k, &v) in &self.districts.population {
            positive(&format!("districts.population.{k}"), v)?;
        }
        let bands = &self.report.bands;
        if bands.is_empty() {
            return Err(invalid(
                "report.bands",
                "the list is empty; give at least one band".to_owned(),
            ));
        }
        for (i, w) in bands.windows(2).enumerate() {
            if w[1].min >= w[0].min {
                return Err(invalid(
                    format!("report.bands[{}].min", i + 1),
                    format!(
                        "bands go best first: must be < {}, got {}",
                        w[0].min, w[1].min
                    ),
                ));
            }
        }
        if bands.last().is_some_and(|b| b.min != 0.0) {
            return Err(invalid(
                format!("report.bands[{}].min", bands.len() - 1),
                "the last band must start at 0 so that every segment is in a band".to_owned(),
            ));
        }
        condition("report.backlog_below", self.report.backlog_below)?;
        Ok(())
    }
}
