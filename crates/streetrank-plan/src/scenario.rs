//! Budget allocation for one year ([`allocate`]), multi-year scenarios
//! ([`run_scenario`]) and district equity ([`gini`], [`equity_frontier`]).

use std::collections::BTreeMap;
use std::time::Duration;

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{PlanError, invalid, mismatch};
use crate::knapsack::{Item, Limits, Stop, solve_mckp};
use crate::segment::{History, history_at, options_with_history};
use crate::{PlanConfig, PlanSegment, Trajectory, TreatmentOption, all_options, plan_segments};

/// Treatment paths remembered per segment in a scenario.
const MAX_PATHS: usize = 8;
use streetrank::{Ranking, StreetNetwork};

/// The district name used in reports for segments without one.
pub const NO_DISTRICT: &str = "(none)";

/// One year's plan: the treatment of each segment and what it buys.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Allocation {
    /// For each segment, the chosen option's position in its options list
    /// (the `options` passed to [`allocate`]), `None` for no work.
    pub choice: Vec<Option<usize>>,
    /// Total cost.
    pub cost: f64,
    /// Total weighted benefit.
    pub benefit: f64,
    /// LP-relaxation bound of the year's problem without district floors.
    pub lp_bound: f64,
    /// Best known upper bound on the benefit (see [`crate::Solution::upper_bound`]).
    pub upper_bound: f64,
    /// `(upper_bound − benefit) / upper_bound`.
    pub gap: f64,
    /// True when proved optimal.
    pub optimal: bool,
    /// Branch-and-bound nodes, all stages.
    pub nodes: u64,
    /// Set when a stage stopped on a limit.
    pub stopped: Option<Stop>,
    /// Spend by district (trimmed name; [`NO_DISTRICT`] for none).
    pub spend_by_district: BTreeMap<String, f64>,
    /// Benefit by district.
    pub benefit_by_district: BTreeMap<String, f64>,
    /// Plain-language remarks (a floor that could not be spent, …).
    pub notes: Vec<String>,
}

fn district_key(seg: &PlanSegment) -> String {
    seg.district
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .unwrap_or(NO_DISTRICT)
        .to_owned()
}

fn limits(config: &PlanConfig) -> Limits {
    Limits {
        max_nodes: config.solver.max_nodes,
        time_limit: Duration::try_from_secs_f64(config.solver.time_limit_s)
            .unwrap_or(Duration::MAX),
    }
}

