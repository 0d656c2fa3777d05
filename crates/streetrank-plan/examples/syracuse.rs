//! The Syracuse figures in `docs/planning.md`.
//!
//! ```text
//! cargo run --release -p streetrank-plan --example syracuse -- fit
//! cargo run --release -p streetrank-plan --example syracuse -- plan [budget per year] [years]
//! ```
//!
//! Data: `$STREETRANK_DATA/syracuse/converted` or `../shared/data/syracuse/converted`.

#[path = "../tests/support/syracuse.rs"]
mod syracuse;

use std::time::Instant;

use streetrank_plan::{
    FitOptions, Method, PlanConfig, PlanSegment, SolverConfig, allocate, equity_frontier,
    fit_deterioration, run_scenario,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("fit") => fit(),
        Some("plan") => {
            let budget = args.get(1).map_or(Ok(5e6), |b| b.parse())?;
            let years = args.get(2).map_or(Ok(5), |y| y.parse())?;
            let fitted = args.get(3).is_some_and(|a| a == "fitted");
            plan(budget, years, fitted)
        }
        Some("frontier") => {
            let budget = args.get(1).map_or(Ok(5e6), |b| b.parse())?;
            frontier(budget)
        }
        _ => Err(
            "usage: syracuse fit | syracuse plan [budget] [years] [fitted] | syracuse frontier [budget]"
                .into(),
        ),
    }
}

fn fit() -> Result<(), Box<dyn std::error::Error>> {
    let records = syracuse::ratings()?;
    let t = Instant::now();
    let r = fit_deterioration(&records, &FitOptions::default())?;
    eprintln!("fit in {:.2} s", t.elapsed().as_secs_f64());
    println!(
        "records {}  skipped {}  observations {}  resets {}",
        records.len(),
        r.skipped,
        r.observations,
        r.resets
    );
    println!(
        "| fit | a | b | n | RMSE | MAE | bias | persistence RMSE | persistence MAE | years to 70 | to 50 |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let row = |name: &str, f: &streetrank_plan::CurveFit| {
        println!(
            "| {name} | {:.4} | {:.3} | {} | {:.2} | {:.2} | {:+.2} | {:.2} | {:.2} | {:.1} | {:.1} |",
            f.curve.a,
            f.curve.b,
            f.n,
            f.rmse,
            f.mae,
            f.bias,
            f.persistence_rmse,
            f.persistence_mae,
            f.curve.age_of(70.0),
            f.curve.age_of(50.0)
        );
    };
    row("all (year-to-year)", &r.overall);
    for (k, f) in &r.by_class {
        row(&format!("{k} (year-to-year)"), f);
    }
    if let Some(f) = &r.age {
        row("all (age since overlay)", f);
    }
    Ok(())
}

fn frontier(budget: f64) -> Result<(), Box<dyn std::error::Error>> {
    let segs = syracuse::segments_2015()?;
    let cfg = PlanConfig::default();
    let levels = [0.0, 0.25, 0.5, 0.75, 1.0];
    let t = Instant::now();
    let pts = equity_frontier(&segs, &cfg, budget, &levels)?;
    eprintln!("frontier in {:.2} s", t.elapsed().as_secs_f64());
    println!(
        "| level | condition after work | benefit | spent | Gini (benefit per lane-km, ZIP codes) | Pareto |"
    );
    println!("|---|---|---|---|---|---|");
    for p in &pts {
        println!(
            "| {:.2} | {:.3} | {:.1} | {:.0} | {:.3} | {} |",
            p.level, p.average_condition, p.benefit, p.cost, p.gini, p.pareto
        );
    }
    Ok(())
}

fn plan(budget: f64, years: usize, fitted: bool) -> Result<(), Box<dyn std::error::Error>> {
    let segs = syracuse::segments_2015()?;
    let deterioration = if fitted {
        let fit = fit_deterioration(&syracuse::ratings()?, &FitOptions::default())?;
        println!("deterioration: the Syracuse fit by class");
        fit.deterioration_config()
    } else {
        streetrank_plan::DeteriorationConfig::default()
    };
    let area: f64 = segs.iter().map(PlanSegment::area_m2).sum();
    println!(
        "{} segments, {:.0} km, {:.2} million m², budget {budget:.0} a year for {years} years",
        segs.len(),
        segs.iter().map(|s| s.length_m).sum::<f64>() / 1000.0,
        area / 1e6
    );
    let config = |method| PlanConfig {
        budgets: vec![budget; years],
        solver: SolverConfig {
            method,
            ..SolverConfig::default()
        },
        deterioration: deterioration.clone(),
        ..PlanConfig::default()
    };
    let exact_cfg = config(Method::Exact);
    let t = Instant::now();
    let exact = run_scenario(&segs, &exact_cfg)?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "exact scenario: {secs:.2} s; start: condition {:.1}, backlog {:.0}",
        exact.start.average_condition, exact.start.backlog_cost
    );
    println!("\nPer year, all three methods on the exact scenario's conditions:\n");
    println!(
        "| year | exact benefit | greedy | incremental | LP bound | gap | proved | nodes | stop | spent | treated | condition end | backlog end | bands end (good/fair/poor/failed) | Gini |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for y in &exact.years {
        let mut state = segs.clone();
        for (s, &c) in state.iter_mut().zip(&y.condition_before) {
            s.condition = c;
        }
        let g = allocate(&state, &y.options, budget, &config(Method::Greedy))?;
        let i = allocate(&state, &y.options, budget, &config(Method::Incremental))?;
        let a = &y.allocation;
        println!(
            "| {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.1e} | {} | {} | {:?} | {:.0} | {} | {:.1} | {:.0} | {} | {:.3} |",
            y.year,
            a.benefit,
            g.benefit,
            i.benefit,
            a.lp_bound,
            a.gap,
            a.optimal,
            a.nodes,
            a.stopped,
            a.cost,
            y.treated.len(),
            y.end.average_condition,
            y.end.backlog_cost,
            y.end
                .band_shares
                .iter()
                .map(|b| format!("{:.0}%", b * 100.0))
                .collect::<Vec<_>>()
                .join("/"),
            y.gini
        );
    }
    println!("\nEach method's own scenario (paths diverge after year 1):\n");
    for method in [Method::Greedy, Method::Incremental, Method::Exact] {
        let t = Instant::now();
        let s = run_scenario(&segs, &config(method))?;
        let total: f64 = s.years.iter().map(|y| y.allocation.benefit).sum();
        let end = s
            .years
            .last()
            .map_or(s.start.average_condition, |y| y.end.average_condition);
        println!(
            "- {method:?}: benefit summed over the years {total:.1}, condition at the end {end:.2}, {:.2} s",
            t.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
