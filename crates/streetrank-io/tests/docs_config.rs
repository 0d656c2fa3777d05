//! The configuration example in docs/config.md is a valid configuration (so the docs cannot rot).

use streetrank_io::{Aggregate, Crs, parse_config};

#[test]
fn the_documented_example_parses_with_the_values_shown() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/config.md");
    let doc = std::fs::read_to_string(path).expect("docs/config.md");
    let start = doc.find("```toml\n").expect("a ```toml block") + "```toml\n".len();
    let end = start + doc[start..].find("```").expect("the block's end");
    let cfg = parse_config(&doc[start..end], "docs/config.md").expect("the example parses");
    assert_eq!(cfg.work_crs, Some(Crs::epsg(32618)));
    assert_eq!(cfg.snap.max_distance_m, 30.0);
    assert_eq!(cfg.streets.id.as_deref(), Some("STREET_ID"));
    assert_eq!(cfg.streets.crs, Some(Crs::epsg(2261)));
    assert_eq!(
        cfg.complaints.date_format.as_deref(),
        Some("%m/%d/%Y %H:%M")
    );
    assert_eq!(cfg.ratings.aggregate, Aggregate::Min);
    assert_eq!(cfg.ratings.use_year, Some(2015));
    assert_eq!(cfg.score.condition.best, 10.0);
    assert_eq!(cfg.privacy.min_count, 3);
    let plan = cfg.plan.as_ref().expect("the example has a [plan] table");
    assert_eq!(plan.budgets, [5e6; 3]);
    assert_eq!(plan.treatments.len(), 1);
    plan.validate()
        .expect("the example's plan settings are valid");
    cfg.score
        .validate()
        .expect("the example's scoring settings are valid");
}