/// Allocates one year's `budget` over `segments`, one treatment per segment at most.
///
/// `options[i]` are segment `i`'s options ([`crate::all_options`]). The method
/// is `config.solver.method` ([`crate::Method`]).
///
/// **District floors** are met by *reservations*. A spend floor
/// (`config.districts.min_spend_share`) `s` reserves `s · budget` for the
/// district. Each district with a reservation, in name order, has its own
/// segments planned first within it; what a reservation does not spend goes
/// back to the pool, from which all segments not yet treated are then
/// planned. Each stage is solved by the chosen method (exactly, with
/// [`crate::Method::Exact`]); the combination is the best plan that spends
/// each reservation on its district first, not a joint optimum. A
/// reservation can stay partly unspent when the district has too little
/// work that fits; the notes say so.
///
/// A benefit floor (`config.districts.min_benefit_share`) `s` asks that the
/// district gets at least `s` of the plan's total benefit. Its reservation is
/// the smallest one (bisection, 30 steps, from its spend floor up to what
/// the other reservations leave) with which the plan meets the floor; the
/// districts are taken in name order, in up to three passes (a later
/// reservation can take benefit from an earlier district). A floor that no
/// reservation meets gets the largest one and a note. Each bisection step is
/// a full plan, so benefit floors cost about 30 plans per district.
///
/// The gap is always measured against the LP bound *without* floors, so with
/// floors it includes their price.
///
/// # Errors
///
/// [`PlanError::InvalidConfig`] for a bad config or a non-finite or negative
/// budget; [`PlanError::MismatchedInput`] when `options` has another length
/// than `segments` or an option is not finite.
///
/// # Examples
///
/// ```
/// use streetrank_plan::{all_options, allocate, PlanConfig, PlanSegment};
/// let cfg = PlanConfig::default();
/// let mut segs = vec![
///     PlanSegment::new(1.into(), 100.0, 9.0, 35.0), // overlay or rebuild
///     PlanSegment::new(2.into(), 100.0, 9.0, 75.0), // crack seal or surface treatment
/// ];
/// segs[0].district = Some("North".into());
/// segs[1].district = Some("South".into());
/// let opts = all_options(&segs, &cfg);
/// let plan = allocate(&segs, &opts, 20_000.0, &cfg)?;
/// assert!(plan.cost <= 20_000.0 && plan.optimal);
/// assert_eq!(plan.choice.iter().flatten().count(), 2);
/// # Ok::<(), streetrank_plan::PlanError>(())
/// ```
pub fn allocate(
    segments: &[PlanSegment],
    options: &[Vec<TreatmentOption>],
    budget: f64,
    config: &PlanConfig,
) -> Result<Allocation, PlanError> {
    config.validate()?;
    if !(budget.is_finite() && budget >= 0.0) {
        return Err(invalid("budget", format!("must be >= 0, got {budget}")));
    }
    if options.len() != segments.len() {
        return Err(mismatch(format!(
            "{} option lists for {} segments; pass all_options(segments, config)",
            options.len(),
            segments.len()
        )));
    }
    let classes: Vec<Vec<Item>> = options
        .iter()
        .map(|o| {
            o.iter()
                .map(|t| Item {
                    cost: t.cost,
                    benefit: t.benefit,
                })
                .collect()
        })
        .collect();
    for (i, items) in classes.iter().enumerate() {
        if items
            .iter()
            .any(|it| !(it.cost.is_finite() && it.benefit.is_finite()))
        {
            return Err(mismatch(format!(
                "segment {} (position {i}) has an option with a non-finite cost or benefit",
                segments[i].id
            )));
        }
    }
    let lim = limits(config);
    let method = config.solver.method;
    let run = |reserves: &BTreeMap<String, (String, f64)>| {
        staged(segments, &classes, budget, reserves, method, &lim)
    };
    // Reservations by district key: the spend floors first.
    let mut reserves: BTreeMap<String, (String, f64)> = config
        .districts
        .min_spend_share
        .iter()
        .filter(|(_, s)| **s > 0.0)
        .map(|(k, s)| (crate::lookup_key(k), (k.clone(), s * budget)))
        .collect();
    let spend_floor = reserves.clone();
    let benefit_floors: Vec<(&String, f64)> = config
        .districts
        .min_benefit_share
        .iter()
        .filter(|(_, s)| **s > 0.0)
        .map(|(k, s)| (k, *s))
        .collect();
    let meets = |st: &Staged, key: &str, share: f64| {
        let (mut mine, mut all) = (0.0, 0.0);
        for (i, c) in st.choice.iter().enumerate() {
            if let Some(j) = *c {
                all += classes[i][j].benefit;
                if segments[i]
                    .district
                    .as_deref()
                    .map(crate::lookup_key)
                    .as_deref()
                    == Some(key)
                {
                    mine += classes[i][j].benefit;
                }
            }
        }
        mine >= share * all - 1e-12 * all.abs()
    };
    let mut floor_notes = Vec::new();
    for _pass in 0..3 {
        let mut all_met = true;
        floor_notes.clear();
        for &(name, share) in &benefit_floors {
            let key = crate::lookup_key(name);
            if meets(&run(&reserves), &key, share) {
                continue;
            }
            all_met = false;
            let others: f64 = reserves
                .iter()
                .filter(|(k, _)| **k != key)
                .map(|(_, r)| r.1)
                .sum();
            let floor = spend_floor.get(&key).map_or(0.0, |r| r.1);
            let (mut lo, mut hi) = (floor, (budget - others).max(floor));
            let with = |r: f64| {
                let mut res = reserves.clone();
                res.insert(key.clone(), (name.clone(), r));
                res
            };
            if !meets(&run(&with(hi)), &key, share) {
                floor_notes.push(format!(
                    "district `{name}`: its benefit share floor {share} cannot be met even with a reservation of {hi:.0}; it gets that reservation"
                ));
                reserves = with(hi);
                continue;
            }
            for _ in 0..30 {
                let mid = 0.5 * (lo + hi);
                if meets(&run(&with(mid)), &key, share) {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            reserves = with(hi);
        }
        if all_met {
            break;
        }
    }
    let st = run(&reserves);
    let Staged {
        choice,
        nodes,
        stopped,
        last: sol,
        mut notes,
    } = st;
    notes.extend(floor_notes);

    let (lp_bound, upper_bound, gap, optimal) = if reserves.is_empty() {
        (sol.lp_bound, sol.upper_bound, sol.gap, sol.optimal)
    } else {
        let free = solve_mckp(&classes, budget, crate::Method::Incremental, &lim);
        let lp_bound = free.lp_bound;
        let benefit: f64 = total(&classes, &choice).1;
        let optimal = benefit >= lp_bound - 1e-9 * lp_bound.max(1.0);
        let gap = if lp_bound > 0.0 {
            ((lp_bound - benefit) / lp_bound).max(0.0)
        } else {
            0.0
        };
        (
            lp_bound,
            if optimal { benefit } else { lp_bound },
            gap,
            optimal,
        )
    };
    let (cost, benefit) = total(&classes, &choice);
    let mut spend_by_district = BTreeMap::new();
    let mut benefit_by_district = BTreeMap::new();
    for (i, c) in choice.iter().enumerate() {
        if let Some(j) = *c {
            let k = district_key(&segments[i]);
            *spend_by_district.entry(k.clone()).or_insert(0.0) += classes[i][j].cost;
            *benefit_by_district.entry(k).or_insert(0.0) += classes[i][j].benefit;
        }
    }
    Ok(Allocation {
        choice,
        cost,
        benefit,
        lp_bound,
        upper_bound,
        gap,
        optimal,
        nodes,
        stopped,
        spend_by_district,
        benefit_by_district,
        notes,
    })
}

/// A plan made in stages: each reservation on its district, then the pool.
struct Staged {
    choice: Vec<Option<usize>>,
    nodes: u64,
    stopped: Option<Stop>,
    last: crate::Solution,
    notes: Vec<String>,
}

fn staged(
    segments: &[PlanSegment],
    classes: &[Vec<Item>],
    budget: f64,
    reserves: &BTreeMap<String, (String, f64)>,
    method: crate::Method,
    lim: &Limits,
) -> Staged {
    let mut notes = Vec::new();
    let mut choice: Vec<Option<usize>> = vec![None; segments.len()];
    let mut nodes = 0;
    let mut stopped = None;
    let mut spent = 0.0;
    for (key, (name, reserve)) in reserves {
        let mut members = 0usize;
        let sub: Vec<Vec<Item>> = segments
            .iter()
            .zip(classes)
            .map(|(s, items)| {
                if s.district.as_deref().map(crate::lookup_key).as_ref() == Some(key) {
                    members += 1;
                    items.clone()
                } else {
                    Vec::new()
                }
            })
            .collect();
        if members == 0 {
            notes.push(format!(
                "district `{name}` has a floor but no segment; its reservation went back to the pool"
            ));
            continue;
        }
        let sol = solve_mckp(&sub, *reserve, method, lim);
        nodes += sol.nodes;
        stopped = stopped.or(sol.stopped);
        for (c, s) in choice.iter_mut().zip(&sol.choice) {
            if s.is_some() {
                *c = *s;
            }
        }
        spent += sol.cost;
        if sol.cost < reserve * 0.99 {
            notes.push(format!(
                "district `{name}`: {:.0} of its {:.0} reservation spent (no more work fits); the rest went back to the pool",
                sol.cost, reserve
            ));
        }
    }
    let rest: Vec<Vec<Item>> = classes
        .iter()
        .zip(&choice)
        .map(|(items, c)| {
            if c.is_some() {
                Vec::new()
            } else {
                items.clone()
            }
        })
        .collect();
    let last = solve_mckp(&rest, (budget - spent).max(0.0), method, lim);
    nodes += last.nodes;
    stopped = stopped.or(last.stopped);
    for (c, s) in choice.iter_mut().zip(&last.choice) {
        if s.is_some() {
            *c = *s;
        }
    }
    Staged {
        choice,
        nodes,
        stopped,
        last,
        notes,
    }
}

fn total(classes: &[Vec<Item>], choice: &[Option<usize>]) -> (f64, f64) {
    let mut cost = 0.0;
    let mut benefit = 0.0;
    for (items, c) in classes.iter().zip(choice) {
        if let Some(j) = *c {
            cost += items[j].cost;
            benefit += items[j].benefit;
        }
    }
    (cost, benefit)
}

/// The Gini coefficient of non-negative values: `Σᵢ Σⱼ |xᵢ − xⱼ| / (2 n² x̄)`.
///
/// 0 when all are equal (or there are none, or all are 0); `(n − 1) / n` when
/// one value holds everything. Non-finite or negative values count as 0.
///
/// # Examples
///
/// ```
/// use streetrank_plan::gini;
/// assert_eq!(gini(&[5.0, 5.0, 5.0]), 0.0);
/// assert_eq!(gini(&[0.0, 0.0, 0.0, 8.0]), 0.75);
/// assert_eq!(gini(&[1.0, 3.0]), 0.25);
/// assert_eq!(gini(&[]), 0.0);
/// ```
#[must_use]
pub fn gini(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values
        .iter()
        .map(|&x| if x.is_finite() && x > 0.0 { x } else { 0.0 })
        .collect();
    let n = v.len() as f64;
    let sum: f64 = v.iter().sum();
    if v.is_empty() || sum <= 0.0 {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    // Σᵢ Σⱼ |xᵢ − xⱼ| = 2 Σᵢ (2i − n + 1) x₍ᵢ₎ for sorted x, i from 0.
    let s: f64 = v
        .iter()
        .enumerate()
        .map(|(i, &x)| (2.0 * i as f64 - n + 1.0) * x)
        .sum();
    (2.0 * s) / (2.0 * n * sum)
}

/// What benefit is divided by in the district Gini.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GiniBasis {
    /// Benefit per lane-km of the district's network.
    LaneKm,
    /// Benefit per resident (`config.districts.population`).
    PerCapita,
}

/// The Gini of benefit per lane-km (or per capita) across districts.
///
/// Districts are those of the segments (segments without one are left
/// out). Per capita when `config.districts.population` is not empty, over
/// the districts it names; per lane-km otherwise.
///
/// # Examples
///
/// ```
/// use std::collections::BTreeMap;
/// use streetrank_plan::{district_gini, GiniBasis, PlanConfig, PlanSegment};
/// let mut a = PlanSegment::new(1.into(), 1000.0, 7.2, 50.0);
/// let mut b = a.clone();
/// a.district = Some("A".into());
/// b.district = Some("B".into());
/// let benefit = BTreeMap::from([("A".to_string(), 30.0), ("B".to_string(), 10.0)]);
/// let (g, basis) = district_gini(&[a, b], &benefit, &PlanConfig::default());
/// assert_eq!((g, basis), (0.25, GiniBasis::LaneKm));
/// ```
#[must_use]
pub fn district_gini(
    segments: &[PlanSegment],
    benefit_by_district: &BTreeMap<String, f64>,
    config: &PlanConfig,
) -> (f64, GiniBasis) {
    let pop = &config.districts.population;
    if !pop.is_empty() {
        let values: Vec<f64> = pop
            .iter()
            .map(|(name, p)| {
                let key = crate::lookup_key(name);
                let b: f64 = benefit_by_district
                    .iter()
                    .filter(|(k, _)| crate::lookup_key(k) == key)
                    .map(|(_, v)| v)
                    .sum();
                b / p
            })
            .collect();
        return (gini(&values), GiniBasis::PerCapita);
    }
    let mut lane_km: BTreeMap<String, f64> = BTreeMap::new();
    for s in segments {
        let k = district_key(s);
        if k != NO_DISTRICT {
            *lane_km.entry(k).or_insert(0.0) += s.lane_km();
        }
    }
    let values: Vec<f64> = lane_km
        .iter()
        .map(|(k, l)| benefit_by_district.get(k).copied().unwrap_or(0.0) / l)
        .collect();
    (gini(&values), GiniBasis::LaneKm)
}

/// Network condition at one moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkState {
    /// Length-weighted mean condition (0-100).
    pub average_condition: f64,
    /// Cost of the best applicable treatment of every segment below
    /// `report.backlog_below` ([`crate::ReportConfig`]).
    pub backlog_cost: f64,
    /// Share of length in each band of `report.bands`, in band order.
    pub band_shares: Vec<f64>,
}

/// [`NetworkState`] of segments at conditions `cond` (paired in order; extra entries of either are ignored).
///
/// # Examples
///
/// ```
/// use streetrank_plan::{network_state, PlanConfig, PlanSegment};
/// let segs = vec![
///     PlanSegment::new(1.into(), 300.0, 9.0, 0.0),
///     PlanSegment::new(2.into(), 100.0, 9.0, 0.0),
/// ];
/// let st = network_state(&segs, &[80.0, 40.0], &PlanConfig::default());
/// assert_eq!(st.average_condition, 70.0);
/// assert_eq!(st.band_shares, vec![0.75, 0.0, 0.25, 0.0]);
/// // Below 50: the 40 gets its best applicable treatment (highest condition after):
/// // reconstruction, 90 $/m² × 900 m².
/// assert_eq!(st.backlog_cost, 81_000.0);
/// ```
#[must_use]
pub fn network_state(segments: &[PlanSegment], cond: &[f64], config: &PlanConfig) -> NetworkState {
    let bands = &config.report.bands;
    let mut shares = vec![0.0; bands.len()];
    let mut length = 0.0;
    let mut weighted = 0.0;
    let mut backlog = 0.0;
    for (s, &c) in segments.iter().zip(cond) {
        length += s.length_m;
        weighted += s.length_m * c;
        // Below every band (or NaN): the last band; no bands (an unvalidated config): no shares.
        if let Some(band) = bands
            .iter()
            .position(|b| c >= b.min)
            .or(bands.len().checked_sub(1))
        {
            shares[band] += s.length_m;
        }
        if c < config.report.backlog_below {
            let best = config
                .treatments
                .iter()
                .filter(|t| t.applies(c))
                .map(|t| (t.after.apply(c), t.unit_cost))
                .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
            if let Some((_, unit)) = best {
                backlog += unit * s.area_m2();
            }
        }
    }
    if length > 0.0 {
        for x in &mut shares {
            *x /= length;
        }
    }
    NetworkState {
        average_condition: if length > 0.0 { weighted / length } else { 0.0 },
        backlog_cost: backlog,
        band_shares: shares,
    }
}

/// A treatment done in a scenario year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Treated {
    /// Segment position.
    pub segment: usize,
    /// Treatment position in [`PlanConfig::treatments`].
    pub treatment: usize,
    /// Cost.
    pub cost: f64,
    /// Weighted benefit.
    pub benefit: f64,
    /// Condition before.
    pub condition_before: f64,
    /// Condition right after.
    pub condition_after: f64,
}

