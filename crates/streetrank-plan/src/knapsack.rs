//! The 0/1 multiple-choice knapsack (MCKP) behind budget allocation.
//!
//! Each class (a segment) has options (its treatments) with a cost and a
//! benefit; at most one option per class is chosen, total cost `<= budget`,
//! total benefit as large as possible. [`solve_mckp`] offers three methods
//! ([`Method`]):
//!
//! - **greedy**: all options by benefit/cost, best first;
//! - **incremental benefit-cost**: each class's options reduced to their
//!   efficient frontier (the upper convex hull of (cost, benefit) from
//!   (0, 0)), upgrades taken by incremental benefit/cost, best first; an
//!   upgrade that does not fit closes its class;
//! - **exact**: the LP relaxation (Dantzig's bound on the hull increments,
//!   Sinha & Zoltners 1979) gives an upper bound `UB` and a multiplier `λ`;
//!   every option whose Lagrangian bound `UB − δ` (δ = its loss of reduced
//!   benefit `b − λc` against its class's best) cannot beat the best of the
//!   two greedy plans is removed, classes left with one option are fixed, and
//!   a depth-first branch and bound searches the remaining core, pruning a
//!   node by the Lagrangian bound `benefit + λ·(budget left) + Σ max(b − λc)`
//!   and then by the LP bound of the classes below it.
//!   When it stops on a node or time limit, the best plan found is returned
//!   with the gap to the LP bound.
//!
//! Everything is deterministic: sorts break ties by class then option
//! position, and the search only accepts strictly better plans, so among
//! equal plans the one found first (the greedy plan, then the search order) wins.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::Method;

/// One option of one class: its cost and benefit.
///
/// Options with a non-finite or negative cost, or a benefit that is not a
/// finite number `> 0`, are never chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Item {
    /// Cost, currency units.
    pub cost: f64,
    /// Benefit, any unit.
    pub benefit: f64,
}

impl Item {
    fn usable(&self) -> bool {
        self.cost.is_finite() && self.cost >= 0.0 && self.benefit.is_finite() && self.benefit > 0.0
    }
}

/// Why the exact search stopped before proving optimality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// It reached [`Limits::max_nodes`].
    Nodes,
    /// It reached [`Limits::time_limit`].
    Time,
}

/// Limits of the exact search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Branch-and-bound nodes before stopping.
    pub max_nodes: u64,
    /// Wall-clock time before stopping.
    pub time_limit: Duration,
}

impl Default for Limits {
    /// 20 million nodes, 5 seconds (as [`crate::SolverConfig`]).
    fn default() -> Self {
        Limits {
            max_nodes: 20_000_000,
            time_limit: Duration::from_secs(5),
        }
    }
}

/// The result of [`solve_mckp`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Solution {
    /// The chosen option of each class (`None`: nothing), in class order.
    pub choice: Vec<Option<usize>>,
    /// Total cost of the chosen options.
    pub cost: f64,
    /// Total benefit of the chosen options.
    pub benefit: f64,
    /// The LP-relaxation bound: no plan has more benefit.
    pub lp_bound: f64,
    /// The best known bound: `benefit` when optimality is proved, else `lp_bound`.
    pub upper_bound: f64,
    /// `(upper_bound − benefit) / upper_bound` (0 when the bound is 0).
    pub gap: f64,
    /// True when the plan is proved optimal (always false for the greedy methods
    /// unless the LP bound is met).
    pub optimal: bool,
    /// Branch-and-bound nodes visited (0 for the greedy methods).
    pub nodes: u64,
    /// Set when the exact search stopped on a limit.
    pub stopped: Option<Stop>,
}

/// One step up a class's efficient frontier.
#[derive(Debug, Clone, Copy)]
struct Increment {
    class: usize,
    level: usize,
    /// Option reached by this step.
    option: usize,
    cost: f64,
    benefit: f64,
    efficiency: f64,
}

