//! Run config TOML (`RunConfig`, with `[streets]`, `[complaints]`, `[score]`, `[plan]`, ...).
//! Must not panic: parsing, the settings digest, validation, and a score of a small network
//! with every `[score]` table that validates.
#![no_main]

use geo_types::{Point, line_string};
use libfuzzer_sys::fuzz_target;
use streetrank::{Complaint, Segment, SourceId, StreetNetwork, Timestamp, score};
use streetrank_io::{parse_config, run_config_digest};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = parse_config(text, "fuzz.toml") else {
        return;
    };
    let _ = run_config_digest(&config);
    if let Some(plan) = &config.plan {
        let _ = plan.validate();
    }
    if config.score.validate().is_err() {
        return;
    }
    let (Ok(a), Ok(b), Ok(c)) = (
        Segment::new(
            SourceId::from(1),
            line_string![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0)],
        ),
        Segment::new(
            SourceId::from(2),
            line_string![(x: 0.0, y: 50.0), (x: 100.0, y: 50.0)],
        ),
        Complaint::new(SourceId::from("R1"), Point::new(40.0, 1.0)),
    ) else {
        return;
    };
    let Ok(network) = StreetNetwork::new(vec![a, b], vec![]) else {
        return;
    };
    let complaints = vec![
        c.clone().with_created(Some(Timestamp(0))),
        c.with_created(Some(Timestamp(86_400 * 400))),
    ];
    let _ = score(
        &network,
        &complaints,
        &[Some(0), Some(1)],
        &config.score,
        &[],
    );
});