/// One year of a scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct YearReport {
    /// 1 for the first year.
    pub year: usize,
    /// The year's budget.
    pub budget: f64,
    /// Each segment's condition at the start of the year, before the work.
    pub condition_before: Vec<f64>,
    /// Each segment's options this year (measured against its current path).
    pub options: Vec<Vec<TreatmentOption>>,
    /// The year's plan; its `choice` indexes `options`.
    pub allocation: Allocation,
    /// The work done, in segment order.
    pub treated: Vec<Treated>,
    /// Network condition right after the year's work.
    pub condition_after_work: f64,
    /// The network at the end of the year: after the work and one year of deterioration.
    pub end: NetworkState,
    /// Gini of the year's benefit across districts.
    pub gini: f64,
    /// What the Gini divides benefit by.
    pub gini_basis: GiniBasis,
}

/// The result of [`run_scenario`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    /// The network before the first year.
    pub start: NetworkState,
    /// One report per budget.
    pub years: Vec<YearReport>,
}

/// Plans `config.budgets.len()` years, re-planning each year on the conditions the previous years left.
///
/// Each year: the options of every segment at its current condition, the
/// year's plan ([`allocate`]), then one year of deterioration. An untreated
/// segment follows its class curve; a treated one follows the best of the
/// [`Trajectory`]s of the treatments it has had in the scenario (the last
/// eight). The benefit of a new treatment on such a segment is measured
/// against that path, not against the class curve, and its path is the better
/// of the new trajectory and the old path: a treatment that adds nothing to
/// a recent one has no benefit, and benefits do not double-count.
///
/// # Errors
///
/// As [`allocate`]; [`PlanError::MismatchedInput`] for a segment with a
/// non-finite length, width or a condition outside 0-100.
///
/// # Examples
///
/// ```
/// use streetrank_plan::{run_scenario, PlanConfig, PlanSegment};
/// let mut cfg = PlanConfig::default();
/// cfg.budgets = vec![0.0, 50_000.0];
/// let segs = vec![PlanSegment::new(1.into(), 200.0, 9.0, 40.0)];
/// let s = run_scenario(&segs, &cfg)?;
/// // Year 1: no money, the street decays; year 2: it is rebuilt or overlaid.
/// assert!(s.years[0].end.average_condition < 40.0);
/// assert_eq!(s.years[1].treated.len(), 1);
/// assert!(s.years[1].condition_after_work >= 95.0);
/// # Ok::<(), streetrank_plan::PlanError>(())
/// ```
pub fn run_scenario(segments: &[PlanSegment], config: &PlanConfig) -> Result<Scenario, PlanError> {
    config.validate()?;
    for (i, s) in segments.iter().enumerate() {
        s.check(i)?;
    }
    let curves: Vec<_> = segments
        .iter()
        .map(|s| config.deterioration.curve_for(s.road_class.as_deref()))
        .collect();
    let mut cond: Vec<f64> = segments.iter().map(|s| s.condition).collect();
    let mut histories: Vec<History> = vec![Vec::new(); segments.len()];
    let start = network_state(segments, &cond, config);
    let mut years = Vec::with_capacity(config.budgets.len());
    let mut current: Vec<PlanSegment> = segments.to_vec();
    for (y, &budget) in config.budgets.iter().enumerate() {
        for (s, &c) in current.iter_mut().zip(&cond) {
            s.condition = c;
        }
        let condition_before = cond.clone();
        let options: Vec<Vec<TreatmentOption>> = current
            .par_iter()
            .zip(histories.par_iter())
            .map(|(s, h)| options_with_history(s, config, h))
            .collect();
        let allocation = allocate(&current, &options, budget, config)?;
        let mut treated = Vec::new();
        for (i, c) in allocation.choice.iter().enumerate() {
            if let Some(k) = *c {
                let o = options[i][k];
                let t = &config.treatments[o.treatment];
                treated.push(Treated {
                    segment: i,
                    treatment: o.treatment,
                    cost: o.cost,
                    benefit: o.benefit,
                    condition_before: cond[i],
                    condition_after: o.condition_after,
                });
                let h = &mut histories[i];
                if h.len() >= MAX_PATHS {
                    // Forget the path that is lowest now (first of equals).
                    let lowest = (0..h.len())
                        .min_by(|&a, &b| h[a].0.at(h[a].1).total_cmp(&h[b].0.at(h[b].1)))
                        .unwrap_or(0);
                    h.remove(lowest);
                }
                h.push((
                    Trajectory {
                        curve: curves[i],
                        before: cond[i],
                        after: o.condition_after,
                        life: t.life_years,
                    },
                    0.0,
                ));
                cond[i] = o.condition_after;
            }
        }
        let condition_after_work = network_state(segments, &cond, config).average_condition;
        cond.par_iter_mut()
            .zip(histories.par_iter_mut())
            .zip(curves.par_iter())
            .for_each(|((c, h), curve)| {
                *c = history_at(h, *curve, *c, 1.0);
                for (_, since) in h.iter_mut() {
                    *since += 1.0;
                }
            });
        let (gini, gini_basis) = district_gini(segments, &allocation.benefit_by_district, config);
        years.push(YearReport {
            year: y + 1,
            budget,
            condition_before,
            options,
            allocation,
            treated,
            condition_after_work,
            end: network_state(segments, &cond, config),
            gini,
            gini_basis,
        });
    }
    Ok(Scenario { start, years })
}