/// The upper convex hull of a class's usable options from (0, 0), by increasing cost.
fn hull(items: &[Item]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..items.len()).filter(|&j| items[j].usable()).collect();
    idx.sort_by(|&a, &b| {
        items[a]
            .cost
            .total_cmp(&items[b].cost)
            .then(items[b].benefit.total_cmp(&items[a].benefit))
            .then(a.cmp(&b))
    });
    let mut best = 0.0;
    idx.retain(|&j| {
        let keep = items[j].benefit > best;
        if keep {
            best = items[j].benefit;
        }
        keep
    });
    let pt = |j: Option<usize>| j.map_or((0.0, 0.0), |j| (items[j].cost, items[j].benefit));
    let mut stack: Vec<Option<usize>> = vec![None];
    for &j in &idx {
        let c = pt(Some(j));
        while stack.len() >= 2 {
            let a = pt(stack[stack.len() - 2]);
            let b = pt(stack[stack.len() - 1]);
            let cross = (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0);
            if cross >= 0.0 {
                stack.pop();
            } else {
                break;
            }
        }
        stack.push(Some(j));
    }
    stack.into_iter().flatten().collect()
}

/// The upper convex hull of points (cost, benefit) from the cheapest one (the
/// best of the cheapest at a tie), by increasing cost: positions in `pts`.
fn hull_from_base(pts: &[(f64, f64)]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..pts.len()).collect();
    idx.sort_by(|&a, &b| {
        pts[a]
            .0
            .total_cmp(&pts[b].0)
            .then(pts[b].1.total_cmp(&pts[a].1))
            .then(a.cmp(&b))
    });
    let mut best = f64::NEG_INFINITY;
    idx.retain(|&j| {
        let keep = pts[j].1 > best;
        if keep {
            best = pts[j].1;
        }
        keep
    });
    let mut stack: Vec<usize> = Vec::with_capacity(idx.len());
    for &j in &idx {
        let c = pts[j];
        while stack.len() >= 2 {
            let a = pts[stack[stack.len() - 2]];
            let b = pts[stack[stack.len() - 1]];
            if (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0) >= 0.0 {
                stack.pop();
            } else {
                break;
            }
        }
        stack.push(j);
    }
    stack
}

/// All hull increments, best efficiency first (ties: class, then level).
fn increments(classes: &[Vec<Item>]) -> Vec<Increment> {
    let mut out = Vec::new();
    for (class, items) in classes.iter().enumerate() {
        let (mut c0, mut b0) = (0.0, 0.0);
        for (level, j) in hull(items).into_iter().enumerate() {
            let (c, b) = (items[j].cost, items[j].benefit);
            let (dc, db) = (c - c0, b - b0);
            let efficiency = if dc > 0.0 { db / dc } else { f64::INFINITY };
            out.push(Increment {
                class,
                level,
                option: j,
                cost: dc,
                benefit: db,
                efficiency,
            });
            (c0, b0) = (c, b);
        }
    }
    out.sort_by(|a, b| {
        b.efficiency
            .total_cmp(&a.efficiency)
            .then(a.class.cmp(&b.class))
            .then(a.level.cmp(&b.level))
    });
    out
}

/// The LP bound and, when one increment is cut, its efficiency `λ`.
fn lp(incs: &[Increment], budget: f64) -> (f64, Option<f64>) {
    let mut left = budget;
    let mut value = 0.0;
    for inc in incs {
        if inc.cost <= left {
            left -= inc.cost;
            value += inc.benefit;
        } else {
            return (value + inc.benefit * left / inc.cost, Some(inc.efficiency));
        }
    }
    (value, None)
}

