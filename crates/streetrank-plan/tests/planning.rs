//! Hand-made planning cases whose right answer is known (issue 5): treatments,
//! budgets, district floors, scenarios, equity, config.

use std::collections::BTreeMap;

use streetrank_plan::{
    After, Method, PlanConfig, PlanError, PlanSegment, PowerCurve, Treatment, TreatmentOption,
    allocate, equity_frontier, run_scenario, treatment_options,
};

fn line_config() -> PlanConfig {
    let mut cfg = PlanConfig::default();
    cfg.deterioration.default = PowerCurve { a: 5.0, b: 1.0 }; // 5 points a year
    cfg.treatments = vec![
        Treatment {
            name: "seal".into(),
            unit_cost: 2.0,
            min_condition: 60.0,
            max_condition: 80.0,
            after: After::Improve(10.0),
            life_years: 4.0,
        },
        Treatment {
            name: "rebuild".into(),
            unit_cost: 50.0,
            min_condition: 0.0,
            max_condition: 60.0,
            after: After::Reset(100.0),
            life_years: 10.0,
        },
    ];
    cfg
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn treatment_costs_benefits_and_ranges() {
    let cfg = line_config();
    let mut seg = PlanSegment::new(1.into(), 1000.0, 10.0, 60.0);
    seg.usage = 0.5;
    seg.pressure = 0.5;
    // Weight: 1 km × 1.5 × 1.5 = 2.25.
    let opts = treatment_options(&seg, &cfg);
    assert_eq!(opts.len(), 2, "both apply at 60 (bounds inclusive)");
    // Seal 60 → 70, life 4: treated 70 − 2.5t then 80 − 5t, do-nothing 60 − 5t:
    // gap 10 + 2.5t on 0..4 (60) and 20 on 4..10 (120): 180 condition-years.
    assert_eq!(opts[0].treatment, 0);
    assert_eq!(opts[0].cost, 20_000.0);
    assert_eq!(opts[0].condition_after, 70.0);
    assert!(close(opts[0].benefit, 180.0 * 2.25), "{}", opts[0].benefit);
    // Rebuild 60 → 100, life 10: treated 100 − 4t, gap 40 + t on 0..10: 450.
    assert_eq!(opts[1].cost, 500_000.0);
    assert!(close(opts[1].benefit, 450.0 * 2.25), "{}", opts[1].benefit);

    for (c, want) in [
        (0.0, vec![1]),
        (59.9, vec![1]),
        (60.1, vec![0]),
        (80.0, vec![0]),
        (80.1, vec![]),
        (100.0, vec![]),
    ] {
        seg.condition = c;
        let got: Vec<usize> = treatment_options(&seg, &cfg)
            .iter()
            .map(|o| o.treatment)
            .collect();
        assert_eq!(got, want, "condition {c}");
    }
    // Improve is capped at 100; a reset below the condition gives no benefit and no option.
    let mut cfg2 = line_config();
    cfg2.treatments[0].max_condition = 100.0;
    cfg2.treatments[1].max_condition = 100.0;
    cfg2.treatments[1].after = After::Reset(90.0);
    seg.condition = 95.0;
    let opts = treatment_options(&seg, &cfg2);
    assert_eq!(opts.len(), 1);
    assert_eq!(opts[0].condition_after, 100.0);
}

fn opt(cost: f64, benefit: f64) -> TreatmentOption {
    TreatmentOption {
        treatment: 0,
        cost,
        benefit,
        condition_after: 100.0,
    }
}

#[test]
fn budget_allocation_hand_case() {
    let segs: Vec<PlanSegment> = (0..3)
        .map(|i| PlanSegment::new(i.into(), 100.0, 9.0, 50.0))
        .collect();
    let options = vec![
        vec![opt(10.0, 15.0)],
        vec![opt(1.0, 2.0)],
        vec![opt(6.0, 7.0), opt(9.0, 8.0)],
    ];
    let mut cfg = PlanConfig::default();
    let mut run = |m| {
        cfg.solver.method = m;
        allocate(&segs, &options, 10.0, &cfg).unwrap()
    };
    // Greedy by ratio: segment 1 (2.0), segment 0 does not fit, segment 2's cheap option.
    let g = run(Method::Greedy);
    assert_eq!(g.choice, vec![None, Some(0), Some(0)]);
    assert_eq!((g.cost, g.benefit), (7.0, 9.0));
    // Incremental: the same, then the upgrade of segment 2 (Δ 3 → Δ 1) fits.
    let i = run(Method::Incremental);
    assert_eq!(i.choice, vec![None, Some(0), Some(1)]);
    assert_eq!((i.cost, i.benefit), (10.0, 10.0));
    // Exact: segment 0 alone. LP bound 2 + 15 · 9/10 = 15.5.
    let e = run(Method::Exact);
    assert_eq!(e.choice, vec![Some(0), None, None]);
    assert_eq!((e.cost, e.benefit), (10.0, 15.0));
    assert!(e.optimal && e.gap == 0.0 && close(e.lp_bound, 15.5));
    assert!(close(g.gap, (15.5 - 9.0) / 15.5));

    // Zero budget: nothing. Bad budgets and mismatched inputs are errors.
    assert_eq!(run(Method::Exact).cost, 10.0);
    let zero = allocate(&segs, &options, 0.0, &cfg).unwrap();
    assert_eq!(zero.choice, vec![None; 3]);
    for bad in [f64::NAN, -1.0, f64::INFINITY] {
        assert!(matches!(
            allocate(&segs, &options, bad, &cfg),
            Err(PlanError::InvalidConfig { .. })
        ));
    }
    assert!(matches!(
        allocate(&segs, &options[..2], 10.0, &cfg),
        Err(PlanError::MismatchedInput { .. })
    ));
    let nan = vec![vec![opt(f64::NAN, 1.0)], vec![], vec![]];
    assert!(matches!(
        allocate(&segs, &nan, 10.0, &cfg),
        Err(PlanError::MismatchedInput { .. })
    ));
}

#[test]
fn district_spend_floors_hand_case() {
    let mut segs: Vec<PlanSegment> = (0..4)
        .map(|i| PlanSegment::new(i.into(), 100.0, 9.0, 50.0))
        .collect();
    segs[0].district = Some("A".into());
    segs[1].district = Some("A".into());
    segs[2].district = Some(" B ".into());
    // segs[3] has no district.
    let options = vec![
        vec![opt(5.0, 10.0)],
        vec![opt(5.0, 9.0)],
        vec![opt(4.0, 4.0)],
        vec![opt(20.0, 1.0)],
    ];
    let mut cfg = PlanConfig::default();
    // No floors: the two A segments.
    let a = allocate(&segs, &options, 10.0, &cfg).unwrap();
    assert_eq!(a.choice, vec![Some(0), Some(0), None, None]);
    assert_eq!(
        a.spend_by_district,
        BTreeMap::from([("A".to_string(), 10.0)])
    );

    // 40 % for B (matched ignoring case and spaces): B's segment first (4), then 6 left: A's best.
    cfg.districts.min_spend_share = BTreeMap::from([("b".to_string(), 0.4)]);
    let f = allocate(&segs, &options, 10.0, &cfg).unwrap();
    assert_eq!(f.choice, vec![Some(0), None, Some(0), None]);
    assert_eq!((f.cost, f.benefit), (9.0, 14.0));
    assert_eq!(
        f.spend_by_district,
        BTreeMap::from([("A".to_string(), 5.0), ("B".to_string(), 4.0)])
    );
    assert_eq!(f.benefit_by_district["B"], 4.0);
    // The gap is measured against the unconstrained bound (19): the price of the floor shows.
    assert!(!f.optimal && close(f.gap, (19.0 - 14.0) / 19.0));
    assert!(f.notes.is_empty(), "{:?}", f.notes);

    // 30 % cannot buy B's only job (4 > 3): the reservation goes back, with a note.
    cfg.districts.min_spend_share =
        BTreeMap::from([("B".to_string(), 0.3), ("C".to_string(), 0.1)]);
    let g = allocate(&segs, &options, 10.0, &cfg).unwrap();
    assert_eq!(g.choice, vec![Some(0), Some(0), None, None]);
    assert_eq!(g.notes.len(), 2, "{:?}", g.notes);
    assert!(
        g.notes[0].contains("`B`: 0 of its 3 reservation spent"),
        "{:?}",
        g.notes
    );
    assert!(
        g.notes[1].contains("`C` has a floor but no segment"),
        "{:?}",
        g.notes
    );

    // Work without a district is reported under "(none)".
    cfg.districts.min_spend_share.clear();
    let mut cheap = options.clone();
    cheap[3] = vec![opt(1.0, 100.0)];
    let n = allocate(&segs, &cheap, 15.0, &cfg).unwrap();
    assert_eq!(n.choice, vec![Some(0); 4]);
    assert_eq!(n.spend_by_district["(none)"], 1.0);

    // Benefit floor: B must get 20 % of the benefit. Without a reservation it gets 0 %;
    // the smallest reservation that buys B's job is 4: B (4) + A's best (10), 4/14 = 29 %.
    cfg.districts.min_spend_share.clear();
    cfg.districts.min_benefit_share = BTreeMap::from([("B".to_string(), 0.2)]);
    let b = allocate(&segs, &options, 10.0, &cfg).unwrap();
    assert_eq!(b.choice, vec![Some(0), None, Some(0), None]);
    assert_eq!((b.cost, b.benefit), (9.0, 14.0));
    assert!(b.notes.is_empty(), "{:?}", b.notes);
    // 50 % cannot be met by any reservation (B has only its one job): the largest, and a note.
    cfg.districts.min_benefit_share = BTreeMap::from([("B".to_string(), 0.5)]);
    let b = allocate(&segs, &options, 10.0, &cfg).unwrap();
    assert_eq!(b.choice, vec![Some(0), None, Some(0), None]);
    assert_eq!(b.notes.len(), 2, "{:?}", b.notes);
    assert!(
        b.notes[1].contains("floor 0.5 cannot be met"),
        "{:?}",
        b.notes
    );
    // A floor already met changes nothing.
    cfg.districts.min_benefit_share = BTreeMap::from([("A".to_string(), 0.9)]);
    assert_eq!(
        allocate(&segs, &options, 10.0, &cfg).unwrap().choice,
        a.choice
    );
    cfg.districts.min_benefit_share.clear();

    // Shares over 1 and the same district twice are refused.
    cfg.districts.min_spend_share =
        BTreeMap::from([("B".to_string(), 0.2), ("b".to_string(), 0.2)]);
    let err = allocate(&segs, &options, 10.0, &cfg).unwrap_err();
    assert!(err.to_string().contains("are the same district"), "{err}");
    cfg.districts.min_spend_share =
        BTreeMap::from([("A".to_string(), 0.7), ("B".to_string(), 0.4)]);
    let err = allocate(&segs, &options, 10.0, &cfg).unwrap_err();
    assert!(err.to_string().contains("add up to 1.1"), "{err}");
}

#[test]
fn scenario_hand_case() {
    let mut cfg = line_config();
    cfg.treatments = vec![Treatment {
        name: "overlay".into(),
        unit_cost: 10.0,
        min_condition: 0.0,
        max_condition: 70.0,
        after: After::Reset(100.0),
        life_years: 8.0,
    }];
    cfg.budgets = vec![0.0, 10_000.0, 10_000.0];
    cfg.report.backlog_below = 60.0;
    let segs = vec![PlanSegment::new(1.into(), 100.0, 10.0, 60.0)];
    let s = run_scenario(&segs, &cfg).unwrap();
    assert_eq!(s.start.average_condition, 60.0);
    assert_eq!(s.start.backlog_cost, 0.0); // 60 is not below 60
    assert_eq!(s.start.band_shares, vec![0.0, 1.0, 0.0, 0.0]);
    let y = &s.years;
    // Year 1: no money, 60 → 55; now in the backlog (overlay, 1000 m² × 10).
    assert!(y[0].treated.is_empty());
    assert_eq!(y[0].end.average_condition, 55.0);
    assert_eq!(y[0].end.backlog_cost, 10_000.0);
    // Year 2: overlay 55 → 100; life 8 back to 55: k = (9 − 0) / 8, one year later 100 − 5.625.
    assert_eq!(y[1].treated.len(), 1);
    assert_eq!(y[1].treated[0].condition_before, 55.0);
    assert_eq!(y[1].condition_after_work, 100.0);
    assert!(close(y[1].end.average_condition, 94.375));
    assert_eq!(y[1].allocation.spend_by_district["(none)"], 10_000.0);
    // Year 3: 94.375 is above the overlay's range: nothing; the treated path goes on.
    assert!(y[2].treated.is_empty());
    assert!(close(y[2].end.average_condition, 88.75));
    assert_eq!(y[2].end.band_shares, vec![1.0, 0.0, 0.0, 0.0]);
    assert_eq!(y[2].condition_before, vec![94.375]);
    // Empty network and no budgets are fine.
    assert!(
        run_scenario(&[], &cfg)
            .unwrap()
            .years
            .iter()
            .all(|y| y.treated.is_empty())
    );
    cfg.budgets.clear();
    assert!(run_scenario(&segs, &cfg).unwrap().years.is_empty());
    // A segment with a NaN condition is refused, naming it.
    let mut bad = segs.clone();
    bad[0].condition = f64::NAN;
    let err = run_scenario(&bad, &cfg).unwrap_err();
    assert_eq!(
        err.to_string(),
        "inputs do not fit together: segment 1 (position 0): condition (0-100) is NaN"
    );
}

#[test]
fn equity_frontier_hand_case() {
    let cfg = PlanConfig::default();
    // Four streets at 35 (only mill and overlay applies: 18 $/m² × 9000 m² = 162 000 each);
    // A's are arterials (usage 1, benefit weight 2), B's quiet (usage 0, weight 1).
    let mut segs = Vec::new();
    for (i, (d, u)) in [("A", 1.0), ("A", 1.0), ("B", 0.0), ("B", 0.0)]
        .iter()
        .enumerate()
    {
        let mut s = PlanSegment::new((i as i64).into(), 1000.0, 9.0, 35.0);
        s.district = Some((*d).into());
        s.usage = *u;
        segs.push(s);
    }
    let budget = 324_000.0; // two overlays
    let pts = equity_frontier(&segs, &cfg, budget, &[0.0, 0.5, 1.0]).unwrap();
    // Level 0: both overlays in A: benefit per lane-km (x, 0): Gini 0.5.
    assert_eq!(pts[0].gini, 0.5);
    // Level 0.5: 81 000 reserved per district buys nothing; the pool goes to A again.
    assert_eq!(pts[1].gini, 0.5);
    assert_eq!(pts[1].benefit, pts[0].benefit);
    // Level 1: 162 000 each: one overlay per district, benefits 2:1, Gini 1/6.
    assert!(close(pts[2].gini, 1.0 / 6.0), "{}", pts[2].gini);
    assert!(close(pts[2].benefit, pts[0].benefit * 3.0 / 4.0));
    // Same network condition (two overlays either way), fairer: only level 1 is on the frontier.
    assert_eq!(pts[0].average_condition, pts[2].average_condition);
    assert_eq!(
        pts.iter().map(|p| p.pareto).collect::<Vec<_>>(),
        vec![false, false, true]
    );
    assert!(equity_frontier(&segs, &cfg, budget, &[1.5]).is_err());
}

#[test]
fn config_defaults_validate_and_round_trip() {
    let cfg = PlanConfig::default();
    cfg.validate().unwrap();
    let text = toml::to_string(&cfg).unwrap();
    let back: PlanConfig = toml::from_str(&text).unwrap();
    assert_eq!(back, cfg);
    // Unknown keys are refused at every level.
    for bad in [
        "[benefit]\nyear = 3",
        "[solver]\nmethod = \"fast\"",
        "[[treatments]]\nname = \"x\"\nunit_cost = 1\nmin_condition = 0\nmax_condition = 1\nafter = { reset = 1 }\nlife_years = 1\ncolour = 2",
        "[deterioration.default]\na = 1\nb = 1\nc = 1",
    ] {
        assert!(toml::from_str::<PlanConfig>(bad).is_err(), "{bad}");
    }
    type Edit = fn(&mut PlanConfig);
    let cases: Vec<(Edit, &str)> = vec![
        (|c| c.treatments.clear(), "invalid setting `treatments`"),
        (
            |c| c.treatments[0].name = "Reconstruction".into(),
            "treatments[3].name",
        ),
        (
            |c| c.treatments[2].min_condition = 70.0,
            "treatments[2].max_condition",
        ),
        (
            |c| c.treatments[0].after = After::Reset(120.0),
            "treatments[0].after.reset",
        ),
        (
            |c| c.treatments[0].life_years = f64::NAN,
            "treatments[0].life_years",
        ),
        (
            |c| c.deterioration.default.b = 0.0,
            "deterioration.default.b",
        ),
        (|c| c.benefit.years = 0.0, "benefit.years"),
        (|c| c.budgets = vec![1.0, -2.0], "budgets[1]"),
        (|c| c.report.bands[1].min = 80.0, "report.bands[1].min"),
        (|c| c.report.bands[3].min = 5.0, "report.bands[3].min"),
        (|c| c.solver.time_limit_s = 0.0, "solver.time_limit_s"),
    ];
    for (edit, want) in cases {
        let mut c = PlanConfig::default();
        edit(&mut c);
        let err = c.validate().unwrap_err().to_string();
        assert!(err.contains(want), "{err} should name {want}");
    }
}

/// A seeded synthetic network: conditions, lengths, classes and districts from SplitMix64.
fn synthetic(n: usize, seed: u64) -> Vec<PlanSegment> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) as f64 / u64::MAX as f64
    };
    (0..n)
        .map(|i| {
            let mut s = PlanSegment::new(
                (i as i64).into(),
                30.0 + 200.0 * next(),
                9.0,
                100.0 * next(),
            );
            s.usage = next();
            s.pressure = if next() < 0.3 { next() } else { 0.0 };
            s.district = Some(format!("D{}", (next() * 5.0) as u32));
            s.road_class = Some(if next() < 0.2 {
                "MA".into()
            } else {
                "Local".into()
            });
            s
        })
        .collect()
}