/// One point of the condition-equity trade-off.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrontierPoint {
    /// The equity level `t` (0..1) that set the floors.
    pub level: f64,
    /// Network condition right after the year's work.
    pub average_condition: f64,
    /// Total weighted benefit.
    pub benefit: f64,
    /// Spend.
    pub cost: f64,
    /// Gini of benefit across districts.
    pub gini: f64,
    /// True when no other point has both a higher-or-equal condition and a
    /// lower-or-equal Gini, one of them strictly.
    pub pareto: bool,
}

/// Network condition against equity, for a one-year `budget`.
///
/// For each `level` `t` in `levels`, every district gets a spend floor of
/// `t ·` its share of the network's lane-km (replacing
/// `config.districts.min_spend_share`): `t = 0` is the unconstrained plan,
/// `t = 1` splits the whole budget by lane-km. Each point is planned with
/// [`allocate`]; `pareto` marks the non-dominated ones.
///
/// # Errors
///
/// As [`allocate`]; [`PlanError::InvalidConfig`] for a level outside 0..=1.
pub fn equity_frontier(
    segments: &[PlanSegment],
    config: &PlanConfig,
    budget: f64,
    levels: &[f64],
) -> Result<Vec<FrontierPoint>, PlanError> {
    for (i, &l) in levels.iter().enumerate() {
        if !(0.0..=1.0).contains(&l) {
            return Err(invalid(
                format!("levels[{i}]"),
                format!("must be between 0 and 1, got {l}"),
            ));
        }
    }
    for (i, s) in segments.iter().enumerate() {
        s.check(i)?;
    }
    let mut lane_km: BTreeMap<String, f64> = BTreeMap::new();
    for s in segments {
        let k = district_key(s);
        if k != NO_DISTRICT {
            *lane_km.entry(k).or_insert(0.0) += s.lane_km();
        }
    }
    let total: f64 = lane_km.values().sum();
    let options = all_options(segments, config);
    let mut points = Vec::with_capacity(levels.len());
    for &level in levels {
        let mut cfg = config.clone();
        cfg.districts.min_spend_share = lane_km
            .iter()
            .map(|(k, l)| (k.clone(), if total > 0.0 { level * l / total } else { 0.0 }))
            .collect();
        // Shares add up to `level` up to rounding; keep them within validation.
        let sum: f64 = cfg.districts.min_spend_share.values().sum();
        if sum > 1.0 {
            for v in cfg.districts.min_spend_share.values_mut() {
                *v /= sum;
            }
        }
        let a = allocate(segments, &options, budget, &cfg)?;
        let mut cond: Vec<f64> = segments.iter().map(|s| s.condition).collect();
        for (i, c) in a.choice.iter().enumerate() {
            if let Some(k) = *c {
                cond[i] = options[i][k].condition_after;
            }
        }
        let (gini, _) = district_gini(segments, &a.benefit_by_district, config);
        points.push(FrontierPoint {
            level,
            average_condition: network_state(segments, &cond, config).average_condition,
            benefit: a.benefit,
            cost: a.cost,
            gini,
            pareto: false,
        });
    }
    for i in 0..points.len() {
        let dominated = points.iter().any(|q| {
            let p = &points[i];
            q.average_condition >= p.average_condition
                && q.gini <= p.gini
                && (q.average_condition > p.average_condition || q.gini < p.gini)
        });
        points[i].pareto = !dominated;
    }
    Ok(points)
}