fn totals(classes: &[Vec<Item>], choice: &[Option<usize>]) -> (f64, f64) {
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

fn ratio_greedy(classes: &[Vec<Item>], budget: f64) -> Vec<Option<usize>> {
    let mut all: Vec<(usize, usize, f64)> = Vec::new();
    for (i, items) in classes.iter().enumerate() {
        for (j, it) in items.iter().enumerate() {
            if it.usable() {
                let r = if it.cost > 0.0 {
                    it.benefit / it.cost
                } else {
                    f64::INFINITY
                };
                all.push((i, j, r));
            }
        }
    }
    all.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
    let mut choice = vec![None; classes.len()];
    let mut left = budget;
    for (i, j, _) in all {
        if choice[i].is_none() && classes[i][j].cost <= left {
            left -= classes[i][j].cost;
            choice[i] = Some(j);
        }
    }
    choice
}

fn incremental(classes: &[Vec<Item>], incs: &[Increment], budget: f64) -> Vec<Option<usize>> {
    let mut choice: Vec<Option<usize>> = vec![None; classes.len()];
    let mut closed = vec![false; classes.len()];
    let mut left = budget;
    for inc in incs {
        if closed[inc.class] {
            continue;
        }
        if inc.cost <= left {
            left -= inc.cost;
            choice[inc.class] = Some(inc.option);
        } else {
            closed[inc.class] = true;
        }
    }
    choice
}

/// Solves one multiple-choice knapsack.
///
/// `classes[i]` are the options of class `i`; at most one per class is
/// chosen and the total cost is at most `budget` (a non-finite or negative
/// budget counts as 0). See the [module docs](self) for the methods.
///
/// # Examples
///
/// ```
/// use streetrank_plan::{solve_mckp, Item, Limits, Method};
/// let it = |cost, benefit| Item { cost, benefit };
/// let classes = vec![
///     vec![it(4.0, 5.0), it(6.0, 8.0)], // one segment, two treatments
///     vec![it(3.0, 4.0)],
///     vec![it(3.0, 4.0)],
/// ];
/// // Greedy by benefit/cost: 8/6 = 4/3 tie, broken by class order: it takes
/// // the 6→8 option and one 3→4, then nothing fits: benefit 12 for 9.
/// let greedy = solve_mckp(&classes, 10.0, Method::Greedy, &Limits::default());
/// assert_eq!((greedy.benefit, greedy.cost), (12.0, 9.0));
/// // The exact plan: 4→5 + 3→4 + 3→4 = 13 for 10, proved optimal.
/// let exact = solve_mckp(&classes, 10.0, Method::Exact, &Limits::default());
/// assert_eq!(exact.choice, vec![Some(0), Some(0), Some(0)]);
/// assert_eq!(exact.benefit, 13.0);
/// assert!(exact.optimal && exact.gap == 0.0);
/// ```
#[must_use]
pub fn solve_mckp(classes: &[Vec<Item>], budget: f64, method: Method, limits: &Limits) -> Solution {
    let budget = if budget.is_finite() && budget > 0.0 {
        budget
    } else {
        0.0
    };
    let incs = increments(classes);
    let (lp_bound, lambda) = lp(&incs, budget);
    let tol = 1e-9 * lp_bound.abs().max(1.0);
    let finish = |choice: Vec<Option<usize>>, optimal: bool, nodes, stopped| {
        let (cost, benefit) = totals(classes, &choice);
        let optimal = optimal || benefit >= lp_bound - tol;
        let upper_bound = if optimal { benefit } else { lp_bound };
        let gap = if upper_bound > 0.0 {
            ((upper_bound - benefit) / upper_bound).max(0.0)
        } else {
            0.0
        };
        Solution {
            choice,
            cost,
            benefit,
            lp_bound,
            upper_bound,
            gap,
            optimal,
            nodes,
            stopped,
        }
    };
    match method {
        Method::Greedy => return finish(ratio_greedy(classes, budget), false, 0, None),
        Method::Incremental => return finish(incremental(classes, &incs, budget), false, 0, None),
        Method::Exact => {}
    }
    let inc_plan = incremental(classes, &incs, budget);
    let greedy_plan = ratio_greedy(classes, budget);
    let (_, inc_b) = totals(classes, &inc_plan);
    let (_, gr_b) = totals(classes, &greedy_plan);
    let (start, lb) = if gr_b > inc_b {
        (greedy_plan, gr_b)
    } else {
        (inc_plan, inc_b)
    };
    let Some(lambda) = lambda else {
        // Every increment fits: each class at the top of its frontier, the LP optimum.
        let mut choice = vec![None; classes.len()];
        for inc in &incs {
            choice[inc.class] = Some(inc.option);
        }
        return finish(choice, true, 0, None);
    };
    if lp_bound - lb <= tol {
        return finish(start, true, 0, None);
    }
    let search = branch_and_bound(classes, budget, lambda, lp_bound, lb, tol, limits);
    match search.found {
        Some(choice) => finish(
            choice,
            search.stopped.is_none(),
            search.nodes,
            search.stopped,
        ),
        None => finish(
            start,
            search.stopped.is_none(),
            search.nodes,
            search.stopped,
        ),
    }
}

struct Search {
    found: Option<Vec<Option<usize>>>,
    nodes: u64,
    stopped: Option<Stop>,
}

/// A free class of the reduced problem: its options (None = nothing) by increasing δ.
struct Free {
    class: usize,
    options: Vec<(Option<usize>, f64, f64)>,
    best_reduced: f64,
}

fn branch_and_bound(
    classes: &[Vec<Item>],
    budget: f64,
    lambda: f64,
    ub: f64,
    lb: f64,
    tol: f64,
    limits: &Limits,
) -> Search {
    let started = Instant::now();
    let mut fixed: Vec<Option<usize>> = vec![None; classes.len()];
    let (mut fixed_cost, mut fixed_benefit) = (0.0, 0.0);
    let mut free: Vec<(f64, Free)> = Vec::new();
    for (i, items) in classes.iter().enumerate() {
        let mut opts: Vec<(Option<usize>, f64, f64, f64)> = vec![(None, 0.0, 0.0, 0.0)];
        for (j, it) in items.iter().enumerate() {
            if it.usable() && it.cost <= budget {
                opts.push((Some(j), it.cost, it.benefit, it.benefit - lambda * it.cost));
            }
        }
        let best = opts.iter().map(|o| o.3).fold(f64::NEG_INFINITY, f64::max);
        let mut kept: Vec<(Option<usize>, f64, f64, f64)> = opts
            .into_iter()
            .filter(|o| ub - (best - o.3) > lb + tol)
            .map(|o| (o.0, o.1, o.2, best - o.3))
            .collect();
        kept.sort_by(|a, b| {
            a.3.total_cmp(&b.3)
                .then(a.0.is_none().cmp(&b.0.is_none()))
                .then(a.0.cmp(&b.0))
        });
        match kept.len() {
            0 => {}
            1 => {
                if let Some(j) = kept[0].0 {
                    fixed[i] = Some(j);
                    fixed_cost += kept[0].1;
                    fixed_benefit += kept[0].2;
                }
            }
            _ => {
                // Order of the search: by the efficiency of the class's first
                // step up its (kept) frontier, best first, as Horowitz and Sahni
                // order knapsack items; the LP bound below a node then reads a
                // nearly contiguous tail of the core's increments.
                let pts: Vec<(f64, f64)> = kept.iter().map(|o| (o.1, o.2)).collect();
                let h = hull_from_base(&pts);
                let key = match h.get(1) {
                    Some(&j) => {
                        let (dc, db) = (pts[j].0 - pts[h[0]].0, pts[j].1 - pts[h[0]].1);
                        -(if dc > 0.0 { db / dc } else { f64::INFINITY })
                    }
                    None => f64::INFINITY,
                };
                free.push((
                    key,
                    Free {
                        class: i,
                        options: kept.iter().map(|o| (o.0, o.1, o.2)).collect(),
                        best_reduced: best,
                    },
                ));
            }
        }
    }
    free.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.class.cmp(&b.1.class)));
    let free: Vec<Free> = free.into_iter().map(|(_, f)| f).collect();
    let m = free.len();
    let room = (budget - fixed_cost).max(0.0);
    // The LP bound of the core below a node: every free class from the
    // node's depth on takes at least its cheapest kept option (its base), then
    // hull increments best first, the last one fractionally.
    let mut base_cost = vec![0.0; m + 1];
    let mut base_benefit = vec![0.0; m + 1];
    let mut core: Vec<(f64, usize, usize, f64, f64)> = Vec::new();
    for d in (0..m).rev() {
        let pts: Vec<(f64, f64)> = free[d].options.iter().map(|o| (o.1, o.2)).collect();
        let h = hull_from_base(&pts);
        let (c0, b0) = pts[h[0]];
        base_cost[d] = base_cost[d + 1] + c0;
        base_benefit[d] = base_benefit[d + 1] + b0;
        let (mut pc, mut pb) = (c0, b0);
        for (level, &j) in h.iter().enumerate().skip(1) {
            let (dc, db) = (pts[j].0 - pc, pts[j].1 - pb);
            let eff = if dc > 0.0 { db / dc } else { f64::INFINITY };
            core.push((eff, d, level, dc, db));
            (pc, pb) = pts[j];
        }
    }
    core.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    // start[d]: the first core increment of a class at depth >= d.
    let mut start = vec![core.len(); m + 1];
    for d in (0..m).rev() {
        start[d] = core
            .iter()
            .position(|c| c.1 >= d)
            .unwrap_or(core.len())
            .min(start[d + 1]);
    }
    let lp_below = |d: usize, left: f64| -> Option<f64> {
        let mut cap = left - base_cost[d];
        if cap < 0.0 {
            return None;
        }
        let mut value = base_benefit[d];
        for &(_, depth, _, dc, db) in &core[start[d]..] {
            if depth < d {
                continue;
            }
            if dc <= cap {
                cap -= dc;
                value += db;
            } else {
                value += db * cap / dc;
                break;
            }
        }
        Some(value)
    };
    // suffix[d] = Σ_{k >= d} best reduced benefit of free class k.
    let mut suffix = vec![0.0; m + 1];
    for d in (0..m).rev() {
        suffix[d] = suffix[d + 1] + free[d].best_reduced;
    }
    let mut best = lb - fixed_benefit;
    let mut best_pick: Option<Vec<usize>> = None;
    let mut pos = vec![0usize; m + 1];
    let mut pick = vec![0usize; m];
    let mut acc_cost = vec![0.0; m + 1];
    let mut acc_benefit = vec![0.0; m + 1];
    let mut depth = 0usize;
    let mut nodes = 0u64;
    let mut stopped = None;
    loop {
        if depth == m {
            if acc_benefit[m] > best + tol {
                best = acc_benefit[m];
                best_pick = Some(pick.clone());
            }
            if m == 0 {
                break;
            }
            depth -= 1;
            continue;
        }
        let Some(&(_, c, b)) = free[depth].options.get(pos[depth]) else {
            if depth == 0 {
                break;
            }
            depth -= 1;
            continue;
        };
        let k = pos[depth];
        pos[depth] += 1;
        let cost = acc_cost[depth] + c;
        if cost > room {
            continue;
        }
        let benefit = acc_benefit[depth] + b;
        if benefit + lambda * (room - cost) + suffix[depth + 1] <= best + tol {
            continue;
        }
        match lp_below(depth + 1, room - cost) {
            Some(v) if benefit + v > best + tol => {}
            _ => continue,
        }
        nodes += 1;
        if nodes >= limits.max_nodes {
            stopped = Some(Stop::Nodes);
            break;
        }
        if nodes.is_multiple_of(4096) && started.elapsed() >= limits.time_limit {
            stopped = Some(Stop::Time);
            break;
        }
        pick[depth] = k;
        acc_cost[depth + 1] = cost;
        acc_benefit[depth + 1] = benefit;
        depth += 1;
        pos[depth] = 0;
    }
    let found = best_pick.map(|p| {
        let mut choice = fixed;
        for (f, &k) in free.iter().zip(&p) {
            choice[f.class] = f.options[k].0;
        }
        choice
    });
    Search {
        found,
        nodes,
        stopped,
    }
}

