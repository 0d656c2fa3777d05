//! Acceptance on the real Syracuse data (`../shared/data/syracuse`, or `$STREETRANK_DATA`):
//! the deterioration fit, and a 5-year plan where the exact allocation beats greedy (issue 5).
//! Skipped, with a message, when the data is absent.

mod support;
use support::syracuse;

use streetrank_plan::{
    FitOptions, Method, PlanConfig, SolverConfig, allocate, fit_deterioration, run_scenario,
};

#[test]
fn syracuse_fit_beats_persistence_and_is_stable() {
    if !syracuse::available() {
        eprintln!("skipped: no Syracuse data at {}", syracuse::dir().display());
        return;
    }
    let records = syracuse::ratings().unwrap();
    let r = fit_deterioration(&records, &FitOptions::default()).unwrap();
    // The figures in docs/planning.md.
    assert_eq!((r.overall.n, r.resets, r.skipped), (68_177, 3_333, 303));
    assert!(
        (r.overall.curve.a - 10.0978).abs() < 1e-3,
        "{:?}",
        r.overall
    );
    assert!((r.overall.curve.b - 0.570).abs() < 1e-9, "{:?}", r.overall);
    // The curve predicts next ratings better than "no change" does, in RMSE.
    assert!(r.overall.rmse < r.overall.persistence_rmse);
    assert!(r.overall.bias.abs() < 0.5);
    for class in ["CO", "Local", "MA", "PA"] {
        assert!(r.by_class.contains_key(class), "{class}");
    }
    let d = r.deterioration_config();
    assert_eq!(d.curve_for(Some("local")), r.by_class["Local"].curve);
}

#[test]
fn syracuse_five_years_exact_is_at_least_greedy() {
    if !syracuse::available() {
        eprintln!("skipped: no Syracuse data at {}", syracuse::dir().display());
        return;
    }
    let segs = syracuse::segments_2015().unwrap();
    assert!((4_700..=4_900).contains(&segs.len()), "{}", segs.len());
    let cfg = PlanConfig {
        budgets: vec![5e6; 5],
        solver: SolverConfig {
            method: Method::Exact,
            max_nodes: 2_000_000, // a deterministic stop; the gap is reported
            time_limit_s: 1e6,    // never stop on time: two runs must be equal
        },
        ..PlanConfig::default()
    };
    let exact = run_scenario(&segs, &cfg).unwrap();
    assert_eq!(exact.years.len(), 5);
    let mut greedy_cfg = cfg.clone();
    for y in &exact.years {
        let a = &y.allocation;
        assert!(a.cost <= 5e6 + 1e-6);
        assert!(a.benefit <= a.upper_bound + 1e-9 && a.upper_bound <= a.lp_bound + 1e-9);
        assert!(a.gap < 1e-3, "year {}: gap {}", y.year, a.gap);
        assert!(a.optimal || a.stopped.is_some());
        // Greedy and incremental benefit-cost on the same year's conditions and options.
        let mut state = segs.clone();
        for (s, &c) in state.iter_mut().zip(&y.condition_before) {
            s.condition = c;
        }
        let options = &y.options;
        for m in [Method::Greedy, Method::Incremental] {
            greedy_cfg.solver.method = m;
            let g = allocate(&state, options, 5e6, &greedy_cfg).unwrap();
            assert!(
                a.benefit >= g.benefit,
                "year {} {m:?}: exact {} < {}",
                y.year,
                a.benefit,
                g.benefit
            );
        }
    }
    // Deterministic with a node limit: the same plan twice.
    let again = run_scenario(&segs, &cfg).unwrap();
    assert_eq!(again, exact);
}