/// Plans `config.budgets` on a scored network: [`plan_segments`] then [`run_scenario`].
///
/// The one call behind the CLI's `plan` command and the Python `plan()`.
///
/// # Errors
///
/// As [`plan_segments`] and [`run_scenario`].
///
/// # Examples
///
/// ```
/// use geo_types::line_string;
/// use streetrank::{score, ScoreConfig, Segment, SegmentAttributes, SourceId, StreetNetwork};
/// use streetrank_plan::{plan, PlanConfig};
///
/// let attrs = |c: f64| SegmentAttributes { condition: Some(c), ..Default::default() };
/// let network = StreetNetwork::new(vec![
///     Segment::new(SourceId::from(1), line_string![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0)])?.with_attributes(attrs(35.0)),
///     Segment::new(SourceId::from(2), line_string![(x: 0.0, y: 9.0), (x: 100.0, y: 9.0)])?.with_attributes(attrs(75.0)),
/// ], vec![])?;
/// let ranking = score(&network, &[], &[], &ScoreConfig::default(), &[])?;
/// let config = PlanConfig { budgets: vec![20_000.0], ..PlanConfig::default() };
/// let scenario = plan(&network, &ranking, &config).unwrap();
/// let year = &scenario.years[0];
/// // 18 000 overlays the worst street (900 m²); the rest seals the other one (1 350).
/// let names: Vec<&str> = year.treated.iter().map(|t| config.treatments[t.treatment].name.as_str()).collect();
/// assert_eq!(names, ["mill_and_overlay", "crack_seal"]);
/// # Ok::<(), streetrank::Error>(())
/// ```
pub fn plan(
    network: &StreetNetwork,
    ranking: &Ranking,
    config: &PlanConfig,
) -> Result<Scenario, PlanError> {
    run_scenario(&plan_segments(network, ranking, config)?, config)
}
