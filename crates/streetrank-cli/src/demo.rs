//! `streetrank demo`: the whole job on the synthetic city in `fixtures/city`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use streetrank_io::{Destination, Format, RankingTable, WriteOptions};

use crate::args::{DemoArgs, Global, InputArgs};
use crate::outputs::{Privacy, Sources, warn_personal};
use crate::pipeline::score_run;
use crate::progress::Phases;
use crate::summary::Summary;

/// Where the demo city is: `--fixtures`, else `$STREETRANK_FIXTURES`, else the repository's `fixtures/city`.
fn fixtures_dir(flag: Option<&Path>) -> PathBuf {
    if let Some(dir) = flag {
        return dir.to_path_buf();
    }
    if let Some(dir) = std::env::var_os("STREETRANK_FIXTURES") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/city")
}

/// Runs the demo and prints the top of the ranking and the summary to stdout.
pub fn run(args: &DemoArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let dir = fixtures_dir(args.fixtures.as_deref());
    let file = |name: &str| dir.join(name);
    if !file("streets.geojson").is_file() {
        anyhow::bail!(
            "the demo city is not in {}: run the demo from the repository, or pass --fixtures DIR \
             (make one with `streetrank generate --out-dir DIR`)",
            dir.display()
        );
    }
    let input = InputArgs {
        streets: file("streets.geojson"),
        complaints: vec![file("complaints.csv")],
        ratings: Some(file("ratings.csv")),
        config: Some(file("config.toml")),
        ..InputArgs::default()
    };
    let mut phases = Phases::new(global.quiet);
    let cfg = input.run_config().context("running the demo")?;
    let run = score_run(&input, &cfg, None, &mut phases).context("running the demo")?;
    let privacy = Privacy::new(args.profile.into(), &cfg);
    if let Some(out) = &args.out_dir {
        std::fs::create_dir_all(out).map_err(|e| streetrank_io::Error::io(out, e))?;
        let internal = !privacy.publish();
        warn_personal(&run.loaded, &cfg, internal);
        let opts = WriteOptions::default();
        let sources = Sources::new(&run.loaded, &cfg, Some(&run.ranking.settings_hash));
        let mut ranking = RankingTable::for_streets(&run.loaded.streets, &run.ranking)?;
        let suppressed = (!internal).then(|| ranking.suppress_small_counts(privacy.min_count));
        for (name, format) in [
            ("ranking.geojson", Format::GeoJson),
            ("ranking.csv", Format::Csv),
        ] {
            let dest = Destination::Path(out.join(name));
            streetrank_io::write_table(&ranking, &dest, format, &opts)?;
            sources.write_segment_manifest(
                "demo",
                &dest,
                &ranking,
                &run.loaded,
                privacy,
                suppressed,
            )?;
        }
        if internal {
            let assignments = crate::pipeline::assignments(&run.loaded, &run.outcomes)?;
            let dest = Destination::Path(out.join("assignments.csv"));
            streetrank_io::write_table(&assignments, &dest, Format::Csv, &opts)?;
            sources.write_assignments_manifest(
                "demo",
                &dest,
                &assignments,
                &run.loaded,
                privacy,
            )?;
        }
    }
    let summary = Summary::build(
        "demo",
        &run.loaded,
        Some(crate::summary::SnapSummary::build(&run.outcomes)),
        Some(&run.ranking),
        &cfg,
        &phases,
        args.top,
    );
    print!("{}", summary.render(false));
    Ok(ExitCode::SUCCESS)
}
