//! # streetrank-plan
//!
//! Repair planning on top of the [`streetrank`] score: what to do with this
//! year's money, and the next years', and how to defend it.
//!
//! - **Treatments** ([`Treatment`]): unit cost per m², the condition range
//!   where each applies, the condition right after, and its life. Segment
//!   area is length × width ([`WidthConfig::resolve`]).
//! - **Deterioration** ([`PowerCurve`], [`DeteriorationConfig`]): condition
//!   against age by road class, fitted to a city's own ratings with
//!   [`fit_deterioration`].
//! - **Benefit** ([`Trajectory::benefit_area`], [`BenefitConfig`]): the area
//!   between the treated and do-nothing condition paths over the analysis
//!   period, weighted by length, usage and complaint pressure.
//! - **Allocation** ([`solve_mckp`], [`allocate`]): greedy by benefit/cost,
//!   incremental benefit-cost, and the exact multiple-choice knapsack with its
//!   optimality gap; district spend floors.
//! - **Scenarios** ([`run_scenario`], [`plan`] from a scored network): a budget per year, deterioration
//!   between years, re-planned each year; condition, backlog, bands and spend
//!   by district per year.
//! - **Equity** ([`gini`], [`district_gini`], [`equity_frontier`]).
//!
//! # Condition scale
//!
//! The planner works on a 0-100 scale, 100 = new pavement, 0 = failed (the
//! range of the Pavement Condition Index, ASTM D6433). [`plan_segments`]
//! converts the core's condition factor with the score config's `worst` and
//! `best` ratings; [`fit_deterioration`] converts ratings the same way.
//!
//! # Examples
//!
//! ```
//! use streetrank_plan::{run_scenario, PlanConfig, PlanSegment};
//!
//! let mut cfg = PlanConfig::default();
//! cfg.budgets = vec![30_000.0; 3];
//! let segments = vec![
//!     PlanSegment::new(1.into(), 120.0, 9.0, 35.0),
//!     PlanSegment::new(2.into(), 200.0, 9.0, 62.0),
//!     PlanSegment::new(3.into(), 90.0, 12.0, 85.0),
//! ];
//! let scenario = run_scenario(&segments, &cfg)?;
//! for y in &scenario.years {
//!     assert!(y.allocation.cost <= 30_000.0);
//!     assert!(y.allocation.optimal); // tiny problem: proved optimal
//! }
//! # Ok::<(), streetrank_plan::PlanError>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod config;
mod curve;
mod error;
mod fit;
pub mod knapsack;
mod scenario;
mod segment;

pub use config::{
    After, Band, BenefitConfig, DistrictConfig, Method, PlanConfig, ReportConfig, SolverConfig,
    Treatment, WidthConfig,
};
pub use curve::{DeteriorationConfig, PowerCurve, Trajectory};
pub use error::PlanError;
pub use fit::{CurveFit, FitOptions, FitReport, RatingRecord, fit_deterioration};
#[doc(hidden)]
pub use knapsack::brute_force_mckp;
pub use knapsack::{Item, Limits, Solution, Stop, solve_mckp};
pub use scenario::{
    Allocation, FrontierPoint, GiniBasis, NO_DISTRICT, NetworkState, Scenario, Treated, YearReport,
    allocate, district_gini, equity_frontier, gini, network_state, plan, run_scenario,
};
pub use segment::{PlanSegment, TreatmentOption, all_options, plan_segments, treatment_options};

/// Key used to match class and district names: trimmed and lowercased.
pub(crate) fn lookup_key(name: &str) -> String {
    name.trim().to_lowercase()
}