#[test]
fn scenarios_are_identical_for_any_thread_count() {
    let segs = synthetic(600, 11);
    let mut cfg = PlanConfig {
        budgets: vec![300_000.0; 3],
        ..PlanConfig::default()
    };
    cfg.solver.time_limit_s = 1e6;
    cfg.districts.min_spend_share = BTreeMap::from([("D3".to_string(), 0.3)]);
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| run_scenario(&segs, &cfg).unwrap())
    };
    let one = run(1);
    assert_eq!(one, run(3));
    for y in &one.years {
        assert!(y.allocation.cost <= 300_000.0 + 1e-6);
        assert!(
            y.allocation
                .spend_by_district
                .get("D3")
                .copied()
                .unwrap_or(0.0)
                >= 0.29 * 300_000.0
        );
        assert!(y.allocation.benefit <= y.allocation.lp_bound + 1e-9);
    }
}

#[test]
fn exact_is_at_least_greedy_on_synthetic_networks() {
    for seed in 0..5 {
        let segs = synthetic(400, seed);
        let mut cfg = PlanConfig::default();
        let options = streetrank_plan::all_options(&segs, &cfg);
        let mut results = Vec::new();
        for m in [Method::Greedy, Method::Incremental, Method::Exact] {
            cfg.solver.method = m;
            results.push(allocate(&segs, &options, 250_000.0, &cfg).unwrap());
        }
        let e = &results[2];
        assert!(e.optimal, "seed {seed}: gap {}", e.gap);
        assert!(e.benefit >= results[0].benefit && e.benefit >= results[1].benefit);
        assert!(e.benefit <= e.lp_bound * (1.0 + 1e-12));
    }
}