/// Every combination of one option (or none) per class: the reference for tests.
///
/// Exponential: for a handful of classes only. Ties go to the first
/// combination in lexicographic order of choices (`None` first).
#[doc(hidden)]
#[must_use]
pub fn brute_force_mckp(classes: &[Vec<Item>], budget: f64) -> (f64, Vec<Option<usize>>) {
    fn go(
        classes: &[Vec<Item>],
        i: usize,
        left: f64,
        benefit: f64,
        cur: &mut Vec<Option<usize>>,
        best: &mut (f64, Vec<Option<usize>>),
    ) {
        if i == classes.len() {
            if benefit > best.0 {
                *best = (benefit, cur.clone());
            }
            return;
        }
        cur.push(None);
        go(classes, i + 1, left, benefit, cur, best);
        cur.pop();
        for (j, it) in classes[i].iter().enumerate() {
            if it.usable() && it.cost <= left {
                cur.push(Some(j));
                go(
                    classes,
                    i + 1,
                    left - it.cost,
                    benefit + it.benefit,
                    cur,
                    best,
                );
                cur.pop();
            }
        }
    }
    let mut best = (0.0, vec![None; classes.len()]);
    go(classes, 0, budget.max(0.0), 0.0, &mut Vec::new(), &mut best);
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn it(cost: f64, benefit: f64) -> Item {
        Item { cost, benefit }
    }

    /// SplitMix64: a fixed-seed generator for the oracle tests.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    #[test]
    fn exact_equals_brute_force_on_random_cases() {
        let mut rng = Rng(42);
        for case in 0..2000 {
            let n = 1 + rng.below(7) as usize;
            let classes: Vec<Vec<Item>> = (0..n)
                .map(|_| {
                    (0..rng.below(4))
                        .map(|_| {
                            // Integer costs and benefits make many exact ties.
                            it(1.0 + rng.below(20) as f64, 1.0 + rng.below(30) as f64)
                        })
                        .collect()
                })
                .collect();
            let total: f64 = classes.iter().flatten().map(|i| i.cost).sum();
            let budget = (rng.below(100) as f64 / 100.0 * total).floor();
            let (want, _) = brute_force_mckp(&classes, budget);
            let got = solve_mckp(&classes, budget, Method::Exact, &Limits::default());
            assert!(got.optimal, "case {case}");
            assert_eq!(
                got.benefit, want,
                "case {case}: {classes:?} budget {budget}"
            );
            assert!(got.cost <= budget, "case {case}");
            assert!(got.lp_bound >= want - 1e-9, "case {case}");
            for m in [Method::Greedy, Method::Incremental] {
                let g = solve_mckp(&classes, budget, m, &Limits::default());
                assert!(g.benefit <= want && g.cost <= budget, "case {case} {m:?}");
            }
        }
    }

    #[test]
    fn exact_equals_brute_force_with_fractional_values() {
        let mut rng = Rng(7);
        for case in 0..1000 {
            let n = 1 + rng.below(8) as usize;
            let classes: Vec<Vec<Item>> = (0..n)
                .map(|_| {
                    (0..1 + rng.below(4))
                        .map(|_| {
                            it(
                                (rng.next() % 10_000) as f64 / 97.0,
                                (rng.next() % 10_000) as f64 / 13.0,
                            )
                        })
                        .collect()
                })
                .collect();
            let total: f64 = classes.iter().flatten().map(|i| i.cost).sum();
            let budget = rng.below(100) as f64 / 100.0 * total;
            let (want, _) = brute_force_mckp(&classes, budget);
            let got = solve_mckp(&classes, budget, Method::Exact, &Limits::default());
            assert!(
                (got.benefit - want).abs() <= 1e-9 * want.max(1.0),
                "case {case}: {} vs {want}",
                got.benefit
            );
        }
    }

    #[test]
    fn hand_made_cases() {
        // Greedy by ratio is fooled: a small efficient item blocks the big one.
        let classes = vec![vec![it(1.0, 2.0)], vec![it(10.0, 15.0)]];
        let g = solve_mckp(&classes, 10.0, Method::Greedy, &Limits::default());
        assert_eq!((g.benefit, g.choice.clone()), (2.0, vec![Some(0), None]));
        let e = solve_mckp(&classes, 10.0, Method::Exact, &Limits::default());
        assert_eq!((e.benefit, e.choice.clone()), (15.0, vec![None, Some(0)]));
        assert!(e.optimal);
        assert_eq!(e.gap, 0.0);
        // LP bound: 2 + 15·9/10 = 15.5.
        assert!((e.lp_bound - 15.5).abs() < 1e-12);
        assert!((g.gap - (15.5 - 2.0) / 15.5).abs() < 1e-12);

        // Incremental benefit-cost: one segment, cheap fix (2 → 6) or full fix (5 → 9).
        // Increments: none→cheap 6/2 = 3.0, cheap→full (9-6)/(5-2) = 1.0; class 1: 4/3.
        let classes = vec![vec![it(2.0, 6.0), it(5.0, 9.0)], vec![it(3.0, 4.0)]];
        let inc = solve_mckp(&classes, 5.0, Method::Incremental, &Limits::default());
        // Takes cheap (3.0), then class 1 (1.33), then the upgrade no longer fits.
        assert_eq!(inc.choice, vec![Some(0), Some(0)]);
        assert_eq!(inc.benefit, 10.0);
        let e = solve_mckp(&classes, 5.0, Method::Exact, &Limits::default());
        assert_eq!(e.benefit, 10.0);
    }

    #[test]
    fn edge_cases() {
        let l = Limits::default();
        for m in [Method::Greedy, Method::Incremental, Method::Exact] {
            let s = solve_mckp(&[], 10.0, m, &l);
            assert_eq!((s.benefit, s.cost, s.gap), (0.0, 0.0, 0.0));
            // NaN and negative budgets count as 0; unusable options are ignored.
            let classes = vec![vec![
                it(f64::NAN, 1.0),
                it(1.0, f64::NAN),
                it(-1.0, 5.0),
                it(1.0, 0.0),
                it(1.0, 3.0),
            ]];
            assert_eq!(solve_mckp(&classes, f64::NAN, m, &l).benefit, 0.0);
            assert_eq!(solve_mckp(&classes, -5.0, m, &l).benefit, 0.0);
            let s = solve_mckp(&classes, 1.0, m, &l);
            assert_eq!(s.choice, vec![Some(4)], "{m:?}");
            // A zero-cost option is always taken.
            let s = solve_mckp(&[vec![it(0.0, 2.0)]], 0.0, m, &l);
            assert_eq!(s.benefit, 2.0);
        }
        // Ties: two identical segments and room for one: the first wins.
        let classes = vec![vec![it(5.0, 5.0)], vec![it(5.0, 5.0)]];
        for m in [Method::Greedy, Method::Incremental, Method::Exact] {
            let s = solve_mckp(&classes, 7.0, m, &l);
            assert_eq!(s.choice, vec![Some(0), None], "{m:?}");
        }
    }

    #[test]
    fn node_limit_reports_the_gap() {
        let mut rng = Rng(3);
        let classes: Vec<Vec<Item>> = (0..60)
            .map(|_| {
                (0..4)
                    .map(|_| it(1.0 + rng.below(1000) as f64, 1.0 + rng.below(1000) as f64))
                    .collect()
            })
            .collect();
        let limits = Limits {
            max_nodes: 5,
            time_limit: Duration::from_secs(60),
        };
        let s = solve_mckp(&classes, 5000.5, Method::Exact, &limits);
        if !s.optimal {
            assert_eq!(s.stopped, Some(Stop::Nodes));
            assert!(s.gap > 0.0 && s.upper_bound == s.lp_bound);
        }
        let full = solve_mckp(&classes, 5000.5, Method::Exact, &Limits::default());
        assert!(full.optimal && full.benefit >= s.benefit);
        assert!(full.benefit <= full.lp_bound + 1e-9);
    }
}