#[test]
fn retreatment_benefit_is_measured_against_the_current_path() {
    // Seal only (+10, life 4) on a straight-line curve losing 5 points a year.
    let mut cfg = line_config();
    cfg.treatments.truncate(1);
    cfg.treatments[0].max_condition = 100.0;
    cfg.budgets = vec![20_000.0, 20_000.0];
    let segs = vec![PlanSegment::new(1.into(), 1000.0, 10.0, 60.0)];
    let s = run_scenario(&segs, &cfg).unwrap();
    // Year 1: 60 → 70, back to 60 in 4 years: 70 − 2.5t; 67.5 at the year end.
    assert_eq!(s.years[0].end.average_condition, 67.5);
    // Year 2: without the seal the street follows the year-1 path, 67.5 − 2.5t to t = 3,
    // then 75 − 5t. The new seal: 77.5 − 2.5t to t = 4, then 87.5 − 5t. The gap is
    // 10 on 0..3, 2.5 + 2.5t on 3..4 and 12.5 on 4..10: 30 + 11.25 + 75 = 116.25
    // (measured from the class curve instead it would be 180, counting year 1's seal again).
    let y2 = &s.years[1];
    assert_eq!(y2.treated.len(), 1);
    assert!(
        close(y2.treated[0].benefit, 116.25),
        "{}",
        y2.treated[0].benefit
    );
    // Year end: the better of the two paths, max(65, 75).
    assert!(close(y2.end.average_condition, 75.0));
}
